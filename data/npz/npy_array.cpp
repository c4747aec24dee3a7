#include "data/npz/npy_array.hpp"

#include <cctype>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.hpp"

namespace cagcl::data::npz {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct TypeName {
  NpyType type;
  const char* descr;
  size_t size;
};
constexpr TypeName kTypes[] = {{NpyType::u8, "|u1", 1},  {NpyType::i8, "|i1", 1},  {NpyType::i16, "<i2", 2},
                               {NpyType::u16, "<u2", 2}, {NpyType::i32, "<i4", 4}, {NpyType::u32, "<u4", 4},
                               {NpyType::f32, "<f4", 4}, {NpyType::f64, "<f8", 8}};

// The header dict, as NumPy writes it: a Python literal of three keys. Parsed token by token rather than
// searched, so that a crafted header cannot smuggle a second 'shape'.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& origin) : t_(text), origin_(origin) {}

  std::map<std::string, std::string> parse() {
    std::map<std::string, std::string> out;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = quoted();
      expect(':');
      skip_space();
      std::string value;
      if (peek() == '\'' || peek() == '"') {
        value = "s:" + quoted();
      } else if (peek() == '(') {
        value = "t:" + tuple();
      } else {
        value = "w:" + word();
      }
      if (!out.emplace(key, value).second) fail("key '" + key + "' twice");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    skip_space();
    if (pos_ != t_.size()) fail("text after the dict");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(fmt::format("{}: .npy header: {} at byte {}", origin_, what, pos_));
  }
  char peek() const { return pos_ < t_.size() ? t_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string quoted() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const size_t end = t_.find(q, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string s = t_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }
  std::string word() {
    const size_t start = pos_;
    while (pos_ < t_.size() && std::isalnum(static_cast<unsigned char>(t_[pos_]))) ++pos_;
    if (pos_ == start) fail("expected a value");
    return t_.substr(start, pos_ - start);
  }
  std::string tuple() {
    const size_t end = t_.find(')', pos_);
    if (end == std::string::npos) fail("unterminated tuple");
    std::string s = t_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }

  const std::string& t_;
  const std::string& origin_;
  size_t pos_ = 0;
};

std::vector<int64_t> parse_shape(const std::string& text, const std::string& origin, const NpyLimits& limits) {
  std::vector<int64_t> shape;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    const std::string digits = text.substr(start, i - start);
    // A trailing 'L' is how Python 2 wrote longs (after at least one digit).
    if (!digits.empty() && i < text.size() && text[i] == 'L') ++i;
    if (digits.empty() || digits.size() > 12)
      throw DataError(fmt::format("{}: .npy header: shape '({})' is not a tuple of sizes", origin, text));
    const int64_t n = std::stoll(digits);
    if (n > limits.max_elements)
      throw DataError(fmt::format("{}: .npy header: size {} exceeds the limit {}", origin, n, limits.max_elements));
    shape.push_back(n);
  }
  return shape;
}

}  // namespace

std::string to_string(NpyType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.descr;
  return "?";
}

size_t item_size(NpyType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.size;
  return 0;
}

int64_t NpyArray::elements() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::vector<float> NpyArray::as_float() const {
  const size_t n = static_cast<size_t>(elements());
  std::vector<float> out(n);
  const auto convert = [&](auto tag) {
    using T = decltype(tag);
    for (size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
      out[i] = static_cast<float>(v);
    }
  };
  switch (type) {
    case NpyType::u8: convert(uint8_t{}); break;
    case NpyType::i8: convert(int8_t{}); break;
    case NpyType::i16: convert(int16_t{}); break;
    case NpyType::u16: convert(uint16_t{}); break;
    case NpyType::i32: convert(int32_t{}); break;
    case NpyType::u32: convert(uint32_t{}); break;
    case NpyType::f32: convert(float{}); break;
    case NpyType::f64: convert(double{}); break;
  }
  return out;
}

NpyArray parse_npy(const std::string& bytes, const std::string& origin, const NpyLimits& limits) {
  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0)
    throw DataError(origin + ": not a .npy array (no \\x93NUMPY magic)");
  const auto major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8;
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw DataError(origin + ": .npy header truncated");
    for (int b = 3; b >= 0; --b)
      header_len = header_len << 8 | static_cast<unsigned char>(bytes[8 + static_cast<size_t>(b)]);
    header_start = 12;
  } else {
    throw DataError(fmt::format("{}: .npy format version {} is not supported (1, 2 or 3)", origin, major));
  }
  if (header_len > limits.max_header_bytes || header_start + header_len > bytes.size())
    throw DataError(
        fmt::format("{}: .npy header of {} bytes does not fit the {}-byte array", origin, header_len, bytes.size()));
  const std::string header = bytes.substr(header_start, header_len);
  const auto dict = HeaderParser(header, origin).parse();
  for (const char* key : {"descr", "fortran_order", "shape"})
    if (!dict.count(key)) throw DataError(fmt::format("{}: .npy header lacks '{}'", origin, key));
  if (dict.size() != 3)
    throw DataError(fmt::format("{}: .npy header has keys besides descr, fortran_order, shape", origin));

  NpyArray a;
  if (dict.at("descr").rfind("s:", 0) != 0) throw DataError(origin + ": .npy header: descr is not a string");
  const std::string descr = dict.at("descr").substr(2);
  bool known = false;
  for (const auto& t : kTypes) {
    // NumPy writes one-byte types as '|u1'; '<u1' and '=u1' mean the same.
    const bool one_byte_alias = t.size == 1 && descr.size() == 3 && (descr[0] == '<' || descr[0] == '=') &&
                                descr.compare(1, 2, t.descr + 1) == 0;
    if (descr == t.descr || one_byte_alias) {
      a.type = t.type;
      known = true;
    }
  }
  if (!known) {
    throw DataError(
        fmt::format("{}: .npy dtype '{}' is not supported (little-endian u1, i1, i2, u2, i4, u4, f4 or f8; "
                    "object arrays are never loaded)",
                    origin, descr));
  }
  if (dict.at("fortran_order") == "w:True")
    throw DataError(origin + ": .npy array is in Fortran order; save it in C order (np.ascontiguousarray)");
  if (dict.at("fortran_order") != "w:False") throw DataError(origin + ": .npy header: fortran_order is not True/False");
  if (dict.at("shape").rfind("t:", 0) != 0) throw DataError(origin + ": .npy header: shape is not a tuple");
  a.shape = parse_shape(dict.at("shape").substr(2), origin, limits);
  int64_t n = 1;
  for (int64_t s : a.shape) {
    if (s != 0 && n > limits.max_elements / s)
      throw DataError(fmt::format("{}: .npy array of shape ({}) exceeds {} elements", origin, fmt::join(a.shape, ", "),
                                  limits.max_elements));
    n *= s;
  }
  const size_t data_start = header_start + header_len;
  const size_t expected = static_cast<size_t>(n) * item_size(a.type);
  if (bytes.size() - data_start != expected) {
    throw DataError(fmt::format("{}: .npy array of shape ({}) and dtype {} needs {} data bytes, the file has {}",
                                origin, fmt::join(a.shape, ", "), to_string(a.type), expected,
                                bytes.size() - data_start));
  }
  a.data = bytes.substr(data_start);
  return a;
}

std::string npy_bytes(NpyType type, const std::vector<int64_t>& shape, const void* data) {
  std::string dims;
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    n *= shape[i];
  }
  if (shape.size() == 1) dims += ",";  // Python's one-element tuple
  std::string header = "{'descr': '" + to_string(type) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // NumPy pads the header with spaces so that the data starts at a multiple of 64, and ends it with '\n'.
  const size_t unpadded = kMagicSize + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(data), static_cast<size_t>(n) * item_size(type));
  return out;
}

}  // namespace cagcl::data::npz
