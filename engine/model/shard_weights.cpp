// Row and column slices of the packed weights for one tensor-parallel rank.
#include "engine/model/shard_weights.h"

#include <algorithm>

#include "common/error.h"
#include "engine/model/tensor_shard.h"

namespace rooflm {
namespace {

// Rows [begin, begin + count) of a row-major [rows, cols] tensor (a vector: elements), appended.
void append_rows(const HostTensor& t, int64_t begin, int64_t count, HostTensor& out) {
  const int64_t cols = t.shape.size() > 1 ? t.shape[1] : 1;
  const auto first = t.data.begin() + begin * cols;
  out.data.insert(out.data.end(), first, first + count * cols);
}

// Columns [begin, begin + count) of every row of a [rows, cols] tensor.
HostTensor columns(const HostTensor& t, int64_t begin, int64_t count) {
  const int64_t rows = t.shape[0], cols = t.shape[1];
  HostTensor out{.shape = {rows, count}};
  out.data.reserve(size_t(rows * count));
  for (int64_t r = 0; r < rows; ++r) {
    const auto first = t.data.begin() + r * cols + begin;
    out.data.insert(out.data.end(), first, first + count);
  }
  return out;
}

// The rank's q heads, then the k rows and v rows of its KV heads, of a packed [q | k | v] tensor.
HostTensor qkv_rows(const HostTensor& t, const ModelConfig& model, const ModelConfig& shard, int64_t q_head,
                    int64_t kv_head) {
  const int64_t d = model.head_dim;
  HostTensor out;
  out.shape = t.shape;
  out.shape[0] = shard.qkv_dim();
  append_rows(t, q_head * d, shard.q_dim(), out);
  append_rows(t, model.q_dim() + kv_head * d, shard.kv_dim(), out);
  append_rows(t, model.q_dim() + model.kv_dim() + kv_head * d, shard.kv_dim(), out);
  return out;
}

}  // namespace

int64_t first_kv_head_of_rank(const ModelConfig& model, int32_t ranks, int32_t rank) {
  const int64_t q_head = int64_t(rank) * (model.n_heads / ranks);
  return q_head / (model.n_heads / model.n_kv_heads);  // the group of the rank's first query head
}

ModelWeights shard_weights(const ModelWeights& full, const ModelConfig& model, int32_t ranks, int32_t rank) {
  ROOFLM_CHECK(rank >= 0 && rank < ranks, "rank " + std::to_string(rank) + " of " + std::to_string(ranks));
  if (ranks == 1) return full;
  const ModelConfig shard = tensor_shard(model, ranks);
  const int64_t q_head = int64_t(rank) * shard.n_heads, kv_head = first_kv_head_of_rank(model, ranks, rank);
  const int64_t f = shard.ffn, f0 = int64_t(rank) * f;
  ModelWeights out;
  out.embed = full.embed;
  out.final_norm = full.final_norm;
  out.lm_head = full.lm_head;
  for (const LayerWeights& L : full.layers) {
    LayerWeights S;
    S.attn_norm = L.attn_norm;
    S.mlp_norm = L.mlp_norm;
    S.wqkv = qkv_rows(L.wqkv, model, shard, q_head, kv_head);
    if (!L.bqkv.data.empty()) S.bqkv = qkv_rows(L.bqkv, model, shard, q_head, kv_head);
    S.wo = columns(L.wo, q_head * model.head_dim, shard.q_dim());
    S.w_gate_up.shape = {2 * f, L.w_gate_up.shape[1]};
    append_rows(L.w_gate_up, f0, f, S.w_gate_up);
    append_rows(L.w_gate_up, model.ffn + f0, f, S.w_gate_up);
    S.w_down = columns(L.w_down, f0, f);
    out.layers.push_back(std::move(S));
  }
  return out;
}

}  // namespace rooflm
