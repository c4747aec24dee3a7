#include "launch/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "common/error.hpp"

namespace cagcl {
namespace {

int env_int(std::initializer_list<const char*> names, int fallback) {
  for (const char* name : names) {
    if (const char* value = std::getenv(name)) {
      try {
        return std::stoi(value);
      } catch (const std::exception&) {
      }
    }
  }
  return fallback;
}

}  // namespace

int launcher_rank() { return env_int({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}, 0); }

int launcher_world_size() { return env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"}, 1); }

void init_logging(const LogOptions& options) {
  const auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off")
    throw UsageError("--log-level '" + options.level + "': expected trace, debug, info, warn, error or off");

  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!options.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
    } catch (const spdlog::spdlog_ex& e) {
      throw UsageError("--log-file '" + options.file + "': " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("cagcl", sinks.begin(), sinks.end());
  // Every line names its rank, so the interleaved output of many ranks in one Slurm log can be untangled.
  const std::string rank_tag = "[rank " + std::to_string(options.rank) + "/" + std::to_string(options.world) + "] ";
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] " + rank_tag + "[%^%l%$] %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace cagcl
