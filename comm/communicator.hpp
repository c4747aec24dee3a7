#pragma once
// The one collective API of the project (flashlight's fl/distributed, c10d's Backend/Work split): a
// Communicator is a fixed group of ranks; every collective is called by every rank, in the same order.
// Async variants return a Work whose wait() makes the result visible to the caller (and, on CUDA, orders
// the caller's compute stream after the communication).
#include <torch/torch.h>

#include <memory>
#include <string>

namespace cagcl {

enum class ReduceOp { sum, avg, max, min };
std::string to_string(ReduceOp op);

// The kinds of collective, also the op-kind of the debug-mode fingerprint.
enum class CollectiveKind : int64_t { all_reduce = 1, all_gather, reduce_scatter, broadcast, barrier };
std::string to_string(CollectiveKind kind);

// A collective in flight. wait() blocks until it completed (or throws a CommError naming the op when it
// failed or exceeded the communicator's failure timeout); it may be called more than once.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  // Non-blocking check; also gives the backend a chance to make progress.
  virtual bool is_completed() = 0;
};
using WorkPtr = std::shared_ptr<Work>;

// A Work that is already complete (world-size-1 and blocking paths).
class CompletedWork : public Work {
 public:
  void wait() override {}
  bool is_completed() override { return true; }
};

struct CommOptions {
  // A Work::wait() that takes longer than this throws instead of hanging (a peer died or skipped the call).
  double failure_timeout_s = 300;
  // Before every collective, all ranks compare a (sequence number, op, dtype, size) fingerprint.
  bool debug_sequence = false;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;
  virtual torch::Device device() const = 0;

  // In place on `tensor` (contiguous). avg = sum / size(); integer avg is an error.
  virtual WorkPtr all_reduce_async(const torch::Tensor& tensor, ReduceOp op) = 0;
  // `output` holds size() blocks of input.numel() elements, rank r's input in block r (row-major dim 0).
  virtual WorkPtr all_gather_async(const torch::Tensor& input, const torch::Tensor& output) = 0;
  // `input` holds size() blocks of output.numel() elements; rank r receives the reduction of block r.
  virtual WorkPtr reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) = 0;
  // In place: every rank ends with root's `tensor`.
  virtual WorkPtr broadcast_async(const torch::Tensor& tensor, int root) = 0;
  virtual void barrier() = 0;

  // Blocking conveniences on top of the async calls.
  void all_reduce(const torch::Tensor& tensor, ReduceOp op = ReduceOp::sum) { all_reduce_async(tensor, op)->wait(); }
  void broadcast(const torch::Tensor& tensor, int root) { broadcast_async(tensor, root)->wait(); }
  // [n, ...] -> [size() * n, ...]; every rank must pass the same shape (see autograd_collectives for uneven).
  torch::Tensor all_gather(const torch::Tensor& input);
  // [size() * n, ...] -> [n, ...].
  torch::Tensor reduce_scatter(const torch::Tensor& input, ReduceOp op = ReduceOp::sum);

 protected:
  // "rank 1/4 all_reduce(float, 1024 elements)": the context every CommError starts with.
  std::string context(CollectiveKind kind, const torch::Tensor& tensor) const;
  // Throws a CommError unless `tensor` is defined, contiguous and on this communicator's device type.
  void check_tensor(CollectiveKind kind, const torch::Tensor& tensor) const;
};

}  // namespace cagcl
