#pragma once
// The Prometheus endpoint of one rank: an HTTP exposer (prometheus-cpp, civetweb) serving /metrics, the
// training metrics (monitoring/training_metrics.hpp) it serves, and optionally this rank's file_sd entry.
// A TrainingObserver: the trainer feeds it the same reports as the JSON-lines metrics log.
//
// The port is bound in the constructor, before training starts, so a port conflict is reported at once:
// either as a UsageError (on_port_in_use = error) or by moving up to the next free port (next).
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <memory>
#include <optional>
#include <string>

#include "monitoring/file_sd_target.hpp"
#include "monitoring/training_metrics.hpp"
#include "trainer/training_observer.hpp"

namespace cagcl::monitoring {

enum class PortInUse { next, error };

struct ExporterOptions {
  std::string address = "0.0.0.0";  // interface to listen on; 0.0.0.0 / :: = all
  int port = 9400;                  // first port tried; 0 = a free port chosen by the OS
  PortInUse on_port_in_use = PortInUse::next;
  int max_port_tries = 100;    // with `next`: ports port .. port + max_port_tries - 1
  std::string file_sd_dir;     // directory of file_sd target files; empty = none
  std::string advertise_host;  // host written to file_sd; empty = address, or this host's name for 0.0.0.0 / ::
};

PortInUse parse_port_in_use(const std::string& text);  // "next" | "error"

class PrometheusExporter : public trainer::TrainingObserver {
 public:
  explicit PrometheusExporter(const ExporterOptions& options);
  ~PrometheusExporter() override;
  PrometheusExporter(const PrometheusExporter&) = delete;
  PrometheusExporter& operator=(const PrometheusExporter&) = delete;

  int port() const { return port_; }                 // the bound port
  const std::string& host() const { return host_; }  // what file_sd advertises
  std::string url() const;                           // http://HOST:PORT/metrics
  // The file_sd file of this rank, empty before on_start or without monitoring.file_sd.
  std::string file_sd_path() const;

  void on_start(const trainer::RunInfo& run) override;
  void on_step(const trainer::StepReport& report) override;
  void on_validation(const trainer::ValidationReport& report) override;
  void on_checkpoint(const trainer::CheckpointReport& report) override;

 private:
  ExporterOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  std::string host_;
  std::unique_ptr<TrainingMetrics> metrics_;
  // Declared last: destroyed first, so the scrape config forgets this rank before its endpoint closes.
  std::unique_ptr<FileSdTarget> file_sd_;
};

}  // namespace cagcl::monitoring
