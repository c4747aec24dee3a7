#include "monitoring/prometheus_exporter.hpp"

#include <dlfcn.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <map>

#include "common/error.hpp"

// civetweb (the HTTP server inside prometheus-cpp's Exposer) creates its threads with a fixed 100 KiB stack.
// glibc places a thread's static TLS on its stack, and LibTorch's static TLS alone is larger than that, so in
// any process linked with LibTorch pthread_create fails with EINVAL and the Exposer cannot start ("Cannot
// create threads"). The definition below takes precedence over libc's for every library of the process (the
// executable is first in symbol lookup) and raises requests below 2 MiB to 2 MiB; larger requests are
// passed on unchanged, so no thread gets less stack than it asked for.
// It lives in this file so that it is linked into every program that uses the exporter.
extern "C" int pthread_attr_setstacksize(pthread_attr_t* attr, size_t size) {
  using Setter = int (*)(pthread_attr_t*, size_t);
  static const Setter libc_setter = reinterpret_cast<Setter>(dlsym(RTLD_NEXT, "pthread_attr_setstacksize"));
  constexpr size_t kFloor = size_t{2} << 20;
  return libc_setter(attr, size < kFloor ? kFloor : size);
}

namespace cagcl::monitoring {
namespace {

bool is_wildcard(const std::string& address) { return address == "0.0.0.0" || address == "::" || address == "[::]"; }

// civetweb's listening_ports syntax: "127.0.0.1:9400", "[::1]:9400".
std::string listen_spec(const std::string& address, int port) {
  const bool ipv6 = address.find(':') != std::string::npos && address.front() != '[';
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

PortInUse parse_port_in_use(const std::string& text) {
  if (text == "next") return PortInUse::next;
  if (text == "error") return PortInUse::error;
  throw UsageError("monitoring.on_port_in_use: must be next or error (got '" + text + "')");
}

PrometheusExporter::PrometheusExporter(const ExporterOptions& options)
    : options_(options), registry_(std::make_shared<prometheus::Registry>()) {
  if (options.port < 0 || options.port > 65535)
    throw UsageError("monitoring: port " + std::to_string(options.port) + " is not in [0, 65535]");
  const bool may_move = options.on_port_in_use == PortInUse::next && options.port != 0;
  const int tries = may_move ? std::max(1, std::min(options.max_port_tries, 65536 - options.port)) : 1;
  std::string last_error;
  for (int i = 0; i < tries && !exposer_; ++i) {
    const std::string spec = listen_spec(options.address, options.port + i);
    try {
      exposer_ =
          std::make_unique<prometheus::Exposer>(std::vector<std::string>{"listening_ports", spec, "num_threads", "2"});
    } catch (const std::exception& e) {
      last_error = e.what();  // civetweb says only that binding failed
    }
  }
  if (!exposer_) {
    const std::string where = listen_spec(options.address, options.port);
    if (tries == 1)
      throw UsageError("monitoring: cannot listen on " + where +
                       " (port in use, or the address is not one of this host's); choose another "
                       "monitoring.port_base or --metrics-port, or set monitoring.on_port_in_use=next: " +
                       last_error);
    throw UsageError("monitoring: cannot listen on " + options.address + " at any port from " +
                     std::to_string(options.port) + " to " + std::to_string(options.port + tries - 1) +
                     " (all in use, or the address is not one of this host's): " + last_error);
  }
  const auto ports = exposer_->GetListeningPorts();
  port_ = ports.empty() ? options.port : ports.front();
  if (port_ != options.port && options.port != 0)
    spdlog::warn("monitoring: port {} in use, serving metrics on port {} instead", options.port, port_);
  host_ = !options.advertise_host.empty() ? options.advertise_host
          : is_wildcard(options.address)  ? host_name()
                                          : options.address;
  exposer_->RegisterCollectable(registry_);
  spdlog::info("monitoring: Prometheus metrics at {}", url());
}

PrometheusExporter::~PrometheusExporter() = default;

std::string PrometheusExporter::url() const { return "http://" + listen_spec(host_, port_) + "/metrics"; }

std::string PrometheusExporter::file_sd_path() const { return file_sd_ ? file_sd_->path().string() : std::string(); }

void PrometheusExporter::on_start(const trainer::RunInfo& run) {
  if (metrics_) return;  // one run per exporter: its identity labels are fixed
  metrics_ = std::make_unique<TrainingMetrics>(*registry_, run);
  if (!options_.file_sd_dir.empty()) {
    // The same identity as the series carry: with honor_labels the target's labels name a rank that is down.
    const auto labels = TrainingMetrics::identity_labels(run);
    file_sd_ = std::make_unique<FileSdTarget>(options_.file_sd_dir, host_, port_,
                                              std::map<std::string, std::string>(labels.begin(), labels.end()));
  }
}

void PrometheusExporter::on_step(const trainer::StepReport& report) {
  if (metrics_) metrics_->record(report);
}

void PrometheusExporter::on_validation(const trainer::ValidationReport& report) {
  if (metrics_) metrics_->record(report);
}

void PrometheusExporter::on_checkpoint(const trainer::CheckpointReport& report) {
  if (metrics_) metrics_->record(report);
}

}  // namespace cagcl::monitoring
