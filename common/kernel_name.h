// Short display name of a GPU kernel from its mangled symbol (what CUPTI and Nsight report):
// demangled, without the return type, the "(anonymous namespace)::" parts and the parameter list,
// template arguments kept. "_ZN6rooflm12_GLOBAL__N_114rmsnorm_kernelILi8EEEvPKfi" ->
// "rooflm::rmsnorm_kernel<8>". A name that is not mangled (cuBLAS's "nvjet_sm90_...") stays as it is.
#pragma once

#include <string>

namespace rooflm {

std::string kernel_short_name(const char* symbol);

}  // namespace rooflm
