#pragma once
// The NCCL backend's watchdog (c10d's ProcessGroupNCCL has the same): a thread that polls the collectives in
// flight and the communicator's asynchronous error. A collective not complete after comm.failure_timeout_s, or
// any asynchronous error, aborts the communicator (ncclCommAbort) and ends the process with one line naming the
// rank and the op, as the MPI backend ends the job. The process is ended from this thread because the host may
// be blocked in a CUDA synchronisation, where no exception can reach it.
//
// Free of CUDA and NCCL: NcclWatchdogApi is the narrow interface that the real communicator implements
// (comm/nccl_communicator.cpp) and the tests fake on the CPU (tests/comm/nccl_watchdog_test.cpp).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cagcl {

// What the watchdog needs of a communicator. Both calls come from another thread than the one issuing the
// collectives.
class NcclWatchdogApi {
 public:
  enum class State {
    ready,        // ncclSuccess: no call in progress, no error
    in_progress,  // ncclInProgress: a non-blocking call (init, finalize, a lazy connection) still runs
    failed,       // an asynchronous error; `error` holds NCCL's text
    closed,       // aborted or destroyed by its owner, who reports why: nothing left to watch
  };
  struct Status {
    State state = State::ready;
    std::string error;
  };
  virtual ~NcclWatchdogApi() = default;
  virtual Status status() = 0;  // ncclCommGetAsyncError
  // ncclCommAbort: frees the communicator and makes its pending kernels return. Safe to call more than once.
  virtual void abort() = 0;
};

struct NcclWatchdogOptions {
  double failure_timeout_s = 300;  // comm.failure_timeout_s
  std::chrono::milliseconds poll_interval{100};
  // How long the failure path waits for abort() before it ends the process anyway: ncclCommAbort itself can
  // hang on a wedged device or network (why c10d added its heartbeat monitor).
  double abort_grace_s = 60;
  // Called with the failure message once it is logged and the communicator aborted; must end the process.
  // Empty: std::_Exit(ExitCode::failure), which mpirun and srun --kill-on-bad-exit turn into the end of the job.
  std::function<void(const std::string& message)> terminate;
};

// Polls `api` on the calling thread until a non-blocking NCCL call (ncclCommInitRankConfig, ncclCommFinalize,
// a collective that returned ncclInProgress) finished. On an error, or after options.failure_timeout_s, aborts
// the communicator and throws a CommError starting with `what` (e.g. "rank 0/2 ...: ncclCommInitRank").
void await_nccl_ready(const std::shared_ptr<NcclWatchdogApi>& api, const std::string& what,
                      const NcclWatchdogOptions& options);

class NcclWatchdog {
 public:
  // True once the collective completed (cudaEventQuery on its done event); may throw, which is a failure.
  using Done = std::function<bool()>;

  // `label` names the communicator in messages about no particular op ("rank 0/2 NcclCommunicator(cuda:0)").
  NcclWatchdog(std::shared_ptr<NcclWatchdogApi> api, std::string label, NcclWatchdogOptions options);
  // Stops and joins the thread; collectives still in flight are no longer watched.
  ~NcclWatchdog();
  NcclWatchdog(const NcclWatchdog&) = delete;
  NcclWatchdog& operator=(const NcclWatchdog&) = delete;

  // Watches a collective just enqueued; `what` starts with its context ("rank 1/2 all_reduce(float, ...) sum").
  void watch(std::string what, Done done);
  // Collectives not yet seen complete.
  std::size_t outstanding() const;

 private:
  struct Watched {
    std::string what;
    std::chrono::steady_clock::time_point since;
    Done done;
  };
  void loop();
  std::optional<std::string> poll(const NcclWatchdogApi::Status& status);  // one round: the failure, if any
  std::optional<std::string> check_watched();
  void fail(const std::string& message);

  std::shared_ptr<NcclWatchdogApi> api_;
  std::string label_;
  NcclWatchdogOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<Watched> incoming_;  // guarded by mutex_; moved into watched_ by the thread
  std::size_t watched_count_ = 0;  // guarded by mutex_
  std::list<Watched> watched_;     // the thread's own: probed without holding the lock
  std::thread thread_;
};

}  // namespace cagcl
