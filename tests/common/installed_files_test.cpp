// Where cagcl finds its data files (common/installed_files.hpp): beside the binary in PREFIX/share/cagcl, through
// symbolic links to the binary; the source tree only for the binary in its own build directory, never for a copy
// elsewhere; and a missing file is an error naming every path searched and the flag that gives it.
#include "common/installed_files.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl {
namespace {

namespace fs = std::filesystem;

// PREFIX/bin/cagcl (an empty stand-in) and PREFIX/share/cagcl/configs/mapping.yaml.
fs::path make_prefix(const fs::path& prefix) {
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "share/cagcl/configs");
  std::ofstream(prefix / "bin/cagcl") << "";
  std::ofstream(prefix / "share/cagcl/configs/mapping.yaml") << "anatomies: []\n";
  return prefix / "bin/cagcl";
}

TEST(InstalledFiles, AnInstalledBinaryFindsItsDataInPrefixShareAndNothingElse) {
  test_support::TempDir dir;
  const auto exe = make_prefix(dir / "prefix");
  const auto found = find_data_file("configs/mapping.yaml", exe);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(fs::equivalent(*found, dir / "prefix/share/cagcl/configs/mapping.yaml"));
  // A copy outside the build directory never searches the source tree it was built from.
  const auto roots = data_file_roots(exe);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0], fs::weakly_canonical(dir / "prefix/share/cagcl"));
}

TEST(InstalledFiles, ALinkToTheBinaryFindsTheDataOfTheBinaryItPointsTo) {
  test_support::TempDir dir;
  const auto exe = make_prefix(dir / "prefix");
  fs::create_directories(dir / "elsewhere");
  fs::create_symlink(exe, dir / "elsewhere/cagcl");
  const auto found = find_data_file("configs/mapping.yaml", dir / "elsewhere/cagcl");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(fs::equivalent(*found, dir / "prefix/share/cagcl/configs/mapping.yaml"));
}

TEST(InstalledFiles, AMissingFileNamesThePathsSearchedAndTheFlag) {
  test_support::TempDir dir;
  const auto exe = make_prefix(dir / "prefix");
  EXPECT_FALSE(find_data_file("configs/lexicon.yaml", exe).has_value());
  try {
    require_data_file("configs/lexicon.yaml", "--lexicon", exe);
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((fs::weakly_canonical(dir / "prefix/share/cagcl") / "configs/lexicon.yaml").string()),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("--lexicon"), std::string::npos) << what;
  }
}

TEST(InstalledFiles, TheBinaryInItsBuildDirectoryAlsoSearchesTheSourceTree) {
  // CAGCL_TEST_WORK_DIR is BUILD/tests/work; cagcl is linked as BUILD/cagcl.
  const fs::path build = fs::path(CAGCL_TEST_WORK_DIR).parent_path().parent_path();
  const auto roots = data_file_roots(build / "cagcl");
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[1], fs::path(CAGCL_SOURCE_DIR));
  const auto found = find_data_file("configs/totalsegmentator_v2.yaml", build / "cagcl");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(fs::equivalent(*found, fs::path(CAGCL_SOURCE_DIR) / "configs/totalsegmentator_v2.yaml"));
}

}  // namespace
}  // namespace cagcl
