#include "trainer/gpu_utilization.hpp"

#include <dlfcn.h>

namespace cagcl::trainer {
namespace {

// NVML's C types, declared here so that no NVML header is needed at build time (not every CUDA toolkit ships
// nvml.h). The ABI of these calls has been stable since NVML's v2 entry points.
using NvmlReturn = int;  // nvmlReturn_t: 0 is NVML_SUCCESS
using NvmlDevice = struct NvmlDeviceOpaque*;
struct NvmlUtilization {
  unsigned int gpu;     // percent of the sample period in which a kernel ran
  unsigned int memory;  // percent in which device memory was read or written
};
constexpr NvmlReturn kNvmlSuccess = 0;

template <typename Function>
bool resolve(void* library, const char* name, Function& out) {
  out = reinterpret_cast<Function>(dlsym(library, name));
  return out != nullptr;
}

}  // namespace

struct GpuUtilization::Api {
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  NvmlReturn (*handle_by_pci_bus_id)(const char*, NvmlDevice*) = nullptr;
  NvmlReturn (*utilization_rates)(NvmlDevice, NvmlUtilization*) = nullptr;

  // The name of the first entry point `library` lacks, or nullptr when it has them all.
  const char* resolve_all(void* library) {
    if (!resolve(library, "nvmlInit_v2", init)) return "nvmlInit_v2";
    if (!resolve(library, "nvmlShutdown", shutdown)) return "nvmlShutdown";
    if (!resolve(library, "nvmlDeviceGetHandleByPciBusId_v2", handle_by_pci_bus_id))
      return "nvmlDeviceGetHandleByPciBusId_v2";
    if (!resolve(library, "nvmlDeviceGetUtilizationRates", utilization_rates)) return "nvmlDeviceGetUtilizationRates";
    return nullptr;
  }
};

void GpuUtilization::Unload::operator()(void* handle) const { dlclose(handle); }

GpuUtilization::GpuUtilization(const std::string& library) {
  library_.reset(dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library_) {
    const char* error = dlerror();
    reason_ = "cannot load " + library + (error ? std::string(": ") + error : std::string());
    return;
  }
  auto api = std::make_unique<Api>();
  if (const char* missing = api->resolve_all(library_.get())) {
    reason_ = library + " has no " + missing;
    return;
  }
  if (const NvmlReturn rc = api->init(); rc != kNvmlSuccess) {
    reason_ =
        "nvmlInit_v2 of " + library + " failed with NVML error " + std::to_string(rc) + " (no NVIDIA driver loaded?)";
    return;
  }
  api_ = std::move(api);
  initialised_ = true;
}

GpuUtilization::~GpuUtilization() {
  if (initialised_) api_->shutdown();
}

std::optional<double> GpuUtilization::utilization(const std::string& pci_bus_id) const {
  if (!initialised_) return std::nullopt;
  NvmlDevice device = nullptr;
  if (api_->handle_by_pci_bus_id(pci_bus_id.c_str(), &device) != kNvmlSuccess) return std::nullopt;
  NvmlUtilization rates{};
  if (api_->utilization_rates(device, &rates) != kNvmlSuccess) return std::nullopt;
  return static_cast<double>(rates.gpu) / 100.0;
}

}  // namespace cagcl::trainer
