#include "eval/linear_probe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "common/error.hpp"
#include "eval/metrics.hpp"

namespace cagcl::eval {
namespace {

// n points in `dim` dimensions; the label is the sign of feature 1 (plus noise when `noise` > 0).
void make_data(int n, int dim, double noise, uint32_t seed, std::vector<float>& x, std::vector<uint8_t>& y) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  for (int i = 0; i < n; ++i) {
    double f1 = 0;
    for (int d = 0; d < dim; ++d) {
      const double value = normal(rng);
      if (d == 1) f1 = value;
      x.push_back(static_cast<float>(value));
    }
    y.push_back(f1 + noise * normal(rng) > 0 ? 1 : 0);
  }
}

TEST(LinearProbe, SeparatesALinearlySeparableFindingAndNotRandomLabels) {
  std::vector<float> xt, xe;
  std::vector<uint8_t> yt, ye;
  make_data(200, 8, 0.0, 1, xt, yt);
  make_data(100, 8, 0.0, 2, xe, ye);
  EXPECT_GT(roc_auc(fit_and_score_logistic(xt, yt, xe, 8, {}), ye), 0.98);
  // Labels unrelated to the features: the probe cannot do better than chance on new data.
  std::vector<uint8_t> shuffled = yt;
  std::mt19937 rng(3);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::vector<uint8_t> unrelated(ye.size());
  for (size_t i = 0; i < unrelated.size(); ++i) unrelated[i] = static_cast<uint8_t>((i * 7919) % 3 == 0);
  EXPECT_NEAR(roc_auc(fit_and_score_logistic(xt, shuffled, xe, 8, {}), unrelated), 0.5, 0.15);
}

TEST(LinearProbe, UsesOnlyVolumesWhereTheFindingsAnatomyIsPresent) {
  // fvlm16's Hiatal hernia is probed on the esophagus (anatomy 2 of lung, heart, esophagus, aorta); volumes
  // without an esophagus are left out of both the fit and the score.
  const Protocol protocol = protocol_by_name("fvlm16");
  const std::vector<std::string> anatomies = {"lung", "heart", "esophagus", "aorta"};
  std::vector<std::string> labels;
  for (const auto& f : protocol.findings) labels.push_back(f.name);
  const auto embeddings = [&](int volumes, uint32_t seed) {
    VolumeEmbeddings e;
    e.volumes = volumes, e.anatomies = 4, e.dim = 3;
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    for (int i = 0; i < volumes; ++i) {
      std::vector<uint8_t> truth(labels.size(), static_cast<uint8_t>(i % 2));
      e.labels.push_back(truth);
      for (int a = 0; a < 4; ++a) {
        const bool absent = a == 2 && i % 5 == 0;
        e.status.push_back(static_cast<uint8_t>(absent ? AnatomyStatus::absent : AnatomyStatus::present));
        for (int d = 0; d < 3; ++d)
          e.v.push_back(static_cast<float>((d == 0 ? (i % 2 ? 1.0 : -1.0) : 0.0) + 0.3 * normal(rng)));
      }
    }
    return e;
  };
  const auto results = linear_probe(protocol, anatomies, labels, embeddings(40, 1), embeddings(20, 2));
  ASSERT_EQ(results.size(), protocol.findings.size());
  for (const auto& r : results) {
    if (r.anatomy == "esophagus") {
      EXPECT_EQ(r.train_samples, 32);
      EXPECT_EQ(r.eval_samples, 16);
    } else {
      EXPECT_EQ(r.train_samples, 40);
    }
    EXPECT_GT(r.auc, 0.95) << r.finding;
  }
  EXPECT_THROW(linear_probe(protocol, anatomies, {"Lung nodule"}, embeddings(4, 1), embeddings(4, 2)), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
