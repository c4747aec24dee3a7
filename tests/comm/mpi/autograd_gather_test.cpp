// The differentiable all-gather against single-process autograd, with uneven local batch sizes.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include "comm/autograd_collectives.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"

namespace cagcl {
namespace {

using mpi_test::world;

// Rank r's rows: r + 2 rows of 3 values, the same on every rank that regenerates them.
torch::Tensor rows_of(int rank) {
  torch::manual_seed(100 + rank);
  return torch::randn({rank + 2, 3}, torch::kDouble);
}

TEST(GatherWithGrad, ForwardAndBackwardMatchSingleProcessAutograd) {
  auto comm = world();
  const int w = comm->size();
  std::vector<torch::Tensor> all_rows;
  for (int r = 0; r < w; ++r) all_rows.push_back(rows_of(r));
  torch::manual_seed(7);
  const int64_t total = w * (w + 3) / 2;
  const auto coef = torch::randn({total, 3}, torch::kDouble);

  // Distributed: every rank's loss weighs the gathered rows by (rank + 1) * coef.
  auto mine = rows_of(comm->rank()).requires_grad_(true);
  const auto gathered = all_gather_with_grad(comm, mine);
  ASSERT_EQ(gathered.rows.size(0), total);
  EXPECT_TRUE(torch::allclose(gathered.rows.detach(), torch::cat(all_rows)));
  (gathered.rows * coef * (comm->rank() + 1)).pow(2).sum().backward();

  // Single process: the sum of every rank's loss, each with its own copy of the gathered rows.
  std::vector<torch::Tensor> leaves;
  for (auto& r : all_rows) leaves.push_back(r.clone().requires_grad_(true));
  torch::Tensor reference_loss = torch::zeros({}, torch::kDouble);
  for (int r = 0; r < w; ++r) reference_loss = reference_loss + (torch::cat(leaves) * coef * (r + 1)).pow(2).sum();
  reference_loss.backward();

  EXPECT_TRUE(torch::allclose(mine.grad(), leaves[comm->rank()].grad(), 1e-12, 1e-12)) << mine.grad() << "\nvs\n"
                                                                                       << leaves[comm->rank()].grad();
}

TEST(GatherWithGrad, EvenSizesKeepTheFastPath) {
  auto comm = world();
  auto x = torch::full({2, 2}, float(comm->rank()), torch::requires_grad());
  auto g = all_gather_with_grad(comm, x);
  g.rows.sum().backward();
  // Every rank's loss uses every row once: each row's gradient is W.
  EXPECT_TRUE(x.grad().equal(torch::full({2, 2}, float(comm->size()))));
  EXPECT_EQ(g.offset, 2 * comm->rank());
}

}  // namespace
}  // namespace cagcl
