#pragma once
// GPU utilisation through NVML, the driver's management library, loaded at run time (dlopen of
// libnvidia-ml.so.1) rather than linked: the same binary then runs where there is no driver, and there it
// reports no utilisation instead of failing (the figure is a convenience of the Prometheus exporter,
// cagcl_gpu_utilization_ratio). LibTorch-free; the trainer passes the PCI bus id of its CUDA device, which
// NVML and CUDA name alike (NVML's indices ignore CUDA_VISIBLE_DEVICES, bus ids do not depend on it).
#include <memory>
#include <optional>
#include <string>

namespace cagcl::trainer {

class GpuUtilization {
 public:
  // Loads `library` and initialises NVML. Absent or unusable: available() is false and unavailable_reason()
  // says why; no exception.
  explicit GpuUtilization(const std::string& library = "libnvidia-ml.so.1");
  ~GpuUtilization();
  GpuUtilization(const GpuUtilization&) = delete;
  GpuUtilization& operator=(const GpuUtilization&) = delete;

  bool available() const { return initialised_; }
  const std::string& unavailable_reason() const { return reason_; }

  // The fraction of NVML's last sample period (1/6 s to 1 s, by GPU) in which a kernel ran on the GPU at
  // `pci_bus_id` ("00000000:01:00.0" or "0000:01:00.0"), in [0, 1]; nullopt when NVML is unavailable or does
  // not answer for that device.
  std::optional<double> utilization(const std::string& pci_bus_id) const;

 private:
  struct Api;  // the NVML entry points, resolved with dlsym
  struct Unload {
    void operator()(void* handle) const;
  };
  std::unique_ptr<void, Unload> library_;
  std::unique_ptr<Api> api_;  // set once NVML is initialised
  bool initialised_ = false;
  std::string reason_;
};

}  // namespace cagcl::trainer
