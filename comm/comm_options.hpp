#pragma once
// The `comm.*` configuration keys turned into the options of the distributed layer (comm/), so that the
// layer itself does not depend on the configuration format.
#include "comm/communicator.hpp"
#include "comm/grad_sync.hpp"
#include "config/config.hpp"

namespace cagcl {

CommOptions comm_options(const CommConfig& config);
GradSyncOptions grad_sync_options(const CommConfig& config);

}  // namespace cagcl
