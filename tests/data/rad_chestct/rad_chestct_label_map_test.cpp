// The Rad-ChestCT label map: a label is the OR of its abnormalities' columns (at its locations when given);
// a label file or a map that does not fit is an error naming the file and the entry.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "data/rad_chestct/rad_chestct_label_map.hpp"

namespace cagcl::data::rad_chestct {
namespace {

const char* const kMap = R"(
labels:
  - {name: Lung nodule, abnormalities: [nodule, nodulegr1cm], locations: [left_lung, right_lung]}
  - {name: Calcification, abnormalities: [calcification]}
)";

TEST(RadChestCtLabelMap, LabelIsAnyOfItsAbnormalitiesAtItsLocations) {
  const LabelMap m = LabelMap::from_yaml(kMap, "map.yaml");
  EXPECT_EQ(m.names(), (std::vector<std::string>{"Lung nodule", "Calcification"}));
  const auto t = convert::CsvTable::parse(
      "NoteAcc_DEID,nodule*left_lung,nodule*thyroid,nodulegr1cm*right_lung,calcification*heart,calcification*aorta\n"
      "trn1,0,0,0,0,0\n"
      "trn2,1,0,0,0,1\n"
      "trn3,0,1,1,1,0\n"
      "trn4,0,1,0,0,0\n",
      "labels.csv");
  const auto columns = m.columns_of(t);
  EXPECT_EQ(m.labels_of(t, 0, columns), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(m.labels_of(t, 1, columns), (std::vector<uint8_t>{1, 1}));
  EXPECT_EQ(m.labels_of(t, 2, columns), (std::vector<uint8_t>{1, 1}));
  EXPECT_EQ(m.labels_of(t, 3, columns), (std::vector<uint8_t>{0, 0})) << "a thyroid nodule is not a lung nodule";
}

TEST(RadChestCtLabelMap, FilesThatDoNotFitAreNamed) {
  const LabelMap m = LabelMap::from_yaml(kMap, "map.yaml");
  const auto error = [&](const std::string& csv) {
    try {
      const auto t = convert::CsvTable::parse(csv, "labels.csv");
      m.labels_of(t, 0, m.columns_of(t));
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("NoteAcc_DEID,nodule*left_lung,calcification*heart,Cardiomegaly\ntrn1,0,0,1\n")
                .find("labels.csv: column 'Cardiomegaly' is not a Rad-ChestCT label column"),
            std::string::npos);
  EXPECT_NE(error("NoteAcc_DEID,nodule*left_lung\ntrn1,0\n").find("no column for label 'Calcification'"),
            std::string::npos);
  EXPECT_NE(error("NoteAcc_DEID,nodule*left_lung,calcification*heart\ntrn1,0,0.5\n")
                .find("labels.csv line 2: calcification*heart = 0.5, expected 0 or 1"),
            std::string::npos);
  EXPECT_NE(error("NoteAcc_DEID,nodule*left_lung,calcification*heart\ntrn1,0,yes\n").find("is not a number"),
            std::string::npos);
  EXPECT_EQ(error("NoteAcc_DEID,nodule*left_lung,calcification*heart\ntrn1,0,1\n"), "");
}

TEST(RadChestCtLabelMap, MalformedMapsAreUsageErrorsNamingTheEntry) {
  EXPECT_THROW(LabelMap::from_yaml("labels: []", "m.yaml"), UsageError);
  try {
    LabelMap::from_yaml("labels:\n  - {name: A, abnormalities: [a]}\n  - {name: A, abnormalities: [b]}\n", "m.yaml");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("m.yaml: labels[1].name: empty or duplicate 'A'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(LabelMap::from_yaml("labels:\n  - {name: A, abnormalities: []}\n", "m.yaml"), UsageError);
  EXPECT_THROW(LabelMap::from_yaml("labels:\n  - {name: A, abnormalities: [a*b]}\n", "m.yaml"), UsageError);
  EXPECT_THROW(LabelMap::from_yaml("labels:\n  - {name: A}\n", "m.yaml"), UsageError);
  EXPECT_EQ(LabelMap::load(std::string(CAGCL_TEST_CONFIG_DIR) + "/rad_chestct_labels.yaml").names().size(), 14u);
}

}  // namespace
}  // namespace cagcl::data::rad_chestct
