// Closed-form results of every collective of the MPI backend, on 2 and 4 ranks.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include "comm/autograd_collectives.hpp"
#include "common/error.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"

namespace cagcl {
namespace {

using mpi_test::world;

TEST(MpiCollectives, AllReduceSumOfRankPlusOneIsTriangularNumber) {
  auto comm = world();
  const int64_t w = comm->size();
  for (auto dtype : {torch::kFloat, torch::kDouble, torch::kLong, torch::kInt, torch::kByte}) {
    auto t = torch::full({5}, comm->rank() + 1, torch::TensorOptions(dtype));
    comm->all_reduce(t, ReduceOp::sum);
    EXPECT_TRUE(t.equal(torch::full({5}, w * (w + 1) / 2, torch::TensorOptions(dtype)))) << c10::toString(dtype);
  }
}

TEST(MpiCollectives, AllReduceMaxMinAvg) {
  auto comm = world();
  const int w = comm->size();
  auto mx = torch::tensor({double(comm->rank()), -double(comm->rank())});
  comm->all_reduce(mx, ReduceOp::max);
  EXPECT_TRUE(mx.equal(torch::tensor({double(w - 1), 0.0})));
  auto mn = torch::tensor({int64_t(comm->rank()), int64_t(-comm->rank())});
  comm->all_reduce(mn, ReduceOp::min);
  EXPECT_TRUE(mn.equal(torch::tensor({int64_t(0), int64_t(1 - w)})));
  auto avg = torch::full({3}, float(comm->rank() + 1));
  comm->all_reduce(avg, ReduceOp::avg);
  EXPECT_TRUE(torch::allclose(avg, torch::full({3}, (w + 1) / 2.0f)));
  auto ints = torch::ones({2}, torch::kLong);
  EXPECT_THROW(comm->all_reduce(ints, ReduceOp::avg), CommError);
}

TEST(MpiCollectives, BoolAllReduceIsLogical) {
  auto comm = world();
  auto any = torch::tensor({comm->rank() == 1, false});
  comm->all_reduce(any, ReduceOp::max);
  EXPECT_TRUE(any.equal(torch::tensor({true, false})));
  auto all = torch::tensor({comm->rank() != 1, true});
  comm->all_reduce(all, ReduceOp::min);
  EXPECT_TRUE(all.equal(torch::tensor({false, true})));
}

TEST(MpiCollectives, BroadcastFromNonZeroRoot) {
  auto comm = world();
  const int root = comm->size() - 1;
  auto t = torch::arange(6, torch::kFloat).reshape({2, 3}) * (comm->rank() + 1);
  comm->broadcast(t, root);
  EXPECT_TRUE(t.equal(torch::arange(6, torch::kFloat).reshape({2, 3}) * (root + 1)));
}

TEST(MpiCollectives, AllGatherPutsRankBlocksInOrder) {
  auto comm = world();
  auto mine = torch::full({2, 3}, comm->rank(), torch::kLong);
  auto all = comm->all_gather(mine);
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{2 * comm->size(), 3}));
  for (int r = 0; r < comm->size(); ++r) EXPECT_TRUE(all.narrow(0, 2 * r, 2).eq(r).all().item<bool>());
}

TEST(MpiCollectives, ReduceScatterGivesEachRankItsBlockSum) {
  auto comm = world();
  const int w = comm->size();
  // Block k of rank r holds (r + 1) * (k + 1): rank k receives (k + 1) * W(W+1)/2.
  auto input = (torch::arange(w, torch::kDouble) + 1).repeat_interleave(3).reshape({w, 3}) * (comm->rank() + 1);
  auto out = comm->reduce_scatter(input, ReduceOp::sum);
  EXPECT_TRUE(out.equal(torch::full({1, 3}, double((comm->rank() + 1) * w * (w + 1) / 2))));
  auto avg = comm->reduce_scatter(input, ReduceOp::avg);
  EXPECT_TRUE(torch::allclose(avg, torch::full({1, 3}, (comm->rank() + 1) * (w + 1) / 2.0, torch::kDouble)));
}

TEST(MpiCollectives, AllGatherRowsWithUnevenSizes) {
  auto comm = world();
  // Rank r contributes r + 1 rows filled with r; a bool flag per row too.
  auto rows = torch::full({comm->rank() + 1, 2}, comm->rank(), torch::kLong);
  const auto gathered = all_gather_rows(*comm, rows);
  const int w = comm->size();
  ASSERT_EQ(gathered.rows.size(0), w * (w + 1) / 2);
  int64_t at = 0;
  for (int r = 0; r < w; ++r) {
    EXPECT_EQ(gathered.sizes[r], r + 1);
    EXPECT_TRUE(gathered.rows.narrow(0, at, r + 1).eq(r).all().item<bool>()) << r;
    at += r + 1;
  }
  EXPECT_EQ(gathered.offset, comm->rank() * (comm->rank() + 1) / 2);
  const auto flags = all_gather_rows(*comm, torch::full({comm->rank() + 1}, comm->rank() % 2 == 1, torch::kBool));
  EXPECT_EQ(flags.rows.sum().item<int64_t>(), [&] {
    int64_t n = 0;
    for (int r = 1; r < w; r += 2) n += r + 1;
    return n;
  }());
}

TEST(MpiCollectives, AsyncWorksCompleteInSubmissionOrder) {
  auto comm = world();
  std::vector<torch::Tensor> tensors;
  std::vector<WorkPtr> works;
  for (int i = 0; i < 8; ++i) {
    tensors.push_back(torch::full({1000}, float(i + comm->rank())));
    works.push_back(comm->all_reduce_async(tensors.back(), ReduceOp::sum));
  }
  for (auto& w : works) w->wait();
  const int w = comm->size();
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(tensors[i][0].item<float>(), float(i * w + w * (w - 1) / 2));
  EXPECT_TRUE(works.back()->is_completed());
}

TEST(MpiCollectives, BadInputsThrowWithContext) {
  auto comm = world();
  auto strided = torch::zeros({4, 4}).t();
  try {
    comm->all_reduce(strided);
    FAIL() << "expected CommError";
  } catch (const CommError& e) {
    EXPECT_NE(std::string(e.what()).find("rank " + std::to_string(comm->rank())), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("contiguous"), std::string::npos) << e.what();
  }
  EXPECT_THROW(comm->all_reduce(torch::zeros({2}, torch::kHalf)), CommError);
  comm->barrier();
}

TEST(MpiRuntime, LocalRanksAndThreads) {
  const auto& rt = mpi_test::runtime();
  EXPECT_EQ(rt.world_size(), world()->size());
  EXPECT_GE(rt.local_rank(), 0);
  EXPECT_LT(rt.local_rank(), rt.local_size());
  EXPECT_LE(rt.local_size(), rt.world_size());
  EXPECT_TRUE(rt.device().is_cpu());
  EXPECT_GE(at::get_num_threads(), 1);
  // All ranks on this one machine: the local ranks are a permutation of 0..W-1.
  auto local = torch::tensor({int64_t(rt.local_rank())});
  auto all = world()->all_gather(local);
  EXPECT_EQ(std::get<0>(all.sort()).equal(torch::arange(rt.world_size(), torch::kLong)), true);
}

}  // namespace
}  // namespace cagcl
