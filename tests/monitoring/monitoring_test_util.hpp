#pragma once
// Helpers of the monitoring tests: a private temporary directory, a plain HTTP GET against a local
// exporter, and a filled step report.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "trainer/step_report.hpp"

#include "tests/common/temp_dir.hpp"

namespace cagcl::monitoring::test_util {

using cagcl::test_support::TempDir;

// GET http://127.0.0.1:PORT/PATH; returns the body, or "" when the server did not answer 200.
inline std::string http_get(int port, const std::string& path = "/metrics") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n = 0;
      while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const auto header_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") == std::string::npos ||
      header_end == std::string::npos)
    return "";
  return response.substr(header_end + 4);
}

// The anatomies of sample_step's intact_instances (a RunInfo that receives it needs them).
inline std::vector<std::string> sample_anatomies() { return {"lung", "heart", "esophagus", "aorta"}; }

inline trainer::StepReport sample_step(int64_t step) {
  trainer::StepReport r;
  r.step = step;
  r.total_steps = 100;
  r.epoch = 1;
  r.loss_total = 3.5;
  r.loss_local = 2.0;
  r.loss_global = 1.5;
  r.lr = 1e-4;
  r.tau_local = 0.07;
  r.tau_global = 0.05;
  r.grad_norm = 0.75;
  r.samples = 4;
  r.global_samples = 8;
  r.step_seconds = 0.5;
  r.data_wait_seconds = 0.05;
  r.comm_seconds = 0.1;
  r.text_collapse_index = 0.25;
  r.bad_samples = 1;
  r.memory_bytes = 1.5e9;
  r.intact_instances = {8, 7, 5, 0};  // the aorta never intact
  return r;
}

}  // namespace cagcl::monitoring::test_util
