#include "data/convert/number_cells.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "common/error.hpp"

namespace cagcl::data::convert {
namespace {

std::string trimmed(const std::string& s, const char* chars) {
  const size_t b = s.find_first_not_of(chars);
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

}  // namespace

double parse_number(const std::string& text, const std::string& what) {
  const std::string t = trimmed(text, " \t\"'");
  if (t.empty()) throw DataError(what + ": empty");
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || errno == ERANGE)
    throw DataError(fmt::format("{}: '{}' is not a number", what, text));
  if (!std::isfinite(v)) throw DataError(fmt::format("{}: '{}' is not finite", what, text));
  return v;
}

std::vector<double> parse_number_list(const std::string& text, size_t count, const std::string& what) {
  std::string t = trimmed(text, " \t\"'");
  if (!t.empty() && (t.front() == '[' || t.front() == '(')) t = t.substr(1);
  if (!t.empty() && (t.back() == ']' || t.back() == ')')) t.pop_back();
  std::vector<double> out;
  size_t start = 0;
  while (start <= t.size()) {
    size_t comma = t.find(',', start);
    if (comma == std::string::npos) comma = t.size();
    out.push_back(parse_number(t.substr(start, comma - start), what));
    start = comma + 1;
  }
  if (out.size() != count)
    throw DataError(fmt::format("{}: '{}' holds {} numbers, expected {}", what, text, out.size(), count));
  return out;
}

}  // namespace cagcl::data::convert
