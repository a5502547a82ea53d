// DeviceWeights vs the host's weights, every element of every tensor bit for bit: synthetic weights
// generated on the GPU (tiny; tiny-qwen2 with Q/K/V biases and tied embeddings) against
// synthetic_weights(), and a safetensors checkpoint written here and uploaded against
// load_safetensors_weights(), and planted outlier channels (model.synthetic_outliers). Also the
// layout's pointers: bqkv only with qkv_bias, lm_head == embed when tied. In quantised precisions the
// four projections' codes and scales equal ref::quantize_weight of the host's packed tensors.
// SmoothQuant's smoothing applied on the GPU at load equals the host's apply_smoothing.
// Run: build/tests/gpu/rooflm_gpu_tests --gtest_filter='DeviceWeights*'
#include <cmath>
#include <random>
#include <string>

#include "engine/backend/cuda/device_weights.h"
#include "reference/quant.h"
#include "tests/gpu/gpu_test_util.h"
#include "tests/unit/hf_checkpoint.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

const PrecisionDtypes kFp16 = precision_dtypes(Precision::fp16);

// Downloads `host.numel()` fp16 values from `device` and expects them equal to `host` (fp16-exact
// floats) element by element; reports the first difference.
void expect_same(const __half* device, const HostTensor& host, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_NE(device, nullptr);
  std::vector<__half> raw(size_t(host.numel()));
  ROOFLM_CUDA_CHECK(cudaMemcpy(raw.data(), device, raw.size() * sizeof(__half), cudaMemcpyDeviceToHost));
  const std::vector<float> got = gputest::to_float(raw);
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(got[i] == host.data[i]) && mismatches++ == 0) first = i;
  EXPECT_EQ(mismatches, 0u) << "first at element " << first << ": device " << got[first] << ", host "
                            << host.data[first];
}

void expect_device_equals_host(const DeviceWeights& device, const ModelConfig& c, const ModelWeights& host) {
  expect_same(device.embed, host.embed, "embed");
  ASSERT_EQ(device.layers.size(), host.layers.size());
  for (size_t i = 0; i < host.layers.size(); ++i) {
    const DeviceLayer& d = device.layers[i];
    const LayerWeights& h = host.layers[i];
    const std::string at = " layer " + std::to_string(i);
    expect_same(d.attn_norm, h.attn_norm, "attn_norm" + at);
    expect_same(d.wqkv, h.wqkv, "wqkv" + at);
    if (c.qkv_bias) {
      expect_same(d.bqkv, h.bqkv, "bqkv" + at);
    } else {
      EXPECT_EQ(d.bqkv, nullptr) << at;
    }
    expect_same(d.wo, h.wo, "wo" + at);
    expect_same(d.mlp_norm, h.mlp_norm, "mlp_norm" + at);
    expect_same(d.w_gate_up, h.w_gate_up, "w_gate_up" + at);
    expect_same(d.w_down, h.w_down, "w_down" + at);
  }
  expect_same(device.final_norm, host.final_norm, "final_norm");
  if (c.tied_embeddings) {
    EXPECT_EQ(device.lm_head, device.embed);
  } else {
    expect_same(device.lm_head, host.lm_head, "lm_head");
  }
}

TEST(DeviceWeights, SyntheticFillEqualsHostSyntheticWeights) {
  ROOFLM_REQUIRE_GPU();
  for (const char* preset : {"tiny", "tiny-qwen2"}) {
    const ModelConfig config = model_preset(preset);
    ModelSpec spec;
    spec.preset = preset;
    spec.seed = std::random_device{}();
    SCOPED_TRACE(std::string(preset) + " seed=" + std::to_string(spec.seed));
    const DeviceWeights device(config, spec, kFp16);
    EXPECT_EQ(device.bytes(), DeviceWeights::bytes_needed(config, kFp16));
    expect_device_equals_host(device, config, synthetic_weights(config, spec.seed));
  }
}

// model.synthetic_outliers: the GPU init takes the layer norms from synthetic_layer_norm, so the
// planted channels agree with the host's too.
TEST(DeviceWeights, PlantedOutliersEqualHostSyntheticWeights) {
  ROOFLM_REQUIRE_GPU();
  const ModelConfig config = model_preset("tiny");
  ModelSpec spec;
  spec.preset = "tiny";
  spec.seed = 5;
  spec.outliers = {4, 50};
  const DeviceWeights device(config, spec, kFp16);
  const ModelWeights host = synthetic_weights(config, spec.seed, spec.outliers);
  expect_device_equals_host(device, config, host);
  EXPECT_NE(host.layers[0].attn_norm.data, synthetic_weights(config, spec.seed).layers[0].attn_norm.data);
}

TEST(DeviceWeights, UploadedCheckpointEqualsHostLoad) {
  ROOFLM_REQUIRE_GPU();
  for (const char* preset : {"tiny", "tiny-qwen2"}) {
    SCOPED_TRACE(preset);
    const ModelConfig config = model_preset(preset);
    test::TempDir dir;
    write_safetensors(dir.path() / "model.safetensors",
                      test::hf_tensors(config, synthetic_weights(config, 11), SafetensorsDtype::F16));
    ModelSpec spec;
    spec.preset = preset;
    spec.weights_dir = dir.path();
    const DeviceWeights device(config, spec, kFp16);
    expect_device_equals_host(device, config, load_safetensors_weights(dir.path(), config));
  }
}

TEST(DeviceWeights, BiasesAddToTheAllocation) {
  // bytes_needed needs no device: tiny-qwen2's biases (256 + 2*128 fp16 = 1024 bytes per layer,
  // a multiple of the 256-byte alignment) add 3 * 1024 bytes.
  ModelConfig with = model_preset("tiny-qwen2"), without = with;
  without.qkv_bias = false;
  EXPECT_EQ(DeviceWeights::bytes_needed(with, kFp16) - DeviceWeights::bytes_needed(without, kFp16), 3 * 1024);
}

ref::WeightScaleGrain reference_grain(WeightScales grain) {
  return grain == WeightScales::group    ? ref::WeightScaleGrain::group
         : grain == WeightScales::tensor ? ref::WeightScaleGrain::tensor
                                         : ref::WeightScaleGrain::channel;
}

// Codes and scales of every quantised projection of `device` == ref::quantize_weight of `host`'s.
void expect_codes_of_reference_quantiser(const DeviceWeights& device, const ModelWeights& host,
                                         const PrecisionDtypes& d, ref::WeightScaleGrain ref_grain) {
  for (size_t i = 0; i < host.layers.size(); ++i) {
    const DeviceLayer& L = device.layers[i];
    const LayerWeights& h = host.layers[i];
    for (const auto& [q, t, what] : {std::tuple{&L.wqkv_q, &h.wqkv, "wqkv"}, std::tuple{&L.wo_q, &h.wo, "wo"},
                                     std::tuple{&L.w_gate_up_q, &h.w_gate_up, "w_gate_up"},
                                     std::tuple{&L.w_down_q, &h.w_down, "w_down"}}) {
      SCOPED_TRACE(std::string(what) + " layer " + std::to_string(i));
      const ref::QuantizedWeight r = ref::quantize_weight(t->ptr(), t->shape[0], t->shape[1], d.weight, ref_grain,
                                                          d.weight_scales.group_size);
      std::vector<uint8_t> codes(r.codes.size());
      ROOFLM_CUDA_CHECK(cudaMemcpy(codes.data(), q->codes, codes.size(), cudaMemcpyDeviceToHost));
      EXPECT_EQ(codes, r.codes);
      std::vector<float> scales(r.scales.size());
      if (d.weight == DType::i8) {
        std::vector<__half> raw(r.scales.size());
        ROOFLM_CUDA_CHECK(cudaMemcpy(raw.data(), q->scales, raw.size() * 2, cudaMemcpyDeviceToHost));
        scales = gputest::to_float(raw);
      } else {
        ROOFLM_CUDA_CHECK(cudaMemcpy(scales.data(), q->scales, scales.size() * 4, cudaMemcpyDeviceToHost));
      }
      EXPECT_EQ(scales, r.scales);
    }
    EXPECT_EQ(L.wqkv, nullptr);
  }
}

// Codes and scales of every quantised projection == the reference quantiser's on the host weights.
TEST(DeviceWeights, QuantisedProjectionsEqualTheReferenceQuantiser) {
  ROOFLM_REQUIRE_GPU();
  const ModelConfig config = model_preset("tiny");
  ModelSpec spec;
  spec.preset = "tiny";
  spec.seed = 5;
  const ModelWeights host = synthetic_weights(config, spec.seed);
  for (const auto& [precision, grain] : {std::pair{Precision::int8, WeightScales::group},
                                         std::pair{Precision::w8a8, WeightScales::tensor},
                                         std::pair{Precision::fp8, WeightScales::channel}}) {
    Variant v;
    v.precision = precision;
    v.weight_scales = grain;
    v.weight_group_size = 64;
    const PrecisionDtypes d = precision_dtypes(v);
    SCOPED_TRACE(std::string(name(precision)) + " " + std::string(name(grain)));
    const DeviceWeights device(config, spec, d);
    EXPECT_EQ(device.bytes(), DeviceWeights::bytes_needed(config, d));
    EXPECT_LT(device.bytes(), DeviceWeights::bytes_needed(config, kFp16));
    expect_codes_of_reference_quantiser(device, host, d, reference_grain(grain));
    EXPECT_EQ(device.dequant_scratch != nullptr, precision == Precision::int8);
  }
}

// Fresh random SmoothQuant factors in [1/8, 8] for every input of every layer (attn_out shared across
// each KV group, as the scales reader requires).
SmoothingFactors random_smoothing(const ModelConfig& config, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> log2_factor(-3.0f, 3.0f);
  SmoothingFactors factors(size_t(config.n_layers));
  for (LayerSmoothing& f : factors)
    for (const LinearInput input :
         {LinearInput::attn_in, LinearInput::attn_out, LinearInput::mlp_in, LinearInput::mlp_act}) {
      std::vector<float>& s = f.of(input);
      s.resize(size_t(linear_input_width(config, input)));
      for (float& x : s) x = std::exp2(log2_factor(rng));
      if (input == LinearInput::attn_out) share_across_kv_groups(s, config);
    }
  return factors;
}

// Smoothing on the GPU (synthetic weights generated there, or a checkpoint uploaded) == the host's
// apply_smoothing, every element bit for bit; tiny-qwen2 has Q/K/V biases and grouped KV heads.
TEST(DeviceWeights, SmoothedOnTheGpuEqualsHostSmoothing) {
  ROOFLM_REQUIRE_GPU();
  for (const char* preset : {"tiny", "tiny-qwen2"}) {
    const ModelConfig config = model_preset(preset);
    const uint32_t seed = std::random_device{}();
    SCOPED_TRACE(std::string(preset) + " seed=" + std::to_string(seed));
    const SmoothingFactors factors = random_smoothing(config, seed);
    ModelSpec spec;
    spec.preset = preset;
    spec.seed = seed;
    spec.outliers = {4, 50};
    const ModelWeights host = synthetic_weights(config, spec.seed, spec.outliers);
    const ModelWeights smoothed = apply_smoothing(host, config, factors);
    const DeviceWeights synthetic(config, spec, kFp16, nullptr, nullptr, &factors);
    expect_device_equals_host(synthetic, config, smoothed);

    test::TempDir dir;
    write_safetensors(dir.path() / "model.safetensors", test::hf_tensors(config, host, SafetensorsDtype::F16));
    ModelSpec checkpoint;
    checkpoint.preset = preset;
    checkpoint.weights_dir = dir.path();
    const DeviceWeights uploaded(config, checkpoint, kFp16, nullptr, nullptr, &factors);
    expect_device_equals_host(uploaded, config, smoothed);
  }
}

// In W8A8 the projections are smoothed before they are quantised: their codes and scales are the
// reference quantiser's of the host-smoothed weights.
TEST(DeviceWeights, SmoothedThenQuantisedEqualsTheReference) {
  ROOFLM_REQUIRE_GPU();
  const ModelConfig config = model_preset("tiny");
  ModelSpec spec;
  spec.preset = "tiny";
  spec.seed = 9;
  const SmoothingFactors factors = random_smoothing(config, 9);
  const ModelWeights smoothed = apply_smoothing(synthetic_weights(config, spec.seed), config, factors);
  Variant v;
  v.precision = Precision::w8a8;
  const PrecisionDtypes d = precision_dtypes(v);
  const DeviceWeights device(config, spec, d, nullptr, nullptr, &factors);
  expect_codes_of_reference_quantiser(device, smoothed, d, reference_grain(v.weight_scales));
  expect_same(device.layers[1].attn_norm, smoothed.layers[1].attn_norm, "attn_norm layer 1");
}

}  // namespace
}  // namespace rooflm
