// libFuzzer harness: a YAML configuration file (config/config.hpp) loaded as `--config FILE` does (its
// `base:` preset included), then compared with the tiny preset the way resume compares configurations
// (trainer/config_compatibility.hpp).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "config/config.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"
#include "trainer/config_compatibility.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string tiny = cagcl::to_yaml(cagcl::load_config("tiny"));
  const cagcl::fuzz::InputFile input("config", "config.yaml", data, size);
  std::string yaml;
  try {
    yaml = cagcl::to_yaml(cagcl::load_config(input.path().string()));
    cagcl::trainer::config_differences(yaml, tiny);
  } catch (const cagcl::Error&) {
    return 0;
  }
  // The resolved configuration is saved with checkpoints and by `cagcl config`: it must load again, unchanged.
  try {
    cagcl::Config reloaded;
    cagcl::apply_yaml(reloaded, yaml, "round trip");
    if (cagcl::to_yaml(reloaded) != yaml || !cagcl::trainer::config_differences(yaml, yaml).empty()) std::abort();
  } catch (const cagcl::Error&) {
    std::abort();
  }
  return 0;
}
