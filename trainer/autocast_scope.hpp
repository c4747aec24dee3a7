#pragma once
// bf16 autocast over a scope (the model's forward pass), restoring the previous state after it.
#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>

namespace cagcl::trainer {

class AutocastScope {
 public:
  AutocastScope(bool enabled, const c10::Device& device) : active_(enabled), cuda_(device.is_cuda()) {
    if (!active_) return;
    if (cuda_) {
      previous_ = at::autocast::is_enabled();
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      previous_ = at::autocast::is_cpu_enabled();
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope() {
    if (!active_) return;
    if (cuda_)
      at::autocast::set_enabled(previous_);
    else
      at::autocast::set_cpu_enabled(previous_);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_, cuda_, previous_ = false;
};

}  // namespace cagcl::trainer
