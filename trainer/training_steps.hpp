#pragma once
// The computations one training or validation step is made of, apart from the loop that orders them
// (trainer/trainer.hpp): moving a batch to the device, the model's forward pass under bf16 autocast and the
// CA-GCL loss, the intact-instance counts, the memory figures, and the random-generator states checkpoints keep.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "config/config.hpp"
#include "data/batch.hpp"
#include "model/cagcl_model.hpp"
#include "model/contrastive_loss.hpp"
#include "model/instances.hpp"
#include "trainer/step_report.hpp"

namespace cagcl::trainer {

// The batch on `device`; on a GPU through pinned memory, so the copy does not block the host thread.
data::Batch to_device(data::Batch batch, const torch::Device& device);

// Adds the batch's intact (sample, anatomy) instances per anatomy to `counts`: the rows intact_instances keeps.
// From the host batch, so counting costs no device synchronisation. Error when the widths disagree.
void add_intact_counts(const data::Batch& host, std::vector<int64_t>& counts);

struct ForwardLoss {
  model::Instances instances;  // the intact instances, embeddings in fp32
  model::LossTerms terms;      // total, local, global (global gathers across ranks)
};
// The model's forward pass (bf16 autocast when train.precision is bf16; the loss always in fp32, as in
// open_clip and fVLM) and the CA-GCL loss of the batch's intact instances.
ForwardLoss forward_loss(model::CagclModel& net, const data::Batch& batch, const std::shared_ptr<Communicator>& comm,
                         const Config& config, const torch::Device& device);

// Bytes of memory this rank holds: the process's resident set.
double resident_bytes(const torch::Device& device);

// The memory figures of this rank into `report`: the process's resident set always; on a GPU (LibTorch with
// CUDA) also the CUDA caching allocator's allocated and reserved bytes, and the GPU's utilisation where NVML
// is present (trainer/gpu_utilization.hpp).
void measure_resources(const torch::Device& device, StepReport& report);

// Per-rank generator seeds far apart: splitmix64 of (seed, rank), and of (seed, rank, step) for a resume at
// another world size, where no saved stream belongs to the rank.
uint64_t rank_seed(uint64_t seed, int rank);
uint64_t rank_seed(uint64_t seed, int rank, int64_t step);

// The default generator's state of `device`, as hex, and back. DataError naming `what` on a state this
// LibTorch does not accept.
std::string generator_state_hex(const torch::Device& device);
void set_generator_state(const torch::Device& device, const std::string& hex, const std::string& what);

}  // namespace cagcl::trainer
