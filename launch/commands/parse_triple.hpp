#pragma once
// Parses flag values like "64x128x128" or "1.5,0.7,0.7" into three numbers; UsageError names the flag.
#include <array>
#include <string>

#include "common/error.hpp"

namespace cagcl {

template <typename T>
std::array<T, 3> parse_triple(const std::string& text, char separator, const std::string& flag) {
  std::array<T, 3> values{};
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t end = i < 2 ? text.find(separator, start) : text.size();
    const std::string part = end == std::string::npos ? "" : text.substr(start, end - start);
    size_t used = 0;
    try {
      if constexpr (std::is_integral_v<T>) {
        values[i] = static_cast<T>(std::stoll(part, &used));
      } else {
        values[i] = static_cast<T>(std::stod(part, &used));
      }
    } catch (const std::exception&) {
      used = 0;
    }
    if (part.empty() || used != part.size() || !(values[i] > 0))
      throw UsageError(flag + " '" + text + "': expected three positive numbers separated by '" +
                       std::string(1, separator) + "'");
    start = end + 1;
  }
  return values;
}

}  // namespace cagcl
