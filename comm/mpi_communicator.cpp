#include <torch/torch.h>

#include "comm/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "common/error.hpp"

namespace cagcl {
namespace {

MPI_Datatype mpi_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return MPI_FLOAT;
    case torch::kDouble: return MPI_DOUBLE;
    case torch::kInt: return MPI_INT32_T;
    case torch::kLong: return MPI_INT64_T;
    case torch::kByte: return MPI_UINT8_T;
    case torch::kChar: return MPI_INT8_T;
    case torch::kBool: return MPI_C_BOOL;
    default: return MPI_DATATYPE_NULL;
  }
}

// MPI has no arithmetic on MPI_C_BOOL: sum and max are a logical or, min a logical and.
MPI_Op mpi_op(ReduceOp op, torch::ScalarType type) {
  if (type == torch::kBool) return op == ReduceOp::min ? MPI_LAND : MPI_LOR;
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::avg: return MPI_SUM;
    case ReduceOp::max: return MPI_MAX;
    case ReduceOp::min: return MPI_MIN;
  }
  return MPI_SUM;
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<size_t>(length));
}

// The liveness probe's messages, on a communicator of their own (Impl::probe_comm).
constexpr int kPingTag = 1;
constexpr int kPongTag = 2;
constexpr int kConnectTag = 3;

// How long before the failure timeout a waiting collective starts to probe its peers: long enough for a
// live peer to answer from a loaded node, short enough to fit in a small comm.failure_timeout_s.
double probe_window_s(double timeout_s) { return std::min(2.0, timeout_s / 2); }

class MpiWork : public Work {
 public:
  // `probe(window)` names the peers that do not answer within `window` seconds (Impl::probe_peers).
  MpiWork(std::string what, double timeout_s, std::function<std::string(double)> probe)
      : what_(std::move(what)), timeout_s_(timeout_s), probe_(std::move(probe)) {}

  // Waits at most failure_timeout_s. In its last seconds, while the collective is still not complete,
  // the peers are probed, so the error names those that are dead or unreachable.
  void wait() override {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto seconds = [](double s) {
      return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    };
    const double window = probe_window_s(timeout_s_);
    std::unique_lock<std::mutex> lock(mutex_);
    const auto done = [this] { return done_; };
    if (!done_cv_.wait_until(lock, start + seconds(timeout_s_ - window), done)) {
      lock.unlock();
      const std::string verdict = probe_ ? probe_(window) : "";
      lock.lock();
      if (!done_cv_.wait_until(lock, start + seconds(timeout_s_), done)) {
        timed_out_ = true;
        std::ostringstream text;
        text << what_ << ": not complete after " << timeout_s_ << " s (comm.failure_timeout_s): "
             << (verdict.empty() ? "a peer rank died, hangs or skipped this collective" : verdict);
        throw CommError(text.str());
      }
    }
    if (error_) std::rethrow_exception(error_);
  }

  bool is_completed() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }

  void finish(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::move(error);
      done_ = true;
    }
    done_cv_.notify_all();
  }

  bool timed_out() {
    std::lock_guard<std::mutex> lock(mutex_);
    return timed_out_;
  }

  const std::string& what() const { return what_; }

 private:
  std::string what_;
  double timeout_s_;
  std::function<std::string(double)> probe_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  bool timed_out_ = false;
  std::exception_ptr error_;
};

// Every rank's host name (MPI_Get_processor_name), for naming peers in errors. Collective over `comm`.
std::vector<std::string> gather_host_names(MPI_Comm comm, int size) {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  std::vector<char> all(static_cast<size_t>(size) * MPI_MAX_PROCESSOR_NAME);
  if (MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, comm) !=
      MPI_SUCCESS)
    throw CommError("MpiCommunicator: MPI_Allgather of the host names failed");
  std::vector<std::string> hosts;
  for (int r = 0; r < size; ++r) {
    const char* begin = all.data() + static_cast<size_t>(r) * MPI_MAX_PROCESSOR_NAME;
    hosts.emplace_back(begin, strnlen(begin, MPI_MAX_PROCESSOR_NAME));
  }
  return hosts;
}

// Open MPI's TCP transport connects a pair of ranks at their first message, and a connect that fails (a link
// already down) aborts the process from inside MPI, before it can say anything. The probe must be able to
// ping every peer after the network broke, so every pair is connected now, while it works: one int each
// way between all pairs (peers on the same node use shared memory and open nothing). Collective over `comm`.
void connect_all_pairs(MPI_Comm comm, int rank, int size) {
  std::vector<int> out(static_cast<size_t>(size), rank), in(static_cast<size_t>(size), -1);
  std::vector<MPI_Request> requests;
  requests.reserve(2 * static_cast<size_t>(size));
  for (int peer = 0; peer < size; ++peer) {
    if (peer == rank) continue;
    requests.emplace_back();
    MPI_Irecv(&in[static_cast<size_t>(peer)], 1, MPI_INT, peer, kConnectTag, comm, &requests.back());
    requests.emplace_back();
    MPI_Isend(&out[static_cast<size_t>(peer)], 1, MPI_INT, peer, kConnectTag, comm, &requests.back());
  }
  if (MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE) != MPI_SUCCESS)
    throw CommError("MpiCommunicator: connecting every pair of ranks (liveness probe) failed");
}

}  // namespace

// Shared with the worker thread, so a worker stuck in MPI on an abort path can be detached safely.
struct MpiCommunicator::Impl : std::enable_shared_from_this<MpiCommunicator::Impl> {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  CommOptions options;

  // The liveness probe: a collective that is about to time out asks every peer, point to point on
  // probe_comm, to answer; each rank's responder thread answers, even while its worker is blocked in a
  // collective. A peer that does not answer is dead, unreachable (a cut link) or stalled (stopped, or a node
  // too loaded to run the thread within the window); one that answers is alive and hangs or skipped the
  // call. Without it the error could not say which peer was lost.
  MPI_Comm probe_comm = MPI_COMM_NULL;
  std::vector<std::string> hosts;  // of every rank
  std::thread responder;
  std::atomic<bool> stop_responder{false};
  std::mutex probe_mutex;
  int probe_round = 0;
  std::deque<int> ping_payloads;  // buffers of pings in flight: a ping to a dead peer is never delivered

  struct Op {
    std::function<void()> run;
    std::shared_ptr<MpiWork> work;
  };
  std::mutex mutex;
  std::condition_variable queue_cv;
  std::deque<Op> queue;
  bool stop = false;
  bool busy = false;
  std::vector<std::weak_ptr<MpiWork>> issued;  // to know at destruction whether a wait timed out

  static void loop(std::shared_ptr<Impl> self) {
    for (;;) {
      Op op;
      {
        std::unique_lock<std::mutex> lock(self->mutex);
        self->queue_cv.wait(lock, [&] { return self->stop || !self->queue.empty(); });
        if (self->queue.empty()) return;  // stop requested and nothing left
        op = std::move(self->queue.front());
        self->queue.pop_front();
        self->busy = true;
      }
      std::exception_ptr error;
      try {
        op.run();
      } catch (...) {
        error = std::current_exception();
      }
      op.work->finish(error);
      std::lock_guard<std::mutex> lock(self->mutex);
      self->busy = false;
    }
  }

  WorkPtr submit(std::string what, std::function<void()> run) {
    std::weak_ptr<Impl> self = weak_from_this();
    auto probe = [self](double window_s) {
      auto impl = self.lock();
      return impl ? impl->probe_peers(window_s) : std::string();
    };
    auto work = std::make_shared<MpiWork>(std::move(what), options.failure_timeout_s, std::move(probe));
    {
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back({std::move(run), work});
      issued.erase(std::remove_if(issued.begin(), issued.end(), [](const auto& w) { return w.expired(); }),
                   issued.end());
      issued.push_back(work);
    }
    queue_cv.notify_one();
    return work;
  }

  void check(int code, const std::string& what) const {
    if (code != MPI_SUCCESS) throw CommError(what + ": MPI error: " + mpi_error_text(code));
  }

  // The responder thread: answers each ping with its round number. It polls every 20 ms, because a blocking
  // receive spins a core in Open MPI; replies go out non-blocking, so an unreachable pinger cannot block it.
  static void respond(std::shared_ptr<Impl> self) {
    std::deque<std::pair<int, MPI_Request>> replies;
    while (!self->stop_responder.load()) {
      int flag = 0;
      MPI_Message message = MPI_MESSAGE_NULL;
      MPI_Status status;
      if (MPI_Improbe(MPI_ANY_SOURCE, kPingTag, self->probe_comm, &flag, &message, &status) == MPI_SUCCESS && flag) {
        replies.emplace_back(0, MPI_REQUEST_NULL);
        MPI_Mrecv(&replies.back().first, 1, MPI_INT, &message, MPI_STATUS_IGNORE);
        MPI_Isend(&replies.back().first, 1, MPI_INT, status.MPI_SOURCE, kPongTag, self->probe_comm,
                  &replies.back().second);
        continue;
      }
      while (!replies.empty()) {  // a deque keeps the addresses of the later buffers
        int sent = 0;
        MPI_Test(&replies.front().second, &sent, MPI_STATUS_IGNORE);
        if (!sent) break;
        replies.pop_front();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Pings every peer and collects answers for `window_s` seconds; describes the peers that did not answer.
  std::string probe_peers(double window_s) {
    if (size <= 1) return "";
    std::lock_guard<std::mutex> guard(probe_mutex);
    ping_payloads.push_back(++probe_round);
    for (int peer = 0; peer < size; ++peer) {
      if (peer == rank) continue;
      MPI_Request request = MPI_REQUEST_NULL;
      MPI_Isend(&ping_payloads.back(), 1, MPI_INT, peer, kPingTag, probe_comm, &request);
      MPI_Request_free(&request);  // completes when the peer receives it, or never; the payload stays
    }
    std::vector<bool> answered(static_cast<size_t>(size), false);
    answered[static_cast<size_t>(rank)] = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(window_s);
    int missing = size - 1;
    while (missing > 0 && std::chrono::steady_clock::now() < deadline) {
      int flag = 0, round = 0;
      MPI_Message message = MPI_MESSAGE_NULL;
      MPI_Status status;
      if (MPI_Improbe(MPI_ANY_SOURCE, kPongTag, probe_comm, &flag, &message, &status) != MPI_SUCCESS || !flag) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      MPI_Mrecv(&round, 1, MPI_INT, &message, MPI_STATUS_IGNORE);
      const auto source = static_cast<size_t>(status.MPI_SOURCE);
      if (round == probe_round && source < answered.size() && !answered[source]) {
        answered[source] = true;
        --missing;
      }
    }
    return describe_probe(answered, window_s);
  }

  std::string describe_probe(const std::vector<bool>& answered, double window_s) const {
    std::ostringstream text;
    int silent = 0;
    for (int peer = 0; peer < size; ++peer) {
      if (answered[static_cast<size_t>(peer)]) continue;
      text << (silent++ ? ", " : "") << "rank " << peer << " (" << hosts[static_cast<size_t>(peer)] << ")";
    }
    std::ostringstream window;
    window << window_s;
    if (silent == 0) return "every peer answered a liveness probe: one of them hangs or skipped this collective";
    return "peers that did not answer a liveness probe within " + window.str() +
           " s (dead, unreachable or stalled): " + text.str();
  }
};

MpiCommunicator::MpiCommunicator(const CommOptions& options) : impl_(std::make_shared<Impl>()) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw CommError("MpiCommunicator: MPI is not initialised (create cagcl::Runtime first)");
  int provided = 0;
  MPI_Query_thread(&provided);
  if (provided < MPI_THREAD_MULTIPLE)
    throw CommError(
        "MpiCommunicator: needs MPI_THREAD_MULTIPLE (its collectives run on a worker thread), MPI "
        "provides level " +
        std::to_string(provided));
  impl_->options = options;
  // A communicator of our own: none of our messages can match an operation of other code on MPI_COMM_WORLD.
  if (MPI_Comm_dup(MPI_COMM_WORLD, &impl_->comm) != MPI_SUCCESS)
    throw CommError("MpiCommunicator: MPI_Comm_dup failed");
  MPI_Comm_set_errhandler(impl_->comm, MPI_ERRORS_RETURN);  // errors become CommErrors with context
  MPI_Comm_rank(impl_->comm, &impl_->rank);
  MPI_Comm_size(impl_->comm, &impl_->size);
  if (MPI_Comm_dup(MPI_COMM_WORLD, &impl_->probe_comm) != MPI_SUCCESS)
    throw CommError("MpiCommunicator: MPI_Comm_dup (liveness probe) failed");
  MPI_Comm_set_errhandler(impl_->probe_comm, MPI_ERRORS_RETURN);
  impl_->hosts = gather_host_names(impl_->comm, impl_->size);
  connect_all_pairs(impl_->probe_comm, impl_->rank, impl_->size);
  worker_ = std::thread(&Impl::loop, impl_);
  impl_->responder = std::thread(&Impl::respond, impl_);
}

MpiCommunicator::~MpiCommunicator() {
  bool stuck = false;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stop = true;
    bool timed_out = false;
    for (const auto& weak : impl_->issued)
      if (auto work = weak.lock()) timed_out = timed_out || work->timed_out();
    // A collective whose peers are gone never returns: joining would turn the abort path into a hang.
    stuck = (impl_->busy || !impl_->queue.empty()) && (timed_out || std::uncaught_exceptions() > 0);
  }
  impl_->queue_cv.notify_one();
  impl_->stop_responder = true;
  impl_->responder.join();  // never blocked in MPI: it polls
  if (stuck) {
    worker_.detach();  // it owns a reference to impl_; the process ends by MPI_Abort
    return;
  }
  worker_.join();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    MPI_Comm_free(&impl_->probe_comm);
    MPI_Comm_free(&impl_->comm);
  }
}

int MpiCommunicator::rank() const { return impl_->rank; }
int MpiCommunicator::size() const { return impl_->size; }

namespace {

int checked_count(int64_t count, const std::string& what) {
  if (count > INT_MAX) throw CommError(what + ": more than INT_MAX elements in one MPI call");
  return static_cast<int>(count);
}

MPI_Datatype checked_type(const torch::Tensor& tensor, const std::string& what) {
  const MPI_Datatype type = mpi_type(tensor.scalar_type());
  if (type == MPI_DATATYPE_NULL) throw CommError(what + ": dtype not supported by the MPI backend");
  return type;
}

void check_avg(ReduceOp op, const torch::Tensor& tensor, const std::string& what) {
  if (op == ReduceOp::avg && !tensor.is_floating_point()) throw CommError(what + ": avg needs a floating-point tensor");
}

}  // namespace

WorkPtr MpiCommunicator::all_reduce_async(const torch::Tensor& tensor, ReduceOp op) {
  check_tensor(CollectiveKind::all_reduce, tensor);
  const std::string what = context(CollectiveKind::all_reduce, tensor) + " " + to_string(op);
  const MPI_Datatype type = checked_type(tensor, what);
  check_avg(op, tensor, what);
  const int count = checked_count(tensor.numel(), what);
  auto impl = impl_.get();
  return impl_->submit(what, [impl, tensor, op, type, count, what] {
    impl->check(
        MPI_Allreduce(MPI_IN_PLACE, tensor.data_ptr(), count, type, mpi_op(op, tensor.scalar_type()), impl->comm),
        what);
    if (op == ReduceOp::avg) tensor.div_(impl->size);
  });
}

WorkPtr MpiCommunicator::all_gather_async(const torch::Tensor& input, const torch::Tensor& output) {
  check_tensor(CollectiveKind::all_gather, input);
  check_tensor(CollectiveKind::all_gather, output);
  const std::string what = context(CollectiveKind::all_gather, input);
  if (output.numel() != input.numel() * size() || output.scalar_type() != input.scalar_type())
    throw CommError(what + ": output must hold " + std::to_string(input.numel() * size()) +
                    " elements of the same dtype");
  const MPI_Datatype type = checked_type(input, what);
  const int count = checked_count(input.numel(), what);
  checked_count(output.numel(), what);
  auto impl = impl_.get();
  return impl_->submit(what, [impl, input, output, type, count, what] {
    impl->check(MPI_Allgather(input.data_ptr(), count, type, output.data_ptr(), count, type, impl->comm), what);
  });
}

WorkPtr MpiCommunicator::reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) {
  check_tensor(CollectiveKind::reduce_scatter, input);
  check_tensor(CollectiveKind::reduce_scatter, output);
  const std::string what = context(CollectiveKind::reduce_scatter, input) + " " + to_string(op);
  if (input.numel() != output.numel() * size() || output.scalar_type() != input.scalar_type())
    throw CommError(what + ": input must hold size() x " + std::to_string(output.numel()) +
                    " elements of the output dtype");
  const MPI_Datatype type = checked_type(input, what);
  check_avg(op, input, what);
  const int count = checked_count(output.numel(), what);
  checked_count(input.numel(), what);
  auto impl = impl_.get();
  return impl_->submit(what, [impl, input, output, op, type, count, what] {
    impl->check(MPI_Reduce_scatter_block(input.data_ptr(), output.data_ptr(), count, type,
                                         mpi_op(op, input.scalar_type()), impl->comm),
                what);
    if (op == ReduceOp::avg) output.div_(impl->size);
  });
}

WorkPtr MpiCommunicator::broadcast_async(const torch::Tensor& tensor, int root) {
  check_tensor(CollectiveKind::broadcast, tensor);
  const std::string what = context(CollectiveKind::broadcast, tensor) + " from root " + std::to_string(root);
  if (root < 0 || root >= size()) throw CommError(what + ": root out of range");
  const MPI_Datatype type = checked_type(tensor, what);
  const int count = checked_count(tensor.numel(), what);
  auto impl = impl_.get();
  return impl_->submit(what, [impl, tensor, root, type, count, what] {
    impl->check(MPI_Bcast(tensor.data_ptr(), count, type, root, impl->comm), what);
  });
}

void MpiCommunicator::barrier() {
  const std::string what = context(CollectiveKind::barrier, torch::Tensor());
  auto impl = impl_.get();
  impl_->submit(what, [impl, what] { impl->check(MPI_Barrier(impl->comm), what); })->wait();
}

}  // namespace cagcl
