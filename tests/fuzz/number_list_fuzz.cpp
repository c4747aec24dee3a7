// libFuzzer harness: numbers in CSV cells (data/convert/number_cells.hpp). Byte 0 is the expected count (0-7),
// the rest the cell text.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "data/convert/number_cells.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t count = data[0] & 7;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    for (double v : cagcl::data::convert::parse_number_list(text, count, "fuzz.csv: line 2: column 'x'"))
      if (!std::isfinite(v)) std::abort();  // documented: finite numbers only
  } catch (const cagcl::Error&) {
  }
  try {
    if (!std::isfinite(cagcl::data::convert::parse_number(text, "fuzz.csv: line 2: column 'x'"))) std::abort();
  } catch (const cagcl::Error&) {
  }
  return 0;
}
