#include "model/safetensors.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; the reader and writer copy bytes as they are");

namespace cagcl::model {
namespace {

constexpr const char* kMetadataKey = "__metadata__";

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
};

// The dtypes LibTorch 1.13 can hold. The format has more (U16, U32, U64, F8_*): the header checks know their
// sizes (model/safetensors_header.cpp), but they cannot be loaded.
const std::array<DtypeInfo, 10> kDtypes = {{
    {"BOOL", torch::kBool},
    {"U8", torch::kUInt8},
    {"I8", torch::kInt8},
    {"I16", torch::kInt16},
    {"I32", torch::kInt32},
    {"I64", torch::kInt64},
    {"F16", torch::kHalf},
    {"BF16", torch::kBFloat16},
    {"F32", torch::kFloat},
    {"F64", torch::kDouble},
}};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

std::string where(const std::string& path, const std::string& tensor) {
  return safetensors_tensor_context(path, tensor);
}

class InputFile {
 public:
  explicit InputFile(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw IoError("cannot open " + path + " for reading");
  }
  void read(uint64_t offset, char* out, uint64_t size) {
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(out, static_cast<std::streamsize>(size));
    if (!in_ || static_cast<uint64_t>(in_.gcount()) != size) {
      throw IoError("cannot read " + std::to_string(size) + " bytes at offset " + std::to_string(offset) + " of " +
                    path_);
    }
  }

 private:
  std::string path_;
  std::ifstream in_;
};

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError("cannot stat " + path + ": " + ec.message());
  return size;
}

// The header checks are model/safetensors_header.cpp's; this only reads the bytes they need, the length first
// so that nothing is allocated for a header the limit or the file size rules out.
SafetensorsHeader read_header(InputFile& file, const std::string& path, uint64_t size) {
  std::array<uint8_t, 8> length_bytes{};
  if (size >= 8) file.read(0, reinterpret_cast<char*>(length_bytes.data()), 8);
  const uint64_t header_size = safetensors_header_length(length_bytes.data(), size, path);
  std::vector<uint8_t> bytes(8 + header_size);
  std::copy(length_bytes.begin(), length_bytes.end(), bytes.begin());
  if (header_size > 0) file.read(8, reinterpret_cast<char*>(bytes.data() + 8), header_size);
  SafetensorsHeader header = parse_safetensors_header(bytes.data(), bytes.size(), path);
  check_safetensors_ranges(header, size - header.data_start, path);
  return header;
}

}  // namespace

SafetensorsHeader read_safetensors_header(const std::string& path) {
  const uint64_t size = file_size(path);
  InputFile file(path);
  return read_header(file, path, size);
}

TensorMap read_safetensors(const std::string& path, std::map<std::string, std::string>& metadata) {
  const uint64_t size = file_size(path);
  InputFile file(path);
  const SafetensorsHeader header = read_header(file, path, size);
  TensorMap tensors;
  for (const auto& [name, entry] : header.tensors) {
    const DtypeInfo* info = find_dtype(entry.dtype);
    if (info == nullptr) {
      throw DataError(where(path, name) + ": dtype " + entry.dtype + " has no LibTorch type and cannot be loaded");
    }
    torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(info->type));
    const uint64_t bytes = entry.end - entry.begin;
    if (bytes > 0) file.read(header.data_start + entry.begin, static_cast<char*>(tensor.data_ptr()), bytes);
    if (info->type == torch::kBool) {
      check_safetensors_bool_bytes(static_cast<const uint8_t*>(tensor.data_ptr()), bytes, where(path, name));
    }
    tensors.emplace(name, std::move(tensor));
  }
  metadata = header.metadata;
  return tensors;
}

TensorMap read_safetensors(const std::string& path) {
  std::map<std::string, std::string> metadata;
  return read_safetensors(path, metadata);
}

std::string safetensors_dtype(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.name;
  }
  throw Error(std::string("safetensors has no dtype for LibTorch type ") + c10::toString(type));
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<torch::Tensor> data;
  data.reserve(tensors.size());
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetadataKey) throw Error(path + ": a tensor cannot be named " + std::string(kMetadataKey));
    if (!tensor.defined()) throw Error(where(path, name) + ": undefined tensor");
    torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    const std::string dtype = safetensors_dtype(cpu.scalar_type());
    const auto bytes = static_cast<uint64_t>(cpu.numel()) * static_cast<uint64_t>(cpu.element_size());
    header[name] = {{"dtype", dtype}, {"shape", cpu.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(std::move(cpu));
  }
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": tensor name or metadata is not valid UTF-8: " + e.what());
  }
  // Spaces pad the header so the data section starts 8-byte aligned, as the reference writer does.
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');

  AtomicFileWriter out{std::filesystem::path(path)};
  std::array<char, 8> length{};
  uint64_t n = text.size();
  for (auto& byte : length) {
    byte = static_cast<char>(n & 0xff);
    n >>= 8;
  }
  out.write(length.data(), length.size());
  out.write(text.data(), text.size());
  for (const auto& tensor : data)
    out.write(tensor.data_ptr(), static_cast<size_t>(tensor.numel() * tensor.element_size()));
  out.commit();
}

}  // namespace cagcl::model
