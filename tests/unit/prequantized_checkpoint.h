// A pre-quantised Hugging Face checkpoint for tests, in the compressed-tensors layout
// (engine/model/prequantized_weights.h): every layer projection of `weights` as <prefix>.weight
// (I8 or F8_E4M3 codes) + <prefix>.weight_scale, the rest as hf_checkpoint.h writes it (F16).
// The codes and scales are those the cpu backend computes when it quantises at load: each packed
// tensor (wqkv, wo, w_gate_up, w_down) quantised whole with ref::quantize_weight, then split back
// into its projections' rows (so q/k/v share a per-tensor scale); or, with `per_projection`, each
// projection quantised on its own (as checkpoint tools do: q, k and v scales then differ). Scales: [1] per tensor,
// [rows, 1] per channel, [rows, cols / group_size] per group; F16 for int8 (its scales are fp16
// values), F32 for fp8. Usage:
//   auto tensors = test::prequantized_hf_tensors(config, weights, {DType::i8, ref::WeightScaleGrain::channel});
//   test::tensor_named(tensors, "model.layers.0.mlp.up_proj.weight_scale").dtype = ...;  // break one
//   write_safetensors(dir / "model.safetensors", tensors);
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/model/safetensors.h"
#include "engine/model/weights.h"
#include "reference/quant.h"
#include "tests/unit/hf_checkpoint.h"

namespace rooflm::test {

struct PrequantizedScheme {
  DType dtype = DType::i8;  // i8 | f8e4m3
  ref::WeightScaleGrain grain = ref::WeightScaleGrain::channel;
  int64_t group_size = 0;  // group only
  bool per_projection = false;
};

// Appends <prefix>.weight and <prefix>.weight_scale: rows [first, first + rows) of quantised `q`.
inline void append_quantized_rows(std::vector<SafetensorsWriteTensor>& out, const std::string& prefix,
                                  const ref::QuantizedWeight& q, int64_t first, int64_t rows) {
  const auto codes = q.codes.begin() + first * q.cols;
  std::vector<std::byte> code_bytes(size_t(rows * q.cols));
  std::transform(codes, codes + rows * q.cols, code_bytes.begin(), [](uint8_t c) { return std::byte{c}; });
  out.push_back({prefix + ".weight", q.dtype == DType::i8 ? SafetensorsDtype::I8 : SafetensorsDtype::F8_E4M3,
                 {rows, q.cols}, std::move(code_bytes)});
  const int64_t per_row = ref::scales_per_row(q.grain, q.cols, q.group_size);
  std::vector<int64_t> shape = {1};
  std::vector<float> scales = {q.scales.front()};
  if (q.grain != ref::WeightScaleGrain::tensor) {
    shape = {rows, per_row};
    scales.assign(q.scales.begin() + first * per_row, q.scales.begin() + (first + rows) * per_row);
  }
  const SafetensorsDtype scale_dtype = q.dtype == DType::i8 ? SafetensorsDtype::F16 : SafetensorsDtype::F32;
  out.push_back({prefix + ".weight_scale", scale_dtype, shape, safetensors_encode_floats(scale_dtype, scales)});
}

inline std::vector<SafetensorsWriteTensor> prequantized_hf_tensors(const ModelConfig& config,
                                                                   const ModelWeights& weights,
                                                                   const PrequantizedScheme& scheme) {
  std::vector<SafetensorsWriteTensor> out;
  const auto quantize = [&](const std::vector<int64_t>& shape, const float* data) {
    return ref::quantize_weight(data, shape[0], shape[1], scheme.dtype, scheme.grain, scheme.group_size);
  };
  for (const HfTensor& t : hf_named_tensors(config, weights)) {
    if (!t.name.ends_with("_proj.weight")) {
      out.push_back({t.name, SafetensorsDtype::F16, t.shape, safetensors_encode_floats(SafetensorsDtype::F16, t.data)});
    } else if (scheme.per_projection) {
      const std::string prefix = t.name.substr(0, t.name.size() - std::string(".weight").size());
      append_quantized_rows(out, prefix, quantize(t.shape, t.data.data()), 0, t.shape[0]);
    }
  }
  if (scheme.per_projection) return out;
  const int64_t QD = config.q_dim(), KD = config.kv_dim(), F = config.ffn;
  for (size_t i = 0; i < weights.layers.size(); ++i) {
    const std::string attn = "model.layers." + std::to_string(i) + ".self_attn.",
                      mlp = "model.layers." + std::to_string(i) + ".mlp.";
    const LayerWeights& w = weights.layers[i];
    const auto whole = [&](const HostTensor& t) { return quantize(t.shape, t.ptr()); };
    const ref::QuantizedWeight qkv = whole(w.wqkv), o = whole(w.wo), gate_up = whole(w.w_gate_up),
                               down = whole(w.w_down);
    append_quantized_rows(out, attn + "q_proj", qkv, 0, QD);
    append_quantized_rows(out, attn + "k_proj", qkv, QD, KD);
    append_quantized_rows(out, attn + "v_proj", qkv, QD + KD, KD);
    append_quantized_rows(out, attn + "o_proj", o, 0, o.rows);
    append_quantized_rows(out, mlp + "gate_proj", gate_up, 0, F);
    append_quantized_rows(out, mlp + "up_proj", gate_up, F, F);
    append_quantized_rows(out, mlp + "down_proj", down, 0, down.rows);
  }
  return out;
}

// The tensor called `name` (the test fails when there is none).
inline SafetensorsWriteTensor& tensor_named(std::vector<SafetensorsWriteTensor>& tensors, const std::string& name) {
  const auto found = std::find_if(tensors.begin(), tensors.end(), [&](const auto& t) { return t.name == name; });
  if (found == tensors.end()) {
    ADD_FAILURE() << "no tensor " << name;
    static SafetensorsWriteTensor none;
    return none;
  }
  return *found;
}

}  // namespace rooflm::test
