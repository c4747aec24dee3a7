#include "model/safetensors_header.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "common/error.hpp"
#include "common/json_file.hpp"

namespace cagcl::model {
namespace {

constexpr const char* kMetadataKey = "__metadata__";

struct DtypeSize {
  const char* name;
  uint64_t size;
};

// Every dtype of the format, LibTorch's or not: the byte ranges of all of them are checked.
constexpr std::array<DtypeSize, 15> kDtypeSizes = {{
    {"BOOL", 1},
    {"U8", 1},
    {"I8", 1},
    {"I16", 2},
    {"I32", 4},
    {"I64", 8},
    {"F16", 2},
    {"BF16", 2},
    {"F32", 4},
    {"F64", 8},
    {"U16", 2},
    {"U32", 4},
    {"U64", 8},
    {"F8_E4M3", 1},
    {"F8_E5M2", 1},
}};

std::string range_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

uint64_t non_negative_integer(const nlohmann::json& value, const std::string& context) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  throw DataError(context + ": expected a non-negative integer, got " + json_excerpt(value));
}

// nlohmann keeps the last of two equal keys silently; a header naming a tensor twice is corrupt. The nesting
// depth is bounded by parse_json_text (a crafted header nesting arrays deeply made `cagcl export` crash).
nlohmann::json parse_header_json(const uint8_t* begin, const uint8_t* end, const std::string& context) {
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
  const std::string_view text(reinterpret_cast<const char*>(begin), static_cast<size_t>(end - begin));
  const nlohmann::json header = parse_json_text(text, context + ": safetensors header", reject_duplicates);
  if (!duplicate.empty()) throw DataError(context + ": safetensors header names '" + duplicate + "' twice");
  if (!header.is_object()) throw DataError(context + ": safetensors header is not a JSON object");
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
  const uint64_t element_size = safetensors_dtype_size(entry.dtype);
  if (element_size == 0) throw DataError(context + ": unknown dtype '" + entry.dtype + "'");

  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) throw DataError(context + ": missing or non-array 'shape'");
  // The element count must not overflow: the byte size below is compared with the offsets, and a wrapped
  // product could match a small range.
  unsigned __int128 bytes = element_size;
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
    throw DataError(context + ": data_offsets " + range_text(entry.begin, entry.end) + " end before begin");
  }
  if (bytes != static_cast<unsigned __int128>(entry.end - entry.begin)) {
    std::string dims;
    for (auto d : entry.shape) dims += (dims.empty() ? "" : ",") + std::to_string(d);
    throw DataError(context + ": shape [" + dims + "] x " + entry.dtype + " does not match data_offsets " +
                    range_text(entry.begin, entry.end) + " (" + std::to_string(entry.end - entry.begin) + " bytes)");
  }
  return entry;
}

}  // namespace

uint64_t safetensors_dtype_size(const std::string& dtype) {
  for (const auto& d : kDtypeSizes) {
    if (dtype == d.name) return d.size;
  }
  return 0;
}

std::string safetensors_tensor_context(const std::string& context, const std::string& tensor) {
  return context + ": tensor '" + tensor + "'";
}

uint64_t safetensors_header_length(const uint8_t* first_bytes, uint64_t file_size, const std::string& context) {
  if (file_size < 8) {
    throw DataError(context + ": truncated safetensors file (" + std::to_string(file_size) +
                    " bytes; the 8-byte header length alone is longer)");
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | first_bytes[static_cast<size_t>(i)];
  if (header_size > kMaxSafetensorsHeaderBytes) {
    throw DataError(context + ": safetensors header size " + std::to_string(header_size) + " exceeds the limit of " +
                    std::to_string(kMaxSafetensorsHeaderBytes) + " bytes (corrupt file?)");
  }
  if (header_size > file_size - 8) {
    throw DataError(context + ": safetensors header of " + std::to_string(header_size) +
                    " bytes runs past the end of the file (" + std::to_string(file_size) + " bytes; truncated file?)");
  }
  return header_size;
}

SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& context) {
  const uint64_t header_size = safetensors_header_length(data, size, context);
  const uint8_t* text = data + 8;
  if (header_size == 0 || text[0] != '{') throw DataError(context + ": safetensors header does not start with '{'");
  const nlohmann::json json = parse_header_json(text, text + header_size, context);

  SafetensorsHeader header;
  header.data_start = 8 + header_size;
  for (const auto& item : json.items()) {
    if (item.key() == kMetadataKey) {
      if (!item.value().is_object()) throw DataError(context + ": __metadata__ is not a JSON object");
      for (const auto& meta : item.value().items()) {
        if (!meta.value().is_string()) {
          throw DataError(context + ": __metadata__ '" + meta.key() + "' is not a string");
        }
        header.metadata[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    header.tensors[item.key()] = parse_entry(item.value(), safetensors_tensor_context(context, item.key()));
  }
  return header;
}

// Sorted by offset, each range starts where the previous ended and the last ends at the end of the file. This
// rules out overlaps (two tensors aliasing the same bytes), holes, and ranges past the end of a truncated file.
void check_safetensors_ranges(const SafetensorsHeader& header, uint64_t data_size, const std::string& context) {
  std::vector<std::pair<const std::string*, const SafetensorsEntry*>> order;
  for (const auto& [name, entry] : header.tensors) order.emplace_back(&name, &entry);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second->begin, a.second->end, *a.first) < std::tie(b.second->begin, b.second->end, *b.first);
  });
  uint64_t expected = 0;
  const std::string* previous = nullptr;
  for (const auto& [name, entry] : order) {
    const std::string where = safetensors_tensor_context(context, *name);
    const std::string range = range_text(entry->begin, entry->end);
    if (entry->begin < expected) {
      throw DataError(where + ": data_offsets " + range + " overlap tensor '" + *previous + "' (which ends at " +
                      std::to_string(expected) + ")");
    }
    if (entry->begin > expected) {
      throw DataError(where + ": data_offsets " + range + " leave bytes [" + std::to_string(expected) + ", " +
                      std::to_string(entry->begin) + ") of the data section unused");
    }
    if (entry->end > data_size) {
      throw DataError(where + ": data_offsets " + range + " run past the end of the file (data section " +
                      std::to_string(data_size) + " bytes; truncated file?)");
    }
    expected = entry->end;
    previous = name;
  }
  if (expected != data_size) {
    throw DataError(context + ": " + std::to_string(data_size - expected) +
                    " bytes after the last tensor belong to no tensor");
  }
}

void check_safetensors_bool_bytes(const uint8_t* bytes, uint64_t size, const std::string& tensor_context) {
  for (uint64_t i = 0; i < size; ++i) {
    if (bytes[i] > 1) {
      throw DataError(tensor_context + ": BOOL byte " + std::to_string(i) + " is " + std::to_string(bytes[i]) +
                      ", not 0 or 1");
    }
  }
}

SafetensorsHeader check_safetensors_file(const uint8_t* data, size_t size, const std::string& context) {
  SafetensorsHeader header = parse_safetensors_header(data, size, context);
  check_safetensors_ranges(header, size - header.data_start, context);
  const uint8_t* section = data + header.data_start;
  for (const auto& [name, entry] : header.tensors) {
    if (entry.dtype == "BOOL") {
      check_safetensors_bool_bytes(section + entry.begin, entry.end - entry.begin,
                                   safetensors_tensor_context(context, name));
    }
  }
  return header;
}

}  // namespace cagcl::model
