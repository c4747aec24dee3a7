#include "data/convert/csv_table.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/error.hpp"

namespace cagcl::data::convert {

CsvTable CsvTable::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(path.string() + ": read failed");
  return parse(text.str(), path.string());
}

CsvTable CsvTable::parse(const std::string& text, const std::string& origin) {
  CsvTable t;
  t.origin_ = origin;
  size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  int64_t line = 1;
  std::vector<std::vector<std::string>> records;
  std::vector<int64_t> record_lines;
  std::vector<std::string> record;
  std::string field;
  bool in_record = false;
  int64_t record_line = 1;
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
  };
  auto end_record = [&] {
    end_field();
    // A line that is empty (one empty field) is skipped, as CSV readers do.
    if (!(record.size() == 1 && record[0].empty())) {
      records.push_back(std::move(record));
      record_lines.push_back(record_line);
    }
    record.clear();
    in_record = false;
  };
  while (i < text.size()) {
    if (!in_record) {
      in_record = true;
      record_line = line;
    }
    const char c = text[i];
    if (c == '"' && field.empty()) {
      const int64_t quote_line = line;
      ++i;
      for (;;) {
        if (i >= text.size())
          throw DataError(fmt::format("{}: line {}: unterminated quoted field", origin, quote_line));
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        throw DataError(fmt::format("{}: line {}: characters after a closing quote", origin, line));
      continue;
    }
    if (c == ',') {
      end_field();
      ++i;
    } else if (c == '\r' || c == '\n') {
      end_record();
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++i;
      ++line;
    } else {
      field += c;
      ++i;
    }
  }
  if (in_record) end_record();
  if (records.empty()) throw DataError(origin + ": empty CSV (no header row)");
  t.columns_ = std::move(records[0]);
  std::set<std::string> seen;
  for (const auto& c : t.columns_) {
    if (!seen.insert(c).second) throw DataError(fmt::format("{}: duplicate column '{}'", origin, c));
  }
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != t.columns_.size()) {
      throw DataError(fmt::format("{}: line {}: {} fields, the header has {}", origin, record_lines[r],
                                  records[r].size(), t.columns_.size()));
    }
    t.rows_.push_back(std::move(records[r]));
    t.lines_.push_back(record_lines[r]);
  }
  return t;
}

std::optional<size_t> CsvTable::column(const std::string& name) const {
  for (size_t c = 0; c < columns_.size(); ++c)
    if (columns_[c] == name) return c;
  return std::nullopt;
}

size_t CsvTable::require_column(const std::string& name) const {
  const auto c = column(name);
  if (!c) throw DataError(fmt::format("{}: missing column '{}'", origin_, name));
  return *c;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string csv_text(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  auto line = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += csv_field(fields[i]);
    }
    out += '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

}  // namespace cagcl::data::convert
