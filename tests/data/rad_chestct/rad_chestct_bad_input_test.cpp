// Bad Rad-ChestCT inputs give an error naming the volume and the file at fault; with --skip-bad the run goes
// on and the summary lists every skipped volume with its reason.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include <sys/stat.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/convert/csv_table.hpp"
#include "data/dataset.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/npz/npz_archive.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/data/rad_chestct/rad_chestct_test_fixture.hpp"

namespace cagcl::data::rad_chestct::testing {
namespace {

std::string conversion_error(const Fixture& f, const std::filesystem::path& out) {
  try {
    convert_fixture(f, out);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Applies `edit` to the text of the fixture's label file of `name`'s split.
void edit_label_file(const Fixture& f, const std::string& prefix, const std::function<std::string(std::string)>& edit) {
  const auto path = f.volumes() / (prefix + std::string(kLabelFileSuffix));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  write_file_atomically(path, edit(text.str()));
}

class RadChestCtBadInput : public ::testing::Test {
 protected:
  void SetUp() override { f_ = make_fixture(dir_ / "raw", 4); }
  // The first volume of the train split (the fixture has at least two train volumes).
  std::string train_volume() const { return f_.phantoms.begin()->first; }
  void expect_error_then_skip(const std::string& volume, const std::vector<std::string>& fragments) {
    const std::string error = conversion_error(f_, dir_ / "stop");
    EXPECT_NE(error.find("'" + volume + "'"), std::string::npos) << error;
    for (const auto& fragment : fragments) EXPECT_NE(error.find(fragment), std::string::npos) << error;
    const auto report = convert_fixture(f_, dir_ / "skip", /*skip_bad=*/true);
    ASSERT_EQ(report.skipped.size(), 1u);
    EXPECT_EQ(report.skipped[0].name, volume);
    for (const auto& fragment : fragments) EXPECT_NE(report.skipped[0].reason.find(fragment), std::string::npos);
    EXPECT_EQ(Dataset::open(dir_ / "skip").size(), static_cast<int64_t>(f_.phantoms.size()) - 1);
  }
  test_support::TempDir dir_;
  Fixture f_;
};

TEST_F(RadChestCtBadInput, VolumeWithoutLabelRowIsNamed) {
  const std::string v = train_volume();
  edit_label_file(f_, "imgtrain",
                  [&](std::string t) { return std::regex_replace(t, std::regex(v + ","), "other99999,"); });
  expect_error_then_skip(v, {"no label row"});
}

TEST_F(RadChestCtBadInput, VolumeWithoutMaskIsNamed) {
  const std::string v = train_volume();
  std::filesystem::remove(f_.masks() / (v + ".nii.gz"));
  expect_error_then_skip(v, {"no mask " + v + ".nii.gz"});
}

TEST_F(RadChestCtBadInput, MaskOfAnotherShapeIsNamed) {
  const std::string v = train_volume();
  nifti::NiftiWriteSpec spec;
  spec.dims = {48, 48, 31};
  spec.type = nifti::VoxelType::u8;
  spec.affine = frame_affine(f_.phantoms.begin()->second.spacing);
  std::vector<uint8_t> mask(48 * 48 * 31, 51);
  nifti::write_nifti(f_.masks() / (v + ".nii.gz"), spec, mask.data());
  expect_error_then_skip(v, {"mask shape 31x48x48", "differs from the volume's 32x48x48"});
}

TEST_F(RadChestCtBadInput, MaskOnAnotherGridIsNamed) {
  const std::string v = train_volume();
  nifti::NiftiWriteSpec spec;
  spec.dims = {48, 48, 32};
  spec.type = nifti::VoxelType::u8;
  spec.affine = frame_affine({0.8, 0.8, 0.8});
  std::vector<uint8_t> mask(48 * 48 * 32, 51);
  nifti::write_nifti(f_.masks() / (v + ".nii.gz"), spec, mask.data());
  expect_error_then_skip(v, {"mask spacing", "--source-spacing"});
}

TEST_F(RadChestCtBadInput, CorruptVolumeArchiveIsNamed) {
  const std::string v = train_volume();
  const auto path = f_.volumes() / (v + ".npz");
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  expect_error_then_skip(v, {path.string(), "not a readable .npz"});
}

// A volume whose .npz is not a regular file was dropped from the listing without a word. It is a volume the
// user has, so it is converted or named: an error, or a skipped volume with its reason under --skip-bad.
TEST_F(RadChestCtBadInput, ArchiveThatIsADanglingLinkIsNamed) {
  const std::string v = train_volume();
  const auto path = f_.volumes() / (v + ".npz");
  std::filesystem::remove(path);
  std::filesystem::create_symlink(dir_ / "moved-away.npz", path);
  expect_error_then_skip(v, {path.string(), "a dangling symbolic link"});
}

TEST_F(RadChestCtBadInput, ArchiveThatIsADirectoryIsNamed) {
  const std::string v = train_volume();
  const auto path = f_.volumes() / (v + ".npz");
  std::filesystem::remove(path);
  std::filesystem::create_directory(path);
  expect_error_then_skip(v, {path.string(), "a directory"});
}

// Opening a pipe for reading would wait for a writer forever: it is named without being opened.
TEST_F(RadChestCtBadInput, ArchiveThatIsAPipeIsNamedWithoutOpeningIt) {
  const std::string v = train_volume();
  const auto path = f_.volumes() / (v + ".npz");
  std::filesystem::remove(path);
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  expect_error_then_skip(v, {path.string(), "a pipe"});
}

TEST_F(RadChestCtBadInput, ArchiveWithoutTheCtArrayIsNamed) {
  const std::string v = train_volume();
  const std::vector<int16_t> zeros(8, 0);
  npz::write_npz(f_.volumes() / (v + ".npz"), {{"volume", npz::npy_bytes(npz::NpyType::i16, {2, 2, 2}, zeros.data())}},
                 true);
  expect_error_then_skip(v, {"no array 'ct'"});
}

TEST_F(RadChestCtBadInput, LabelCellThatIsNotZeroOrOneIsNamed) {
  const std::string v = train_volume();
  edit_label_file(f_, "imgtrain",
                  [&](std::string t) { return std::regex_replace(t, std::regex(v + ",[01]"), v + ",7"); });
  expect_error_then_skip(v, {"emphysema*left_lung = 7, expected 0 or 1"});
}

TEST(RadChestCtBadLabelFile, ColumnThatIsNotAbnormalityStarLocationFailsEveryVolumeOfThatFile) {
  test_support::TempDir dir;
  const Fixture f = make_fixture(dir / "raw", 4);
  edit_label_file(f, "imgtrain",
                  [](std::string t) { return std::regex_replace(t, std::regex("mass\\*liver"), "Lung nodule"); });
  const std::string error = conversion_error(f, dir / "out");
  EXPECT_NE(error.find("column 'Lung nodule' is not a Rad-ChestCT label column"), std::string::npos) << error;
  const auto report = convert_fixture(f, dir / "skip", true);
  int train = 0;
  for (const auto& [name, phantom] : f.phantoms) train += name.rfind("trn", 0) == 0;
  EXPECT_EQ(static_cast<int>(report.skipped.size()), train);
}

}  // namespace
}  // namespace cagcl::data::rad_chestct::testing
