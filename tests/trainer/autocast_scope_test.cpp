#include "trainer/autocast_scope.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace cagcl::trainer {
namespace {

// The flags through whichever API this LibTorch has, so that the test reads the state independently of
// AutocastScope's own is_enabled().
bool cpu_autocast_on() {
#if CAGCL_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(c10::DeviceType::CPU);
#else
  return at::autocast::is_cpu_enabled();
#endif
}
bool cuda_autocast_on() {
#if CAGCL_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(c10::DeviceType::CUDA);
#else
  return at::autocast::is_enabled();
#endif
}

TEST(AutocastScope, CpuScopeRunsMatrixProductsInBfloat16AndRestoresFp32After) {
  const auto a = torch::ones({4, 4}), b = torch::ones({4, 4});
  {
    AutocastScope scope(true, torch::Device(torch::kCPU));
    EXPECT_TRUE(cpu_autocast_on());
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_FALSE(cpu_autocast_on());
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat);
}

TEST(AutocastScope, DisabledScopeLeavesAutocastOff) {
  AutocastScope scope(false, torch::Device(torch::kCPU));
  EXPECT_FALSE(cpu_autocast_on());
  EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), torch::kFloat);
}

TEST(AutocastScope, NestedScopeRestoresTheOuterState) {
  AutocastScope outer(true, torch::Device(torch::kCPU));
  {
    AutocastScope inner(true, torch::Device(torch::kCPU));
    EXPECT_TRUE(inner.is_enabled());
  }
  EXPECT_TRUE(cpu_autocast_on()) << "the inner scope must restore the outer one's state, not switch autocast off";
}

// The CUDA flag is thread-local dispatch state: it can be set and read without a GPU, so the CUDA branch (the
// one that uses LibTorch 2.4's device-type overloads on clusters) runs here too.
TEST(AutocastScope, CudaScopeSwitchesTheCudaFlagOnlyAndRestoresIt) {
  ASSERT_FALSE(cuda_autocast_on());
  {
    AutocastScope scope(true, torch::Device(torch::kCUDA, 0));
    EXPECT_TRUE(cuda_autocast_on());
    EXPECT_FALSE(cpu_autocast_on());
  }
  EXPECT_FALSE(cuda_autocast_on());
}

}  // namespace
}  // namespace cagcl::trainer
