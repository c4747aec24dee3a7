#include <torch/torch.h>

#include "comm/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

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

class MpiWork : public Work {
 public:
  MpiWork(std::string what, double timeout_s) : what_(std::move(what)), timeout_s_(timeout_s) {}

  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto limit = std::chrono::duration<double>(timeout_s_);
    if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
      timed_out_ = true;
      std::ostringstream seconds;
      seconds << timeout_s_;
      throw CommError(what_ + ": not complete after " + seconds.str() +
                      " s (comm.failure_timeout_s): a peer rank died, hangs or skipped this collective");
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
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  bool timed_out_ = false;
  std::exception_ptr error_;
};

}  // namespace

// Shared with the worker thread, so a worker stuck in MPI on an abort path can be detached safely.
struct MpiCommunicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  CommOptions options;

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
    auto work = std::make_shared<MpiWork>(std::move(what), options.failure_timeout_s);
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
  worker_ = std::thread(&Impl::loop, impl_);
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
  if (stuck) {
    worker_.detach();  // it owns a reference to impl_; the process ends by MPI_Abort
    return;
  }
  worker_.join();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&impl_->comm);
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
