// SmoothQuant factors and the weight transform that folds them into the model (smoothing.h).
#include "engine/model/smoothing.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "common/half.h"

namespace rooflm {

std::string_view linear_input_name(LinearInput input) {
  switch (input) {
    case LinearInput::attn_in:
      return "attn_in";
    case LinearInput::attn_out:
      return "attn_out";
    case LinearInput::mlp_in:
      return "mlp_in";
    case LinearInput::mlp_act:
      return "mlp_act";
  }
  return "?";
}

std::optional<LinearInput> linear_input_of(const OpNode& op) {
  if (op.kind != OpKind::linear) return std::nullopt;
  switch (op.weight.param) {
    case Param::wqkv:
      return LinearInput::attn_in;
    case Param::wo:
      return LinearInput::attn_out;
    case Param::w_gate_up:
      return LinearInput::mlp_in;
    case Param::w_down:
      return LinearInput::mlp_act;
    default:
      return std::nullopt;
  }
}

int64_t linear_input_width(const ModelConfig& config, LinearInput input) {
  switch (input) {
    case LinearInput::attn_in:
    case LinearInput::mlp_in:
      return config.hidden;
    case LinearInput::attn_out:
      return config.q_dim();
    case LinearInput::mlp_act:
      return config.ffn;
  }
  return 0;
}

std::vector<float>& LayerSmoothing::of(LinearInput input) {
  switch (input) {
    case LinearInput::attn_in:
      return attn_in;
    case LinearInput::attn_out:
      return attn_out;
    case LinearInput::mlp_in:
      return mlp_in;
    case LinearInput::mlp_act:
      break;
  }
  return mlp_act;
}

const std::vector<float>& LayerSmoothing::of(LinearInput input) const {
  return const_cast<LayerSmoothing*>(this)->of(input);
}

std::vector<float> smoothing_factors(std::span<const float> x_absmax, std::span<const float> w_absmax, double alpha) {
  ROOFLM_CHECK(x_absmax.size() == w_absmax.size(), "activation and weight maxima of the same channels");
  ROOFLM_CHECK(alpha >= 0 && alpha <= 1, "alpha in [0, 1]");
  std::vector<float> s(x_absmax.size(), 1.0f);
  for (size_t j = 0; j < s.size(); ++j) {
    const double x = x_absmax[j], w = w_absmax[j];
    if (x > 0 && w > 0) s[j] = float(std::pow(x, alpha) / std::pow(w, 1 - alpha));
  }
  return s;
}

std::vector<float> weight_column_absmax(const HostTensor& weight, int64_t row_begin, int64_t rows) {
  ROOFLM_CHECK(weight.shape.size() == 2 && row_begin >= 0 && row_begin + rows <= weight.shape[0], "rows of a matrix");
  const int64_t cols = weight.shape[1];
  std::vector<float> out(size_t(cols), 0.0f);
  for (int64_t r = row_begin; r < row_begin + rows; ++r)
    for (int64_t j = 0; j < cols; ++j)
      out[size_t(j)] = std::max(out[size_t(j)], std::fabs(weight.data[size_t(r * cols + j)]));
  return out;
}

void share_across_kv_groups(std::vector<float>& values, const ModelConfig& config) {
  const int64_t D = config.head_dim, group = config.n_heads / config.n_kv_heads;
  ROOFLM_CHECK(int64_t(values.size()) == config.q_dim(), "one value per attention output channel");
  for (int64_t g = 0; g < config.n_kv_heads; ++g)
    for (int64_t d = 0; d < D; ++d) {
      float m = 0;
      for (int64_t h = g * group; h < (g + 1) * group; ++h) m = std::max(m, values[size_t(h * D + d)]);
      for (int64_t h = g * group; h < (g + 1) * group; ++h) values[size_t(h * D + d)] = m;
    }
}

namespace {

// weight[:, j] *= s[j] for every row of a row-major [rows, s.size()] matrix.
void scale_columns(HostTensor& weight, const std::vector<float>& s) {
  const size_t cols = s.size();
  ROOFLM_CHECK(weight.shape.size() == 2 && size_t(weight.shape[1]) == cols, "a factor per column");
  for (size_t i = 0; i < weight.data.size(); ++i) weight.data[i] = round_to_fp16(weight.data[i] * s[i % cols]);
}

// Row `row` of a row-major matrix (or element `row` of a vector) divided by `s`.
void divide_row(HostTensor& tensor, int64_t row, float s) {
  const int64_t cols = tensor.shape.size() > 1 ? tensor.shape[1] : 1;
  float* p = tensor.data.data() + row * cols;
  for (int64_t j = 0; j < cols; ++j) p[j] = round_to_fp16(p[j] / s);
}

void check_factors(const std::vector<float>& s, int64_t width, int64_t layer, LinearInput input) {
  const std::string what = "layer " + std::to_string(layer) + " " + std::string(linear_input_name(input));
  ROOFLM_CHECK(int64_t(s.size()) == width,
               what + ": " + std::to_string(s.size()) + " factors for " + std::to_string(width) + " channels");
  for (const float v : s) ROOFLM_CHECK(std::isfinite(v) && v > 0, what + ": a factor that is not finite and > 0");
}

}  // namespace

void check_smoothing(const SmoothingFactors& factors, const ModelConfig& config) {
  if (factors.empty()) return;
  ROOFLM_CHECK(int64_t(factors.size()) == config.n_layers, "one entry of smoothing factors per layer");
  const int64_t D = config.head_dim, group = config.n_heads / config.n_kv_heads;
  for (int64_t l = 0; l < config.n_layers; ++l) {
    const LayerSmoothing& f = factors[size_t(l)];
    for (const LinearInput input :
         {LinearInput::attn_in, LinearInput::attn_out, LinearInput::mlp_in, LinearInput::mlp_act})
      if (!f.of(input).empty()) check_factors(f.of(input), linear_input_width(config, input), l, input);
    if (f.attn_out.empty()) continue;
    for (int64_t g = 0; g < config.n_kv_heads; ++g)
      for (int64_t d = 0; d < D; ++d)
        for (int64_t h = g * group; h < (g + 1) * group; ++h)
          ROOFLM_CHECK(f.attn_out[size_t(h * D + d)] == f.attn_out[size_t(g * group * D + d)],
                       "layer " + std::to_string(l) + " attn_out: factors differ within KV group " + std::to_string(g));
  }
}

std::vector<float> v_row_divisors(const LayerSmoothing& factors, const ModelConfig& config) {
  if (factors.attn_out.empty()) return {};
  const int64_t D = config.head_dim, group = config.n_heads / config.n_kv_heads;
  std::vector<float> out(size_t(config.kv_dim()));
  for (int64_t g = 0; g < config.n_kv_heads; ++g)
    for (int64_t d = 0; d < D; ++d) out[size_t(g * D + d)] = factors.attn_out[size_t(g * group * D + d)];
  return out;
}

ModelWeights apply_smoothing(ModelWeights weights, const ModelConfig& config, const SmoothingFactors& factors) {
  if (factors.empty()) return weights;
  check_smoothing(factors, config);
  const int64_t QD = config.q_dim(), KD = config.kv_dim(), F = config.ffn;
  for (int64_t l = 0; l < config.n_layers; ++l) {
    const LayerSmoothing& f = factors[size_t(l)];
    LayerWeights& w = weights.layers[size_t(l)];
    if (!f.attn_in.empty()) {
      for (int64_t j = 0; j < config.hidden; ++j) divide_row(w.attn_norm, j, f.attn_in[size_t(j)]);
      scale_columns(w.wqkv, f.attn_in);
    }
    if (!f.mlp_in.empty()) {
      for (int64_t j = 0; j < config.hidden; ++j) divide_row(w.mlp_norm, j, f.mlp_in[size_t(j)]);
      scale_columns(w.w_gate_up, f.mlp_in);
    }
    if (!f.mlp_act.empty()) {
      for (int64_t j = 0; j < F; ++j) divide_row(w.w_gate_up, F + j, f.mlp_act[size_t(j)]);  // up_proj rows
      scale_columns(w.w_down, f.mlp_act);
    }
    if (!f.attn_out.empty()) {
      const std::vector<float> v = v_row_divisors(f, config);
      for (int64_t r = 0; r < KD; ++r) {
        divide_row(w.wqkv, QD + KD + r, v[size_t(r)]);
        if (!w.bqkv.data.empty()) divide_row(w.bqkv, QD + KD + r, v[size_t(r)]);
      }
      scale_columns(w.wo, f.attn_out);
    }
  }
  return weights;
}

}  // namespace rooflm
