#pragma once
// Which BLAS the process's matrix products actually run on. Debian's LibTorch links libblas.so.3, an
// alternatives symlink: with only the reference BLAS installed, fwd+bwd of a small transformer is ~20x
// slower than with OpenBLAS, silently. `cagcl` logs the result and warns on the reference one.
#include <string>

namespace cagcl {

enum class BlasKind { openblas, reference, mkl, blis, other, unknown };

struct BlasInfo {
  BlasKind kind = BlasKind::unknown;
  std::string library;  // resolved path of the library that provides sgemm_
  std::string detail;   // e.g. OpenBLAS's build configuration string
};

// Classifies a BLAS library by its resolved path (pure function, tested).
BlasKind classify_blas_library(const std::string& resolved_path);
std::string to_string(BlasKind kind);
// Looks up sgemm_ in the running process.
BlasInfo detect_blas();

}  // namespace cagcl
