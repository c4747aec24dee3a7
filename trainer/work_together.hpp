#pragma once
// Phases in which the ranks' shares of work differ widely -- rank 0 choosing and hashing the checkpoint to resume,
// rank 0 writing and hashing the model file of a foreground save, each rank hashing its share of the shards --
// must not look like a dead peer to the collective failure timeout (comm.failure_timeout_s), which at cluster
// scale would kill healthy jobs. So the work runs on a thread of its own while the calling thread keeps a cheap
// all-reduce going with the other ranks until every rank's share is done: a rank that really died or hangs still
// stops answering, and the timeout still ends the job.
#include <chrono>
#include <functional>

#include "comm/communicator.hpp"

namespace cagcl::trainer {

// Collective. Runs `my_share` (this rank's part; may do nothing) and returns when every rank's part is done.
// An exception of `my_share` is rethrown on this rank after that (the other ranks return normally).
void work_together(Communicator& comm, const std::function<void()>& my_share,
                   std::chrono::milliseconds poll = std::chrono::milliseconds(20));

}  // namespace cagcl::trainer
