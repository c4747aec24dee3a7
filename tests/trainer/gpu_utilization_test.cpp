#include "trainer/gpu_utilization.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cagcl::trainer {
namespace {

// Where the driver is absent (here, CI), the library is not there: no utilisation, no exception.
TEST(GpuUtilization, AbsentLibraryReportsNoUtilizationAndNoError) {
  GpuUtilization nvml("libcagcl-no-such-nvml.so.1");
  EXPECT_FALSE(nvml.available());
  EXPECT_NE(nvml.unavailable_reason().find("cannot load libcagcl-no-such-nvml.so.1"), std::string::npos)
      << nvml.unavailable_reason();
  EXPECT_FALSE(nvml.utilization("00000000:3B:00.0").has_value());
}

TEST(GpuUtilization, LibraryWithoutNvmlEntryPointsIsUnavailable) {
  GpuUtilization nvml("libz.so.1");
  EXPECT_FALSE(nvml.available());
  EXPECT_EQ(nvml.unavailable_reason(), "libz.so.1 has no nvmlInit_v2");
}

TEST(GpuUtilization, ReadsTheUtilizationOfTheDeviceAtThePciBusId) {
  GpuUtilization nvml(CAGCL_FAKE_NVML);
  ASSERT_TRUE(nvml.available()) << nvml.unavailable_reason();
  const auto busy = nvml.utilization("00000000:3B:00.0");
  ASSERT_TRUE(busy.has_value());
  EXPECT_DOUBLE_EQ(*busy, 0.37);
  EXPECT_FALSE(nvml.utilization("00000000:AF:00.0").has_value()) << "a device NVML does not know";
}

TEST(GpuUtilization, NvmlWithoutDriverIsUnavailable) {
  ASSERT_EQ(setenv("CAGCL_FAKE_NVML_NO_DRIVER", "1", 1), 0);
  GpuUtilization nvml(CAGCL_FAKE_NVML);
  unsetenv("CAGCL_FAKE_NVML_NO_DRIVER");
  EXPECT_FALSE(nvml.available());
  EXPECT_NE(nvml.unavailable_reason().find("nvmlInit_v2"), std::string::npos) << nvml.unavailable_reason();
  EXPECT_NE(nvml.unavailable_reason().find("error 9"), std::string::npos) << nvml.unavailable_reason();
  EXPECT_FALSE(nvml.utilization("00000000:3B:00.0").has_value());
}

}  // namespace
}  // namespace cagcl::trainer
