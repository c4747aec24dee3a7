#pragma once
// Per-anatomy image embeddings of the evaluation volumes, computed on every rank of the job and gathered,
// and text embeddings of prompts and report texts. The model is reached through two functions so that this
// file depends on the encoders' contract only (model/cagcl_model.hpp: encode_image, encode_text).
//
// Work split: volume k of the evaluation list goes to rank k % world. Each volume is embedded alone (its
// distinct anatomy windows form one batch; anatomies whose windows coincide share one forward), so a volume's embedding
// does not depend on which rank computed it or on what else was in a batch; the gather puts rows back in evaluation
// order. Hence -np 1 and -np N give the same numbers.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "data/volume_transforms.hpp"
#include "eval/zero_shot.hpp"

namespace cagcl::eval {

// [B,1,D,H,W] float image in [0, 1], [B,D,H,W] uint8 anatomy map -> [B,A,E] L2-normalised.
using ImageEncoder = std::function<torch::Tensor(const torch::Tensor& image, const torch::Tensor& anatomy)>;
// [N,L] int64 token ids, [N,L] int64 attention mask -> [N,E] L2-normalised.
using TextEncoder = std::function<torch::Tensor(const torch::Tensor& token_ids, const torch::Tensor& attention)>;

struct EmbedOptions {
  data::Shape3 window{48, 112, 112};  // evaluation window, a multiple of the vision patch
  double hu_min = -1150, hu_max = 350;
  double min_inside = 0.9;  // fVLM: an organ less than 90 % inside its window is dropped
  int64_t dim = 0;          // embedding size E (model.embed_dim)
  torch::Device device = torch::kCPU;
  bool log_progress = true;  // progress lines per rank (off for the trainer's live validation)
};

// Embeds dataset volumes `indices` (evaluation order) and returns all of them on every rank. Labels come
// from each sample's metadata. Logs progress on rank 0.
VolumeEmbeddings embed_volumes(const data::Dataset& dataset, const std::vector<int64_t>& indices,
                               const ImageEncoder& encode, const EmbedOptions& options, Communicator& comm);

// [texts.size(), E] float on the CPU, in order; batches of `batch` texts, WordPiece-encoded to max_length.
torch::Tensor embed_texts(const std::vector<std::string>& texts, const data::Tokenizer& tokenizer, int64_t max_length,
                          const TextEncoder& encode, const torch::Device& device, int64_t batch = 32);

}  // namespace cagcl::eval
