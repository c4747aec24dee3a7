// libFuzzer harness: a whole safetensors file in memory (model/safetensors_header.hpp): length, header, byte
// ranges against the file, BOOL bytes.
#include <cstdint>
#include <cstdlib>

#include "common/error.hpp"
#include "model/safetensors_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto header = cagcl::model::check_safetensors_file(data, size, "fuzz.safetensors");
    // An accepted file's tensors tile its data section exactly.
    uint64_t bytes = 0;
    for (const auto& [name, entry] : header.tensors) bytes += entry.end - entry.begin;
    if (header.data_start > size || bytes != size - header.data_start) std::abort();
  } catch (const cagcl::Error&) {
  }
  return 0;
}
