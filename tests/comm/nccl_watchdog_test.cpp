// The NCCL watchdog on the CPU, against a fake NCCL API: no GPU, no NCCL. The termination hook records the
// message instead of ending the test process. Waits are bounded only as hang guards, never timing checks.
#include "comm/nccl_watchdog.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"

// A namespace of its own: unity batches put several test files in one translation unit.
namespace cagcl::nccl_watchdog_test {
namespace {

using State = NcclWatchdogApi::State;
using Status = NcclWatchdogApi::Status;

constexpr auto kHangGuard = std::chrono::seconds(60);

// ncclCommGetAsyncError answers from a script (then a steady state); ncclCommAbort is counted and can be made to
// hang until released.
class FakeNcclApi : public NcclWatchdogApi {
 public:
  explicit FakeNcclApi(Status steady = {}) : steady_(std::move(steady)) {}

  Status status() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++polls_;
    if (script_.empty()) return steady_;
    Status next = script_.front();
    script_.pop_front();
    return next;
  }

  void abort() override {
    ++aborts_;
    auto gate = gate_;  // a copy: the fake may be gone when a hanging abort is released
    std::unique_lock<std::mutex> lock(gate->mutex);
    gate->cv.wait(lock, [&] { return gate->open; });
  }

  void script(std::deque<Status> first) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_ = std::move(first);
  }
  void set_steady(Status steady) {
    std::lock_guard<std::mutex> lock(mutex_);
    steady_ = std::move(steady);
  }
  int polls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return polls_;
  }
  int aborts() const { return aborts_; }

  void hang_abort() { gate_->set(false); }
  void release_abort() { gate_->set(true); }

 private:
  struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = true;
    void set(bool value) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        open = value;
      }
      cv.notify_all();
    }
  };
  mutable std::mutex mutex_;
  std::deque<Status> script_;
  Status steady_;
  int polls_ = 0;
  std::atomic<int> aborts_{0};
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
};

// Stands in for the end of the process.
class TerminationRecorder {
 public:
  std::function<void(const std::string&)> hook() {
    return [this](const std::string& message) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        messages_.push_back(message);
      }
      cv_.notify_all();
    };
  }
  // False when the watchdog never asked for the end of the process (within the hang guard).
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, kHangGuard, [&] { return !messages_.empty(); });
  }
  std::vector<std::string> messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
};

// Polls `condition` until it holds; false after the hang guard.
template <typename Condition>
bool eventually(Condition condition) {
  const auto until = std::chrono::steady_clock::now() + kHangGuard;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

NcclWatchdogOptions fast_options(double timeout_s, TerminationRecorder& recorder) {
  NcclWatchdogOptions options;
  options.failure_timeout_s = timeout_s;
  options.poll_interval = std::chrono::milliseconds(2);
  options.abort_grace_s = 3600;
  options.terminate = recorder.hook();
  return options;
}

const std::string kAllReduce = "rank 1/2 all_reduce(Float, 1024 elements) sum";

TEST(NcclWatchdog, ACollectiveThatNeverCompletesAbortsAndEndsTheJobNamingTheOp) {
  auto api = std::make_shared<FakeNcclApi>();
  TerminationRecorder recorder;
  NcclWatchdog watchdog(api, "rank 1/2 NcclCommunicator(cuda:0)", fast_options(0.2, recorder));
  watchdog.watch(kAllReduce, [] { return false; });
  ASSERT_TRUE(recorder.wait()) << "the watchdog never ended the job";
  const auto messages = recorder.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(contains(messages[0], kAllReduce +
                                        ": not complete after 0.2 s (comm.failure_timeout_s): a peer rank died, "
                                        "hangs or skipped this collective"))
      << messages[0];
  EXPECT_EQ(api->aborts(), 1);
}

TEST(NcclWatchdog, AnAsynchronousErrorAbortsAtOnceAndTheMessageCarriesIt) {
  auto api = std::make_shared<FakeNcclApi>();
  TerminationRecorder recorder;
  // A timeout no test outlives: only the asynchronous error can end this job.
  NcclWatchdog watchdog(api, "rank 1/2 NcclCommunicator(cuda:0)", fast_options(1e9, recorder));
  watchdog.watch(kAllReduce, [] { return false; });
  api->set_steady({State::failed, "remote process exited or there was a network error"});
  ASSERT_TRUE(recorder.wait()) << "the watchdog never ended the job";
  const auto messages = recorder.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(contains(messages[0], kAllReduce + ": NCCL asynchronous error: remote process exited or there was "
                                                 "a network error"))
      << messages[0];
  EXPECT_EQ(api->aborts(), 1);
}

TEST(NcclWatchdog, AnAsynchronousErrorWithNothingInFlightNamesTheCommunicator) {
  auto api = std::make_shared<FakeNcclApi>(Status{State::failed, "unhandled system error"});
  TerminationRecorder recorder;
  NcclWatchdog watchdog(api, "rank 0/2 NcclCommunicator(cuda:0)", fast_options(1e9, recorder));
  ASSERT_TRUE(recorder.wait());
  EXPECT_TRUE(contains(recorder.messages().at(0),
                       "rank 0/2 NcclCommunicator(cuda:0): NCCL asynchronous error: unhandled system error"));
  EXPECT_EQ(api->aborts(), 1);
}

TEST(NcclWatchdog, ACollectiveCompleteWhenFirstProbedIsNeverLate) {
  auto api = std::make_shared<FakeNcclApi>();
  TerminationRecorder recorder;
  {
    // A timeout shorter than any poll: completion is checked first, so however late the thread runs, no failure.
    NcclWatchdog watchdog(api, "rank 0/2 NcclCommunicator(cuda:0)", fast_options(1e-6, recorder));
    for (int i = 0; i < 10; ++i)
      watchdog.watch("rank 0/2 broadcast(Float, 4 elements) from root 0", [] { return true; });
    ASSERT_TRUE(eventually([&] { return watchdog.outstanding() == 0; }));
    const int seen = api->polls();
    ASSERT_TRUE(eventually([&] { return api->polls() >= seen + 3; }));  // more rounds with nothing in flight
  }
  EXPECT_TRUE(recorder.messages().empty()) << recorder.messages().at(0);
  EXPECT_EQ(api->aborts(), 0);
}

TEST(NcclWatchdog, CollectivesThatCompleteLeaveTheCommunicatorAlone) {
  auto api = std::make_shared<FakeNcclApi>(Status{State::in_progress, ""});  // a lazy connect is no error
  TerminationRecorder recorder;
  std::atomic<bool> finished{false};
  {
    NcclWatchdog watchdog(api, "rank 0/2 NcclCommunicator(cuda:0)", fast_options(1e9, recorder));
    watchdog.watch(kAllReduce, [&] { return finished.load(); });
    ASSERT_TRUE(eventually([&] { return api->polls() >= 3; }));  // seen pending a few times
    EXPECT_EQ(watchdog.outstanding(), 1u);
    finished = true;
    ASSERT_TRUE(eventually([&] { return watchdog.outstanding() == 0; }));
    const int seen = api->polls();
    ASSERT_TRUE(eventually([&] { return api->polls() >= seen + 3; }));
  }
  EXPECT_TRUE(recorder.messages().empty()) << recorder.messages().at(0);
  EXPECT_EQ(api->aborts(), 0);
}

TEST(NcclWatchdog, DestructionStopsThePollingThreadWithCollectivesInFlight) {
  auto api = std::make_shared<FakeNcclApi>();
  TerminationRecorder recorder;
  NcclWatchdogOptions options = fast_options(1e9, recorder);
  options.poll_interval = std::chrono::hours(1);  // only the destructor's wake-up can end the wait
  {
    NcclWatchdog watchdog(api, "rank 0/2 NcclCommunicator(cuda:0)", options);
    watchdog.watch(kAllReduce, [] { return false; });
    EXPECT_EQ(watchdog.outstanding(), 1u);
  }  // joins: a thread left sleeping would hang here until CTest's timeout
  EXPECT_TRUE(recorder.messages().empty());
  EXPECT_EQ(api->aborts(), 0);
}

TEST(NcclWatchdog, AFailingCompletionProbeEndsTheJobNamingTheOp) {
  auto api = std::make_shared<FakeNcclApi>();
  TerminationRecorder recorder;
  NcclWatchdog watchdog(api, "rank 1/2 NcclCommunicator(cuda:0)", fast_options(1e9, recorder));
  watchdog.watch(kAllReduce, []() -> bool { throw CommError("cudaEventQuery: an illegal memory access"); });
  ASSERT_TRUE(recorder.wait());
  EXPECT_TRUE(contains(recorder.messages().at(0), kAllReduce + ": cudaEventQuery: an illegal memory access"));
  EXPECT_EQ(api->aborts(), 1);
}

TEST(NcclWatchdog, EndsTheJobEvenWhenTheAbortHangs) {
  auto api = std::make_shared<FakeNcclApi>();
  api->hang_abort();
  TerminationRecorder recorder;
  NcclWatchdogOptions options = fast_options(0.05, recorder);
  options.abort_grace_s = 0.05;
  {
    NcclWatchdog watchdog(api, "rank 1/2 NcclCommunicator(cuda:0)", options);
    watchdog.watch(kAllReduce, [] { return false; });
    ASSERT_TRUE(recorder.wait()) << "a hanging ncclCommAbort kept the job alive";
  }
  EXPECT_TRUE(contains(recorder.messages().at(0), "ncclCommAbort did not return"));
  EXPECT_TRUE(eventually([&] { return api->aborts() == 1; }));  // the abort thread may start late
  api->release_abort();                                         // lets the abort thread left behind finish
}

TEST(NcclWatchdog, ACommunicatorClosedByItsOwnerEndsTheWatchQuietly) {
  auto api = std::make_shared<FakeNcclApi>(Status{State::closed, ""});
  TerminationRecorder recorder;
  {
    NcclWatchdog watchdog(api, "rank 0/2 NcclCommunicator(cuda:0)", fast_options(0.01, recorder));
    watchdog.watch(kAllReduce, [] { return false; });
    ASSERT_TRUE(eventually([&] { return api->polls() >= 1; }));
  }
  EXPECT_TRUE(recorder.messages().empty());
  EXPECT_EQ(api->aborts(), 0);
}

const std::string kInit = "rank 0/2 NcclCommunicator(cuda:0): ncclCommInitRank";

NcclWatchdogOptions init_options(double timeout_s) {
  NcclWatchdogOptions options;
  options.failure_timeout_s = timeout_s;
  return options;
}

std::string await_error(const std::shared_ptr<NcclWatchdogApi>& api, double timeout_s) {
  try {
    await_nccl_ready(api, kInit, init_options(timeout_s));
  } catch (const CommError& e) {
    return e.what();
  }
  return "";
}

TEST(AwaitNcclReady, AnInitThatNeverFinishesIsAbortedAfterTheFailureTimeout) {
  auto api = std::make_shared<FakeNcclApi>(Status{State::in_progress, ""});  // rank 0 of 2 alone
  const std::string error = await_error(api, 0.2);
  EXPECT_TRUE(contains(error, kInit + ": not complete after 0.2 s (comm.failure_timeout_s): a peer rank died, "
                                      "hangs or never reached this call"))
      << error;
  EXPECT_EQ(api->aborts(), 1);
}

TEST(AwaitNcclReady, AnInitErrorAbortsAndCarriesNcclsText) {
  auto api = std::make_shared<FakeNcclApi>(Status{State::failed, "invalid usage: duplicate GPU"});
  const std::string error = await_error(api, 1e9);
  EXPECT_TRUE(contains(error, kInit + ": NCCL error: invalid usage: duplicate GPU")) << error;
  EXPECT_EQ(api->aborts(), 1);
}

TEST(AwaitNcclReady, ReturnsOnceTheCallFinishedWithoutAborting) {
  auto api = std::make_shared<FakeNcclApi>();
  api->script({{State::in_progress, ""}, {State::in_progress, ""}, {State::in_progress, ""}});
  EXPECT_NO_THROW(await_nccl_ready(api, kInit, init_options(1e9)));
  EXPECT_EQ(api->polls(), 4);
  EXPECT_EQ(api->aborts(), 0);
}

}  // namespace
}  // namespace cagcl::nccl_watchdog_test
