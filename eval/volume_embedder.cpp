#include <torch/torch.h>

#include "eval/volume_embedder.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "common/error.hpp"
#include "common/progress.hpp"
#include "eval/anatomy_window.hpp"

namespace cagcl::eval {
namespace {

// The distinct crop boxes of the present anatomies, and which of them each present anatomy uses. When the
// window covers the whole volume (the small preset: crop = phantom size) every anatomy has the same box, and
// one forward of that window gives all of them: the pooling attends per anatomy, so the embedding of anatomy
// a is the same whether the window is encoded once for all or once per anatomy.
struct WindowPlan {
  std::vector<data::CropBox> boxes;
  std::vector<int64_t> box_of;  // per present anatomy (in `present` order)
};

WindowPlan plan_windows(const std::vector<AnatomyWindow>& windows, const std::vector<int64_t>& present) {
  WindowPlan plan;
  for (int64_t a : present) {
    const data::CropBox& box = windows[a].box;
    int64_t found = -1;
    for (size_t b = 0; b < plan.boxes.size() && found < 0; ++b)
      if (plan.boxes[b].begin == box.begin && plan.boxes[b].size == box.size) found = static_cast<int64_t>(b);
    if (found < 0) {
      found = static_cast<int64_t>(plan.boxes.size());
      plan.boxes.push_back(box);
    }
    plan.box_of.push_back(found);
  }
  return plan;
}

// One volume: [A, E + 1] float, columns 0..E-1 the embedding of anatomy a, column E its AnatomyStatus.
torch::Tensor embed_one(const data::Sample& sample, int64_t A, const ImageEncoder& encode, const EmbedOptions& o) {
  const data::Shape3 shape{sample.shape[0], sample.shape[1], sample.shape[2]};
  if (static_cast<int64_t>(sample.volume.size()) != sample.voxels() ||
      static_cast<int64_t>(sample.anatomy.size()) != sample.voxels())
    throw DataError("volume '" + sample.name + "': voxel buffers do not match its shape");
  const auto windows = anatomy_windows(sample.anatomy.data(), shape, o.window, A, o.min_inside);
  torch::Tensor row = torch::zeros({A, o.dim + 1}, torch::kFloat32);
  std::vector<int64_t> present;
  for (int64_t a = 0; a < A; ++a) {
    row[a][o.dim] = static_cast<float>(windows[a].status);
    if (windows[a].status == AnatomyStatus::present) present.push_back(a);
  }
  if (present.empty()) return row;
  const WindowPlan plan = plan_windows(windows, present);
  const int64_t P = static_cast<int64_t>(plan.boxes.size());
  const auto& w = o.window;
  torch::Tensor image = torch::empty({P, 1, w[0], w[1], w[2]}, torch::kFloat32);
  torch::Tensor anatomy = torch::empty({P, w[0], w[1], w[2]}, torch::kUInt8);
  for (int64_t p = 0; p < P; ++p)
    data::crop_flip_window(sample.volume.data(), sample.anatomy.data(), shape, o.window, plan.boxes[p],
                           {false, false, false}, o.hu_min, o.hu_max, image[p].data_ptr<float>(),
                           anatomy[p].data_ptr<uint8_t>());
  const torch::Tensor v = encode(image.to(o.device), anatomy.to(o.device)).to(torch::kCPU, torch::kFloat32);
  if (v.dim() != 3 || v.size(0) != P || v.size(1) != A || v.size(2) != o.dim)
    throw Error("evaluation: the image encoder returned shape " + std::to_string(v.size(0)) + "x" +
                std::to_string(v.dim() > 1 ? v.size(1) : 0) + "x" + std::to_string(v.dim() > 2 ? v.size(2) : 0) +
                ", expected " + std::to_string(P) + "x" + std::to_string(A) + "x" + std::to_string(o.dim));
  for (size_t i = 0; i < present.size(); ++i) row[present[i]].slice(0, 0, o.dim).copy_(v[plan.box_of[i]][present[i]]);
  return row;
}

}  // namespace

VolumeEmbeddings embed_volumes(const data::Dataset& dataset, const std::vector<int64_t>& indices,
                               const ImageEncoder& encode, const EmbedOptions& options, Communicator& comm) {
  if (options.dim < 1) throw UsageError("evaluation: embedding size must be positive");
  const int64_t A = static_cast<int64_t>(dataset.manifest().anatomies.size());
  const int64_t N = static_cast<int64_t>(indices.size());
  const int64_t W = comm.size(), r = comm.rank();
  const int64_t per_rank = (N + W - 1) / W;  // rows every rank contributes to the gather (padding: absent)
  torch::Tensor mine = torch::zeros({std::max<int64_t>(per_rank, 1), A, options.dim + 1}, torch::kFloat32);
  mine.select(2, options.dim).fill_(static_cast<float>(AnatomyStatus::absent));
  {
    torch::NoGradGuard no_grad;
    std::optional<ProgressMeter> progress;
    if (options.log_progress) progress.emplace("eval: volumes (rank " + std::to_string(r) + ")", (N - r + W - 1) / W);
    for (int64_t k = r, j = 0; k < N; k += W, ++j) {
      mine[j].copy_(embed_one(dataset.read(indices[k]), A, encode, options));
      if (progress) progress->advance();
    }
  }
  const torch::Tensor all = W > 1 ? comm.all_gather(mine.to(comm.device())).to(torch::kCPU) : mine;
  VolumeEmbeddings out;
  out.volumes = N, out.anatomies = A, out.dim = options.dim;
  out.v.resize(static_cast<size_t>(N * A * options.dim));
  out.status.resize(static_cast<size_t>(N * A));
  const int64_t rows = all.size(0) / W;
  const auto acc = all.contiguous();
  const float* data = acc.data_ptr<float>();
  for (int64_t k = 0; k < N; ++k) {
    const int64_t row = (k % W) * rows + k / W;  // rank k % W, its (k / W)-th volume
    for (int64_t a = 0; a < A; ++a) {
      const float* src = data + (row * A + a) * (options.dim + 1);
      std::copy(src, src + options.dim, out.v.begin() + (k * A + a) * options.dim);
      out.status[k * A + a] = static_cast<uint8_t>(src[options.dim]);
    }
  }
  out.labels.reserve(N);
  for (int64_t k = 0; k < N; ++k) out.labels.push_back(dataset.read_metadata(indices[k]).labels);
  return out;
}

torch::Tensor embed_texts(const std::vector<std::string>& texts, const data::Tokenizer& tokenizer, int64_t max_length,
                          const TextEncoder& encode, const torch::Device& device, int64_t batch) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < texts.size(); start += static_cast<size_t>(batch)) {
    const size_t n = std::min(texts.size() - start, static_cast<size_t>(batch));
    torch::Tensor ids = torch::empty({static_cast<int64_t>(n), max_length}, torch::kInt64);
    torch::Tensor mask = torch::empty({static_cast<int64_t>(n), max_length}, torch::kInt64);
    for (size_t i = 0; i < n; ++i) {
      const auto encoded = tokenizer.encode_padded(texts[start + i], max_length);
      std::copy(encoded.ids.begin(), encoded.ids.end(), ids[i].data_ptr<int64_t>());
      std::copy(encoded.mask.begin(), encoded.mask.end(), mask[i].data_ptr<int64_t>());
    }
    parts.push_back(encode(ids.to(device), mask.to(device)).to(torch::kCPU, torch::kFloat32));
  }
  if (parts.empty()) return torch::empty({0, 0}, torch::kFloat32);
  return torch::cat(parts, 0).contiguous();
}

}  // namespace cagcl::eval
