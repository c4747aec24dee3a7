#pragma once
// spdlog set-up: every line carries the rank, so the interleaved output of `mpirun` stays readable.
#include <string>

namespace cagcl {

struct LogOptions {
  std::string level = "info";  // trace | debug | info | warn | error | off
  std::string file;            // also append to this file when not empty
  int rank = 0;
  int world = 1;
};

// The rank a launcher (mpirun, srun) gave this process before MPI is initialised; 0 without launcher.
int launcher_rank();
int launcher_world_size();

// Replaces the default logger. UsageError naming --log-level / --log-file on a bad value.
void init_logging(const LogOptions& options);

}  // namespace cagcl
