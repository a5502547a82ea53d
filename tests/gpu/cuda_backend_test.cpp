// Whole model on the GPU vs the CPU reference backend (tiny preset): every logit of a batched
// prefill (three sequences of different lengths in one step) and of 32 batched decode steps, for
// both kernel sets and both launch modes. The GPU is fed the CPU's greedy tokens (teacher forcing),
// so both always see the same sequences.
// Tolerance: |gpu - cpu| <= 3e-2 + 3e-2 |cpu| per logit. The GPU stores weights, activations and
// KV in fp16 (11-bit mantissa, ~5e-4 relative per rounding) and each of 4 layers rounds a few
// times; logits are O(1) (std ~0.6), so errors land around 1e-2 at worst while a wrong kernel
// (a swapped head, a missed position) moves logits by O(1).
#include <gtest/gtest.h>

#include <random>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "common/error.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

struct Side {
  std::unique_ptr<Backend> backend;
  ContiguousKvCache kv;
  Side(std::unique_ptr<Backend> b, const ModelConfig& c, DType dtype)
      : backend(std::move(b)), kv({c.n_layers, c.n_kv_heads, c.head_dim, 128, 4, dtype}) {
    kv.bind(backend->allocate_kv(kv.geometry()));
  }
  StepOutput step(BatchPlan plan) {
    for (auto& ch : plan.chunks) EXPECT_TRUE(kv.reserve(ch.seq, ch.n_tokens()));
    StepOutput out = backend->forward(plan, kv.view(plan.seqs()), true);
    for (auto& ch : plan.chunks) kv.commit(ch.seq, ch.tokens);
    return out;
  }
};

Scenario tiny_scenario(const char* kernels, const char* launch) {
  Scenario s;
  s.model.preset = "tiny";
  s.model.seed = 11;
  s.engine.kernels = kernels;
  s.engine.launch = launch;
  return s;
}

class CudaBackendVsCpu : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(CudaBackendVsCpu, PrefillAnd32DecodeStepsMatchEveryLogit) {
  ROOFLM_REQUIRE_GPU();
  const auto [kernels, launch] = GetParam();
  const ModelConfig c = model_preset("tiny");
  const Scenario sc = tiny_scenario(kernels, launch);
  Side cpu(std::make_unique<CpuBackend>(c, synthetic_weights(c, sc.model.seed), 2), c, DType::f32);
  Side gpu(std::make_unique<CudaBackend>(c, sc), c, DType::f16);

  std::mt19937 rng(std::random_device{}());
  const std::vector<int64_t> lengths = {37, 1, 17};
  BatchPlan prefill;
  for (size_t i = 0; i < lengths.size(); ++i) {
    SeqChunk ch;
    ch.seq = int64_t(i);
    ch.tokens.resize(size_t(lengths[i]));
    for (auto& t : ch.tokens) t = int32_t(rng() % uint32_t(c.vocab));
    ch.sample = true;
    ch.is_prefill = true;
    prefill.chunks.push_back(ch);
  }
  BatchPlan plan = prefill;
  for (int step = 0; step <= 32; ++step) {
    const StepOutput ref = cpu.step(plan);
    const StepOutput got = gpu.step(plan);
    BatchPlan next;
    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      ASSERT_TRUE(gputest::all_close(got.logits[i], ref.logits[i], 3e-2, 3e-2))
          << kernels << "/" << launch << " step " << step << " seq " << i;
      // Greedy tokens agree unless the CPU's top two logits are within the tolerance (a near-tie).
      std::vector<float> sorted = ref.logits[i];
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
      if (sorted[0] - sorted[1] > 0.1f) EXPECT_EQ(got.next_tokens[i], ref.next_tokens[i]) << "step " << step;
      SeqChunk ch;
      ch.seq = plan.chunks[i].seq;
      ch.start_pos = plan.chunks[i].end_pos();
      ch.tokens = {ref.next_tokens[i]};
      ch.sample = true;
      next.chunks.push_back(ch);
    }
    plan = next;
  }
}

INSTANTIATE_TEST_SUITE_P(KernelSetsAndLaunch, CudaBackendVsCpu,
                         ::testing::Combine(::testing::Values("naive", "fused"), ::testing::Values("eager", "graph")),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
                         });

TEST(CudaBackend, SyntheticWeightsTooLargeForTheGpuAreBadInput) {
  ROOFLM_REQUIRE_GPU();
  ModelConfig huge = model_preset("llama2-70b");
  huge.n_layers = 400;  // ~0.7 TB of fp16 weights
  EXPECT_THROW({ CudaBackend too_big(huge, tiny_scenario("fused", "eager")); }, InputError);
}

}  // namespace
}  // namespace rooflm
