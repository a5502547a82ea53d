// An independent, deliberately naive Llama forward pass in fp64 for tests: one sequence, full
// causal attention recomputed from scratch (no KV cache, no batching, no shared code with the
// CPU backend). Returns the logits of every position: [n_tokens][vocab].
#pragma once

#include <cmath>
#include <vector>

#include "engine/model/weights.h"

namespace rooflm::testing {

inline std::vector<std::vector<double>> naive_llama_logits(const ModelConfig& c, const ModelWeights& w,
                                                           const std::vector<int32_t>& tokens) {
  const size_t n = tokens.size(), H = size_t(c.hidden), hd = size_t(c.head_dim);
  using Mat = std::vector<std::vector<double>>;
  // x [n, in] -> [n, rows], W [out, in] restricted to rows [first, first + rows) (all by default)
  auto linear = [](const Mat& x, const HostTensor& W, size_t first = 0, size_t rows = 0) {
    const size_t in = size_t(W.shape[1]), out = rows != 0 ? rows : size_t(W.shape[0]);
    Mat y(x.size(), std::vector<double>(out, 0.0));
    for (size_t t = 0; t < x.size(); ++t)
      for (size_t o = 0; o < out; ++o)
        for (size_t i = 0; i < in; ++i) y[t][o] += x[t][i] * double(W.data[(first + o) * in + i]);
    return y;
  };
  auto norm = [&](const Mat& x, const HostTensor& g) {
    Mat y = x;
    for (auto& row : y) {
      double ms = 0;
      for (double v : row) ms += v * v;
      const double inv = 1.0 / std::sqrt(ms / double(row.size()) + c.rms_eps);
      for (size_t i = 0; i < row.size(); ++i) row[i] *= inv * double(g.data[i]);
    }
    return y;
  };
  auto rope = [&](Mat& x, size_t heads) {
    for (size_t t = 0; t < x.size(); ++t)
      for (size_t h = 0; h < heads; ++h)
        for (size_t i = 0; i < hd / 2; ++i) {
          const double a = double(t) * std::pow(c.rope_theta, -2.0 * double(i) / double(hd));
          double& x1 = x[t][h * hd + i];
          double& x2 = x[t][h * hd + i + hd / 2];
          const double r1 = x1 * std::cos(a) - x2 * std::sin(a), r2 = x2 * std::cos(a) + x1 * std::sin(a);
          x1 = r1;
          x2 = r2;
        }
  };

  Mat x(n, std::vector<double>(H));
  for (size_t t = 0; t < n; ++t)
    for (size_t i = 0; i < H; ++i) x[t][i] = w.embed.data[size_t(tokens[t]) * H + i];
  const size_t heads = size_t(c.n_heads), group = size_t(c.n_heads / c.n_kv_heads);
  for (const LayerWeights& L : w.layers) {
    Mat h = norm(x, L.attn_norm);
    const size_t QD = size_t(c.q_dim()), KD = size_t(c.kv_dim());  // wqkv rows: wq, wk, wv
    Mat q = linear(h, L.wqkv, 0, QD), k = linear(h, L.wqkv, QD, KD), v = linear(h, L.wqkv, QD + KD, KD);
    rope(q, heads);
    rope(k, size_t(c.n_kv_heads));
    Mat att(n, std::vector<double>(heads * hd, 0.0));
    for (size_t t = 0; t < n; ++t)
      for (size_t hh = 0; hh < heads; ++hh) {
        const size_t kvh = hh / group;
        std::vector<double> s(t + 1);
        double m = -INFINITY, z = 0;
        for (size_t j = 0; j <= t; ++j) {
          s[j] = 0;
          for (size_t d = 0; d < hd; ++d) s[j] += q[t][hh * hd + d] * k[j][kvh * hd + d];
          s[j] /= std::sqrt(double(hd));
          m = std::max(m, s[j]);
        }
        for (double& e : s) z += (e = std::exp(e - m));
        for (size_t j = 0; j <= t; ++j)
          for (size_t d = 0; d < hd; ++d) att[t][hh * hd + d] += s[j] / z * v[j][kvh * hd + d];
      }
    Mat o = linear(att, L.wo);
    for (size_t t = 0; t < n; ++t)
      for (size_t i = 0; i < H; ++i) x[t][i] += o[t][i];
    h = norm(x, L.mlp_norm);
    const size_t F = size_t(c.ffn);  // w_gate_up rows: gate, up
    Mat g = linear(h, L.w_gate_up, 0, F), u = linear(h, L.w_gate_up, F, F);
    for (size_t t = 0; t < n; ++t)
      for (size_t i = 0; i < g[t].size(); ++i) g[t][i] = g[t][i] / (1.0 + std::exp(-g[t][i])) * u[t][i];
    Mat d = linear(g, L.w_down);
    for (size_t t = 0; t < n; ++t)
      for (size_t i = 0; i < H; ++i) x[t][i] += d[t][i];
  }
  return linear(norm(x, w.final_norm), w.lm_head_or_embed());
}

}  // namespace rooflm::testing
