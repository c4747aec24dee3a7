#include "model/safetensors.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; the reader and writer copy bytes as they are");

namespace cagcl::model {
namespace {

constexpr const char* kMetadataKey = "__metadata__";

struct DtypeInfo {
  const char* name;
  uint64_t size;
  bool has_torch_type;
  torch::ScalarType type;
};

// Every dtype of the format; those LibTorch 1.13 cannot hold are known (so their byte ranges are checked)
// but not loadable.
const std::array<DtypeInfo, 15> kDtypes = {{
    {"BOOL", 1, true, torch::kBool},
    {"U8", 1, true, torch::kUInt8},
    {"I8", 1, true, torch::kInt8},
    {"I16", 2, true, torch::kInt16},
    {"I32", 4, true, torch::kInt32},
    {"I64", 8, true, torch::kInt64},
    {"F16", 2, true, torch::kHalf},
    {"BF16", 2, true, torch::kBFloat16},
    {"F32", 4, true, torch::kFloat},
    {"F64", 8, true, torch::kDouble},
    {"U16", 2, false, torch::kFloat},
    {"U32", 4, false, torch::kFloat},
    {"U64", 8, false, torch::kFloat},
    {"F8_E4M3", 1, false, torch::kFloat},
    {"F8_E5M2", 1, false, torch::kFloat},
}};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

std::string where(const std::string& path, const std::string& tensor) {
  return path + ": tensor '" + tensor + "'";
}

uint64_t non_negative_integer(const nlohmann::json& value, const std::string& context) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  throw DataError(context + ": expected a non-negative integer, got " + value.dump());
}

// nlohmann keeps the last of two equal keys silently; a header naming a tensor twice is corrupt.
nlohmann::json parse_header_json(const std::string& text, const std::string& path) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto reject_duplicates = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty()) {
      const auto key = parsed.get<std::string>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, reject_duplicates);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path + ": safetensors header is not valid JSON: " + e.what());
  }
  if (!duplicate.empty()) throw DataError(path + ": safetensors header names '" + duplicate + "' twice");
  if (!header.is_object()) throw DataError(path + ": safetensors header is not a JSON object");
  return header;
}

SafetensorsEntry parse_entry(const nlohmann::json& value, const std::string& context) {
  if (!value.is_object()) throw DataError(context + ": entry is not a JSON object");
  for (const auto& member : value.items()) {
    if (member.key() != "dtype" && member.key() != "shape" && member.key() != "data_offsets") {
      throw DataError(context + ": unknown field '" + member.key() + "'");
    }
  }
  SafetensorsEntry entry;
  const auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) throw DataError(context + ": missing or non-string 'dtype'");
  entry.dtype = dtype->get<std::string>();
  const DtypeInfo* info = find_dtype(entry.dtype);
  if (info == nullptr) throw DataError(context + ": unknown dtype '" + entry.dtype + "'");

  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) throw DataError(context + ": missing or non-array 'shape'");
  // The element count must not overflow: the byte size below is compared with the offsets, and a wrapped
  // product could match a small range.
  unsigned __int128 bytes = info->size;
  constexpr auto kLimit = static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max());
  for (const auto& dim : *shape) {
    const uint64_t d = non_negative_integer(dim, context + ": shape");
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) throw DataError(context + ": shape too large");
    entry.shape.push_back(static_cast<int64_t>(d));
    bytes = bytes * d;
    if (bytes > kLimit) bytes = kLimit + 1;  // saturate; cannot match any real range
  }

  const auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2) {
    throw DataError(context + ": 'data_offsets' must be [begin, end]");
  }
  entry.begin = non_negative_integer((*offsets)[0], context + ": data_offsets");
  entry.end = non_negative_integer((*offsets)[1], context + ": data_offsets");
  if (entry.end < entry.begin) {
    throw DataError(context + ": data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                    "] end before begin");
  }
  if (bytes != static_cast<unsigned __int128>(entry.end - entry.begin)) {
    std::string dims;
    for (auto d : entry.shape) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    throw DataError(context + ": shape [" + dims + "] x " + entry.dtype + " does not match data_offsets [" +
                    std::to_string(entry.begin) + ", " + std::to_string(entry.end) + "] (" +
                    std::to_string(entry.end - entry.begin) + " bytes)");
  }
  return entry;
}

// The byte ranges must tile the data section exactly: sorted by offset, each starts where the previous
// ended, and the last ends at the end of the file. This rules out overlaps (two tensors aliasing the same
// bytes), holes, and ranges past the end of a truncated file.
void check_ranges(const SafetensorsHeader& header, uint64_t data_size, const std::string& path) {
  std::vector<std::pair<const std::string*, const SafetensorsEntry*>> order;
  for (const auto& [name, entry] : header.tensors) order.emplace_back(&name, &entry);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second->begin, a.second->end, *a.first) < std::tie(b.second->begin, b.second->end, *b.first);
  });
  uint64_t expected = 0;
  const std::string* previous = nullptr;
  for (const auto& [name, entry] : order) {
    const std::string range = "[" + std::to_string(entry->begin) + ", " + std::to_string(entry->end) + "]";
    if (entry->begin < expected) {
      throw DataError(where(path, *name) + ": data_offsets " + range + " overlap tensor '" + *previous +
                      "' (which ends at " + std::to_string(expected) + ")");
    }
    if (entry->begin > expected) {
      throw DataError(where(path, *name) + ": data_offsets " + range + " leave bytes [" + std::to_string(expected) +
                      ", " + std::to_string(entry->begin) + ") of the data section unused");
    }
    if (entry->end > data_size) {
      throw DataError(where(path, *name) + ": data_offsets " + range + " run past the end of the file (data section " +
                      std::to_string(data_size) + " bytes; truncated file?)");
    }
    expected = entry->end;
    previous = name;
  }
  if (expected != data_size) {
    throw DataError(path + ": " + std::to_string(data_size - expected) +
                    " bytes after the last tensor belong to no tensor");
  }
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

SafetensorsHeader read_header(InputFile& file, const std::string& path, uint64_t size) {
  if (size < 8) {
    throw DataError(path + ": truncated safetensors file (" + std::to_string(size) +
                    " bytes; the 8-byte header length alone is longer)");
  }
  std::array<unsigned char, 8> length_bytes{};
  file.read(0, reinterpret_cast<char*>(length_bytes.data()), 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | length_bytes[static_cast<size_t>(i)];
  if (header_size > kMaxSafetensorsHeaderBytes) {
    throw DataError(path + ": safetensors header size " + std::to_string(header_size) + " exceeds the limit of " +
                    std::to_string(kMaxSafetensorsHeaderBytes) + " bytes (corrupt file?)");
  }
  if (header_size > size - 8) {
    throw DataError(path + ": safetensors header of " + std::to_string(header_size) +
                    " bytes runs past the end of the file (" + std::to_string(size) + " bytes; truncated file?)");
  }
  std::string text(header_size, '\0');
  file.read(8, text.data(), header_size);
  if (text.empty() || text.front() != '{') throw DataError(path + ": safetensors header does not start with '{'");
  const nlohmann::json json = parse_header_json(text, path);

  SafetensorsHeader header;
  header.data_start = 8 + header_size;
  for (const auto& item : json.items()) {
    if (item.key() == kMetadataKey) {
      if (!item.value().is_object()) throw DataError(path + ": __metadata__ is not a JSON object");
      for (const auto& meta : item.value().items()) {
        if (!meta.value().is_string()) {
          throw DataError(path + ": __metadata__ '" + meta.key() + "' is not a string");
        }
        header.metadata[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    header.tensors[item.key()] = parse_entry(item.value(), where(path, item.key()));
  }
  check_ranges(header, size - header.data_start, path);
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
    if (!info->has_torch_type) {
      throw DataError(where(path, name) + ": dtype " + entry.dtype + " has no LibTorch type and cannot be loaded");
    }
    torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(info->type));
    const uint64_t bytes = entry.end - entry.begin;
    if (bytes > 0) file.read(header.data_start + entry.begin, static_cast<char*>(tensor.data_ptr()), bytes);
    if (info->type == torch::kBool) {
      // A bool byte other than 0 or 1 is undefined behaviour for LibTorch's kernels.
      const auto* raw = static_cast<const unsigned char*>(tensor.data_ptr());
      for (uint64_t i = 0; i < bytes; ++i) {
        if (raw[i] > 1) {
          throw DataError(where(path, name) + ": BOOL byte " + std::to_string(i) + " is " + std::to_string(raw[i]) +
                          ", not 0 or 1");
        }
      }
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
    if (d.has_torch_type && d.type == type) return d.name;
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

  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const auto temp = dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()));
  try {
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      if (!out) throw IoError("cannot open " + temp.string() + " for writing");
      std::array<char, 8> length{};
      uint64_t n = text.size();
      for (auto& byte : length) {
        byte = static_cast<char>(n & 0xff);
        n >>= 8;
      }
      out.write(length.data(), 8);
      out.write(text.data(), static_cast<std::streamsize>(text.size()));
      for (const auto& tensor : data) {
        const auto bytes = static_cast<std::streamsize>(tensor.numel() * tensor.element_size());
        if (bytes > 0) out.write(static_cast<const char*>(tensor.data_ptr()), bytes);
      }
      out.flush();
      if (!out) throw IoError("cannot write " + temp.string());
    }
    fsync_path(temp);
    durable_rename(temp, target);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
}

}  // namespace cagcl::model
