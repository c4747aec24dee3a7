// NCCL backend: runs where a GPU is visible, skips elsewhere. Without CUDA in LibTorch, device memory is
// wrapped with torch::from_blob on a CUDA device (no op dispatches to CUDA; NCCL only needs the pointer).
#include <torch/torch.h>

#include <gtest/gtest.h>

#if CAGCL_WITH_NCCL
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "comm/autograd_collectives.hpp"
#include "comm/nccl_communicator.hpp"
#include "comm/self_communicator.hpp"
#include "common/error.hpp"

#if CAGCL_TORCH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#endif

namespace cagcl {
namespace {

class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) {
    if (cudaMalloc(&ptr_, bytes) != cudaSuccess) throw CommError("cudaMalloc failed");
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
};

torch::Tensor on_device(const DeviceBuffer& buffer, int64_t n) {
  return torch::from_blob(buffer.get(), {n}, torch::TensorOptions(torch::kFloat).device(torch::kCUDA, 0));
}

void upload(const DeviceBuffer& buffer, const std::vector<float>& values) {
  ASSERT_EQ(cudaMemcpy(buffer.get(), values.data(), values.size() * sizeof(float), cudaMemcpyHostToDevice),
            cudaSuccess);
}

std::vector<float> download(const DeviceBuffer& buffer, size_t n) {
  std::vector<float> values(n);
  cudaDeviceSynchronize();
  cudaMemcpy(values.data(), buffer.get(), n * sizeof(float), cudaMemcpyDeviceToHost);
  return values;
}

#define CAGCL_SKIP_WITHOUT_GPU()                                                               \
  if (cuda_device_count() == 0)                                                                \
  GTEST_SKIP() << "no CUDA GPU visible: cudaGetDeviceCount reports 0 devices (or no driver); " \
                  "the NCCL backend is compiled and linked but cannot run here"

TEST(NcclCommunicator, OneRankCollectivesOnTheGpu) {
  CAGCL_SKIP_WITHOUT_GPU();
  SelfCommunicator bootstrap;
  NcclCommunicator comm(bootstrap, 0);
  EXPECT_EQ(comm.size(), 1);
  DeviceBuffer a(4 * sizeof(float)), b(4 * sizeof(float));
  upload(a, {1, 2, 3, 4});
  comm.all_reduce_async(on_device(a, 4), ReduceOp::sum)->wait();
  EXPECT_EQ(download(a, 4), (std::vector<float>{1, 2, 3, 4}));
  comm.all_gather_async(on_device(a, 4), on_device(b, 4))->wait();
  EXPECT_EQ(download(b, 4), (std::vector<float>{1, 2, 3, 4}));
  comm.all_reduce_async(on_device(a, 4), ReduceOp::avg)->wait();
  comm.broadcast_async(on_device(a, 4), 0)->wait();
  EXPECT_EQ(download(a, 4), (std::vector<float>{1, 2, 3, 4}));
  comm.barrier();
}

TEST(NcclCommunicator, RejectsCpuTensorsAndBadDevices) {
  CAGCL_SKIP_WITHOUT_GPU();
  SelfCommunicator bootstrap;
  EXPECT_THROW(NcclCommunicator(bootstrap, cuda_device_count()), CommError);
  NcclCommunicator comm(bootstrap, 0);
  EXPECT_THROW(comm.all_reduce_async(torch::ones({2}), ReduceOp::sum), CommError);
}

// A bootstrap that claims a world of two while this process is alone: rank 0 of 2 whose rank 1 never arrives
// (one GPU cannot hold two NCCL ranks, so the hang of a peer is tested at the init).
class LoneRankZeroOfTwo : public SelfCommunicator {
 public:
  int size() const override { return 2; }
};

TEST(NcclCommunicator, RankZeroOfTwoAloneEndsItsInitAfterTheFailureTimeout) {
  CAGCL_SKIP_WITHOUT_GPU();
  LoneRankZeroOfTwo bootstrap;
  CommOptions options;
  options.failure_timeout_s = 3;
  std::string error;
  try {
    NcclCommunicator comm(bootstrap, 0, options);
  } catch (const CommError& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("rank 0/2 NcclCommunicator(cuda:0): ncclCommInitRank: not complete after 3 s "
                       "(comm.failure_timeout_s)"),
            std::string::npos)
      << "error: '" << error << "'";
}

#if CAGCL_TORCH_CUDA
// LibTorch with CUDA (users' clusters; scripts/gpu_check.sh on a GPU machine): real CUDA tensors produced on
// a side stream made current, so the result is only right if the collective is ordered after that stream's
// work by the communicator's events; then the differentiable all-gather's backward on the GPU.
TEST(NcclCommunicator, OrdersAfterTheCurrentStreamAndGathersWithGrad) {
  CAGCL_SKIP_WITHOUT_GPU();
  SelfCommunicator bootstrap;
  auto comm = std::make_shared<NcclCommunicator>(bootstrap, 0);
  const auto cuda = torch::TensorOptions(torch::kFloat).device(torch::kCUDA, 0);
  c10::cuda::CUDAStreamGuard guard(c10::cuda::getStreamFromPool(false, 0));
  torch::Tensor x = torch::arange(1 << 22, cuda);
  for (int i = 0; i < 20; ++i) x = x * 1.0f + 1.0f;  // keep the side stream busy
  comm->all_reduce_async(x, ReduceOp::sum)->wait();
  EXPECT_TRUE(torch::equal(x.cpu(), torch::arange(1 << 22, torch::kFloat) + 20));

  torch::Tensor v = torch::randn({3, 8}, cuda).requires_grad_(true);
  const GatheredRows gathered = all_gather_with_grad(comm, v);
  EXPECT_EQ(gathered.sizes, (std::vector<int64_t>{3}));
  EXPECT_TRUE(torch::equal(gathered.rows.detach().cpu(), v.detach().cpu()));
  (gathered.rows * 2).sum().backward();
  EXPECT_TRUE(torch::allclose(v.grad().cpu(), torch::full({3, 8}, 2.0f)));
}
#endif

}  // namespace
}  // namespace cagcl
#else
TEST(NcclCommunicator, NotBuilt) { GTEST_SKIP() << "built without NCCL (CAGCL_WITH_NCCL off): no nccl.h found"; }
#endif
