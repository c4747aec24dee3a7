#pragma once
// Whether a checkpoint's configuration can be resumed under the current one. Keys that fix the model's tensor
// shapes (or what the tensors mean: the anatomy list, the token length) must be equal; any other difference
// (learning rate, steps, batch size, loader threads...) is allowed and listed.
#include <string>
#include <vector>

namespace cagcl::trainer {

struct ConfigDifference {
  std::string key;  // "vision.width"
  std::string saved, current;
};

// Keys whose difference makes a checkpoint unusable.
const std::vector<std::string>& shape_keys();
// Every key whose value differs between two to_yaml() texts, in key order.
std::vector<ConfigDifference> config_differences(const std::string& saved_yaml, const std::string& current_yaml);
// UsageError naming every differing shape key ("vision.width: 128 in the checkpoint, 64 now") when any differs.
// Returns the other differences, for the log.
std::vector<ConfigDifference> check_resume_compatible(const std::string& saved_yaml, const std::string& current_yaml,
                                                      const std::string& checkpoint);

}  // namespace cagcl::trainer
