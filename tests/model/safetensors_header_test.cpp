// The LibTorch-free safetensors header parser on hostile headers: deep JSON nesting (the crafted file that made
// `cagcl export` and `cagcl eval` die with SIGSEGV) is a DataError naming the file, found while parsing.
#include "model/safetensors_header.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"

namespace cagcl::model {
namespace safetensors_header_test {
namespace {

std::string file_with_header(const std::string& json) {
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return out + json;
}

std::string parse_error(const std::string& header_json) {
  const std::string bytes = file_with_header(header_json);
  try {
    parse_safetensors_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.safetensors");
  } catch (const DataError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(SafetensorsHeader, DeeplyNestedShapeIsADataErrorNamingTheFile) {
  const std::string deep = std::string(400'000, '[') + std::string(400'000, ']');
  const std::string error = parse_error(R"({"t":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,4]}})");
  EXPECT_EQ(error.rfind("x.safetensors", 0), 0u) << error.substr(0, 300);
  EXPECT_NE(error.find("nests deeper than"), std::string::npos) << error.substr(0, 300);
  EXPECT_LT(error.size(), 1000u);
}

TEST(SafetensorsHeader, DuplicateTensorNamesAreStillFound) {
  const std::string entry = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  EXPECT_NE(parse_error(R"({"t":)" + entry + R"(,"t":)" + entry + "}").find("names 't' twice"), std::string::npos);
}

}  // namespace
}  // namespace safetensors_header_test
}  // namespace cagcl::model
