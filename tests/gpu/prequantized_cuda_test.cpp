// A pre-quantised checkpoint (compressed-tensors weight + weight_scale, engine/model/
// prequantized_weights.h) on the cuda backend runs bit for bit like the same model quantised at load
// on the GPU: the checkpoint holds ref::quantize_weight's codes and scales of the synthetic weights,
// which the GPU quantiser reproduces exactly (quant_kernels_test), and its other tensors are the same
// fp16 values (device_weights_test). Every logit of a prefill and 3 decode steps, compared exactly.
#include <gtest/gtest.h>

#include <random>

#include "engine/backend/cuda/cuda_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/model/safetensors.h"
#include "tests/gpu/gpu_test_util.h"
#include "tests/unit/prequantized_checkpoint.h"
#include "tests/unit/step_logits.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

constexpr uint64_t kSeed = 5;

// Prefill 9 tokens, then decode 3 (one per step): the logits of every step.
std::vector<std::vector<float>> step_logits(Backend& backend, const ModelConfig& c) {
  ContiguousKvCache kv({c.n_layers, c.n_kv_heads, c.head_dim, 64, 1, DType::f16});
  kv.bind(backend.allocate_kv(kv.geometry()));
  std::mt19937 rng(3);
  std::vector<int32_t> tokens(12);
  for (auto& t : tokens) t = int32_t(rng() % uint32_t(c.vocab));
  return test::prefill_decode_logits(backend, kv, {tokens.begin(), tokens.begin() + 9}, {tokens.begin() + 9, tokens.end()});
}

TEST(PrequantizedCuda, RunsBitForBitLikeQuantisingAtLoadOnTheGpu) {
  ROOFLM_REQUIRE_GPU();
  const ModelConfig c = model_preset("tiny");
  const ModelWeights weights = synthetic_weights(c, kSeed);
  struct Case {
    Precision precision;
    WeightScales scales;
    test::PrequantizedScheme scheme;
  };
  for (const Case& k : {Case{Precision::int8, WeightScales::channel, {DType::i8, ref::WeightScaleGrain::channel}},
                        Case{Precision::int8, WeightScales::group, {DType::i8, ref::WeightScaleGrain::group, 64}},
                        Case{Precision::w8a8, WeightScales::tensor, {DType::i8, ref::WeightScaleGrain::tensor}},
                        Case{Precision::fp8, WeightScales::channel, {DType::f8e4m3, ref::WeightScaleGrain::channel}}}) {
    SCOPED_TRACE(std::string(name(k.precision)) + " " + std::string(name(k.scales)));
    test::TempDir dir;
    write_safetensors(dir.path() / "model.safetensors", test::prequantized_hf_tensors(c, weights, k.scheme));
    Scenario at_load;
    at_load.model.preset = "tiny";
    at_load.model.seed = kSeed;
    at_load.engine.precision = k.precision;
    at_load.engine.weight_scales = k.scales;
    at_load.engine.weight_group_size = 64;
    Scenario from_checkpoint = at_load;
    from_checkpoint.model.weights_dir = dir.path();
    CudaBackend pre(c, from_checkpoint), quantised(c, at_load);
    EXPECT_EQ(step_logits(pre, c), step_logits(quantised, c));
  }
}

}  // namespace
}  // namespace rooflm
