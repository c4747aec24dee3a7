// libFuzzer harness: an .npz (zip) archive (data/npz/npz_archive.hpp) from arbitrary bytes, every array read.
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "data/npz/npz_archive.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cagcl::fuzz::InputFile input("npz", "input.npz", data, size);  // libzip opens archives by path
  try {
    const auto archive = cagcl::data::npz::NpzArchive::open(input.path());
    for (const std::string& name : archive.array_names()) {
      try {
        archive.read(name).as_float();
      } catch (const cagcl::Error&) {  // one bad member must not hide the others from the fuzzer
      }
    }
  } catch (const cagcl::Error&) {
  }
  return 0;
}
