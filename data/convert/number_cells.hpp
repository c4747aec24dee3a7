#pragma once
// Numbers in the CSV cells of the public datasets. Cells are untrusted: anything but finite numbers is a
// DataError naming `what` (the file, line and column).
#include <string>
#include <vector>

namespace cagcl::data::convert {

// "[0.75, 0.75]" -> {0.75, 0.75} (CT-RATE writes Python lists); DataError naming `what` on anything else
// than `count` finite numbers.
std::vector<double> parse_number_list(const std::string& text, size_t count, const std::string& what);
double parse_number(const std::string& text, const std::string& what);

}  // namespace cagcl::data::convert
