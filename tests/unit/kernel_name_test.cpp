// Kernel display names: demangled, no return type, no anonymous namespaces, no parameters.
#include <gtest/gtest.h>

#include "common/kernel_name.h"

namespace rooflm {
namespace {

TEST(KernelName, DemangledWithoutParametersOrAnonymousNamespaces) {
  EXPECT_EQ(kernel_short_name("_ZN6rooflm12_GLOBAL__N_114rmsnorm_kernelILi8EEEvPKfi"), "rooflm::rmsnorm_kernel<8>");
  EXPECT_EQ(kernel_short_name("_Z6kernelPf"), "kernel");
  EXPECT_EQ(kernel_short_name("nvjet_sm90_hsh_128x88_64x7_1x2_h_bz_TNT"), "nvjet_sm90_hsh_128x88_64x7_1x2_h_bz_TNT");
}

}  // namespace
}  // namespace rooflm
