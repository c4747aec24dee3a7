#include <torch/torch.h>

#include "launch/runtime_report.hpp"

#include <spdlog/spdlog.h>

#include "launch/blas_info.hpp"

namespace cagcl {

void log_runtime_report() {
  const BlasInfo blas = detect_blas();
  spdlog::info("LibTorch {} ({}), {} intra-op threads, BLAS: {} [{}]{}", TORCH_VERSION,
               torch::cuda::is_available() ? "CUDA available" : "CPU", at::get_num_threads(), to_string(blas.kind),
               blas.library.empty() ? "-" : blas.library, blas.detail.empty() ? "" : " " + blas.detail);
  if (blas.kind == BlasKind::reference) {
    spdlog::warn(
        "matrix products run on the reference BLAS ({}), ~20x slower than OpenBLAS: "
        "install libopenblas0-pthread (scripts/setup.sh does) or select it with "
        "`update-alternatives --config libblas.so.3-x86_64-linux-gnu`",
        blas.library);
  }
}

}  // namespace cagcl
