// CpuBackend forward pass over a BatchPlan: all tokens of all chunks go through each layer
// together; each token attends to its own sequence's KV (cached prefix + this step's tokens).
#include "engine/backend/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <unordered_set>

#include "common/error.h"
#include "common/rope_table.h"
#include "reference/activation.h"
#include "reference/attention.h"
#include "reference/embedding.h"
#include "reference/linear.h"
#include "reference/norm.h"
#include "reference/rope.h"
#include "reference/sampler.h"

namespace rooflm {

CpuBackend::CpuBackend(ModelConfig config, ModelWeights weights, int n_threads)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      pool_(n_threads),
      rope_inv_freq_(rope_inv_freq(config_.head_dim, config_.rope_theta, config_.rope_scaling)) {}

KvStorage CpuBackend::allocate_kv(const KvGeometry& geom) {
  ROOFLM_CHECK(geom.dtype == DType::f32, "the cpu backend stores KV in fp32");
  const size_t n = size_t(geom.n_layers * geom.num_blocks * geom.elems_per_block());
  // Poison: attention must only ever read KV that a step wrote.
  k_storage_.assign(n, std::numeric_limits<float>::quiet_NaN());
  v_storage_.assign(n, std::numeric_limits<float>::quiet_NaN());
  return {k_storage_.data(), v_storage_.data()};
}

void CpuBackend::copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) {
  const int64_t block = geom.elems_per_block();
  ROOFLM_CHECK(size_t(geom.n_layers * geom.num_blocks * block) == k_storage_.size(), "copy in unallocated KV storage");
  for (const KvBlockCopy& c : copies) {
    ROOFLM_CHECK(c.src >= 0 && c.src < geom.num_blocks && c.dst >= 0 && c.dst < geom.num_blocks,
                 "block copy " + std::to_string(c.src) + " -> " + std::to_string(c.dst) + " outside the pool");
    for (int64_t l = 0; l < geom.n_layers; ++l) {
      const int64_t src = (l * geom.num_blocks + c.src) * block, dst = (l * geom.num_blocks + c.dst) * block;
      std::copy_n(k_storage_.begin() + src, block, k_storage_.begin() + dst);
      std::copy_n(v_storage_.begin() + src, block, v_storage_.begin() + dst);
    }
  }
}

nlohmann::json CpuBackend::device_info() const {
  return {{"device", {{"kind", "cpu"}, {"threads", pool_.size()}}}};
}

StepOutput CpuBackend::forward(const BatchPlan& plan, const KvView& kv, bool want_logits) {
  const ModelConfig& c = config_;
  const int64_t H = c.hidden, F = c.ffn, QD = c.q_dim(), KD = c.kv_dim(), hd = c.head_dim;
  const int64_t T = plan.n_tokens();
  ROOFLM_CHECK(kv.n_seqs == int32_t(plan.chunks.size()), "KV view rows must match the plan");

  std::vector<int32_t> tok(T), row(T), pos(T);
  std::vector<int32_t> q_begin(plan.chunks.size() + 1, 0), kv_len(plan.chunks.size());
  {
    std::unordered_set<SeqId> seen;
    int64_t t = 0;
    for (size_t r = 0; r < plan.chunks.size(); ++r) {
      const SeqChunk& ch = plan.chunks[r];
      ROOFLM_CHECK(seen.insert(ch.seq).second, "a plan holds one chunk per sequence");
      for (int64_t i = 0; i < ch.n_tokens(); ++i, ++t) {
        tok[t] = ch.tokens[i];
        ROOFLM_CHECK(tok[t] >= 0 && tok[t] < c.vocab, "token id out of range");
        pos[t] = int32_t(ch.start_pos + i);
        row[t] = int32_t(r);
      }
      q_begin[r + 1] = int32_t(t);
      kv_len[r] = int32_t(ch.end_pos());
    }
  }

  std::vector<float> x(T * H), h(T * H), tmp(T * H), q(T * QD), k(T * KD), v(T * KD), att(T * QD);
  std::vector<float> g(T * F), u(T * F), a(T * F);
  ref::embedding_gather(weights_.embed.ptr(), tok.data(), x.data(), T, H);

  for (int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = weights_.layers[l];
    ref::rmsnorm(x.data(), w.attn_norm.ptr(), h.data(), T, H, c.rms_eps);
    ref::linear_xwt(&pool_, h.data(), w.wq.ptr(), nullptr, q.data(), T, H, QD);
    ref::linear_xwt(&pool_, h.data(), w.wk.ptr(), nullptr, k.data(), T, H, KD);
    ref::linear_xwt(&pool_, h.data(), w.wv.ptr(), nullptr, v.data(), T, H, KD);
    ref::rope(q.data(), pos.data(), T, c.n_heads, hd, rope_inv_freq_.data());
    ref::rope(k.data(), pos.data(), T, c.n_kv_heads, hd, rope_inv_freq_.data());
    ref::kv_write(k.data(), v.data(), row.data(), pos.data(), T, l, kv);
    ref::attention(&pool_, q.data(), att.data(), q_begin.data(), kv_len.data(), int64_t(plan.chunks.size()),
                   c.n_heads, l, c.sliding_window, kv);
    ref::linear_xwt(&pool_, att.data(), w.wo.ptr(), nullptr, tmp.data(), T, QD, H);
    ref::residual_add(x.data(), tmp.data(), T, H);

    ref::rmsnorm(x.data(), w.mlp_norm.ptr(), h.data(), T, H, c.rms_eps);
    ref::linear_xwt(&pool_, h.data(), w.w_gate.ptr(), nullptr, g.data(), T, H, F);
    ref::linear_xwt(&pool_, h.data(), w.w_up.ptr(), nullptr, u.data(), T, H, F);
    ref::silu(g.data(), g.data(), T * F);
    ref::mul(g.data(), u.data(), a.data(), T * F);
    ref::linear_xwt(&pool_, a.data(), w.w_down.ptr(), nullptr, tmp.data(), T, F, H);
    ref::residual_add(x.data(), tmp.data(), T, H);
  }

  // Logits only for the last token of each sampling chunk.
  std::vector<int64_t> sample_rows;
  std::vector<size_t> sample_chunk;
  {
    int64_t t = 0;
    for (size_t r = 0; r < plan.chunks.size(); ++r) {
      t += plan.chunks[r].n_tokens();
      if (plan.chunks[r].sample) {
        sample_rows.push_back(t - 1);
        sample_chunk.push_back(r);
      }
    }
  }
  const int64_t S = int64_t(sample_rows.size());
  std::vector<float> xs(S * H), hs(S * H), logits(S * c.vocab);
  for (int64_t s = 0; s < S; ++s) std::copy_n(x.data() + sample_rows[s] * H, H, xs.data() + s * H);
  ref::rmsnorm(xs.data(), weights_.final_norm.ptr(), hs.data(), S, H, c.rms_eps);
  ref::linear_xwt(&pool_, hs.data(), weights_.lm_head_or_embed().ptr(), nullptr, logits.data(), S, H, c.vocab);

  StepOutput out;
  out.next_tokens.assign(plan.chunks.size(), -1);
  if (want_logits) out.logits.resize(plan.chunks.size());
  for (int64_t s = 0; s < S; ++s) {
    const SeqChunk& ch = plan.chunks[sample_chunk[s]];
    std::span<const float> row_logits(logits.data() + s * c.vocab, size_t(c.vocab));
    out.next_tokens[sample_chunk[s]] = ref::sample_token(row_logits, ch.sampling, ch.sample_seed, ch.end_pos());
    if (want_logits) out.logits[sample_chunk[s]].assign(row_logits.begin(), row_logits.end());
  }
  return out;
}

}  // namespace rooflm
