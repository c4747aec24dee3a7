// libFuzzer harness: the JSON header of a safetensors file (model/safetensors_header.hpp). The input is the
// JSON text; the harness prefixes its length, which random bytes would almost never get right.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "model/safetensors_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> file(8 + size);
  for (size_t i = 0; i < 8; ++i) file[i] = static_cast<uint8_t>(static_cast<uint64_t>(size) >> (8 * i));
  std::copy(data, data + size, file.begin() + 8);
  try {
    const auto header = cagcl::model::parse_safetensors_header(file.data(), file.size(), "fuzz.safetensors");
    if (header.data_start != file.size()) std::abort();
    for (const auto& [name, entry] : header.tensors) {
      if (cagcl::model::safetensors_dtype_size(entry.dtype) == 0 || entry.end < entry.begin) std::abort();
    }
  } catch (const cagcl::Error&) {
  }
  return 0;
}
