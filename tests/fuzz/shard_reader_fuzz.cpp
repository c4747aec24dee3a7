// libFuzzer harness: an HDF5 shard (data/shard_reader.hpp) opened from arbitrary bytes, every sample read.
#include <cstdint>

#include "common/error.hpp"
#include "data/shard_reader.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cagcl::fuzz::InputFile input("shard", "shard.h5", data, size);  // HDF5 opens files by path
  try {
    const cagcl::data::ShardReader reader(input.path());
    for (int64_t i = 0; i < reader.size(); ++i) {
      reader.read(i);
      reader.read_metadata(i);
    }
    reader.storage();
  } catch (const cagcl::Error&) {
  }
  return 0;
}
