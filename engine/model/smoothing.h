// SmoothQuant smoothing (Xiao et al. 2023): per input channel j of a linear layer, a factor s_j
// moves quantisation difficulty from the activation X to the weight W: X' = X / s, W' = W * s
// (columns), so X' W'^T = X W^T. The division is folded into the op that writes X, so the fp32
// model computes the same function (to the fp16 rounding of the changed weights):
//   attn_in  [hidden]  qkv_proj's input  = attn_norm output:  attn_norm /= s,  wqkv columns *= s
//   mlp_in   [hidden]  gate_up's input   = mlp_norm output:   mlp_norm /= s,   w_gate_up columns *= s
//   mlp_act  [ffn]     down_proj's input = silu(gate) * up:   w_up rows /= s,  w_down columns *= s
//   attn_out [q_dim]   o_proj's input    = softmax(QK^T) V:   v rows (and their bias) /= s, wo columns *= s;
//                      a KV head's V feeds every query head of its group, so s is equal across them
// Factors: s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) (alpha: migration strength, 0.5 by default),
// with max|W_j| over every weight that reads input j (all of wqkv's rows; both gate and up), and s_j
// = 1 where either maximum is 0. Quantisation (reference/quant.*) comes after apply_smoothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/model/step_program.h"
#include "engine/model/weights.h"

namespace rooflm {

// The four smoothable linear inputs of a layer (names as written in files and messages).
enum class LinearInput : uint8_t { attn_in, attn_out, mlp_in, mlp_act };
std::string_view linear_input_name(LinearInput input);  // "attn_in", ...
// Which input a linear node of the step program reads, by its weight (wqkv, wo, w_gate_up, w_down);
// nullopt for any other node.
std::optional<LinearInput> linear_input_of(const OpNode& op);
// Channels of `input`: hidden, q_dim, hidden, ffn.
int64_t linear_input_width(const ModelConfig& config, LinearInput input);

// Factors of one layer; an empty vector leaves that input as it is (every s_j = 1).
struct LayerSmoothing {
  std::vector<float> attn_in, attn_out, mlp_in, mlp_act;
  std::vector<float>& of(LinearInput input);
  const std::vector<float>& of(LinearInput input) const;
};
using SmoothingFactors = std::vector<LayerSmoothing>;  // [n_layers]

// s_j from the maxima (both [channels], >= 0); alpha in [0, 1].
std::vector<float> smoothing_factors(std::span<const float> x_absmax, std::span<const float> w_absmax, double alpha);

// max_r |W[r, j]| over rows [row_begin, row_begin + rows) of a row-major [*, cols] weight: [cols].
std::vector<float> weight_column_absmax(const HostTensor& weight, int64_t row_begin, int64_t rows);

// Replaces every channel (h, d) of a [n_heads * head_dim] vector by the maximum over the query
// heads of its KV group (what makes attn_out factors foldable into V).
void share_across_kv_groups(std::vector<float>& values, const ModelConfig& config);

// `factors` has one entry per layer (or none), each finite and > 0, of the widths above, attn_out
// equal across each KV group; std::logic_error otherwise (the scales reader checks files before this).
void check_smoothing(const SmoothingFactors& factors, const ModelConfig& config);

// The divisor of each V row [kv_dim] (row g * head_dim + d of wv: attn_out's factor of channel d of
// KV group g); empty when attn_out is.
std::vector<float> v_row_divisors(const LayerSmoothing& factors, const ModelConfig& config);

// The smoothed weights: norms, V and up rows divided, the reading weights' columns multiplied, every
// changed value rounded to fp16 again; columns are scaled before rows are divided (a V or up_proj
// value takes both). `factors` as check_smoothing wants them (none: unchanged). The GPU does the
// same at load (DeviceWeights, kernels/quant/smooth_f16.h).
ModelWeights apply_smoothing(ModelWeights weights, const ModelConfig& config, const SmoothingFactors& factors);

}  // namespace rooflm
