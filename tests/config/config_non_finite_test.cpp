// Numbers in the configuration must be finite: "inf" and "nan" parse as doubles, and nan passes every range
// check by comparing false (data.hu_min = nan made the HU window nan and every voxel nan).
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "config/config.hpp"

namespace cagcl {
namespace config_non_finite_test {
namespace {

TEST(ConfigNonFinite, HuWindowEndsMustBeFiniteNumbers) {
  for (const char* set :
       {"data.hu_min=nan", "data.hu_min=-inf", "data.hu_max=inf", "data.hu_max=NaN", "data.hu_max=infinity"}) {
    SCOPED_TRACE(set);
    const std::string key = std::string(set).substr(0, std::string(set).find('='));
    try {
      load_config("tiny", {set});
      FAIL() << "accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + key + "'"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(load_config("tiny", {"data.hu_min=-1000.5"}).data.hu_min, -1000.5);
}

TEST(ConfigNonFinite, NoNumberKeyAcceptsInfinity) {
  EXPECT_THROW(load_config("tiny", {"train.lr=inf"}), UsageError);
  EXPECT_THROW(load_config("tiny", {"comm.bucket_cap_mb=inf"}), UsageError);
}

}  // namespace
}  // namespace config_non_finite_test
}  // namespace cagcl
