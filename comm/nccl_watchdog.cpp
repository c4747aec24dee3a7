#include "comm/nccl_watchdog.hpp"

#include <cstdlib>
#include <future>
#include <iostream>
#include <sstream>

#include "common/error.hpp"

namespace cagcl {
namespace {

std::string watchdog_seconds(double seconds) {
  std::ostringstream text;
  text << seconds;
  return text.str();
}

bool watchdog_expired(std::chrono::steady_clock::time_point since, double limit_s) {
  // In double seconds: a huge comm.failure_timeout_s cannot overflow the clock's integer ticks.
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count() > limit_s;
}

// ncclCommAbort on a thread of its own, waited for at most grace_s: false when it did not return in time (the
// thread is left behind, holding the api, and the process ends anyway).
bool abort_within(const std::shared_ptr<NcclWatchdogApi>& api, double grace_s) {
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> returned = finished->get_future();
  std::thread([api, finished] {
    try {
      api->abort();
    } catch (...) {  // the process ends either way; what counts is that abort returned
    }
    finished->set_value();
  }).detach();
  return returned.wait_for(std::chrono::duration<double>(grace_s)) == std::future_status::ready;
}

void end_the_job(const std::string&) {
  std::cerr.flush();
  std::_Exit(static_cast<int>(ExitCode::failure));  // other threads may be stuck in CUDA: no exit handlers
}

}  // namespace

void await_nccl_ready(const std::shared_ptr<NcclWatchdogApi>& api, const std::string& what,
                      const NcclWatchdogOptions& options) {
  const auto since = std::chrono::steady_clock::now();
  for (;;) {
    const NcclWatchdogApi::Status status = api->status();
    switch (status.state) {
      case NcclWatchdogApi::State::ready: return;
      case NcclWatchdogApi::State::closed: throw CommError(what + ": the NCCL communicator was aborted");
      case NcclWatchdogApi::State::failed:
        abort_within(api, options.abort_grace_s);
        throw CommError(what + ": NCCL error: " + status.error);
      case NcclWatchdogApi::State::in_progress: break;
    }
    if (watchdog_expired(since, options.failure_timeout_s)) {
      const bool aborted = abort_within(api, options.abort_grace_s);
      throw CommError(what + ": not complete after " + watchdog_seconds(options.failure_timeout_s) +
                      " s (comm.failure_timeout_s): a peer rank died, hangs or never reached this call" +
                      (aborted ? "" : " (ncclCommAbort did not return either)"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // init takes seconds, a lazy connect less
  }
}

NcclWatchdog::NcclWatchdog(std::shared_ptr<NcclWatchdogApi> api, std::string label, NcclWatchdogOptions options)
    : api_(std::move(api)), label_(std::move(label)), options_(std::move(options)) {
  if (!options_.terminate) options_.terminate = end_the_job;
  thread_ = std::thread(&NcclWatchdog::loop, this);
}

NcclWatchdog::~NcclWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void NcclWatchdog::watch(std::string what, Done done) {
  std::lock_guard<std::mutex> lock(mutex_);
  incoming_.push_back({std::move(what), std::chrono::steady_clock::now(), std::move(done)});
  ++watched_count_;
}

std::size_t NcclWatchdog::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return watched_count_;
}

void NcclWatchdog::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, options_.poll_interval, [this] { return stop_; });
    if (stop_) return;
    for (auto& work : incoming_) watched_.push_back(std::move(work));
    incoming_.clear();
    lock.unlock();  // the probes (cudaEventQuery, ncclCommGetAsyncError) run without blocking watch()
    std::optional<std::string> failure;
    bool closed = false;
    try {
      const NcclWatchdogApi::Status status = api_->status();
      closed = status.state == NcclWatchdogApi::State::closed;
      if (!closed) failure = poll(status);
    } catch (const std::exception& e) {
      failure = label_ + ": NCCL watchdog: " + e.what();
    }
    lock.lock();
    watched_count_ = watched_.size() + incoming_.size();
    if (closed) return;  // whoever closed the communicator reports why
    if (failure) {
      lock.unlock();
      fail(*failure);
      return;
    }
  }
}

std::optional<std::string> NcclWatchdog::poll(const NcclWatchdogApi::Status& status) {
  if (status.state == NcclWatchdogApi::State::failed) {
    // Named after the oldest collective in flight when there is one: the first a peer's failure stops.
    const std::string& what = watched_.empty() ? label_ : watched_.front().what;
    return what + ": NCCL asynchronous error: " + status.error;
  }
  return check_watched();
}

std::optional<std::string> NcclWatchdog::check_watched() {
  for (auto it = watched_.begin(); it != watched_.end();) {
    bool done = false;
    try {
      done = it->done();
    } catch (const std::exception& e) {
      return it->what + ": " + e.what();
    }
    // Completion first: a collective that finished is fine even when this thread looks late.
    if (done) {
      it = watched_.erase(it);
      continue;
    }
    if (watchdog_expired(it->since, options_.failure_timeout_s))
      return it->what + ": not complete after " + watchdog_seconds(options_.failure_timeout_s) +
             " s (comm.failure_timeout_s): a peer rank died, hangs or skipped this collective";
    ++it;
  }
  return std::nullopt;
}

void NcclWatchdog::fail(const std::string& message) {
  // The line goes out first: ncclCommAbort may not return.
  std::cerr << "cagcl: NCCL watchdog: " << message << "; aborting the NCCL communicator and ending the job"
            << std::endl;
  const bool aborted = abort_within(api_, options_.abort_grace_s);
  if (!aborted)
    std::cerr << "cagcl: NCCL watchdog: ncclCommAbort did not return within "
              << watchdog_seconds(options_.abort_grace_s) << " s; ending the job without it" << std::endl;
  options_.terminate(message + (aborted ? "; NCCL communicator aborted" : "; ncclCommAbort did not return"));
}

}  // namespace cagcl
