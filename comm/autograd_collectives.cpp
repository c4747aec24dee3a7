#include <torch/torch.h>

#include "comm/autograd_collectives.hpp"

#include <algorithm>
#include <numeric>

#include "common/error.hpp"

namespace cagcl {
namespace {

// [n, ...] -> [rows, ...] with zeros after the first n rows.
torch::Tensor pad_rows(const torch::Tensor& t, int64_t rows) {
  if (t.size(0) == rows) return t.contiguous();
  auto shape = t.sizes().vec();
  shape[0] = rows;
  auto padded = torch::zeros(shape, t.options());
  padded.narrow(0, 0, t.size(0)).copy_(t);
  return padded;
}

// Gathers rows padded to the largest size, then drops each rank's padding.
torch::Tensor gather_padded(Communicator& comm, const torch::Tensor& local, const std::vector<int64_t>& sizes) {
  const int64_t max_rows = *std::max_element(sizes.begin(), sizes.end());
  auto gathered = comm.all_gather(pad_rows(local, max_rows));
  if (std::all_of(sizes.begin(), sizes.end(), [&](int64_t s) { return s == max_rows; })) return gathered;
  std::vector<torch::Tensor> parts;
  for (size_t r = 0; r < sizes.size(); ++r)
    parts.push_back(gathered.narrow(0, static_cast<int64_t>(r) * max_rows, sizes[r]));
  return torch::cat(parts, 0);
}

// Keeps the communicator alive in the autograd graph until backward ran. IValue has no slot for an
// arbitrary C++ object other than a CustomClassHolder capsule.
struct CommHolder : torch::CustomClassHolder {
  explicit CommHolder(std::shared_ptr<Communicator> c) : comm(std::move(c)) {}
  std::shared_ptr<Communicator> comm;
};

class AllGatherWithGrad : public torch::autograd::Function<AllGatherWithGrad> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& local,
                               const std::shared_ptr<Communicator>& comm, const std::vector<int64_t>& sizes) {
    ctx->saved_data["comm"] = c10::IValue::make_capsule(c10::make_intrusive<CommHolder>(comm));
    ctx->saved_data["sizes"] = sizes;
    return gather_padded(*comm, local, sizes);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto holder = ctx->saved_data["comm"].toCapsule();
    Communicator& comm = *static_cast<CommHolder*>(holder.get())->comm;
    const auto sizes = ctx->saved_data["sizes"].toIntVector();
    const int64_t max_rows = *std::max_element(sizes.begin(), sizes.end());
    const auto& grad = grads[0];
    // Re-pad every rank's block of the gradient, so each rank's block has the same size for reduce-scatter.
    auto shape = grad.sizes().vec();
    shape[0] = max_rows * comm.size();
    auto padded = torch::zeros(shape, grad.options());
    int64_t offset = 0;
    for (size_t r = 0; r < sizes.size(); ++r) {
      padded.narrow(0, static_cast<int64_t>(r) * max_rows, sizes[r]).copy_(grad.narrow(0, offset, sizes[r]));
      offset += sizes[r];
    }
    auto mine = comm.reduce_scatter(padded, ReduceOp::sum);
    return {mine.narrow(0, 0, sizes[comm.rank()]), torch::Tensor(), torch::Tensor()};
  }
};

int64_t offset_of(const std::vector<int64_t>& sizes, int rank) {
  return std::accumulate(sizes.begin(), sizes.begin() + rank, int64_t{0});
}

}  // namespace

std::vector<int64_t> gather_sizes(Communicator& comm, int64_t local_rows) {
  auto all = comm.all_gather(torch::full({1}, local_rows, torch::TensorOptions(torch::kLong).device(comm.device())));
  all = all.cpu();
  return std::vector<int64_t>(all.data_ptr<int64_t>(), all.data_ptr<int64_t>() + all.numel());
}

GatheredRows all_gather_with_grad(const std::shared_ptr<Communicator>& comm, const torch::Tensor& local) {
  if (!comm) throw CommError("all_gather_with_grad: no communicator");
  if (local.dim() == 0)
    throw CommError("all_gather_with_grad: rank " + std::to_string(comm->rank()) + ": needs at least one dimension");
  GatheredRows out;
  out.sizes = gather_sizes(*comm, local.size(0));
  out.offset = offset_of(out.sizes, comm->rank());
  out.rows = AllGatherWithGrad::apply(local, comm, out.sizes);
  return out;
}

GatheredRows all_gather_rows(Communicator& comm, const torch::Tensor& local) {
  if (local.dim() == 0)
    throw CommError("all_gather_rows: rank " + std::to_string(comm.rank()) + ": needs at least one dimension");
  torch::NoGradGuard no_grad;
  GatheredRows out;
  out.sizes = gather_sizes(comm, local.size(0));
  out.offset = offset_of(out.sizes, comm.rank());
  out.rows = gather_padded(comm, local.detach(), out.sizes);
  return out;
}

}  // namespace cagcl
