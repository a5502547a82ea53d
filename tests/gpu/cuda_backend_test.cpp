// Whole model on the GPU vs the CPU reference backend, for the tiny model of every family (tiny:
// Llama-2; tiny-llama3: GQA 4/1 and llama3 RoPE scaling; tiny-qwen2: Q/K/V bias, head_dim 128;
// tiny-mistral: a sliding window of 16 under prompts of 37): every logit of a batched prefill
// (three sequences of different lengths in one step) and of 32 batched decode steps, for both
// kernel sets and both launch modes, and the op sequence each backend executes (the same step
// program). The GPU is fed the CPU's greedy tokens (teacher forcing), so both see the same sequences.
// Tolerance: |gpu - cpu| <= 3e-2 + 3e-2 |cpu| per logit. The GPU stores weights, activations and
// KV in fp16 (11-bit mantissa, ~5e-4 relative per rounding) and each of 4 layers rounds a few
// times; logits are O(1) (std ~0.6), so errors land around 1e-2 at worst while a wrong kernel
// (a swapped head, a missed position) moves logits by O(1).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "common/error.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "tests/gpu/gpu_test_util.h"
#include "tests/unit/plan_builders.h"

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

Scenario tiny_scenario(const char* preset, KernelSet kernels, Launch launch) {
  Scenario s;
  s.model.preset = preset;
  s.model.seed = 11;
  s.engine.kernels = kernels;
  s.engine.launch = launch;
  return s;
}

// Teacher forcing: the next decode step feeds every sequence of `plan` the CPU's greedy token.
BatchPlan teacher_forced_next(const BatchPlan& plan, const StepOutput& ref) {
  BatchPlan next;
  for (size_t i = 0; i < plan.chunks.size(); ++i)
    next.chunks.push_back(test::make_chunk(plan.chunks[i].seq, plan.chunks[i].end_pos(), {ref.next_tokens[i]}));
  return next;
}

// Scenario `sc` on the GPU against the cpu backend on the same weights: a batched prefill of three
// sequences (27, 1 and 34 random tokens) and 16 teacher-forced decode steps, every logit within
// atol + 6e-2 |cpu|. The cpu and GPU caches hold cpu_kv / gpu_kv.
void expect_quantised_model_matches_cpu(const ModelConfig& c, const Scenario& sc, DType cpu_kv, DType gpu_kv,
                                        double atol) {
  Side cpu(std::make_unique<CpuBackend>(c, synthetic_weights(c, sc.model.seed), requested_variant(sc.engine, BackendKind::cpu), 2),
           c, cpu_kv);
  Side gpu(std::make_unique<CudaBackend>(c, sc), c, gpu_kv);
  std::mt19937 rng(std::random_device{}());
  BatchPlan plan;
  for (int64_t i = 0; i < 3; ++i) {
    SeqChunk ch;
    ch.seq = i;
    ch.tokens.resize(size_t(i == 1 ? 1 : 20 + 7 * i));
    for (auto& t : ch.tokens) t = int32_t(rng() % uint32_t(c.vocab));
    ch.sample = true;
    ch.is_prefill = true;
    plan.chunks.push_back(ch);
  }
  for (int step = 0; step <= 16; ++step) {
    const StepOutput ref = cpu.step(plan);
    const StepOutput got = gpu.step(plan);
    for (size_t i = 0; i < plan.chunks.size(); ++i)
      ASSERT_TRUE(gputest::all_close(got.logits[i], ref.logits[i], atol, 6e-2)) << "step " << step << " seq " << i;
    plan = teacher_forced_next(plan, ref);
  }
}

// The names of the ops a backend executes, in order.
class OpRecorder final : public OpObserver {
 public:
  std::vector<std::string> names;
  void op_begin(const OpNode& op) override { names.push_back(op.name); }
  void op_end(const OpNode&) override {}
};

class CudaBackendVsCpu : public ::testing::TestWithParam<std::tuple<const char*, KernelSet, Launch>> {};

TEST_P(CudaBackendVsCpu, PrefillAnd32DecodeStepsMatchEveryLogit) {
  ROOFLM_REQUIRE_GPU();
  const auto [preset, kernels, launch] = GetParam();
  const ModelConfig c = model_preset(preset);
  const Scenario sc = tiny_scenario(preset, kernels, launch);
  Side cpu(std::make_unique<CpuBackend>(c, synthetic_weights(c, sc.model.seed), requested_variant(sc.engine, BackendKind::cpu), 2),
           c, DType::f32);
  Side gpu(std::make_unique<CudaBackend>(c, sc), c, DType::f16);
  OpRecorder cpu_ops, gpu_ops;
  cpu.backend->set_op_observer(&cpu_ops);
  gpu.backend->set_op_observer(&gpu_ops);

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
    if (step == 0) {  // an eager prefill: both executed the program node for node
      EXPECT_EQ(gpu_ops.names, cpu_ops.names);
      EXPECT_EQ(gpu_ops.names.size(), gpu.backend->program().ops.size());
    }
    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      ASSERT_TRUE(gputest::all_close(got.logits[i], ref.logits[i], 3e-2, 3e-2))
          << preset << " " << name(kernels) << "/" << name(launch) << " step " << step << " seq " << i;
      // Greedy tokens agree unless the CPU's top two logits are within the tolerance (a near-tie).
      std::vector<float> sorted = ref.logits[i];
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
      if (sorted[0] - sorted[1] > 0.1f) EXPECT_EQ(got.next_tokens[i], ref.next_tokens[i]) << "step " << step;
    }
    plan = teacher_forced_next(plan, ref);
  }
}

INSTANTIATE_TEST_SUITE_P(FamiliesKernelSetsAndLaunch, CudaBackendVsCpu,
                         ::testing::Combine(::testing::Values("tiny", "tiny-llama3", "tiny-qwen2", "tiny-mistral"),
                                            ::testing::Values(KernelSet::naive, KernelSet::fused),
                                            ::testing::Values(Launch::eager, Launch::graph)),
                         [](const auto& info) {
                           std::string preset = std::get<0>(info.param);
                           std::replace(preset.begin(), preset.end(), '-', '_');
                           return preset + "_" + std::string(name(std::get<1>(info.param))) + "_" +
                                  std::string(name(std::get<2>(info.param)));
                         });

TEST(CudaBackend, SyntheticWeightsTooLargeForTheGpuAreBadInput) {
  ROOFLM_REQUIRE_GPU();
  ModelConfig huge = model_preset("llama2-70b");
  huge.n_layers = 400;  // ~0.7 TB of fp16 weights
  EXPECT_THROW({ CudaBackend too_big(huge, tiny_scenario("tiny", KernelSet::fused, Launch::eager)); }, InputError);
}

// What the registry has no kernel for is refused when the backend is built, naming the axis.
TEST(CudaBackend, KvDtypeWithoutKernelsIsBadInput) {
  ROOFLM_REQUIRE_GPU();
  Scenario sc = tiny_scenario("tiny", KernelSet::fused, Launch::eager);
  sc.engine.kv_cache.dtype = DType::bf16;  // no scenario spells it; the registry must still refuse it
  try {
    CudaBackend gpu(model_preset("tiny"), sc);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("kv_cache.dtype \"bf16\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no kernel for a KV cache of bf16"), std::string::npos) << e.what();
  }
}

// A quantised KV cache (int8 / fp8 codes, a scale per token and head) against the cpu backend's
// quantised cache on the same weights: prefill and 16 decode steps, every logit, both kernel sets
// (naive: kv_write_quant + dequantising gather + cuBLAS; fused: rope_qkv_kv_write_quant + flash /
// split-K reading codes). Tolerance 6e-2 + 6e-2 |cpu| (fp8: 1.5e-1 + 6e-2 |cpu|), as for the W8A8
// weights above: K and V are quantised from values the GPU computed in fp16 and the CPU in fp32, so
// a value on a rounding boundary can take the neighbouring code.
class CudaBackendQuantKvVsCpu : public ::testing::TestWithParam<std::tuple<DType, KernelSet, Launch>> {};

TEST_P(CudaBackendQuantKvVsCpu, PrefillAnd16DecodeStepsMatchEveryLogit) {
  ROOFLM_REQUIRE_GPU();
  const auto [kv_dtype, kernels, launch] = GetParam();
  const ModelConfig c = model_preset("tiny");
  Scenario sc = tiny_scenario("tiny", kernels, launch);
  sc.engine.kv_cache.dtype = kv_dtype;
  expect_quantised_model_matches_cpu(c, sc, kv_dtype, kv_dtype, kv_dtype == DType::f8e4m3 ? 1.5e-1 : 6e-2);
}

INSTANTIATE_TEST_SUITE_P(KvDtypes, CudaBackendQuantKvVsCpu,
                         ::testing::Values(std::make_tuple(DType::i8, KernelSet::fused, Launch::graph),
                                           std::make_tuple(DType::i8, KernelSet::naive, Launch::eager),
                                           std::make_tuple(DType::f8e4m3, KernelSet::fused, Launch::eager),
                                           std::make_tuple(DType::f8e4m3, KernelSet::naive, Launch::graph)),
                         [](const auto& info) {
                           return std::string(dtype_name(std::get<0>(info.param))) + "_" +
                                  std::string(name(std::get<1>(info.param))) + "_" +
                                  std::string(name(std::get<2>(info.param)));
                         });

// The quantised precisions against the cpu backend's quantised reference on the same weights (the
// GPU quantises them bit for bit as the CPU does): prefill and 16 decode steps, every logit.
// Tolerance 6e-2 + 6e-2 |cpu| (fp8: 1.5e-1 + 6e-2 |cpu|): W8A16 differs from the cpu as fp16 does
// (activations stored in fp16); W8A8 / FP8 quantise activations computed in fp32 in different
// orders, so a value on a rounding boundary can take the neighbouring code, a few times per layer:
// one int8 step is 1/127 of a row's max, one e4m3 step 1/8 of the value itself (3 mantissa bits).
// A wrong scale or a swapped code moves logits by O(1).
class CudaBackendQuantisedVsCpu
    : public ::testing::TestWithParam<std::tuple<Precision, WeightScales, KernelSet, Launch>> {};

TEST_P(CudaBackendQuantisedVsCpu, PrefillAnd16DecodeStepsMatchEveryLogit) {
  ROOFLM_REQUIRE_GPU();
  const auto [precision, grain, kernels, launch] = GetParam();
  const ModelConfig c = model_preset("tiny");
  Scenario sc = tiny_scenario("tiny", kernels, launch);
  sc.engine.precision = precision;
  sc.engine.weight_scales = grain;
  if (grain == WeightScales::group) sc.engine.weight_group_size = 64;
  expect_quantised_model_matches_cpu(c, sc, DType::f32, DType::f16, precision == Precision::fp8 ? 1.5e-1 : 6e-2);
}

INSTANTIATE_TEST_SUITE_P(
    Precisions, CudaBackendQuantisedVsCpu,
    ::testing::Values(std::make_tuple(Precision::int8, WeightScales::channel, KernelSet::fused, Launch::graph),
                      std::make_tuple(Precision::int8, WeightScales::group, KernelSet::fused, Launch::eager),
                      std::make_tuple(Precision::int8, WeightScales::tensor, KernelSet::naive, Launch::eager),
                      std::make_tuple(Precision::w8a8, WeightScales::channel, KernelSet::fused, Launch::graph),
                      std::make_tuple(Precision::w8a8, WeightScales::tensor, KernelSet::naive, Launch::eager),
                      std::make_tuple(Precision::fp8, WeightScales::channel, KernelSet::fused, Launch::graph),
                      std::make_tuple(Precision::fp8, WeightScales::channel, KernelSet::naive, Launch::eager)),
    [](const auto& info) {
      return std::string(name(std::get<0>(info.param))) + "_" + std::string(name(std::get<1>(info.param))) +
             "_" + std::string(name(std::get<2>(info.param))) + "_" + std::string(name(std::get<3>(info.param)));
    });

}  // namespace
}  // namespace rooflm
