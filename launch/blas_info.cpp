#include "launch/blas_info.hpp"

#include <dlfcn.h>

#include <filesystem>

namespace cagcl {

BlasKind classify_blas_library(const std::string& resolved_path) {
  auto has = [&](const char* part) { return resolved_path.find(part) != std::string::npos; };
  if (resolved_path.empty()) return BlasKind::unknown;
  if (has("openblas")) return BlasKind::openblas;
  if (has("mkl")) return BlasKind::mkl;
  if (has("blis")) return BlasKind::blis;
  // Debian's reference implementation (package libblas3) lives in .../blas/libblas.so.3.
  if (has("/blas/libblas") || has("libblas.so") || has("refblas")) return BlasKind::reference;
  return BlasKind::other;
}

std::string to_string(BlasKind kind) {
  switch (kind) {
    case BlasKind::openblas: return "OpenBLAS";
    case BlasKind::reference: return "reference BLAS (netlib)";
    case BlasKind::mkl: return "Intel MKL";
    case BlasKind::blis: return "BLIS";
    case BlasKind::other: return "other BLAS";
    case BlasKind::unknown: break;
  }
  return "unknown (no sgemm_ in the process)";
}

BlasInfo detect_blas() {
  BlasInfo info;
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info where{};
  if (sgemm == nullptr || dladdr(sgemm, &where) == 0 || where.dli_fname == nullptr) return info;
  std::error_code ec;
  const auto resolved = std::filesystem::canonical(where.dli_fname, ec);
  info.library = ec ? std::string(where.dli_fname) : resolved.string();
  info.kind = classify_blas_library(info.library);
  using ConfigFn = char* (*)();
  if (auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    if (info.kind == BlasKind::openblas) info.detail = config();
  }
  return info;
}

}  // namespace cagcl
