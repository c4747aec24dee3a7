#include <gtest/gtest.h>

#include "common/error.hpp"
#include "eval/anatomy_window.hpp"

namespace cagcl::eval {
namespace {

TEST(AnatomyWindow, SmallOrganIsPresentLongOrganIsDroppedMissingOrganIsAbsent) {
  const data::Shape3 shape{4, 6, 6}, window{2, 4, 4};
  std::vector<uint8_t> map(4 * 6 * 6, 0);
  const auto at = [&](int z, int y, int x) -> uint8_t& { return map[(z * 6 + y) * 6 + x]; };
  at(1, 1, 1) = at(1, 1, 2) = at(1, 2, 1) = at(1, 2, 2) = 1;  // fits any window around it
  for (int z = 0; z < 4; ++z) at(z, 4, 4) = 2;                // 4 slices long, window 2: half inside
  const auto w = anatomy_windows(map.data(), shape, window, 3, 0.9);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].status, AnatomyStatus::present);
  EXPECT_EQ(w[0].voxels, 4);
  EXPECT_EQ(w[0].inside, 4);
  EXPECT_EQ(w[1].status, AnatomyStatus::partial);
  EXPECT_EQ(w[1].inside, 2);
  EXPECT_EQ(w[2].status, AnatomyStatus::absent);
  // The same organ is kept when half inside is enough.
  EXPECT_EQ(anatomy_windows(map.data(), shape, window, 3, 0.5)[1].status, AnatomyStatus::present);
  // The window is centred on the organ: anatomy 1's box covers it.
  for (int k = 0; k < 3; ++k) EXPECT_EQ(w[0].box.size[k], window[k]);
}

TEST(AnatomyWindow, WindowLargerThanTheVolumeUsesVirtualPadding) {
  const data::Shape3 shape{2, 2, 2}, window{4, 4, 4};
  std::vector<uint8_t> map(8, 1);
  const auto w = anatomy_windows(map.data(), shape, window, 1, 0.9);
  EXPECT_EQ(w[0].status, AnatomyStatus::present);
  EXPECT_EQ(w[0].inside, 8);
  EXPECT_THROW(anatomy_windows(map.data(), shape, {0, 4, 4}, 1, 0.9), UsageError);
  EXPECT_THROW(anatomy_windows(map.data(), shape, window, 1, 1.5), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
