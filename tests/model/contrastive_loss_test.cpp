// The CA-GCL losses against hand-computed values and an independent plain-loop implementation of
// docs/losses.md, their soft targets, the fVLM options (skip of all-normal anatomies, sum/mean, w_global = 0),
// and the local-rows form: the rows of W simulated ranks sum to the full loss and gradient.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "comm/self_communicator.hpp"
#include "common/error.hpp"
#include "model/contrastive_loss.hpp"
#include "model/contrastive_targets.hpp"
#include "model/instances.hpp"
#include "model/text_collapse.hpp"

namespace cagcl::model {
namespace {

std::shared_ptr<Communicator> self() { return std::make_shared<SelfCommunicator>(); }

torch::Tensor scalar(double x) { return torch::tensor(x, torch::kDouble); }

LossConfig options(double w_local, double w_global, bool skip = true, const std::string& reduction = "sum") {
  LossConfig c;
  c.w_local = w_local;
  c.w_global = w_global;
  c.skip_all_normal_anatomy = skip;
  c.local_reduction = reduction;
  return c;
}

// Instances from plain values (double precision, so loop references compare at 1e-12).
Instances make(const std::vector<std::vector<double>>& v, const std::vector<std::vector<double>>& t,
               const std::vector<int64_t>& anatomy, const std::vector<bool>& normal,
               const std::vector<int64_t>& text_id) {
  const int64_t n = static_cast<int64_t>(v.size()), e = n ? static_cast<int64_t>(v[0].size()) : 2;
  auto to_tensor = [&](const std::vector<std::vector<double>>& rows) {
    auto out = torch::zeros({n, e}, torch::kDouble);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < e; ++k) out[i][k] = rows[i][k];
    return out;
  };
  auto flags = torch::zeros({n}, torch::kBool);
  for (int64_t i = 0; i < n; ++i) flags[i] = static_cast<bool>(normal[i]);
  return {to_tensor(v), to_tensor(t), torch::tensor(anatomy, torch::kLong).reshape({n}), flags,
          torch::tensor(text_id, torch::kLong).reshape({n})};
}

// ---- independent reference: plain loops over std::vector, straight from the definitions ----
struct Plain {
  std::vector<std::vector<double>> v, t;
  std::vector<int64_t> anatomy, text_id;
  std::vector<bool> normal;
};

Plain plain_of(const Instances& x) {
  Plain p;
  const auto v = x.v.detach().to(torch::kDouble), t = x.t.detach().to(torch::kDouble);
  for (int64_t i = 0; i < x.v.size(0); ++i) {
    p.v.emplace_back(v[i].data_ptr<double>(), v[i].data_ptr<double>() + v.size(1));
    p.t.emplace_back(t[i].data_ptr<double>(), t[i].data_ptr<double>() + t.size(1));
    p.anatomy.push_back(x.anatomy[i].item<int64_t>());
    p.normal.push_back(x.normal[i].item<bool>());
    p.text_id.push_back(x.text_id[i].item<int64_t>());
  }
  return p;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

bool positive(const Plain& p, size_t i, size_t j) {
  return i == j || (p.anatomy[i] == p.anatomy[j] && ((p.normal[i] && p.normal[j]) || p.text_id[i] == p.text_id[j]));
}

// 1/2 [CE(s, Y') + CE(s^T, Y'^T)] over the instances `idx`, each CE averaged over its rows.
double symmetric_soft_ce(const Plain& p, const std::vector<size_t>& idx, double tau) {
  double total = 0;
  for (int direction = 0; direction < 2; ++direction) {
    for (size_t i : idx) {
      std::vector<double> logits;
      double positives = 0;
      for (size_t j : idx) {
        logits.push_back(direction == 0 ? dot(p.v[i], p.t[j]) / tau : dot(p.t[i], p.v[j]) / tau);
        positives += positive(p, i, j);
      }
      double max = -1e300;
      for (double l : logits) max = std::max(max, l);
      double sum = 0;
      for (double l : logits) sum += std::exp(l - max);
      const double log_z = max + std::log(sum);
      for (size_t k = 0; k < idx.size(); ++k)
        if (positive(p, i, idx[k])) total -= (1.0 / positives) * (logits[k] - log_z) / static_cast<double>(idx.size());
    }
  }
  return total / 2;
}

double reference_local(const Plain& p, double tau, bool skip, bool mean) {
  double sum = 0;
  int taking_part = 0;
  for (int64_t a = 0; a < 16; ++a) {
    std::vector<size_t> idx;
    bool abnormal = false;
    for (size_t i = 0; i < p.anatomy.size(); ++i)
      if (p.anatomy[i] == a) {
        idx.push_back(i);
        abnormal = abnormal || !p.normal[i];
      }
    if (idx.empty() || (skip && !abnormal)) continue;
    sum += symmetric_soft_ce(p, idx, tau);
    ++taking_part;
  }
  return mean && taking_part ? sum / taking_part : sum;
}

double reference_global(const Plain& p, double tau) {
  std::vector<size_t> idx(p.anatomy.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  return symmetric_soft_ce(p, idx, tau);
}

// A global batch with every kind of pair: 3 anatomies, normal-normal pairs, shared text ids within an anatomy
// and across anatomies, an anatomy (2) without abnormal instance.
Instances mixed_batch(int64_t dim = 5, torch::ScalarType dtype = torch::kDouble) {
  torch::manual_seed(3);
  const int64_t n = 11;
  auto v = torch::nn::functional::normalize(torch::randn({n, dim}, dtype),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto t = torch::nn::functional::normalize(torch::randn({n, dim}, dtype),
                                            torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto anatomy = torch::tensor({0, 1, 2, 0, 1, 0, 2, 1, 0, 1, 0}, torch::kLong);
  auto normal = torch::tensor({0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0}, torch::kLong).to(torch::kBool);
  auto text_id = torch::tensor({10, 21, 32, 13, 24, 10, 32, 21, 18, 24, 21}, torch::kLong);
  return {v, t, anatomy, normal, text_id};
}

// ---- hand-computed values ----

TEST(ContrastiveLoss, TwoAbnormalInstancesGiveTheHandComputedLocalLoss) {
  // Orthogonal pairs, tau = 1: logits [[1,0],[0,1]]; each row's CE is log(1 + e^-1) in both directions.
  const auto x = make({{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}, {0, 0}, {false, false}, {1, 2});
  const auto terms = ca_gcl_loss(self(), x, scalar(1), scalar(1), options(1, 0));
  EXPECT_NEAR(terms.local.item<double>(), 0.31326168751822286, 1e-12);  // log(1 + e^-1)
  // tau divides the logits: tau = 0.5 gives logits [[2,0],[0,2]].
  const auto sharper = ca_gcl_loss(self(), x, scalar(0.5), scalar(0.5), options(1, 0));
  EXPECT_NEAR(sharper.local.item<double>(), 0.12692801104297263, 1e-12);  // log(1 + e^-2)
}

TEST(ContrastiveLoss, NormalNormalPairIsAPositiveWithHalfTheTarget) {
  // Both normal: Y = all ones, Y' = 1/2 everywhere; row CE = -(1/2)(1 - log(1+e)) - (1/2)(0 - log(1+e)).
  const auto x = make({{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}, {0, 0}, {true, true}, {1, 2});
  const auto terms = ca_gcl_loss(self(), x, scalar(1), scalar(1), options(1, 0, /*skip=*/false));
  EXPECT_NEAR(terms.local.item<double>(), std::log(1 + std::exp(1.0)) - 0.5, 1e-12);
  // The same pair with the same text id and no normal flag: same targets, same loss.
  const auto same_text = make({{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}, {0, 0}, {false, false}, {7, 7});
  EXPECT_NEAR(ca_gcl_loss(self(), same_text, scalar(1), scalar(1), options(1, 0)).local.item<double>(),
              std::log(1 + std::exp(1.0)) - 0.5, 1e-12);
}

TEST(ContrastiveLoss, DifferentAnatomiesAreNegativesInTheGlobalLossEvenWithTheSameText) {
  // One instance per anatomy, both normal, same text id: the local loss has one column per anatomy (CE 0),
  // the global loss sees two columns and the other anatomy is a negative: log(1 + e^-1).
  const auto x = make({{1, 0}, {0, 1}}, {{1, 0}, {0, 1}}, {0, 1}, {true, true}, {5, 5});
  const auto terms = ca_gcl_loss(self(), x, scalar(1), scalar(1), options(1, 1, /*skip=*/false));
  EXPECT_NEAR(terms.local.item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(terms.global.item<double>(), 0.31326168751822286, 1e-12);
  EXPECT_NEAR(terms.total.item<double>(), 0.31326168751822286, 1e-12);
}

// ---- against the plain-loop reference ----

TEST(ContrastiveLoss, LocalAndGlobalLossesMatchThePlainLoopReference) {
  const auto x = mixed_batch();
  const auto p = plain_of(x);
  for (bool skip : {true, false})
    for (bool mean : {false, true}) {
      const auto terms =
          ca_gcl_loss(self(), x, scalar(0.07), scalar(0.2), options(0.7, 1.3, skip, mean ? "mean" : "sum"));
      const double local = reference_local(p, 0.07, skip, mean), global = reference_global(p, 0.2);
      EXPECT_NEAR(terms.local.item<double>(), local, 1e-10) << "skip " << skip << " mean " << mean;
      EXPECT_NEAR(terms.global.item<double>(), global, 1e-10);
      EXPECT_NEAR(terms.total.item<double>(), 0.7 * local + 1.3 * global, 1e-10);
    }
}

TEST(ContrastiveLoss, SkipDropsExactlyTheAnatomiesWithoutAbnormalInstance) {
  const auto x = mixed_batch();
  // Anatomy 2 is all normal: with skip its instances change nothing, without skip they add their own term.
  const auto with_skip = ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 0, true)).local.item<double>();
  const auto without = ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 0, false)).local.item<double>();
  const auto keep = torch::nonzero(x.anatomy != 2).squeeze(1);
  const Instances others{x.v.index_select(0, keep), x.t.index_select(0, keep), x.anatomy.index_select(0, keep),
                         x.normal.index_select(0, keep), x.text_id.index_select(0, keep)};
  EXPECT_NEAR(with_skip,
              ca_gcl_loss(self(), others, scalar(0.1), scalar(0.1), options(1, 0, false)).local.item<double>(), 1e-12);
  const auto p = plain_of(x);
  std::vector<size_t> anatomy2;
  for (size_t i = 0; i < p.anatomy.size(); ++i)
    if (p.anatomy[i] == 2) anatomy2.push_back(i);
  EXPECT_NEAR(without - with_skip, symmetric_soft_ce(p, anatomy2, 0.1), 1e-10);
  EXPECT_GT(without - with_skip, 0.0);
}

TEST(ContrastiveLoss, MeanReductionDividesByTheAnatomiesThatTookPart) {
  const auto x = mixed_batch();
  const double sum = ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 0, true, "sum")).local.item<double>();
  const double mean =
      ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 0, true, "mean")).local.item<double>();
  EXPECT_NEAR(mean, sum / 2, 1e-12);  // anatomies 0 and 1 take part, 2 is skipped
  const double sum3 =
      ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 0, false, "sum")).local.item<double>();
  const double mean3 =
      ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 0, false, "mean")).local.item<double>();
  EXPECT_NEAR(mean3, sum3 / 3, 1e-12);
}

TEST(ContrastiveLoss, RowWithOnlyItselfAsPositiveIsPlainInfoNce) {
  // One anatomy, all abnormal, distinct texts: targets are one-hot, so the loss is CLIP's symmetric InfoNCE.
  torch::manual_seed(5);
  const int64_t n = 6;
  namespace F = torch::nn::functional;
  const auto v = F::normalize(torch::randn({n, 4}, torch::kDouble), F::NormalizeFuncOptions().dim(1));
  const auto t = F::normalize(torch::randn({n, 4}, torch::kDouble), F::NormalizeFuncOptions().dim(1));
  const Instances x{v, t, torch::zeros({n}, torch::kLong), torch::zeros({n}, torch::kBool),
                    torch::arange(n, torch::kLong)};
  const double tau = 0.3;
  const auto logits = v.matmul(t.t()) / tau;
  const auto labels = torch::arange(n, torch::kLong);
  const double info_nce =
      0.5 * (F::cross_entropy(logits, labels) + F::cross_entropy(logits.t(), labels)).item<double>();
  const auto terms = ca_gcl_loss(self(), x, scalar(tau), scalar(tau), options(1, 1));
  EXPECT_NEAR(terms.local.item<double>(), info_nce, 1e-12);
  EXPECT_NEAR(terms.global.item<double>(), info_nce, 1e-12);  // one anatomy: the global loss is the same
  // In a mixed batch, an abnormal instance whose text no other instance of its anatomy shares has a one-hot
  // target row (instance 10: text 21 also appears, but only in anatomy 1); instance 0 shares text 10 with 5.
  const auto mixed = mixed_batch();
  const auto y = soft_targets(positive_pairs(mixed, 0, mixed), torch::kDouble);
  const auto e = [](int64_t k) { return torch::one_hot(torch::tensor(k), 11).to(torch::kDouble); };
  EXPECT_TRUE(y[10].equal(e(10))) << y[10];
  EXPECT_TRUE(y[0].equal(0.5 * (e(0) + e(5)))) << y[0];
}

TEST(ContrastiveTargets, SoftTargetRowsSumToOne) {
  const auto x = mixed_batch();
  for (int64_t offset : {0, 3, 7}) {
    const auto rows = slice_instances(x, offset, 4);
    const auto y = soft_targets(positive_pairs(rows, offset, x), torch::kDouble);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{4, 11}));
    EXPECT_TRUE(torch::allclose(y.sum(1), torch::ones({4}, torch::kDouble), 0, 1e-15)) << y;
    EXPECT_TRUE((y >= 0).all().item<bool>());
  }
}

TEST(ContrastiveTargets, PositivesFollowTheDefinitionPairByPair) {
  const auto x = mixed_batch();
  const auto p = plain_of(x);
  const auto y = positive_pairs(x, 0, x);
  for (size_t i = 0; i < p.anatomy.size(); ++i)
    for (size_t j = 0; j < p.anatomy.size(); ++j) EXPECT_EQ(y[i][j].item<bool>(), positive(p, i, j)) << i << "," << j;
  // Instances 1 and 10 share text id 21 but lie in different anatomies: a negative.
  EXPECT_FALSE(y[1][10].item<bool>());
  EXPECT_TRUE(y.equal(y.t()));  // symmetric: one target matrix serves both directions
}

TEST(ContrastiveLoss, GlobalWeightZeroIsTheLocalLossAloneAndSkipsTheGlobalTerm) {
  const auto x = mixed_batch();
  const auto tau = scalar(0.1).requires_grad_(true);
  const auto fvlm = ca_gcl_loss(self(), x, tau, tau, options(1, 0));
  const auto both = ca_gcl_loss(self(), x, tau, tau, options(1, 1));
  EXPECT_NEAR(fvlm.total.item<double>(), both.local.item<double>(), 1e-12);
  EXPECT_EQ(fvlm.global.item<double>(), 0.0);
  EXPECT_FALSE(fvlm.global.requires_grad());  // not computed at all, only a constant
  EXPECT_GT(both.global.item<double>(), 0.0);
}

TEST(ContrastiveLoss, BothWeightsZeroIsAUsageError) {
  const auto x = mixed_batch();
  EXPECT_THROW(ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(0, 0)), UsageError);
}

TEST(ContrastiveLoss, MismatchedInstanceFieldsAreRejectedByName) {
  auto x = mixed_batch();
  x.text_id = x.text_id.narrow(0, 0, 3);
  try {
    ca_gcl_loss(self(), x, scalar(0.1), scalar(0.1), options(1, 1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("text_id"), std::string::npos) << e.what();
  }
}

TEST(ContrastiveLoss, NoInstancesGiveZeroLossThatStillBacksPropagate) {
  const auto v = torch::zeros({0, 4}, torch::requires_grad()), t = torch::zeros({0, 4}, torch::requires_grad());
  const Instances none{v, t, torch::zeros({0}, torch::kLong), torch::zeros({0}, torch::kBool),
                       torch::zeros({0}, torch::kLong)};
  const auto terms = ca_gcl_loss(self(), none, torch::tensor(0.07f), torch::tensor(0.07f), options(1, 1));
  EXPECT_EQ(terms.total.item<float>(), 0.0f);
  terms.total.backward();  // the graph reaches the (empty) embeddings: a rank without instances joins backward
  EXPECT_TRUE(v.grad().defined());
}

// The local-rows form: W simulated ranks, each its rows against all columns; the terms sum to the full loss and
// the gradients (embeddings, temperatures) sum to the full gradient.
TEST(ContrastiveLoss, RowsOfSimulatedRanksSumToTheFullLossAndGradient) {
  const auto base = mixed_batch(6);
  auto run = [&](const std::vector<int64_t>& split, double* loss) {
    auto v = base.v.clone().requires_grad_(true), t = base.t.clone().requires_grad_(true);
    auto tau_l = scalar(0.08).requires_grad_(true), tau_g = scalar(0.15).requires_grad_(true);
    const Instances all{v, t, base.anatomy, base.normal, base.text_id};
    torch::Tensor total = torch::zeros({}, torch::kDouble);
    int64_t offset = 0;
    for (int64_t n : split) {
      total = total + ca_gcl_loss_rows(slice_instances(all, offset, n), offset, all, tau_l, tau_g,
                                       options(1, 0.5, true, "mean"))
                          .total;
      offset += n;
    }
    total.backward();
    *loss = total.item<double>();
    return std::vector<torch::Tensor>{v.grad(), t.grad(), tau_l.grad(), tau_g.grad()};
  };
  double full_loss = 0, split_loss = 0;
  const auto full = run({11}, &full_loss);
  const auto split = run({3, 0, 5, 2, 1}, &split_loss);
  EXPECT_NEAR(split_loss, full_loss, 1e-12);
  for (size_t k = 0; k < full.size(); ++k) EXPECT_TRUE(torch::allclose(split[k], full[k], 1e-10, 1e-12)) << k;
}

TEST(ContrastiveLoss, ReducedValuesOfOneRankAreItsTerms) {
  const auto x = mixed_batch();
  SelfCommunicator comm;
  const auto terms = ca_gcl_loss(self(), x, scalar(0.1), scalar(0.2), options(1, 1));
  const auto values = reduce_loss_values(comm, terms);
  EXPECT_DOUBLE_EQ(values.total, terms.total.item<double>());
  EXPECT_DOUBLE_EQ(values.local, terms.local.item<double>());
  EXPECT_DOUBLE_EQ(values.global, terms.global.item<double>());
}

// ---- instances and the collapse index ----

TEST(IntactInstances, KeepsIntactRowsOfValidSamplesInSampleAnatomyOrder) {
  const int64_t b = 3, a = 2, e = 2;
  Embeddings emb{torch::arange(b * a * e, torch::kFloat).reshape({b, a, e}),
                 -torch::arange(b * a * e, torch::kFloat).reshape({b, a, e})};
  data::Batch batch;
  batch.intact = torch::tensor({1, 1, 0, 1, 1, 1}, torch::kLong).to(torch::kBool).reshape({b, a});
  batch.valid = torch::tensor({1, 1, 0}, torch::kLong).to(torch::kBool);  // sample 2 is padding
  batch.normal = torch::tensor({0, 1, 0, 1, 1, 1}, torch::kLong).to(torch::kBool).reshape({b, a});
  batch.text_id = torch::arange(100, 106, torch::kLong).reshape({b, a});
  const auto x = intact_instances(emb, batch);
  // (0,0), (0,1), (1,1): sample 1 anatomy 0 is not intact, sample 2 is padding.
  EXPECT_TRUE(x.anatomy.equal(torch::tensor({0, 1, 1}, torch::kLong)));
  EXPECT_TRUE(x.text_id.equal(torch::tensor({100, 101, 103}, torch::kLong)));
  EXPECT_TRUE(x.normal.equal(torch::tensor({0, 1, 1}, torch::kLong).to(torch::kBool)));
  EXPECT_TRUE(x.v.equal(torch::tensor({0.f, 1.f, 2.f, 3.f, 6.f, 7.f}).reshape({3, 2})));
  EXPECT_TRUE(x.t.equal(-x.v));
}

TEST(IntactInstances, AShapeMismatchNamesTheField) {
  Embeddings emb{torch::zeros({2, 4, 3}), torch::zeros({2, 4, 3})};
  data::Batch batch;
  batch.intact = torch::ones({2, 3}, torch::kBool);
  batch.valid = torch::ones({2}, torch::kBool);
  batch.normal = torch::ones({2, 4}, torch::kBool);
  batch.text_id = torch::zeros({2, 4}, torch::kLong);
  try {
    intact_instances(emb, batch);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch.intact"), std::string::npos) << e.what();
  }
}

TEST(TextCollapseIndex, IsTheMeanCosineOverPairsOfDifferentAnatomies) {
  // Anatomy 0: (1,0) and (0,1); anatomy 1: (1,1)/sqrt2 given unnormalised as (2,2). Cross pairs (both orders):
  // cos((1,0),(1,1)) = cos((0,1),(1,1)) = 1/sqrt2, so the index is 1/sqrt2; the same-anatomy pair (cos 0) is
  // not counted.
  const auto x = make({{0, 0}, {0, 0}, {0, 0}}, {{1, 0}, {0, 1}, {2, 2}}, {0, 0, 1}, {false, false, false}, {1, 2, 3});
  const auto index = text_collapse_index(x);
  ASSERT_TRUE(index.has_value());
  EXPECT_NEAR(*index, 1 / std::sqrt(2.0), 1e-12);
  const auto one_anatomy = make({{0, 0}, {0, 0}}, {{1, 0}, {0, 1}}, {3, 3}, {false, false}, {1, 2});
  EXPECT_FALSE(text_collapse_index(one_anatomy).has_value());
}

}  // namespace
}  // namespace cagcl::model
