// Bad CT-RATE inputs: each is a clear per-volume error naming the volume and the file; with --skip-bad the
// run goes on and the summary lists every skipped volume with its reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "data/convert/csv_table.hpp"
#include "data/ct_rate/ct_rate_names.hpp"
#include "data/dataset.hpp"
#include "data/nifti/nifti_image.hpp"
#include "tests/data/ct_rate/ct_rate_test_fixture.hpp"

namespace cagcl::data::ct_rate::testing {
namespace {

using convert::CsvTable;

// Rewrites a CSV of the fixture: `edit` gets the header and the rows.
template <class Edit>
void edit_csv(const std::filesystem::path& path, Edit edit) {
  const CsvTable t = CsvTable::load(path);
  std::vector<std::string> header = t.columns();
  std::vector<std::vector<std::string>> rows;
  for (size_t r = 0; r < t.rows(); ++r) {
    std::vector<std::string> row;
    for (size_t c = 0; c < header.size(); ++c) row.push_back(t.at(r, c));
    rows.push_back(row);
  }
  edit(header, rows);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << convert::csv_text(header, rows);
}

size_t row_of(const std::vector<std::vector<std::string>>& rows, const std::string& name) {
  for (size_t r = 0; r < rows.size(); ++r)
    if (rows[r][0] == name + ".nii.gz") return r;
  throw std::runtime_error("no row " + name);
}

std::filesystem::path volume_file(const Fixture& f, const std::string& name, bool mask = false) {
  const auto v = parse_volume_name(name);
  return (mask ? f.masks() : f.dataset()) / v->split / v->patient / v->scan / (name + ".nii.gz");
}

// Converts with --skip-bad; expects exactly `name` skipped with a reason containing each of `words`, and
// every other volume converted.
void expect_skipped(const Fixture& f, const std::filesystem::path& out, const std::string& name,
                    const std::vector<std::string>& words) {
  ConvertSettings s;
  s.skip_bad = true;
  const auto r = convert_fixture(f, out, s);
  ASSERT_EQ(r.assembly.skipped.size(), 1u);
  EXPECT_EQ(r.assembly.skipped[0].name, name);
  for (const auto& w : words)
    EXPECT_NE(r.assembly.skipped[0].reason.find(w), std::string::npos)
        << "'" << w << "' not in: " << r.assembly.skipped[0].reason;
  EXPECT_EQ(Dataset::open(out).size(), static_cast<int64_t>(f.samples.size()) - 1);
  // The report on disk lists it too.
  std::ifstream report(out / "conversion_report.json");
  std::stringstream text;
  text << report.rdbuf();
  EXPECT_NE(text.str().find(name), std::string::npos);
  // Without --skip-bad the same input stops the run with an error naming the volume.
  std::filesystem::remove_all(out);
  try {
    convert_fixture(f, out);
    FAIL() << "bad volume " << name << " was converted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("volume '" + name + "'"), std::string::npos) << e.what();
  }
}

struct BadInput : ::testing::Test {
  TempDir dir{"ctrate-bad"};
  Fixture f = make_fixture(dir.path / "raw", 6);  // 6 volumes hold both splits
  std::string victim = f.samples[1].name;         // a train volume
  std::filesystem::path metadata = f.dataset() / "metadata" / "train_metadata.csv";
};

TEST_F(BadInput, MissingMetadataRow) {
  edit_csv(metadata, [&](auto&, auto& rows) { rows.erase(rows.begin() + static_cast<long>(row_of(rows, victim))); });
  expect_skipped(f, dir.path / "out", victim, {"no metadata row", "metadata"});
}

TEST_F(BadInput, TwoMismatchedMetadataRows) {
  edit_csv(metadata, [&](auto&, auto& rows) {
    auto row = rows[row_of(rows, victim)];
    row[5] = "2.5";  // ZSpacing
    rows.push_back(row);
  });
  expect_skipped(f, dir.path / "out", victim, {"2 metadata rows", "train_metadata.csv line"});
}

TEST_F(BadInput, MetadataRowOfAnotherVolumeShape) {
  edit_csv(metadata, [&](auto& header, auto& rows) {
    const size_t rows_column = static_cast<size_t>(std::find(header.begin(), header.end(), "Rows") - header.begin());
    rows[row_of(rows, victim)][rows_column] = "512";
  });
  expect_skipped(f, dir.path / "out", victim, {"Rows = 512 does not match", victim + ".nii.gz"});
}

TEST_F(BadInput, MissingReportRow) {
  edit_csv(f.dataset() / "radiology_text_reports" / "train_reports.csv",
           [&](auto&, auto& rows) { rows.erase(rows.begin() + static_cast<long>(row_of(rows, victim))); });
  expect_skipped(f, dir.path / "out", victim, {"no report row"});
}

TEST_F(BadInput, VolumeWithoutMask) {
  std::filesystem::remove(volume_file(f, victim, true));
  expect_skipped(f, dir.path / "out", victim, {"no mask", f.masks().string()});
}

// A mask that is not a regular file was dropped from the listing, and the volume then blamed for having none.
TEST_F(BadInput, MaskThatIsADanglingLinkIsNamedAsSuch) {
  const auto path = volume_file(f, victim, true);
  std::filesystem::remove(path);
  std::filesystem::create_symlink(dir.path / "moved-away.nii.gz", path);
  expect_skipped(f, dir.path / "out", victim, {path.string(), "a dangling symbolic link"});
}

TEST_F(BadInput, VolumeThatIsADirectoryIsNamed) {
  const auto path = volume_file(f, victim);
  std::filesystem::remove(path);
  std::filesystem::create_directory(path);
  expect_skipped(f, dir.path / "out", victim, {path.string(), "a directory"});
}

TEST_F(BadInput, MaskOfAnotherShape) {
  nifti::NiftiWriteSpec spec;
  spec.dims = {48, 40, 32};
  spec.type = nifti::VoxelType::u8;
  const std::vector<uint8_t> zeros(48 * 40 * 32, 10);
  nifti::write_nifti(volume_file(f, victim, true), spec, zeros.data());
  expect_skipped(f, dir.path / "out", victim, {"mask shape 48x40x32 differs from the volume's 48x48x32"});
}

TEST_F(BadInput, CorruptGzipVolume) {
  const auto path = volume_file(f, victim);
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = std::filesystem::file_size(path);
    for (uintmax_t p = size / 2; p < size / 2 + 200 && p < size; ++p) {
      io.seekp(static_cast<std::streamoff>(p));
      io.put(static_cast<char>(p * 131));
    }
  }
  expect_skipped(f, dir.path / "out", victim, {path.string()});
}

TEST_F(BadInput, NanSpacing) {
  edit_csv(metadata, [&](auto&, auto& rows) { rows[row_of(rows, victim)][5] = "nan"; });
  expect_skipped(f, dir.path / "out", victim, {"ZSpacing", "not finite"});
}

TEST_F(BadInput, AbsurdSpacing) {
  edit_csv(metadata, [&](auto&, auto& rows) { rows[row_of(rows, victim)][4] = "[75.0, 75.0]"; });
  expect_skipped(f, dir.path / "out", victim, {"XYSpacing 75 mm is outside"});
}

TEST_F(BadInput, UnknownLabelColumnSkipsTheVolumesOfThatFile) {
  // Valid volumes' labels come from a file with a misspelt column: each valid volume is skipped, naming it.
  const auto labels = f.dataset() / "multi_abnormality_labels" / "valid_predicted_labels.csv";
  edit_csv(labels, [&](auto& header, auto&) { header[3] = "Cardiomegally"; });
  ConvertSettings s;
  s.skip_bad = true;
  const auto r = convert_fixture(f, dir.path / "out", s);
  int64_t valid = 0;
  for (const auto& sample : f.samples) valid += sample.split == "valid";
  ASSERT_GT(valid, 0);
  ASSERT_EQ(static_cast<int64_t>(r.assembly.skipped.size()), valid);
  for (const auto& skipped : r.assembly.skipped) {
    EXPECT_EQ(skipped.name.rfind("valid_", 0), 0u);
    EXPECT_NE(skipped.reason.find("unknown label column 'Cardiomegally'"), std::string::npos) << skipped.reason;
  }
}

TEST_F(BadInput, EveryBadVolumeOfOneRunIsListed) {
  std::filesystem::remove(volume_file(f, f.samples[0].name, true));
  edit_csv(metadata, [&](auto&, auto& rows) { rows[row_of(rows, victim)][5] = "-3"; });
  ConvertSettings s;
  s.skip_bad = true;
  const auto r = convert_fixture(f, dir.path / "out", s);
  ASSERT_EQ(r.assembly.skipped.size(), 2u);
  EXPECT_EQ(r.assembly.skipped[0].name, f.samples[0].name);
  EXPECT_EQ(r.assembly.skipped[1].name, victim);
  EXPECT_EQ(Dataset::open(dir.path / "out").size(), static_cast<int64_t>(f.samples.size()) - 2);
}

}  // namespace
}  // namespace cagcl::data::ct_rate::testing
