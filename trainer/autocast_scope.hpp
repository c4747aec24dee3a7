#pragma once
// bf16 autocast over a scope (the model's forward pass), restoring the previous state after it.
//
// LibTorch 2.4 replaced the per-device calls (set_enabled, is_cpu_enabled, set_autocast_gpu_dtype, ...) by
// overloads taking the device type (set_autocast_enabled(at::kCUDA, ...), set_autocast_dtype) and deprecated the
// old ones, which warn at compile time and at run time; 1.13 (Debian's) has only the old ones.
#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define CAGCL_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define CAGCL_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace cagcl::trainer {

class AutocastScope {
 public:
  AutocastScope(bool enabled, const c10::Device& device) : active_(enabled), cuda_(device.is_cuda()) {
    if (!active_) return;
    previous_ = is_enabled();
    set_dtype_bf16();
    set_enabled(true);
  }
  ~AutocastScope() {
    if (!active_) return;
    set_enabled(previous_);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

  // Whether autocast is on for the scope's device type (CUDA or CPU) now.
  bool is_enabled() const {
#if CAGCL_AUTOCAST_BY_DEVICE_TYPE
    return at::autocast::is_autocast_enabled(device_type());
#else
    return cuda_ ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
  }

 private:
  c10::DeviceType device_type() const { return cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU; }
  void set_enabled(bool on) const {
#if CAGCL_AUTOCAST_BY_DEVICE_TYPE
    at::autocast::set_autocast_enabled(device_type(), on);
#else
    if (cuda_)
      at::autocast::set_enabled(on);
    else
      at::autocast::set_cpu_enabled(on);
#endif
  }
  void set_dtype_bf16() const {
#if CAGCL_AUTOCAST_BY_DEVICE_TYPE
    at::autocast::set_autocast_dtype(device_type(), at::kBFloat16);
#else
    if (cuda_)
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    else
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
#endif
  }

  bool active_, cuda_, previous_ = false;
};

}  // namespace cagcl::trainer
