#pragma once
// Zero-shot abnormality scores from embeddings (METHOD.md): for a finding on anatomy a,
//   score = softmax([v_a . t_neg, v_a . t_pos] / tau)[pos] = sigmoid((v_a . t_pos - v_a . t_neg) / tau).
// An anatomy absent from the volume, or dropped because less than 90 % of it fits the evaluation window,
// has no embedding: its findings score 0 (fVLM's rule), and the report counts them.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/protocol.hpp"
#include "eval/score_table.hpp"

namespace cagcl::eval {

enum class AnatomyStatus : uint8_t {
  present = 0,
  absent = 1,   // no voxel of the anatomy in the volume
  partial = 2,  // less than the required fraction of it inside the evaluation window: dropped
};

// Per-anatomy image embeddings of the evaluated volumes, in evaluation order.
struct VolumeEmbeddings {
  int64_t volumes = 0, anatomies = 0, dim = 0;
  std::vector<float> v;         // [volumes, anatomies, dim], L2-normalised rows (any value when not present)
  std::vector<uint8_t> status;  // [volumes, anatomies] AnatomyStatus
  std::vector<std::vector<uint8_t>> labels;  // [volumes][dataset label columns] ground truth
};

// Text embeddings of one template family: row f is finding f of the protocol.
struct PromptEmbeddings {
  int64_t findings = 0, dim = 0;
  std::vector<float> positive, negative;  // [findings, dim]
};

double zero_shot_score(const float* v, const float* positive, const float* negative, int64_t dim, double tau);

// The protocol's label scores and ground truths for every volume. `anatomies` is the dataset's list (the
// embedding's anatomy axis); `truth` comes from truth_columns(). UsageError when shapes disagree.
ScoreTable score_protocol(const Protocol& protocol, const std::vector<std::string>& anatomies,
                          const VolumeEmbeddings& images, const PromptEmbeddings& prompts, double tau,
                          const std::vector<std::vector<size_t>>& truth);

// Volumes whose anatomy `a` has the given status.
int64_t count_status(const VolumeEmbeddings& images, int64_t anatomy, AnatomyStatus status);

}  // namespace cagcl::eval
