#pragma once
// The safetensors format (HuggingFace): 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}},
// then the tensors' raw little-endian bytes, offsets relative to the end of the header. Checkpoints, exported
// models and published BERT weights all use it. Files come from outside, so the reader checks every size,
// dtype and offset against the file before it touches any data (docs/model.md lists the checks); those checks
// are LibTorch-free and live in model/safetensors_header.hpp.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/safetensors_header.hpp"  // SafetensorsHeader, SafetensorsEntry, kMaxSafetensorsHeaderBytes

namespace cagcl::model {

using TensorMap = std::map<std::string, torch::Tensor>;

// Reads and checks the header only (no tensor data). DataError naming the file (and tensor) on any
// inconsistency, IoError when the file cannot be read.
SafetensorsHeader read_safetensors_header(const std::string& path);

// Reads every tensor (CPU, contiguous, the file's dtype). Dtypes: BOOL U8 I8 I16 I32 I64 F16 BF16 F32 F64;
// a dtype LibTorch has no type for (U16, U32, U64, F8_*) is a DataError naming it and the tensor.
TensorMap read_safetensors(const std::string& path);
// The same plus the header's "__metadata__".
TensorMap read_safetensors(const std::string& path, std::map<std::string, std::string>& metadata);

// Writes `tensors` (any device, any layout; copied to contiguous CPU) atomically: temporary sibling, fsync,
// rename. Deterministic: tensors in name order, JSON keys sorted, header padded with spaces to 8 bytes.
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The safetensors dtype string of a LibTorch dtype; Error for types the format has no name for.
std::string safetensors_dtype(torch::ScalarType type);

}  // namespace cagcl::model
