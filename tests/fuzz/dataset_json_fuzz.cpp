// libFuzzer harness: a dataset directory's dataset.json (data/manifest.hpp).
#include <cstdint>
#include <cstdlib>

#include "common/error.hpp"
#include "data/manifest.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cagcl::data::Manifest;
  const cagcl::fuzz::InputFile input("dataset", cagcl::data::kManifestFileName, data, size);
  Manifest manifest;
  try {
    manifest = Manifest::load(input.path());
  } catch (const cagcl::Error&) {
    return 0;
  }
  // What was accepted must survive a save: to_json of it is a manifest that loads again.
  try {
    Manifest::from_json(manifest.to_json(), "round trip");
  } catch (const cagcl::Error&) {
    std::abort();
  }
  return 0;
}
