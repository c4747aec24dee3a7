#include "model/safetensors.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/error.hpp"

#include "tests/common/temp_dir.hpp"

namespace cagcl::model {
namespace {

namespace fs = std::filesystem;

// Two tensors by hand: a = F32 [1, -2], b = I16 [[3, -1]].
const std::string kDataBytes = std::string("\x00\x00\x80\x3f", 4) + std::string("\x00\x00\x00\xc0", 4) +
                               std::string("\x03\x00", 2) + std::string("\xff\xff", 2);

std::string length_prefix(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

std::string file_with_header(const std::string& json, const std::string& data) {
  return length_prefix(json.size()) + json + data;
}

const std::string kGoodHeader =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]}})";

class SafetensorsTest : public ::testing::Test {
 protected:
  std::string write_bytes(const std::string& bytes, const std::string& name = "t.safetensors") {
    const auto path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  static std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // The reader must refuse `bytes` with a DataError whose message names the file and contains `needle`.
  void expect_rejected(const std::string& bytes, const std::string& needle) {
    const auto path = write_bytes(bytes);
    try {
      read_safetensors(path);
      FAIL() << "expected DataError containing '" << needle << "'";
    } catch (const DataError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  }

  cagcl::test_support::TempDir temp_;
  fs::path dir_ = temp_.path();
};

TEST_F(SafetensorsTest, ReadsAHandMadeFile) {
  std::map<std::string, std::string> metadata;
  const auto tensors = read_safetensors(write_bytes(file_with_header(kGoodHeader, kDataBytes)), metadata);
  ASSERT_EQ(tensors.size(), 2u);
  const auto& a = tensors.at("a");
  EXPECT_EQ(a.scalar_type(), torch::kFloat);
  EXPECT_EQ(a.sizes().vec(), (std::vector<int64_t>{2}));
  EXPECT_EQ(a[0].item<float>(), 1.0f);
  EXPECT_EQ(a[1].item<float>(), -2.0f);
  const auto& b = tensors.at("b");
  EXPECT_EQ(b.scalar_type(), torch::kInt16);
  EXPECT_EQ(b.sizes().vec(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(b[0][0].item<int16_t>(), 3);
  EXPECT_EQ(b[0][1].item<int16_t>(), -1);
  EXPECT_TRUE(metadata.empty());
}

TEST_F(SafetensorsTest, WriterProducesTheExactByteLayout) {
  TensorMap tensors;
  tensors["b"] = torch::tensor({3, -1}, torch::kInt16).reshape({1, 2});
  tensors["a"] = torch::tensor({1.0f, -2.0f});
  const auto path = (dir_ / "out.safetensors").string();
  write_safetensors(path, tensors, {{"format", "pt"}});
  // Sorted keys everywhere; 141 bytes of JSON + 3 spaces so that the data starts at byte 8 + 144 = 152.
  const std::string json = R"({"__metadata__":{"format":"pt"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
                           R"("b":{"data_offsets":[8,12],"dtype":"I16","shape":[1,2]}}   )";
  ASSERT_EQ(json.size(), 144u);
  const std::string expected = std::string("\x90\x00\x00\x00\x00\x00\x00\x00", 8) + json + kDataBytes;
  EXPECT_EQ(read_bytes(path), expected);
  // The padded header is still accepted by the reader, metadata included.
  std::map<std::string, std::string> metadata;
  const auto back = read_safetensors(path, metadata);
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  EXPECT_TRUE(torch::equal(back.at("a"), tensors["a"]));
}

TEST_F(SafetensorsTest, WriterIsDeterministicAndLeavesNoTemporaryFile) {
  TensorMap tensors{{"x", torch::arange(6, torch::kFloat).reshape({2, 3})}, {"y", torch::ones({0})}};
  const auto first = (dir_ / "first.safetensors").string();
  const auto second = (dir_ / "second.safetensors").string();
  write_safetensors(first, tensors);
  write_safetensors(second, tensors);
  EXPECT_EQ(read_bytes(first), read_bytes(second));
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2);
}

TEST_F(SafetensorsTest, EveryDtypeRoundTrips) {
  TensorMap tensors;
  const auto base = torch::tensor({0, 1, 2, 3, 4, 5}).reshape({2, 3});
  for (auto type : {torch::kBool, torch::kUInt8, torch::kInt8, torch::kInt16, torch::kInt32, torch::kInt64,
                    torch::kHalf, torch::kBFloat16, torch::kFloat, torch::kDouble}) {
    tensors[safetensors_dtype(type)] = (type == torch::kBool ? base.remainder(2) : base).to(type);
  }
  tensors["scalar"] = torch::tensor(2.5);
  tensors["empty"] = torch::zeros({3, 0});
  tensors["strided"] = torch::arange(12, torch::kFloat).reshape({3, 4}).t();  // not contiguous
  const auto path = (dir_ / "all.safetensors").string();
  write_safetensors(path, tensors);
  const auto back = read_safetensors(path);
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, tensor] : tensors) {
    EXPECT_EQ(back.at(name).scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(back.at(name), tensor)) << name;
  }
  EXPECT_EQ(read_safetensors_header(path).tensors.at("BF16").dtype, "BF16");
}

TEST_F(SafetensorsTest, OverwritesAnExistingFileWhole) {
  const auto path = (dir_ / "w.safetensors").string();
  write_safetensors(path, {{"big", torch::zeros({1000})}});
  write_safetensors(path, {{"small", torch::ones({2})}});
  const auto back = read_safetensors(path);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back.count("small"));
}

TEST_F(SafetensorsTest, WriteIntoAMissingDirectoryIsAnIoError) {
  EXPECT_THROW(write_safetensors((dir_ / "no" / "such" / "x.safetensors").string(), {{"x", torch::ones({1})}}),
               IoError);
}

TEST_F(SafetensorsTest, TruncatedFileIsRejected) {
  const std::string good = file_with_header(kGoodHeader, kDataBytes);
  expect_rejected(good.substr(0, good.size() - 1), "tensor 'b'");
  expect_rejected(good.substr(0, good.size() - 1), "past the end");
  expect_rejected(good.substr(0, 5), "truncated");
  expect_rejected(good.substr(0, 40), "runs past the end of the file");
}

TEST_F(SafetensorsTest, OverlappingOffsetsAreRejected) {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[6,10]}})";
  expect_rejected(file_with_header(header, kDataBytes.substr(0, 10)), "overlap tensor 'a'");
}

TEST_F(SafetensorsTest, UnusedBytesAreRejected) {
  const std::string gap =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,1],"data_offsets":[10,12]}})";
  expect_rejected(file_with_header(gap, kDataBytes), "unused");
  expect_rejected(file_with_header(kGoodHeader, kDataBytes + "xx"), "belong to no tensor");
}

TEST_F(SafetensorsTest, UnknownDtypeIsRejected) {
  const std::string header =
      R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]}})";
  expect_rejected(file_with_header(header, kDataBytes), "tensor 'a': unknown dtype 'F31'");
}

TEST_F(SafetensorsTest, DtypeWithoutLibTorchTypeIsRejectedByName) {
  const std::string header =
      R"({"a":{"dtype":"U32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]}})";
  expect_rejected(file_with_header(header, kDataBytes), "tensor 'a': dtype U32 has no LibTorch type");
}

TEST_F(SafetensorsTest, HugeHeaderIsRejectedBeforeReadingIt) {
  expect_rejected(length_prefix(kMaxSafetensorsHeaderBytes + 1) + "{}", "exceeds the limit");
  expect_rejected(length_prefix(~uint64_t{0}) + "{}", "exceeds the limit");
}

TEST_F(SafetensorsTest, ShapeThatDisagreesWithTheByteRangeIsRejected) {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]}})";
  expect_rejected(file_with_header(header, kDataBytes), "tensor 'a': shape [3] x F32 does not match");
  // A shape whose byte count overflows 64 bits must not wrap around to a small range.
  const std::string overflow =
      R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,2],"data_offsets":[8,12]}})";
  expect_rejected(file_with_header(overflow, kDataBytes), "tensor 'a': shape");
}

TEST_F(SafetensorsTest, OffsetsPastTheEndAreRejected) {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I16","shape":[1,4],"data_offsets":[8,16]}})";
  expect_rejected(file_with_header(header, kDataBytes), "tensor 'b': data_offsets [8, 16] run past the end");
}

TEST_F(SafetensorsTest, MalformedHeadersAreRejected) {
  expect_rejected(file_with_header("not json", ""), "does not start with '{'");
  expect_rejected(file_with_header("{\"a\":", ""), "not valid JSON");
  expect_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                   R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                   kDataBytes.substr(0, 8)),
                  "names 'a' twice");
  expect_rejected(
      file_with_header(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", kDataBytes.substr(0, 4)),
      "tensor 'a': shape");
  expect_rejected(
      file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", kDataBytes.substr(0, 4)),
      "end before begin");
  expect_rejected(file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", kDataBytes.substr(0, 4)),
                  "must be [begin, end]");
  expect_rejected(
      file_with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", kDataBytes.substr(0, 4)),
      "unknown field 'x'");
  expect_rejected(file_with_header(R"({"__metadata__":{"k":1}})", ""), "__metadata__ 'k' is not a string");
}

TEST_F(SafetensorsTest, BoolBytesOtherThanZeroOrOneAreRejected) {
  expect_rejected(
      file_with_header(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", std::string("\x01\x02", 2)),
      "tensor 'm': BOOL byte 1 is 2");
}

TEST_F(SafetensorsTest, MissingFileIsAnIoErrorNamingIt) {
  try {
    read_safetensors((dir_ / "absent.safetensors").string());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.safetensors"), std::string::npos);
  }
}

}  // namespace
}  // namespace cagcl::model
