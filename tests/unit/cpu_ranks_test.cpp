// The cpu backend's tensor-parallel ranks (CpuRanksBackend, issue 16): the sharded recipe on N
// simulated ranks, one thread each, meeting at every all-reduce, gives TP=1's logits and tokens.
// Tolerance: 1e-4 + 1e-4 |ref| per logit (fp32 throughout; the row-parallel projections' partial
// sums are added in another order than one dot product, ~1e-6 relative per layer). Also: the
// weight shards hold exactly the rows and columns of their heads, a rank that fails stops the
// others (no hang), and a quantised precision or an unsplittable model is refused by name.
//   build/tests/rooflm_unit_tests --gtest_filter='CpuRanks*'
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "engine/backend/cpu/cpu_all_reduce.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/cpu/cpu_ranks_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/model/shard_weights.h"
#include "engine/model/tensor_shard.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/step_logits.h"

namespace rooflm {
namespace {

Variant ranks_variant(int32_t ranks, KernelSet kernels) {
  Variant v;
  v.kernels = kernels;
  v.tensor_parallel = ranks;
  return v;
}

using test::random_tokens;

std::vector<std::vector<float>> run_logits(Backend& backend, const ModelConfig& rank_shape,
                                           const std::vector<int32_t>& prompt, const std::vector<int32_t>& decode) {
  ContiguousKvCache kv({rank_shape.n_layers, rank_shape.n_kv_heads, rank_shape.head_dim, 64, 1,
                        backend.effective_variant().kv_dtype});
  kv.bind(backend.allocate_kv(kv.geometry()));
  return test::prefill_decode_logits(backend, kv, prompt, decode);
}

TEST(CpuRanks, ShardedRanksGiveOneRanksLogitsForEveryKernelSetAndFamily) {
  for (const char* preset : {"tiny", "tiny-qwen2", "tiny-mistral"}) {
    const ModelConfig model = model_preset(preset);
    const ModelWeights weights = synthetic_weights(model, 7);
    const uint32_t seed = std::random_device{}();
    const std::vector<int32_t> prompt = random_tokens(11, model.vocab, seed);
    const std::vector<int32_t> decode = random_tokens(6, model.vocab, seed + 1);
    for (const KernelSet kernels : {KernelSet::fused, KernelSet::naive}) {
      CpuBackend one(model, weights, ranks_variant(1, kernels), 2);
      const auto ref = run_logits(one, model, prompt, decode);
      for (const int32_t ranks : {2, 4}) {
        if (model.n_heads % ranks != 0 || model.ffn % ranks != 0) continue;
        SCOPED_TRACE(std::string(preset) + " " + std::string(name(kernels)) + " ranks=" + std::to_string(ranks) +
                     " seed=" + std::to_string(seed));
        CpuRanksBackend tp(model, weights, ranks_variant(ranks, kernels), 2);
        EXPECT_EQ(tp.effective_variant().tensor_parallel, ranks);
        const auto got = run_logits(tp, tensor_shard(model, ranks), prompt, decode);
        ASSERT_EQ(got.size(), ref.size());
        for (size_t s = 0; s < ref.size(); ++s) {
          ASSERT_EQ(got[s].size(), ref[s].size());
          size_t argmax_ref = 0, argmax_got = 0;
          for (size_t i = 0; i < ref[s].size(); ++i) {
            ASSERT_NEAR(got[s][i], ref[s][i], 1e-4 + 1e-4 * std::fabs(ref[s][i])) << "step " << s << " logit " << i;
            if (ref[s][i] > ref[s][argmax_ref]) argmax_ref = i;
            if (got[s][i] > got[s][argmax_got]) argmax_got = i;
          }
          EXPECT_EQ(argmax_got, argmax_ref) << "step " << s;
        }
      }
    }
  }
}

TEST(CpuRanks, ShardsHoldTheirHeadsRowsAndColumns) {
  const ModelConfig model = model_preset("tiny");  // hidden 256, 4 heads, 2 KV heads, head_dim 64
  const ModelWeights full = synthetic_weights(model, 3);
  const int64_t d = model.head_dim, H = model.hidden, F = model.ffn;
  for (const int32_t rank : {0, 1, 2, 3}) {
    SCOPED_TRACE(rank);
    const ModelWeights s = shard_weights(full, model, 4, rank);  // 1 query head, its KV head replicated
    const LayerWeights &L = full.layers[1], &S = s.layers[1];
    const int64_t kv_head = first_kv_head_of_rank(model, 4, rank);
    EXPECT_EQ(kv_head, rank / 2);
    ASSERT_EQ(S.wqkv.shape, (std::vector<int64_t>{3 * d, H}));
    EXPECT_EQ(S.wqkv.data[0], L.wqkv.data[size_t(rank * d * H)]);                                 // q head `rank`
    EXPECT_EQ(S.wqkv.data[size_t(d * H)], L.wqkv.data[size_t((model.q_dim() + kv_head * d) * H)]);  // its k head
    EXPECT_EQ(S.wqkv.data[size_t(2 * d * H)],
              L.wqkv.data[size_t((model.q_dim() + model.kv_dim() + kv_head * d) * H)]);            // its v head
    ASSERT_EQ(S.wo.shape, (std::vector<int64_t>{H, d}));
    EXPECT_EQ(S.wo.data[size_t(5 * d + 3)], L.wo.data[size_t(5 * model.q_dim() + rank * d + 3)]);
    const int64_t f = F / 4;
    ASSERT_EQ(S.w_gate_up.shape, (std::vector<int64_t>{2 * f, H}));
    EXPECT_EQ(S.w_gate_up.data[size_t(f * H)], L.w_gate_up.data[size_t((F + rank * f) * H)]);    // first up row
    ASSERT_EQ(S.w_down.shape, (std::vector<int64_t>{H, f}));
    EXPECT_EQ(S.w_down.data[size_t(7 * f + 1)], L.w_down.data[size_t(7 * F + rank * f + 1)]);
    EXPECT_EQ(s.embed.data, full.embed.data);
  }
}

TEST(CpuRanks, AllReduceSumsInRankOrderAndAFailedRankStopsTheOthers) {
  CpuAllReduce reduce(3);
  std::vector<std::vector<float>> data = {{1, 2}, {10, 20}, {100, 200}};
  std::vector<std::thread> threads;
  for (int32_t r = 0; r < 3; ++r) threads.emplace_back([&, r] { reduce.all_reduce_sum(r, data[size_t(r)].data(), 2); });
  for (auto& t : threads) t.join();
  for (const auto& d : data) EXPECT_EQ(d, (std::vector<float>{111, 222}));

  CpuAllReduce broken(3);
  std::vector<int> aborted(3, 0);
  threads.clear();
  for (int32_t r = 0; r < 3; ++r)
    threads.emplace_back([&, r] {
      try {
        if (r == 1) throw std::runtime_error("rank 1 fails before its all-reduce");
        float x[1] = {1};
        broken.all_reduce_sum(r, x, 1);
      } catch (const RanksAborted&) {
        aborted[size_t(r)] = 1;
        broken.abandon();
      } catch (const std::runtime_error&) {
        broken.abandon();
      }
    });
  for (auto& t : threads) t.join();  // returns: nobody waits for rank 1
  EXPECT_EQ(aborted, (std::vector<int>{1, 0, 1}));
}

TEST(CpuRanks, QuantisedPrecisionsAndUnsplittableModelsAreRefusedByName) {
  const ModelConfig model = model_preset("tiny");
  const ModelWeights weights = synthetic_weights(model, 1);
  Variant w8a8 = ranks_variant(2, KernelSet::fused);
  w8a8.precision = Precision::w8a8;
  EXPECT_NE(test::input_error_message([&] { CpuRanksBackend(model, weights, w8a8, 1); })
                .find("engine.tensor_parallel = 2 with engine.precision \"w8a8\": the cpu backend's ranks run fp16"),
            std::string::npos);
  EXPECT_NE(test::input_error_message([&] { CpuRanksBackend(model, weights, ranks_variant(3, KernelSet::fused), 1); })
                .find("engine.tensor_parallel = 3: model tiny has n_heads = 4, not a multiple of 3"),
            std::string::npos);
  EXPECT_NE(test::input_error_message([&] { CpuBackend(model, weights, ranks_variant(2, KernelSet::fused), 1); })
                .find("engine.tensor_parallel = 2: a cpu backend without its ranks"),
            std::string::npos);
}

}  // namespace
}  // namespace rooflm
