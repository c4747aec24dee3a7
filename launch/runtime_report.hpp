#pragma once
namespace cagcl {
// Logs LibTorch's version, intra-op threads and the BLAS in use; warns when it is the reference BLAS.
void log_runtime_report();
}  // namespace cagcl
