#include "monitoring/file_sd_target.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <system_error>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace cagcl::monitoring {
namespace {

// Host names may carry characters a file name should not ("[::1]"); keep the name portable.
std::string file_name_for(const std::string& host, int port) {
  std::string name = "cagcl-";
  for (char c : host) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return name + "-" + std::to_string(port) + ".json";
}

std::string target_of(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

std::string FileSdTarget::render(const std::string& host, int port, const std::map<std::string, std::string>& labels) {
  nlohmann::json group = {{"targets", {target_of(host, port)}}, {"labels", labels}};
  return nlohmann::json::array({group}).dump(2) + "\n";
}

FileSdTarget::FileSdTarget(const std::filesystem::path& dir, const std::string& host, int port,
                           const std::map<std::string, std::string>& labels)
    : path_(dir / file_name_for(host, port)) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("monitoring.file_sd: cannot create directory " + dir.string() + ": " + ec.message());
  write_file_atomically(path_, render(host, port, labels));
}

FileSdTarget::~FileSdTarget() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) spdlog::warn("monitoring.file_sd: cannot remove {}: {}", path_.string(), ec.message());
}

}  // namespace cagcl::monitoring
