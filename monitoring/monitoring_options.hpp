#pragma once
// The `monitoring.*` configuration keys turned into the Prometheus exporter of one rank, so that
// monitoring/ does not depend on the configuration format.
#include <memory>
#include <optional>

#include "config/config.hpp"
#include "monitoring/prometheus_exporter.hpp"

namespace cagcl {

// The exporter options of the rank with this local rank; nullopt when monitoring.port_base is 0.
std::optional<monitoring::ExporterOptions> exporter_options(const MonitoringConfig& config, int local_rank);

// The exporter of this rank (its port bound), or nullptr when monitoring is off. `cagcl train` adds it to
// the training observers; `--metrics-port P` sets monitoring.port_base.
std::unique_ptr<monitoring::PrometheusExporter> make_prometheus_exporter(const MonitoringConfig& config,
                                                                         int local_rank);

}  // namespace cagcl
