// The cpu backend with a quantised KV cache (kv_cache.dtype int8 / fp8: codes + per-(token, kv head)
// fp32 scales, reference/attention.h), on the tiny model:
//   * the variant keeps the asked KV dtype and the pool holds codes and NaN-poisoned scales;
//   * prefill at once, token by token and chunked give the same bits (a row's codes depend on the
//     row only);
//   * logits of a prefill + decode stay within a stated tolerance of the fp32 cache's, and the greedy
//     token agrees wherever fp32's top-2 margin exceeds twice that tolerance;
//   * a paged cache with a copy-on-write fork (codes AND scales copied) gives the bits of sequences
//     computed from scratch in a contiguous quantised cache;
//   * `rooflm run` of a paged int8 scenario with n = 2 samples per request (forks): results.json
//     records kv_dtype int8, the pool's bytes per token with scales, and the automatic accuracy
//     evaluation against the cpu fp32 reference.
//   build/tests/rooflm_unit_tests --gtest_filter='CpuKvQuant*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/kv/paged_kv_cache.h"
#include "engine/results/results.h"
#include "engine/results/results_reader.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "tests/unit/plan_builders.h"
#include "tests/unit/step_logits.h"

namespace rooflm {
namespace {

using test::make_chunk;

Variant with_kv(DType kv_dtype) {
  Variant v;
  v.kv_dtype = kv_dtype;
  return v;
}

using test::random_tokens;

// A backend and a contiguous cache of its effective KV dtype.
struct Rig {
  CpuBackend backend;
  ContiguousKvCache kv;
  Rig(const ModelConfig& c, const ModelWeights& w, DType kv_dtype, int64_t slots = 1)
      : backend(c, w, with_kv(kv_dtype), 2),
        kv({c.n_layers, c.n_kv_heads, c.head_dim, 64, slots, backend.effective_variant().kv_dtype}) {
    kv.bind(backend.allocate_kv(kv.geometry()));
  }
  // One step of `chunks` with logits (reserve, forward, commit).
  std::vector<std::vector<float>> step(std::vector<SeqChunk> chunks) {
    return test::step_logits(backend, kv, std::move(chunks));
  }
};

constexpr DType kQuantDtypes[] = {DType::i8, DType::f8e4m3};

TEST(CpuKvQuant, TheBackendRunsTheAskedKvDtypeInCodesAndScales) {
  const ModelConfig c = model_preset("tiny");
  EXPECT_EQ(CpuBackend::effective(with_kv(DType::f16)).kv_dtype, DType::f32);
  for (DType dtype : kQuantDtypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    CpuBackend b(c, synthetic_weights(c, 1), with_kv(dtype), 1);
    EXPECT_EQ(b.effective_variant().kv_dtype, dtype);
    const KvGeometry geom{c.n_layers, c.n_kv_heads, c.head_dim, 8, 3, dtype};
    const KvStorage s = b.allocate_kv(geom);
    ASSERT_NE(s.k_scale, nullptr);
    ASSERT_NE(s.v_scale, nullptr);
    const int64_t n_scales = geom.n_layers * geom.num_blocks * geom.scales_per_block();
    for (int64_t i = 0; i < n_scales; ++i) ASSERT_TRUE(std::isnan(s.k_scale[i]) && std::isnan(s.v_scale[i]));
    KvGeometry fp32 = geom;
    fp32.dtype = DType::f32;
    EXPECT_ANY_THROW(b.allocate_kv(fp32)) << "the pool's dtype is the backend's";
  }
}

TEST(CpuKvQuant, PrefillAtOnceEqualsTokenByTokenAndChunked) {
  const ModelConfig c = model_preset("tiny");
  const ModelWeights w = synthetic_weights(c, 7);
  const auto tokens = random_tokens(33, c.vocab, 5);
  for (DType dtype : kQuantDtypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    Rig rig(c, w, dtype, 3);
    const auto whole = rig.step({make_chunk(0, 0, tokens)})[0];
    std::vector<float> one_by_one, chunked;
    for (size_t p = 0; p < tokens.size(); ++p) one_by_one = rig.step({make_chunk(1, int64_t(p), {tokens[p]})})[0];
    for (size_t p = 0; p < tokens.size(); p += 8) {
      const size_t e = std::min(tokens.size(), p + 8);
      const auto out = rig.step({make_chunk(2, int64_t(p), {tokens.begin() + p, tokens.begin() + e}, e == tokens.size())});
      if (e == tokens.size()) chunked = out[0];
    }
    EXPECT_EQ(whole, one_by_one);
    EXPECT_EQ(whole, chunked);
  }
}

TEST(CpuKvQuant, LogitsStayCloseToTheFp32CacheAndGreedyTokensAgree) {
  // Tolerance per logit: |quantised - fp32| <= bound * max |fp32 logit| of the run (atol; rtol 0).
  // Observed on the tiny model (synthetic weights, 17-token prompt + 24 decode steps), max |error| /
  // max |logit| (printed below): int8 KV 0.0021, fp8 0.0087 (e4m3's 3 mantissa bits: a relative
  // step of up to 1/8, against int8's 1/127 of the row's max). Bounds: about 3x the observed.
  const ModelConfig c = model_preset("tiny");
  const ModelWeights w = synthetic_weights(c, 7);
  const auto prompt = random_tokens(17, c.vocab, 3), decode = random_tokens(24, c.vocab, 4);
  Rig fp32(c, w, DType::f16);
  const auto ref = test::prefill_decode_logits(fp32.backend, fp32.kv, prompt, decode);
  double ref_max = 0;
  for (const auto& step : ref)
    for (float x : step) ref_max = std::max(ref_max, std::fabs(double(x)));
  const std::pair<DType, double> cases[] = {{DType::i8, 0.006}, {DType::f8e4m3, 0.025}};
  for (const auto& [dtype, bound] : cases) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    Rig quant(c, w, dtype);
    const auto got = test::prefill_decode_logits(quant.backend, quant.kv, prompt, decode);
    ASSERT_EQ(got.size(), ref.size());
    const double atol = bound * ref_max;
    double err = 0;
    int64_t margin_steps = 0;
    for (size_t s = 0; s < ref.size(); ++s) {
      ASSERT_EQ(got[s].size(), ref[s].size());
      for (size_t i = 0; i < ref[s].size(); ++i) {
        const double e = std::fabs(double(got[s][i]) - ref[s][i]);
        err = std::max(err, e);
        ASSERT_LE(e, atol) << "step " << s << " logit " << i;
      }
      // Greedy: where fp32's best logit leads the runner-up by more than 2 atol, no error within
      // atol can swap them.
      std::vector<float> sorted = ref[s];
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
      if (sorted[0] - sorted[1] <= 2 * atol) continue;
      ++margin_steps;
      EXPECT_EQ(std::max_element(got[s].begin(), got[s].end()) - got[s].begin(),
                std::max_element(ref[s].begin(), ref[s].end()) - ref[s].begin())
          << "step " << s;
    }
    std::printf("[ observed ] %s KV: max |logit - fp32| / max |fp32 logit| = %.4f; %lld of %zu steps past the margin\n",
                std::string(dtype_name(dtype)).c_str(), err / ref_max, static_cast<long long>(margin_steps),
                ref.size());
    EXPECT_GT(err, 0.0) << "quantisation changes the numbers";
  }
}

TEST(CpuKvQuant, PagedForkCopiesCodesAndScales) {
  const ModelConfig c = model_preset("tiny");
  constexpr int64_t kBlock = 8;
  for (DType dtype : kQuantDtypes) {
    SCOPED_TRACE(std::string(dtype_name(dtype)));
    CpuBackend paged_backend(c, synthetic_weights(c, 9), with_kv(dtype), 2);
    Rig ref(c, synthetic_weights(c, 9), dtype, 2);
    PagedKvCache paged({c.n_layers, c.n_kv_heads, c.head_dim, kBlock, 16, dtype}, 64);
    paged.bind(paged_backend.allocate_kv(paged.geometry()));
    auto paged_step = [&](std::vector<SeqChunk> chunks) {
      BatchPlan plan;
      plan.chunks = std::move(chunks);
      for (const SeqChunk& ch : plan.chunks) EXPECT_TRUE(paged.reserve(ch.seq, ch.n_tokens()));
      paged_backend.copy_kv_blocks(paged.geometry(), paged.take_block_copies());
      StepOutput out = paged_backend.forward(plan, paged.view(plan.seqs()), true);
      for (const SeqChunk& ch : plan.chunks) paged.commit(ch.seq, ch.tokens);
      return out.logits;
    };
    std::vector<int32_t> prompt(21);  // 2 full blocks + 5 tokens in a shared, partly filled block
    for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t((i * 37 + 5) % uint64_t(c.vocab));
    paged_step({make_chunk(0, 0, prompt)});
    ASSERT_TRUE(paged.fork(0, 1));
    ref.step({make_chunk(0, 0, prompt), make_chunk(1, 0, prompt)});
    // Different tokens into both: the first write of each lands in the shared third block (copied).
    for (int k = 0; k < 6; ++k) {
      const int64_t pos = int64_t(prompt.size()) + k;
      const auto got = paged_step({make_chunk(0, pos, {int32_t(3 + k)}), make_chunk(1, pos, {int32_t(200 + k)})});
      const auto want = ref.step({make_chunk(0, pos, {int32_t(3 + k)}), make_chunk(1, pos, {int32_t(200 + k)})});
      // Same codes, scales and operation order: the same bits (a missed scale copy reads NaN).
      EXPECT_EQ(got, want) << "step " << k;
    }
  }
}

TEST(CpuKvQuant, RunRecordsTheKvDtypeItsBytesAndItsAccuracy) {
  const char* text = R"({"schema": "rooflm.scenario/1", "name": "kvq", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu", "threads": 2, "kv_cache": {"layout": "paged", "block_size": 8, "dtype": "int8"},
               "batching": {"policy": "continuous", "max_batch": 4}},
    "workload": {"requests": 2, "n": 2, "prompt_len": 11, "output_len": 4},
    "measure": {"accuracy": {"tokens": 16}}})";
  const Scenario s = parse_scenario(text, "kvq.json").front();
  const VariantResult r = run_variant(s);
  const nlohmann::json doc = parse_results_text(
      make_results(capture_environment(r.device_info), {{"name", s.name}, {"resolved", s.resolved}}, {r.run}).dump(),
      "kvq.json results");  // conforms to results/schema/result.schema.json
  const nlohmann::json& run = doc["runs"][0];
  EXPECT_EQ(run["variant"]["kv_dtype"], "int8");
  EXPECT_EQ(run["summary"]["requests"]["completed"], 4);  // 2 requests x 2 samples
  const ModelConfig c = model_preset("tiny");
  EXPECT_EQ(run["summary"]["kv"]["bytes_per_token"], c.n_layers * 2 * c.n_kv_heads * (c.head_dim + 4));
  ASSERT_TRUE(run.contains("accuracy")) << "auto evaluates a quantised KV cache";
  EXPECT_EQ(run["accuracy"]["reference"], "cpu fp32");
  EXPECT_GT(run["accuracy"]["logit_nmse"].get<double>(), 0.0);
  EXPECT_LT(run["accuracy"]["logit_nmse"].get<double>(), 1e-3);
}

}  // namespace
}  // namespace rooflm
