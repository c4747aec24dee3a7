#include "launch/blas_info.hpp"

#include <gtest/gtest.h>

namespace cagcl {

TEST(BlasInfo, ClassifiesDebianLibraryPaths) {
  EXPECT_EQ(classify_blas_library("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"), BlasKind::openblas);
  EXPECT_EQ(classify_blas_library("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"), BlasKind::reference);
  EXPECT_EQ(classify_blas_library("/opt/intel/mkl/lib/libmkl_rt.so"), BlasKind::mkl);
  EXPECT_EQ(classify_blas_library("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3"), BlasKind::blis);
  EXPECT_EQ(classify_blas_library(""), BlasKind::unknown);
}

TEST(BlasInfo, TheTestProcessRunsOnTheOpenBlasThatSetupInstalls) {
  // scripts/setup.sh installs libopenblas0-pthread; if this fails, matrix products run ~20x slower.
  const BlasInfo info = detect_blas();
  EXPECT_EQ(info.kind, BlasKind::openblas) << "sgemm_ comes from " << info.library;
}

}  // namespace cagcl
