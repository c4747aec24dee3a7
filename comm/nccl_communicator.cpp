#include <torch/torch.h>

#if CAGCL_WITH_NCCL
#include "comm/nccl_communicator.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <cstring>
#include <exception>
#include <iostream>
#include <mutex>

#if defined(CAGCL_TORCH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include "comm/nccl_watchdog.hpp"
#include "common/error.hpp"

// Non-blocking communicators (ncclConfig_t.blocking = 0, ncclCommFinalize): what the init timeout and the
// watchdog need.
#if NCCL_VERSION_CODE < NCCL_VERSION(2, 14, 0)
#error "the NCCL backend needs NCCL 2.14 or newer (non-blocking communicators)"
#endif

namespace cagcl {
namespace {

void check_cuda(cudaError_t code, const std::string& what) {
  if (code != cudaSuccess) throw CommError(what + ": CUDA error: " + cudaGetErrorString(code));
}

// NCCL's name of the code, and its last error message when it has one.
std::string nccl_error_text(ncclResult_t code, ncclComm_t comm) {
  const char* last = ncclGetLastError(comm);
  std::string text = ncclGetErrorString(code);
  if (last && *last) text += std::string(" (") + last + ")";
  return text;
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

// Shared: a collective's done event is held by its Work and by the watchdog until it saw it complete.
using Event = std::shared_ptr<CUevent_st>;

Event make_event(const std::string& what) {
  cudaEvent_t event = nullptr;
  check_cuda(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), what + ": cudaEventCreate");
  return Event(event, [](cudaEvent_t e) { cudaEventDestroy(e); });
}

// The watchdog's probe of one collective (its thread's current device may be another one).
NcclWatchdog::Done event_done(Event event, int device) {
  return [event = std::move(event), device] {
    DeviceGuard guard(device);
    const cudaError_t state = cudaEventQuery(event.get());
    if (state == cudaErrorNotReady) return false;
    check_cuda(state, "cudaEventQuery");
    return true;
  };
}

// The ncclComm_t, shared by the communicator and its watchdog. Every NCCL call goes through call(), under the
// lock, so an abort by the watchdog thread never frees the communicator under a call of the training thread.
class NcclCommHandle : public NcclWatchdogApi {
 public:
  NcclCommHandle(ncclComm_t comm, int device) : comm_(comm), device_(device) {}

  // ncclInvalidUsage once the communicator was aborted.
  template <typename Call>
  ncclResult_t call(Call&& nccl_call) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!comm_) return ncclInvalidUsage;
    return nccl_call(comm_);
  }

  Status status() override {
    // A call in progress on the training thread holds the lock briefly (non-blocking communicator): poll again.
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return {State::in_progress, ""};
    if (!comm_) return {State::closed, ""};
    ncclResult_t state = ncclSuccess;
    const ncclResult_t queried = ncclCommGetAsyncError(comm_, &state);
    if (queried != ncclSuccess)
      return {State::failed, std::string("ncclCommGetAsyncError: ") + ncclGetErrorString(queried)};
    if (state == ncclInProgress) return {State::in_progress, ""};
    if (state != ncclSuccess) return {State::failed, nccl_error_text(state, comm_)};
    return {State::ready, ""};
  }

  void abort() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!comm_) return;
    cudaSetDevice(device_);  // this thread's device is the communicator's from now on; the process is ending
    ncclCommAbort(comm_);
    comm_ = nullptr;
  }

  // Normal end: ncclCommFinalize (polled, bounded by the failure timeout, aborted past it), then ncclCommDestroy.
  void close(const std::string& what, const NcclWatchdogOptions& options, const std::shared_ptr<NcclCommHandle>& self) {
    ncclResult_t finalized = ncclSuccess;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!comm_) return;  // aborted already: nothing left to release
      finalized = ncclCommFinalize(comm_);
    }
    if (finalized == ncclInProgress) await_nccl_ready(self, what + ": ncclCommFinalize", options);
    if (finalized != ncclSuccess && finalized != ncclInProgress) {
      abort();
      throw CommError(what + ": ncclCommFinalize: NCCL error: " + ncclGetErrorString(finalized));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (comm_) ncclCommDestroy(comm_);
    comm_ = nullptr;
  }

 private:
  std::mutex mutex_;
  ncclComm_t comm_;
  int device_;
};

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
    // The compute stream waits for the collective; the host does not (as c10d's ProcessGroupNCCL). A collective
    // that never completes is the watchdog's to end (comm/nccl_watchdog.hpp).
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
  std::shared_ptr<NcclCommHandle> comm;
  std::unique_ptr<NcclWatchdog> watchdog;  // started once the init finished
  NcclWatchdogOptions watchdog_options;
  std::string label;  // "rank 0/2 NcclCommunicator(cuda:0)"
  cudaStream_t stream = nullptr;
  void* scratch = nullptr;  // one float for barrier()
  int device = 0;
  int rank = 0;
  int size = 1;

  ~Impl() {
    watchdog.reset();  // first: its thread probes the events and the communicator released below
    if (device < 0) return;
    DeviceGuard guard(device);
    if (comm) close_comm();
    if (scratch) cudaFree(scratch);
    if (stream) cudaStreamDestroy(stream);
  }

  void close_comm() noexcept {
    // While unwinding, peers may never join a pending collective: abort instead of a finalize.
    if (std::uncaught_exceptions() > 0) {
      comm->abort();
      return;
    }
    try {
      comm->close(label, watchdog_options, comm);
    } catch (const std::exception& e) {  // a destructor cannot throw; the communicator is aborted by now
      std::cerr << "cagcl: " << e.what() << std::endl;
    }
  }

  // Checks the result of an NCCL call; a non-blocking call that is still running is polled to its end.
  void check_call(ncclResult_t result, const std::string& what) {
    if (result == ncclInProgress)
      await_nccl_ready(comm, what, watchdog_options);
    else
      check_nccl(result, what);
  }

  // The event dance around one NCCL call on the communicator's stream; the watchdog watches its done event.
  template <typename Call>
  WorkPtr run(const std::string& what, std::vector<torch::Tensor> keep, Call nccl_call) {
    DeviceGuard guard(device);
    const cudaStream_t compute = compute_stream(device);
    Event ready = make_event(what);
    check_cuda(cudaEventRecord(ready.get(), compute), what + ": cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream, ready.get(), 0), what + ": cudaStreamWaitEvent");
    check_call(comm->call(nccl_call), what);
#if defined(CAGCL_TORCH_CUDA)
    // Tell the caching allocator the comm stream uses these blocks, so a free on the compute stream
    // cannot hand them out again before the collective finished.
    const auto comm_stream = c10::cuda::getStreamFromExternal(stream, static_cast<c10::DeviceIndex>(device));
    for (const auto& t : keep) c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), comm_stream);
#endif
    Event done = make_event(what);
    check_cuda(cudaEventRecord(done.get(), stream), what + ": cudaEventRecord");
    watchdog->watch(what, event_done(done, device));
    return std::make_shared<NcclWork>(std::move(done), compute, std::move(keep), what);
  }

  // ncclCommInitRankConfig on a non-blocking communicator, polled under the failure timeout: without it, rank 0
  // of a job whose rank 1 never arrives waits in ncclCommInitRank forever.
  void init(const ncclUniqueId& id) {
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclComm_t raw = nullptr;
    const ncclResult_t started = ncclCommInitRankConfig(&raw, size, id, rank, &config);
    comm = std::make_shared<NcclCommHandle>(raw, device);
    const std::string what = label + ": ncclCommInitRank";
    if (started != ncclSuccess && started != ncclInProgress) {
      comm->abort();
      throw CommError(what + ": NCCL error: " + ncclGetErrorString(started));
    }
    await_nccl_ready(comm, what, watchdog_options);
    watchdog = std::make_unique<NcclWatchdog>(comm, label, watchdog_options);
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
  impl_->label = what;
  impl_->watchdog_options.failure_timeout_s = options.failure_timeout_s;

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
  impl_->init(id);
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
  return impl_->run(what, {tensor}, [&](ncclComm_t comm) {
    return ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()), type, red, comm,
                         impl->stream);
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
  return impl_->run(what, {input, output}, [&](ncclComm_t comm) {
    return ncclAllGather(input.data_ptr(), output.data_ptr(), static_cast<size_t>(input.numel()), type, comm,
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
  return impl_->run(what, {input, output}, [&](ncclComm_t comm) {
    return ncclReduceScatter(input.data_ptr(), output.data_ptr(), static_cast<size_t>(output.numel()), type, red, comm,
                             impl->stream);
  });
}

WorkPtr NcclCommunicator::broadcast_async(const torch::Tensor& tensor, int root) {
  check_tensor(CollectiveKind::broadcast, tensor);
  const std::string what = context(CollectiveKind::broadcast, tensor) + " from root " + std::to_string(root);
  if (root < 0 || root >= size()) throw CommError(what + ": root out of range");
  const auto type = nccl_type(tensor.scalar_type(), what);
  auto* impl = impl_.get();
  return impl_->run(what, {tensor}, [&](ncclComm_t comm) {
    return ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()), type, root, comm,
                         impl->stream);
  });
}

void NcclCommunicator::barrier() {
  const std::string what = context(CollectiveKind::barrier, torch::Tensor());
  auto* impl = impl_.get();
  impl_->run(what, {}, [&](ncclComm_t comm) {
    return ncclAllReduce(impl->scratch, impl->scratch, 1, ncclFloat32, ncclSum, comm, impl->stream);
  });
  // Blocks the host; a peer that never arrives is the watchdog's to end (it aborts, then ends the process).
  DeviceGuard guard(impl_->device);
  check_cuda(cudaStreamSynchronize(impl_->stream), what + ": cudaStreamSynchronize");
}

}  // namespace cagcl
#endif
