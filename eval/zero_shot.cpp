#include "eval/zero_shot.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace cagcl::eval {

double zero_shot_score(const float* v, const float* positive, const float* negative, int64_t dim, double tau) {
  double pos = 0, neg = 0;
  for (int64_t i = 0; i < dim; ++i) pos += double(v[i]) * positive[i], neg += double(v[i]) * negative[i];
  // The two-way softmax as a logistic of the difference: no overflow for any tau.
  return 1.0 / (1.0 + std::exp(-(pos - neg) / tau));
}

ScoreTable score_protocol(const Protocol& protocol, const std::vector<std::string>& anatomies,
                          const VolumeEmbeddings& images, const PromptEmbeddings& prompts, double tau,
                          const std::vector<std::vector<size_t>>& truth) {
  const int64_t N = images.volumes, A = images.anatomies, E = images.dim;
  if (static_cast<int64_t>(anatomies.size()) != A || static_cast<int64_t>(images.v.size()) != N * A * E ||
      static_cast<int64_t>(images.status.size()) != N * A || static_cast<int64_t>(images.labels.size()) != N)
    throw UsageError("score_protocol: image embeddings do not match their declared shape");
  if (prompts.findings != static_cast<int64_t>(protocol.findings.size()) || prompts.dim != E ||
      static_cast<int64_t>(prompts.positive.size()) != prompts.findings * E ||
      static_cast<int64_t>(prompts.negative.size()) != prompts.findings * E)
    throw UsageError("score_protocol: prompt embeddings do not match the protocol's findings");
  if (truth.size() != protocol.labels.size()) throw UsageError("score_protocol: one truth entry per label needed");
  if (!(tau > 0)) throw UsageError("score_protocol: temperature must be > 0");

  // Scores of each finding first, then the reported labels from them.
  std::vector<std::vector<double>> finding_score(protocol.findings.size(), std::vector<double>(N, 0.0));
  for (size_t f = 0; f < protocol.findings.size(); ++f) {
    const auto it = std::find(anatomies.begin(), anatomies.end(), protocol.findings[f].anatomy);
    if (it == anatomies.end())
      throw UsageError("score_protocol: anatomy '" + protocol.findings[f].anatomy + "' not in the anatomy list");
    const int64_t a = it - anatomies.begin();
    for (int64_t n = 0; n < N; ++n) {
      if (images.status[n * A + a] != static_cast<uint8_t>(AnatomyStatus::present)) continue;  // score 0
      finding_score[f][n] =
          zero_shot_score(&images.v[(n * A + a) * E], &prompts.positive[f * E], &prompts.negative[f * E], E, tau);
    }
  }
  const auto finding_index = [&](const std::string& name) {
    for (size_t f = 0; f < protocol.findings.size(); ++f)
      if (protocol.findings[f].name == name) return f;
    throw UsageError("score_protocol: protocol " + protocol.name + " has no finding '" + name + "'");
  };
  ScoreTable table;
  for (size_t l = 0; l < protocol.labels.size(); ++l) {
    const auto& label = protocol.labels[l];
    LabelScores out;
    out.name = label.name;
    out.score.resize(N);
    out.truth.resize(N);
    for (int64_t n = 0; n < N; ++n) {
      if (label.findings.size() == 2) {
        out.score[n] = merge_calcification(finding_score[finding_index(label.findings[0])][n],
                                           finding_score[finding_index(label.findings[1])][n]);
      } else {
        out.score[n] = finding_score[finding_index(label.findings.at(0))][n];
      }
      uint8_t positive = 0;
      for (size_t column : truth[l]) {
        if (column >= images.labels[n].size())
          throw UsageError("score_protocol: volume " + std::to_string(n) + " has no label column " +
                           std::to_string(column));
        positive |= images.labels[n][column] ? 1 : 0;
      }
      out.truth[n] = positive;
    }
    table.push_back(std::move(out));
  }
  return table;
}

int64_t count_status(const VolumeEmbeddings& images, int64_t anatomy, AnatomyStatus status) {
  int64_t count = 0;
  for (int64_t n = 0; n < images.volumes; ++n)
    count += images.status[n * images.anatomies + anatomy] == static_cast<uint8_t>(status) ? 1 : 0;
  return count;
}

}  // namespace cagcl::eval
