// libFuzzer harness: CSV text of the public datasets (data/convert/csv_table.hpp).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "data/convert/csv_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cagcl::data::convert::CsvTable;
  try {
    const CsvTable table = CsvTable::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    // Every row has the header's width (at() does not check it; ASan would), every cell byte comes from an
    // input byte, and rows start on increasing lines.
    size_t cell_bytes = 0;
    int64_t line = 0;
    for (size_t r = 0; r < table.rows(); ++r) {
      for (size_t c = 0; c < table.columns().size(); ++c) cell_bytes += table.at(r, c).size();
      if (table.line_of(r) <= line) std::abort();
      line = table.line_of(r);
    }
    if (cell_bytes > size) std::abort();
    for (const std::string& name : table.columns()) table.require_column(name);
  } catch (const cagcl::Error&) {
  }
  return 0;
}
