#pragma once
// The LibTorch-free half of the safetensors reader (model/safetensors.hpp has the format): the 8-byte header
// length, the JSON header, and every check of it against the file, on bytes in memory. read_safetensors uses
// these functions, so there is one implementation of the checks; they are also what the sanitizer and fuzzing
// builds (cagcl_core, no LibTorch) exercise. Every failure is a DataError whose message starts with `context`
// (the file name) and names the tensor where there is one.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cagcl::model {

// The header size the reader accepts at most (the reference implementation's limit): a larger value is a
// corrupt or hostile file, not a model.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// One tensor's entry in the header, already checked against the file.
struct SafetensorsEntry {
  std::string dtype;  // "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte range in the data section
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::map<std::string, SafetensorsEntry> tensors;
  std::map<std::string, std::string> metadata;  // "__metadata__"
  uint64_t data_start = 0;                      // file offset of the data section (8 + N)
};

// Bytes per element of a dtype of the format ("F32" -> 4, also U16/U32/U64/F8_* that LibTorch cannot load);
// 0 for a name the format does not have.
uint64_t safetensors_dtype_size(const std::string& dtype);

// "FILE: tensor 'NAME'", the prefix of every message about one tensor.
std::string safetensors_tensor_context(const std::string& context, const std::string& tensor);

// The header length N from the file's first bytes (`first_bytes` holds min(8, file_size) of them), checked
// against kMaxSafetensorsHeaderBytes and against `file_size` (8 + N bytes must exist).
uint64_t safetensors_header_length(const uint8_t* first_bytes, uint64_t file_size, const std::string& context);

// Parses the start of a file: `data` holds `size` bytes, the whole file or at least its first 8 + N. Checks
// the length, the JSON (duplicate names included), every entry's fields, dtype, shape and data_offsets
// (shape x dtype size = end - begin, without overflow) and __metadata__ (string values only). It does not
// look past the header: check_safetensors_ranges checks the offsets against the data section.
SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size, const std::string& context);

// The tensors' byte ranges must tile a data section of `data_size` bytes exactly: no overlap, no hole, nothing
// past the end (a truncated file), no bytes after the last tensor.
void check_safetensors_ranges(const SafetensorsHeader& header, uint64_t data_size, const std::string& context);

// A BOOL tensor's bytes must each be 0 or 1 (anything else is undefined behaviour for LibTorch's kernels).
// `tensor_context` is safetensors_tensor_context(file, name).
void check_safetensors_bool_bytes(const uint8_t* bytes, uint64_t size, const std::string& tensor_context);

// A whole file in memory: parse_safetensors_header, check_safetensors_ranges against the rest of `data`, and
// the bytes of every BOOL tensor. Returns the header.
SafetensorsHeader check_safetensors_file(const uint8_t* data, size_t size, const std::string& context);

}  // namespace cagcl::model
