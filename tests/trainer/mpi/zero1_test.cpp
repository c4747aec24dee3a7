// ZeRO-1 gives the same model as the unsharded AdamW: both start from the same weights, see the same
// per-rank batches, take several steps (with clipping active and weight decay on the matrices), and must end
// with the same parameters within float tolerance (the gradient sums run in a different order: reduce-scatter
// versus all-reduce). Also: the state slices of all ranks assemble into the unsharded optimizer's state.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include "comm/grad_sync.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"
#include "trainer/data_parallel_adamw.hpp"
#include "trainer/zero1_optimizer.hpp"

namespace cagcl::trainer {
namespace {

using mpi_test::world;

struct Net : torch::nn::Module {
  Net() {
    a = register_module("a", torch::nn::Linear(6, 10));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({10})));
    b = register_module("b", torch::nn::Linear(10, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return b(torch::tanh(norm(a(x)))); }
  torch::nn::Linear a{nullptr}, b{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

std::vector<NamedParameter> named(Net& net) {
  std::vector<NamedParameter> out;
  for (const auto& item : net.named_parameters()) out.push_back({item.key(), item.value()});
  return out;
}

void train(Net& net, DataParallelOptimizer& opt, int steps, int accumulation) {
  const int rank = world()->rank();
  for (int step = 0; step < steps; ++step) {
    for (int micro = 0; micro < accumulation; ++micro) {
      torch::manual_seed(1000 * step + 10 * micro + rank);  // each rank its own batch
      const auto x = torch::randn({4, 6}), y = torch::randn({4, 3});
      opt.before_backward(micro == accumulation - 1);
      (net.forward(x) - y).square().sum().backward();
    }
    opt.step(1e-2, 0.5);
  }
}

TEST(Zero1, GivesTheSameModelAsUnshardedAdamW) {
  torch::manual_seed(7);
  Net plain_net;
  torch::manual_seed(7);
  Net sharded_net;
  AdamWOptions o{0.9, 0.999, 1e-8, 0.05};
  GradSyncOptions sync;
  sync.bucket_cap_bytes = 128;  // several buckets, parameters straddling shard boundaries
  sync.first_bucket_bytes = 64;
  DataParallelAdamW plain(world(), named(plain_net), o, sync);
  Zero1AdamW sharded(world(), named(sharded_net), o, sync.bucket_cap_bytes, sync.first_bucket_bytes);
  train(plain_net, plain, 6, 2);
  train(sharded_net, sharded, 6, 2);
  const auto a = plain_net.named_parameters(), b = sharded_net.named_parameters();
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::allclose(a[i].value(), b[i].value(), 1e-5, 1e-6)) << a[i].key();
  EXPECT_EQ(sharded.steps_taken(), 6);

  // The slices of all ranks assemble into the unsharded state (gathered here through a sum of zero-padded copies).
  std::map<std::string, int64_t> numels;
  for (const auto& p : plain_net.named_parameters()) numels[p.key()] = p.value().numel();
  std::map<std::string, torch::Tensor> summed;
  for (const auto& [name, n] : numels) summed[name] = torch::zeros({n});
  for (const auto& piece : sharded.state_slice())
    summed[piece.param].narrow(0, piece.start, piece.exp_avg.numel()) += piece.exp_avg;
  const auto plain_slices = plain.state_slice();
  std::map<std::string, torch::Tensor> plain_summed;
  for (const auto& [name, n] : numels) plain_summed[name] = torch::zeros({n});
  for (const auto& piece : plain_slices)
    plain_summed[piece.param].narrow(0, piece.start, piece.exp_avg.numel()) += piece.exp_avg;
  for (auto& [name, t] : summed) {
    world()->all_reduce(t);
    world()->all_reduce(plain_summed[name]);
    EXPECT_TRUE(torch::allclose(t, plain_summed[name], 1e-5, 1e-7)) << name;
  }
}

TEST(Zero1, LoadsAStateSavedByTheUnshardedOptimizer) {
  torch::manual_seed(11);
  Net net;
  AdamWOptions o;
  Zero1AdamW sharded(world(), named(net), o, 256, 64);
  FullState state;
  state.step = 3;
  for (const auto& p : net.named_parameters())
    state.moments[p.key()] = {torch::arange(p.value().numel(), torch::kFloat), torch::ones({p.value().numel()})};
  sharded.load_state(state);
  EXPECT_EQ(sharded.steps_taken(), 3);
  for (const auto& piece : sharded.state_slice()) {
    const auto expect = torch::arange(piece.start, piece.start + piece.exp_avg.numel(), torch::kFloat);
    EXPECT_TRUE(torch::equal(piece.exp_avg, expect)) << piece.param;
  }
}

}  // namespace
}  // namespace cagcl::trainer
