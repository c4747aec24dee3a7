#include "trainer/training_steps.hpp"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <mutex>

#include "common/error.hpp"
#include "trainer/autocast_scope.hpp"
#include "trainer/checkpoint_manifest.hpp"

#if defined(CAGCL_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <cuda_runtime_api.h>

#include "trainer/gpu_utilization.hpp"
#endif

namespace cagcl::trainer {

data::Batch to_device(data::Batch batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  auto move = [&](torch::Tensor& t) { t = t.pin_memory().to(device, /*non_blocking=*/true); };
  for (auto* t : {&batch.image, &batch.anatomy, &batch.intact, &batch.normal, &batch.text_id, &batch.token_ids,
                  &batch.attention, &batch.labels, &batch.valid})
    move(*t);
  return batch;
}

void add_intact_counts(const data::Batch& host, std::vector<int64_t>& counts) {
  const auto per_anatomy = (host.intact.to(torch::kBool) & host.valid.to(torch::kBool).unsqueeze(1))
                               .sum(0, /*keepdim=*/false, torch::kLong)
                               .contiguous();
  if (per_anatomy.numel() != static_cast<int64_t>(counts.size()))
    throw Error("train: the batch has intact flags for " + std::to_string(per_anatomy.numel()) + " anatomies, " +
                "data.anatomies names " + std::to_string(counts.size()));
  const auto* n = per_anatomy.data_ptr<int64_t>();
  for (size_t a = 0; a < counts.size(); ++a) counts[a] += n[a];
}

ForwardLoss forward_loss(model::CagclModel& net, const data::Batch& batch, const std::shared_ptr<Communicator>& comm,
                         const Config& config, const torch::Device& device) {
  model::Embeddings e;
  {
    AutocastScope autocast(config.train.precision == "bf16", device);
    e = net->forward(batch);
  }
  e.v = e.v.to(torch::kFloat);
  e.t = e.t.to(torch::kFloat);
  ForwardLoss out{model::intact_instances(e, batch), {}};
  out.terms = model::ca_gcl_loss(comm, out.instances, net->tau_local(), net->tau_global(), config.loss);
  return out;
}

double resident_bytes(const torch::Device& device) {
  (void)device;
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

#if defined(CAGCL_TORCH_CUDA)
namespace {
void measure_cuda(const torch::Device& device, StepReport& report) {
  const c10::DeviceIndex index = device.has_index() ? device.index() : c10::cuda::current_device();
  // Index 0 of the allocator's stat arrays is StatType::AGGREGATE (small and large pools together); the enum has
  // moved between namespaces across LibTorch 2.x releases, the layout has not.
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  report.cuda_allocated_bytes = static_cast<double>(stats.allocated_bytes[0].current);
  report.cuda_reserved_bytes = static_cast<double>(stats.reserved_bytes[0].current);
  static const GpuUtilization nvml;  // loaded once per process; without a driver library it reports nothing
  char bus_id[64] = {};
  if (nvml.available() && cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, index) == cudaSuccess)
    report.gpu_utilization = nvml.utilization(bus_id);
}
}  // namespace
#endif

void measure_resources(const torch::Device& device, StepReport& report) {
  report.memory_bytes = resident_bytes(device);
#if defined(CAGCL_TORCH_CUDA)
  if (device.is_cuda()) measure_cuda(device, report);
#endif
}

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t rank_seed(uint64_t seed, int rank) { return splitmix64(seed ^ splitmix64(static_cast<uint64_t>(rank) + 1)); }

uint64_t rank_seed(uint64_t seed, int rank, int64_t step) {
  return splitmix64(seed ^ splitmix64(static_cast<uint64_t>(rank) + 1) ^ splitmix64(static_cast<uint64_t>(step)));
}

std::string generator_state_hex(const torch::Device& device) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  const auto state = generator.get_state().contiguous();
  return to_hex(state.data_ptr(), static_cast<size_t>(state.numel()));
}

void set_generator_state(const torch::Device& device, const std::string& hex, const std::string& what) {
  const auto bytes = from_hex(hex, what);
  auto state = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(state.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  try {
    generator.set_state(state);
  } catch (const c10::Error& e) {
    throw DataError(what + ": not a generator state of this LibTorch: " + e.what_without_backtrace());
  }
}

}  // namespace cagcl::trainer
