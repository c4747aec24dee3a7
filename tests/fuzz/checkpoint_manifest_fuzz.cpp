// libFuzzer harness: a checkpoint's manifest.json (trainer/checkpoint_manifest.hpp), loaded from a step
// directory as resume does.
#include <cstdint>
#include <cstdlib>

#include "common/error.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"
#include "trainer/checkpoint_manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cagcl::trainer::CheckpointManifest;
  const cagcl::fuzz::InputFile input("checkpoint", cagcl::trainer::kCheckpointManifestName, data, size);
  CheckpointManifest manifest;
  try {
    manifest = CheckpointManifest::load(input.dir());
  } catch (const cagcl::Error&) {
    return 0;
  }
  // What was accepted must survive a save: to_json of it is a manifest that loads again.
  try {
    CheckpointManifest::from_json(manifest.to_json(), "round trip");
  } catch (const cagcl::Error&) {
    std::abort();
  }
  return 0;
}
