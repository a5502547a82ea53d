// Precision and kernel set as the cost model sees them: how many bytes each kind of tensor takes,
// and which tensor-core peak the linear layers run at.
//   fp16: everything 16-bit; GEMMs at the fp16 tensor peak.
//   int8 (W8A16, weight-only): linear-layer weights int8 with one fp16 scale per output channel,
//         dequantised in the GEMM's main loop; math and activations stay fp16, so the GEMMs run at
//         the fp16 tensor peak with half the weight bytes.
//   w8a8 (SmoothQuant): int8 weights (per-channel fp16 scales) AND int8 GEMM inputs (the kernel that
//         produces a GEMM's input writes it quantised); int8 tensor peak; outputs dequantised to fp16.
// In every precision the embedding, the norms and the LM head stay fp16 (what W8A16 and SmoothQuant
// checkpoints do: the LM head is the most quantisation-sensitive layer), and attention math is fp16.
// Per-token activation scales (4 bytes per row) and the per-(token, head) scales of an int8 KV cache
// (2 bytes per head_dim elements) are left out: under 2% of the bytes they describe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rooflm {

enum class KernelSet { naive, fused };

// "naive" | "fused"; anything else throws InputError listing both.
KernelSet parse_kernel_set(std::string_view name);
std::string_view kernel_set_name(KernelSet kernels);

// Which tensor-core peak a GEMM runs at.
enum class TensorMath { fp16, int8 };

struct Precision {
  std::string name = "fp16";          // fp16 | int8 | w8a8
  std::string kv_dtype = "fp16";      // fp16 | int8
  int64_t weight_bytes = 2;           // per element of a transformer-layer linear weight
  int64_t weight_scale_bytes = 0;     // per output channel of each quantised linear weight
  int64_t activation_bytes = 2;       // residual stream, q/k/v, intermediates, GEMM outputs
  int64_t gemm_input_bytes = 2;       // an activation written for a quantised GEMM to read
  int64_t kv_bytes = 2;               // per K or V element in the cache
  TensorMath linear_math = TensorMath::fp16;  // peak the transformer-layer GEMMs run at

  nlohmann::json to_json() const;
};

// Bytes per element of the tensors every precision keeps in fp16 (embedding, norm weights, LM head).
inline constexpr int64_t kFp16Bytes = 2;

// `name` is fp16 | int8 | w8a8, `kv_dtype` fp16 | int8; anything else throws InputError naming the
// option and listing the valid values.
Precision precision_named(std::string_view name, std::string_view kv_dtype = "fp16");

}  // namespace rooflm
