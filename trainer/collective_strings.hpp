#pragma once
// Small strings over a Communicator (manifest fragments, a checkpoint path chosen by rank 0): tensors of bytes on
// the communicator's device, so they work on every backend.
#include <functional>
#include <string>
#include <vector>

#include "comm/communicator.hpp"

namespace cagcl::trainer {

// Every rank's string, in rank order, on every rank.
std::vector<std::string> all_gather_strings(Communicator& comm, const std::string& mine);
// Root's string on every rank.
std::string broadcast_string(Communicator& comm, const std::string& value, int root = 0);
// `compute` runs on root only (e.g. rank 0 choosing and verifying a checkpoint); its result reaches every rank.
// The other ranks wait in work_together, so a `compute` longer than the failure timeout is no failure. An
// exception of `compute` leaves root's call.
std::string broadcast_string_from(Communicator& comm, int root, const std::function<std::string()>& compute);

}  // namespace cagcl::trainer
