// Embedding gather vs the CPU reference gather (reference/embedding.h; exact: fp16 -> fp32 is
// exact), and the GPU synthetic weights vs the host's synthetic_weights() for every tensor (each
// part of the packed ones) of the tiny and tiny-qwen2 presets (bit-identical fp16).
#include <cmath>
#include <random>
#include <string>

#include "engine/model/model_config.h"
#include "common/synthetic_init.h"
#include "engine/model/weights.h"
#include "kernels/embedding/embedding_gather_f16.h"
#include "kernels/embedding/synthetic_fill_f16.h"
#include "reference/embedding.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

using gputest::all_close;
using gputest::DeviceBuffer;
using gputest::random_half;
using gputest::to_float;

TEST(EmbeddingF16, GatherCopiesTheTokensRowsExactly) {
  ROOFLM_REQUIRE_GPU();
  for (const int64_t n : {1, 3, 17, 129, 257})
    for (const int64_t hidden : {8, 4096}) {
      const int64_t vocab = 1001;
      const uint64_t seed = std::random_device{}();
      SCOPED_TRACE("n=" + std::to_string(n) + " hidden=" + std::to_string(hidden) + " seed=" + std::to_string(seed));
      std::vector<float> table_f;
      DeviceBuffer<__half> table(random_half(size_t(vocab * hidden), 1.0f, seed, &table_f));
      std::mt19937 rng(static_cast<uint32_t>(seed));
      std::uniform_int_distribution<int32_t> id(0, int32_t(vocab - 1));
      std::vector<int32_t> tokens(static_cast<size_t>(n));
      for (int32_t& t : tokens) t = id(rng);
      tokens.back() = int32_t(vocab - 1);  // the last row of the table
      DeviceBuffer<int32_t> tokens_d(tokens);
      DeviceBuffer<float> x(size_t(n * hidden));
      x.poison();
      embedding_gather_f16(table.get(), tokens_d.get(), x.get(), n, vocab, hidden, nullptr);
      ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
      std::vector<float> ref(size_t(n * hidden));
      ref::embedding_gather(table_f.data(), tokens.data(), ref.data(), n, hidden);
      EXPECT_TRUE(all_close(x.download(), ref, 0.0, 0.0));
    }
}

TEST(EmbeddingF16, OutOfRangeTokenWritesNanRow) {
  ROOFLM_REQUIRE_GPU();
  const int64_t vocab = 16, hidden = 8;
  DeviceBuffer<__half> table(random_half(size_t(vocab * hidden), 1.0f, 7));
  DeviceBuffer<int32_t> tokens(std::vector<int32_t>{3, int32_t(vocab), -1});
  DeviceBuffer<float> x(size_t(3 * hidden));
  embedding_gather_f16(table.get(), tokens.get(), x.get(), 3, vocab, hidden, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> got = x.download();
  for (int64_t i = 0; i < hidden; ++i) {
    EXPECT_FALSE(std::isnan(got[size_t(i)])) << "valid token 3, element " << i;
    EXPECT_TRUE(std::isnan(got[size_t(hidden + i)])) << "token == vocab, element " << i;
    EXPECT_TRUE(std::isnan(got[size_t(2 * hidden + i)])) << "token -1, element " << i;
  }
}

// Fills `count` elements on the GPU as tensor `tensor_id` and expects every fp16 value to equal the
// host's `host` (one whole tensor, or one part of a packed one) bit for bit.
void expect_same_as_host(const float* host, int64_t count, uint64_t seed, uint64_t tensor_id, float scale,
                         float offset, const std::string& name) {
  SCOPED_TRACE(name);
  DeviceBuffer<__half> device(static_cast<size_t>(count));
  device.poison();
  fill_synthetic_f16(device.get(), count, seed, tensor_id, scale, offset, nullptr);
  ROOFLM_CUDA_CHECK(cudaDeviceSynchronize());
  EXPECT_TRUE(all_close(to_float(device.download()), std::vector<float>(host, host + count), 0.0, 0.0));
}

void expect_same_as_host(const HostTensor& tensor, uint64_t seed, uint64_t tensor_id, float scale, float offset,
                         const std::string& name) {
  expect_same_as_host(tensor.ptr(), tensor.numel(), seed, tensor_id, scale, offset, name);
}

TEST(EmbeddingF16, SyntheticFillIsBitIdenticalToHostWeights) {
  ROOFLM_REQUIRE_GPU();
  for (const char* preset : {"tiny", "tiny-qwen2"}) {  // tiny-qwen2: Q/K/V biases, tied embeddings
    const ModelConfig config = model_preset(preset);
    const uint64_t seed = std::random_device{}();
    SCOPED_TRACE(std::string(preset) + " seed=" + std::to_string(seed));
    const ModelWeights host = synthetic_weights(config, seed);
    const float hidden_scale = synthetic_projection_scale(config.hidden);
    const int64_t H = config.hidden, QD = config.q_dim(), KD = config.kv_dim(), F = config.ffn;
    expect_same_as_host(host.embed, seed, synthetic_embed_id(), 1.0f, 0.0f, "embed");
    for (int64_t layer = 0; layer < config.n_layers; ++layer) {
      const LayerWeights& w = host.layers[size_t(layer)];
      const auto id = [layer](SyntheticLayerTensor t) { return synthetic_layer_tensor_id(uint64_t(layer), t); };
      const std::string at = " layer " + std::to_string(layer);
      expect_same_as_host(w.attn_norm, seed, id(SyntheticLayerTensor::attn_norm), kSyntheticNormSpread, 1.0f,
                          "attn_norm" + at);
      const float* qkv = w.wqkv.ptr();
      expect_same_as_host(qkv, QD * H, seed, id(SyntheticLayerTensor::wq), hidden_scale, 0.0f, "wq" + at);
      expect_same_as_host(qkv + QD * H, KD * H, seed, id(SyntheticLayerTensor::wk), hidden_scale, 0.0f, "wk" + at);
      expect_same_as_host(qkv + (QD + KD) * H, KD * H, seed, id(SyntheticLayerTensor::wv), hidden_scale, 0.0f,
                          "wv" + at);
      if (config.qkv_bias) {
        const auto bias_id = [&](SyntheticBiasTensor b) {
          return synthetic_bias_id(uint64_t(config.n_layers), uint64_t(layer), b);
        };
        const float* b = w.bqkv.ptr();
        expect_same_as_host(b, QD, seed, bias_id(SyntheticBiasTensor::bq), kSyntheticBiasSpread, 0.0f, "bq" + at);
        expect_same_as_host(b + QD, KD, seed, bias_id(SyntheticBiasTensor::bk), kSyntheticBiasSpread, 0.0f, "bk" + at);
        expect_same_as_host(b + QD + KD, KD, seed, bias_id(SyntheticBiasTensor::bv), kSyntheticBiasSpread, 0.0f,
                            "bv" + at);
      }
      expect_same_as_host(w.wo, seed, id(SyntheticLayerTensor::wo), synthetic_projection_scale(QD), 0.0f, "wo" + at);
      expect_same_as_host(w.mlp_norm, seed, id(SyntheticLayerTensor::mlp_norm), kSyntheticNormSpread, 1.0f,
                          "mlp_norm" + at);
      const float* gate_up = w.w_gate_up.ptr();
      expect_same_as_host(gate_up, F * H, seed, id(SyntheticLayerTensor::w_gate), hidden_scale, 0.0f, "w_gate" + at);
      expect_same_as_host(gate_up + F * H, F * H, seed, id(SyntheticLayerTensor::w_up), hidden_scale, 0.0f,
                          "w_up" + at);
      expect_same_as_host(w.w_down, seed, id(SyntheticLayerTensor::w_down), synthetic_projection_scale(F), 0.0f,
                          "w_down" + at);
    }
    expect_same_as_host(host.final_norm, seed, synthetic_final_norm_id(uint64_t(config.n_layers)),
                        kSyntheticNormSpread, 1.0f, "final_norm");
    if (!config.tied_embeddings)
      expect_same_as_host(host.lm_head, seed, synthetic_lm_head_id(uint64_t(config.n_layers)), hidden_scale, 0.0f,
                          "lm_head");
  }
}

}  // namespace
}  // namespace rooflm
