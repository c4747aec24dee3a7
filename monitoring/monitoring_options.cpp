#include "monitoring/monitoring_options.hpp"

#include "common/error.hpp"

namespace cagcl {

std::optional<monitoring::ExporterOptions> exporter_options(const MonitoringConfig& config, int local_rank) {
  if (config.port_base == 0) return std::nullopt;
  monitoring::ExporterOptions options;
  options.address = config.address;
  options.port = static_cast<int>(config.port_base) + local_rank;
  if (options.port > 65535)
    throw UsageError("monitoring.port_base: " + std::to_string(config.port_base) + " + local rank " +
                     std::to_string(local_rank) + " exceeds 65535");
  options.on_port_in_use = monitoring::parse_port_in_use(config.on_port_in_use);
  options.file_sd_dir = config.file_sd;
  options.advertise_host = config.advertise_host;
  return options;
}

std::unique_ptr<monitoring::PrometheusExporter> make_prometheus_exporter(const MonitoringConfig& config,
                                                                         int local_rank) {
  const auto options = exporter_options(config, local_rank);
  if (!options) return nullptr;
  return std::make_unique<monitoring::PrometheusExporter>(*options);
}

}  // namespace cagcl
