// libFuzzer harness: a .npy array (data/npz/npy_array.hpp) from arbitrary bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "data/npz/npy_array.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const cagcl::data::npz::NpyArray array = cagcl::data::npz::parse_npy(bytes, "fuzz.npy");
    // as_float reads elements() items from `data`; parse_npy promised that many bytes are there.
    if (array.as_float().size() != static_cast<size_t>(array.elements())) std::abort();
  } catch (const cagcl::Error&) {
  }
  return 0;
}
