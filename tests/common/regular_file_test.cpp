#include "common/regular_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl {
namespace {

std::string regular_file_error(const std::filesystem::path& p) {
  try {
    require_regular_file(p);
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

TEST(RegularFile, RegularFilesAndLinksToThemPass) {
  test_support::TempDir dir;
  const auto file = dir / "v.npz";
  std::ofstream(file) << "x";
  std::filesystem::create_symlink(file, dir / "link.npz");
  EXPECT_EQ(regular_file_error(file), "");
  EXPECT_EQ(regular_file_error(dir / "link.npz"), "");
}

TEST(RegularFile, EveryOtherKindIsNamedWithThePath) {
  test_support::TempDir dir;
  std::filesystem::create_directory(dir / "d.npz");
  std::filesystem::create_symlink(dir / "gone.npz", dir / "dangling.npz");
  ASSERT_EQ(mkfifo((dir / "p.npz").c_str(), 0600), 0);
  EXPECT_EQ(regular_file_error(dir / "d.npz"), (dir / "d.npz").string() + ": is a directory, not a regular file");
  EXPECT_EQ(regular_file_error(dir / "dangling.npz"),
            (dir / "dangling.npz").string() + ": is a dangling symbolic link, not a regular file");
  EXPECT_EQ(regular_file_error(dir / "p.npz"), (dir / "p.npz").string() + ": is a pipe, not a regular file");
  EXPECT_EQ(regular_file_error(dir / "missing.npz"), (dir / "missing.npz").string() + ": no such file");
  EXPECT_EQ(regular_file_error("/dev/null"), "/dev/null: is a device, not a regular file");
}

}  // namespace
}  // namespace cagcl
