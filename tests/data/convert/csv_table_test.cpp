// CSV of the public datasets: quoting, embedded newlines, CRLF, BOM, and errors that name the line.
#include "data/convert/csv_table.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace cagcl::data::convert {
namespace {

TEST(CsvTable, QuotedFieldsWithCommasQuotesAndNewlines) {
  const std::string text =
      "\xEF\xBB\xBFVolumeName,Findings_EN,Impressions_EN\r\n"
      "train_1_a_1.nii.gz,\"Heart size is normal, no effusion.\nLungs: \"\"clear\"\".\",Normal.\r\n"
      "\r\n"
      "train_1_a_2.nii.gz,,\"\"\n";
  const CsvTable t = CsvTable::parse(text, "reports.csv");
  ASSERT_EQ(t.columns(), (std::vector<std::string>{"VolumeName", "Findings_EN", "Impressions_EN"}));
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.at(0, 1), "Heart size is normal, no effusion.\nLungs: \"clear\".");
  EXPECT_EQ(t.at(1, 1), "");
  EXPECT_EQ(t.at(1, 2), "");
  EXPECT_EQ(t.line_of(0), 2);
  EXPECT_EQ(t.line_of(1), 5);
  EXPECT_EQ(*t.column("Impressions_EN"), 2u);
  EXPECT_FALSE(t.column("Technique_EN"));
}

TEST(CsvTable, WriterOutputParsesBackToTheSameFields) {
  const std::vector<std::string> header = {"a", "b"};
  const std::vector<std::vector<std::string>> rows = {{"x,y", "say \"hi\"\nnext"}, {"", "plain"}};
  const CsvTable t = CsvTable::parse(csv_text(header, rows), "mem");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.at(0, 0), "x,y");
  EXPECT_EQ(t.at(0, 1), "say \"hi\"\nnext");
  EXPECT_EQ(t.at(1, 1), "plain");
}

TEST(CsvTable, MalformedFilesAreDataErrorsNamingFileAndLine) {
  try {
    CsvTable::parse("a,b\n1,2\n3\n", "labels.csv");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("labels.csv: line 3: 1 fields, the header has 2"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(CsvTable::parse("a,b\n\"open,2\n", "q.csv"), DataError);
  EXPECT_THROW(CsvTable::parse("a,a\n1,2\n", "dup.csv"), DataError);
  EXPECT_THROW(CsvTable::parse("", "empty.csv"), DataError);
  const CsvTable t = CsvTable::parse("VolumeName\nx\n", "m.csv");
  EXPECT_THROW(t.require_column("ZSpacing"), DataError);
}

}  // namespace
}  // namespace cagcl::data::convert
