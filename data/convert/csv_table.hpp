#pragma once
// CSV files of the public datasets (RFC 4180: comma-separated, fields optionally in double quotes, "" for a
// quote inside, newlines allowed inside quotes; a UTF-8 BOM and CRLF line ends are accepted). The first row
// is the header. Files are untrusted: a row with another field count than the header, an unterminated quote
// or a duplicate column name is a DataError naming the file and the line.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cagcl::data::convert {

class CsvTable {
 public:
  static CsvTable load(const std::filesystem::path& path);
  static CsvTable parse(const std::string& text, const std::string& origin);

  const std::string& origin() const { return origin_; }
  const std::vector<std::string>& columns() const { return columns_; }
  std::optional<size_t> column(const std::string& name) const;
  // DataError "FILE: missing column 'NAME'".
  size_t require_column(const std::string& name) const;

  size_t rows() const { return rows_.size(); }
  const std::string& at(size_t row, size_t column) const { return rows_[row][column]; }
  int64_t line_of(size_t row) const { return lines_[row]; }  // 1-based line where the row starts

 private:
  std::string origin_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int64_t> lines_;
};

// One field, quoted when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& value);
// Header + rows as CSV text (LF line ends).
std::string csv_text(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace cagcl::data::convert
