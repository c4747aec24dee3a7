#include <torch/torch.h>

#if CAGCL_WITH_NCCL
#include "comm/nccl_communicator.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstring>
#include <exception>

#if defined(CAGCL_TORCH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include "common/error.hpp"

namespace cagcl {
namespace {

void check_cuda(cudaError_t code, const std::string& what) {
  if (code != cudaSuccess) throw CommError(what + ": CUDA error: " + cudaGetErrorString(code));
}

void check_nccl(ncclResult_t code, const std::string& what) {
  if (code != ncclSuccess) throw CommError(what + ": NCCL error: " + ncclGetErrorString(code));
}

ncclDataType_t nccl_type(torch::ScalarType type, const std::string& what) {
  switch (type) {
    case torch::kFloat: return ncclFloat32;
    case torch::kDouble: return ncclFloat64;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kInt: return ncclInt32;
    case torch::kLong: return ncclInt64;
    case torch::kByte:
    case torch::kBool: return ncclUint8;
    case torch::kChar: return ncclInt8;
    default: throw CommError(what + ": dtype not supported by the NCCL backend");
  }
}

ncclRedOp_t nccl_op(ReduceOp op, torch::ScalarType type, const std::string& what) {
  if (type == torch::kBool) return op == ReduceOp::min ? ncclMin : ncclMax;  // logical or / and on 0/1 bytes
  switch (op) {
    case ReduceOp::sum: return ncclSum;
    case ReduceOp::avg:
      if (!c10::isFloatingType(type)) throw CommError(what + ": avg needs a floating-point tensor");
      return ncclAvg;
    case ReduceOp::max: return ncclMax;
    case ReduceOp::min: return ncclMin;
  }
  return ncclSum;
}

// Switches the current CUDA device for a scope (NCCL and event calls act on the current device).
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    cudaGetDevice(&previous_);
    check_cuda(cudaSetDevice(device), "cudaSetDevice(" + std::to_string(device) + ")");
  }
  ~DeviceGuard() { cudaSetDevice(previous_); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

struct EventDeleter {
  void operator()(cudaEvent_t event) const { cudaEventDestroy(event); }
};
using Event = std::unique_ptr<CUevent_st, EventDeleter>;

Event make_event(const std::string& what) {
  cudaEvent_t event = nullptr;
  check_cuda(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), what + ": cudaEventCreate");
  return Event(event);
}

cudaStream_t compute_stream(int device) {
#if defined(CAGCL_TORCH_CUDA)
  return at::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device)).stream();
#else
  (void)device;
  return cudaStreamLegacy;
#endif
}

class NcclWork : public Work {
 public:
  NcclWork(Event done, cudaStream_t compute, std::vector<torch::Tensor> keep, std::string what)
      : done_(std::move(done)), compute_(compute), keep_(std::move(keep)), what_(std::move(what)) {}

  void wait() override {
    // The compute stream waits for the collective; the host does not (as c10d's ProcessGroupNCCL).
    check_cuda(cudaStreamWaitEvent(compute_, done_.get(), 0), what_ + ": cudaStreamWaitEvent");
  }

  bool is_completed() override {
    const cudaError_t state = cudaEventQuery(done_.get());
    if (state == cudaErrorNotReady) return false;
    check_cuda(state, what_ + ": cudaEventQuery");
    return true;
  }

 private:
  Event done_;
  cudaStream_t compute_;
  std::vector<torch::Tensor> keep_;  // without LibTorch's caching allocator, holding them is the guarantee
  std::string what_;
};

}  // namespace

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return count;
}

struct NcclCommunicator::Impl {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  void* scratch = nullptr;  // one float for barrier()
  int device = 0;
  int rank = 0;
  int size = 1;
  CommOptions options;

  ~Impl() {
    if (device < 0) return;
    DeviceGuard guard(device);
    if (comm) {
      // While unwinding, peers may never join a pending collective: abort instead of a blocking destroy.
      if (std::uncaught_exceptions() > 0)
        ncclCommAbort(comm);
      else
        ncclCommDestroy(comm);
    }
    if (scratch) cudaFree(scratch);
    if (stream) cudaStreamDestroy(stream);
  }

  // The event dance around one NCCL call on the communicator's stream.
  template <typename Call>
  WorkPtr run(const std::string& what, std::vector<torch::Tensor> keep, Call call) {
    DeviceGuard guard(device);
    const cudaStream_t compute = compute_stream(device);
    Event ready = make_event(what);
    check_cuda(cudaEventRecord(ready.get(), compute), what + ": cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream, ready.get(), 0), what + ": cudaStreamWaitEvent");
    check_nccl(call(), what);
#if defined(CAGCL_TORCH_CUDA)
    // Tell the caching allocator the comm stream uses these blocks, so a free on the compute stream
    // cannot hand them out again before the collective finished.
    const auto comm_stream = c10::cuda::getStreamFromExternal(stream, static_cast<c10::DeviceIndex>(device));
    for (const auto& t : keep) c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), comm_stream);
#endif
    Event done = make_event(what);
    check_cuda(cudaEventRecord(done.get(), stream), what + ": cudaEventRecord");
    return std::make_shared<NcclWork>(std::move(done), compute, std::move(keep), what);
  }
};

NcclCommunicator::NcclCommunicator(Communicator& bootstrap, int device_index, const CommOptions& options)
    : impl_(std::make_unique<Impl>()) {
  const std::string what = "rank " + std::to_string(bootstrap.rank()) + "/" + std::to_string(bootstrap.size()) +
                           " NcclCommunicator(cuda:" + std::to_string(device_index) + ")";
  if (bootstrap.device().type() != torch::kCPU)
    throw CommError(what + ": the bootstrap communicator must be a CPU one");
  const int devices = cuda_device_count();
  if (device_index < 0 || device_index >= devices) {
    impl_->device = -1;  // nothing to release
    throw CommError(what + ": no such CUDA device (" + std::to_string(devices) + " visible)");
  }
  impl_->device = device_index;
  impl_->rank = bootstrap.rank();
  impl_->size = bootstrap.size();
  impl_->options = options;

  // llm.c's pattern: rank 0 makes the id, the bootstrap carries it to everyone.
  ncclUniqueId id;
  auto id_bytes = torch::zeros({static_cast<int64_t>(sizeof(id))}, torch::kByte);
  if (impl_->rank == 0) {
    check_nccl(ncclGetUniqueId(&id), what + ": ncclGetUniqueId");
    std::memcpy(id_bytes.data_ptr(), &id, sizeof(id));
  }
  bootstrap.broadcast(id_bytes, 0);
  std::memcpy(&id, id_bytes.data_ptr(), sizeof(id));

  DeviceGuard guard(device_index);
  check_cuda(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking), what + ": cudaStreamCreate");
  check_cuda(cudaMalloc(&impl_->scratch, sizeof(float)), what + ": cudaMalloc");
  check_nccl(ncclCommInitRank(&impl_->comm, impl_->size, id, impl_->rank), what + ": ncclCommInitRank");
}

NcclCommunicator::~NcclCommunicator() = default;

int NcclCommunicator::rank() const { return impl_->rank; }
int NcclCommunicator::size() const { return impl_->size; }
torch::Device NcclCommunicator::device() const {
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(impl_->device));
}

WorkPtr NcclCommunicator::all_reduce_async(const torch::Tensor& tensor, ReduceOp op) {
  check_tensor(CollectiveKind::all_reduce, tensor);
  const std::string what = context(CollectiveKind::all_reduce, tensor) + " " + to_string(op);
  const auto type = nccl_type(tensor.scalar_type(), what);
  const auto red = nccl_op(op, tensor.scalar_type(), what);
  auto* impl = impl_.get();
  return impl_->run(what, {tensor}, [&] {
    return ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()), type, red,
                         impl->comm, impl->stream);
  });
}

WorkPtr NcclCommunicator::all_gather_async(const torch::Tensor& input, const torch::Tensor& output) {
  check_tensor(CollectiveKind::all_gather, input);
  check_tensor(CollectiveKind::all_gather, output);
  const std::string what = context(CollectiveKind::all_gather, input);
  if (output.numel() != input.numel() * size() || output.scalar_type() != input.scalar_type())
    throw CommError(what + ": output must hold " + std::to_string(input.numel() * size()) +
                    " elements of the same dtype");
  const auto type = nccl_type(input.scalar_type(), what);
  auto* impl = impl_.get();
  return impl_->run(what, {input, output}, [&] {
    return ncclAllGather(input.data_ptr(), output.data_ptr(), static_cast<size_t>(input.numel()), type, impl->comm,
                         impl->stream);
  });
}

WorkPtr NcclCommunicator::reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) {
  check_tensor(CollectiveKind::reduce_scatter, input);
  check_tensor(CollectiveKind::reduce_scatter, output);
  const std::string what = context(CollectiveKind::reduce_scatter, input) + " " + to_string(op);
  if (input.numel() != output.numel() * size() || output.scalar_type() != input.scalar_type())
    throw CommError(what + ": input must hold size() x " + std::to_string(output.numel()) +
                    " elements of the output dtype");
  const auto type = nccl_type(input.scalar_type(), what);
  const auto red = nccl_op(op, input.scalar_type(), what);
  auto* impl = impl_.get();
  return impl_->run(what, {input, output}, [&] {
    return ncclReduceScatter(input.data_ptr(), output.data_ptr(), static_cast<size_t>(output.numel()), type, red,
                             impl->comm, impl->stream);
  });
}

WorkPtr NcclCommunicator::broadcast_async(const torch::Tensor& tensor, int root) {
  check_tensor(CollectiveKind::broadcast, tensor);
  const std::string what = context(CollectiveKind::broadcast, tensor) + " from root " + std::to_string(root);
  if (root < 0 || root >= size()) throw CommError(what + ": root out of range");
  const auto type = nccl_type(tensor.scalar_type(), what);
  auto* impl = impl_.get();
  return impl_->run(what, {tensor}, [&] {
    return ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()), type, root,
                         impl->comm, impl->stream);
  });
}

void NcclCommunicator::barrier() {
  const std::string what = context(CollectiveKind::barrier, torch::Tensor());
  DeviceGuard guard(impl_->device);
  check_nccl(ncclAllReduce(impl_->scratch, impl_->scratch, 1, ncclFloat32, ncclSum, impl_->comm, impl_->stream), what);
  check_cuda(cudaStreamSynchronize(impl_->stream), what + ": cudaStreamSynchronize");
}

}  // namespace cagcl
#endif
