// Teacher-forced accuracy evaluation (engine/runtime/accuracy_eval.h): the token streams, the logits
// of every position against a prefill's, fp32 vs fp32 (NMSE 0, top-1 1, KL 0), a test double whose
// logits are known multiples of the reference's, when an evaluation runs, and runs[i].accuracy in a
// run's results. Run: build/tests/rooflm_unit_tests --gtest_filter='AccuracyEval*'
#include "engine/runtime/accuracy_eval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/results/json_schema_check.h"
#include "engine/results/results_reader.h"
#include "engine/runtime/variant_run.h"
#include "tests/unit/conforming_results.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

AccuracySpec spec_of(int64_t tokens, int64_t sequences, uint64_t seed = 3) {
  AccuracySpec spec;
  spec.tokens = tokens;
  spec.sequences = sequences;
  spec.seed = seed;
  return spec;
}

std::unique_ptr<CpuBackend> tiny_cpu(const ModelConfig& config, uint64_t seed = 7) {
  return std::make_unique<CpuBackend>(config, synthetic_weights(config, seed), Variant{}, 2);
}

// The cpu backend with its logits multiplied by `factor` (a variant whose error is known).
class ScaledLogits final : public Backend {
 public:
  ScaledLogits(std::unique_ptr<Backend> inner, float factor) : inner_(std::move(inner)), factor_(factor) {}
  Variant effective_variant() const override { return inner_->effective_variant(); }
  const StepProgram& program() const override { return inner_->program(); }
  KvStorage allocate_kv(const KvGeometry& geom) override { return inner_->allocate_kv(geom); }
  std::optional<int64_t> kv_memory_budget_bytes() const override { return std::nullopt; }
  void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) override {
    inner_->copy_kv_blocks(geom, copies);
  }
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override {
    StepOutput out = inner_->forward(plan, kv, want_logits);
    for (auto& row : out.logits)
      for (float& x : row) x *= factor_;
    return out;
  }
  std::vector<std::string> kernel_names() const override { return inner_->kernel_names(); }
  nlohmann::json device_info() const override { return inner_->device_info(); }

 private:
  std::unique_ptr<Backend> inner_;
  float factor_;
};

TEST(AccuracyEval, StreamsAreSeededInRangeAndOneLongerThanTheTokens) {
  const auto a = accuracy_token_streams(spec_of(10, 3), 2048), b = accuracy_token_streams(spec_of(10, 3), 2048);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a, b);
  for (const auto& stream : a) {
    EXPECT_EQ(stream.size(), 11u);
    for (const int32_t t : stream) EXPECT_TRUE(t >= 0 && t < 2048);
  }
  EXPECT_NE(a[0], a[1]);
  EXPECT_NE(accuracy_token_streams(spec_of(10, 3, 4), 2048), a);
}

// One decode step per position gives at position p the logits a prefill of tokens [0, p] ends with
// (the cpu backend's results do not depend on the batching: bit-identical).
TEST(AccuracyEval, EveryPositionsLogitsEqualAPrefillsLast) {
  const ModelConfig config = model_preset("tiny");
  const auto streams = accuracy_token_streams(spec_of(9, 2), config.vocab);
  auto backend = tiny_cpu(config);
  const StreamLogits logits = teacher_forced_logits(*backend, config, streams, 9);
  EXPECT_EQ(logits.data.size(), size_t(9 * 2 * config.vocab));
  for (int64_t s = 0; s < 2; ++s)
    for (int64_t p : {0, 4, 8}) {
      auto fresh = tiny_cpu(config);
      ContiguousKvCache kv({config.n_layers, config.n_kv_heads, config.head_dim, 16, 1, DType::f32});
      kv.bind(fresh->allocate_kv(kv.geometry()));
      BatchPlan plan;
      SeqChunk& ch = plan.chunks.emplace_back();
      ch.seq = 0;
      ch.tokens.assign(streams[size_t(s)].begin(), streams[size_t(s)].begin() + p + 1);
      ch.sample = ch.is_prefill = true;
      ASSERT_TRUE(kv.reserve(0, ch.n_tokens()));
      const StepOutput out = fresh->forward(plan, kv.view(plan.seqs()), true);
      const auto at = logits.at(s, p);
      EXPECT_EQ(std::vector<float>(at.begin(), at.end()), out.logits[0]) << "sequence " << s << " position " << p;
    }
}

TEST(AccuracyEval, Fp32AgainstFp32IsExact) {
  const ModelConfig config = model_preset("tiny");
  const auto streams = accuracy_token_streams(spec_of(6, 2), config.vocab);
  auto a = tiny_cpu(config), b = tiny_cpu(config);
  const AccuracyMetrics m = compare_stream_logits(teacher_forced_logits(*a, config, streams, 6),
                                                  teacher_forced_logits(*b, config, streams, 6), streams);
  EXPECT_EQ(m.positions, 12);
  EXPECT_EQ(m.logit_nmse, 0.0);
  EXPECT_EQ(m.top1_agreement, 1.0);
  EXPECT_EQ(m.kl_mean, 0.0);
  EXPECT_EQ(m.perplexity, m.perplexity_reference);
  EXPECT_GT(m.perplexity, 1.0);
}

// Logits x 2: NMSE = sum (a - 2a)^2 / sum a^2 = 1 (x2 and the difference are exact in float; the
// sums are in double), argmax unchanged, softmax sharper so KL > 0; other weights: every metric moves.
TEST(AccuracyEval, TestDoubleWithKnownError) {
  const ModelConfig config = model_preset("tiny");
  const auto streams = accuracy_token_streams(spec_of(5, 1), config.vocab);
  auto reference = tiny_cpu(config);
  ScaledLogits doubled(tiny_cpu(config), 2.0f);
  const StreamLogits ref = teacher_forced_logits(*reference, config, streams, 5);
  const AccuracyMetrics m = compare_stream_logits(ref, teacher_forced_logits(doubled, config, streams, 5), streams);
  EXPECT_NEAR(m.logit_nmse, 1.0, 1e-12);
  EXPECT_EQ(m.top1_agreement, 1.0);
  EXPECT_GT(m.kl_mean, 0.0);
  auto other = tiny_cpu(config, 8);  // other weights
  const AccuracyMetrics o = compare_stream_logits(ref, teacher_forced_logits(*other, config, streams, 5), streams);
  EXPECT_GT(o.logit_nmse, 0.1);
  EXPECT_LT(o.top1_agreement, 1.0);
  EXPECT_GT(o.kl_mean, 0.01);
}

TEST(AccuracyEval, WhenAnEvaluationRuns) {
  const ModelConfig config = model_preset("tiny");
  Variant v;
  v.backend = BackendKind::cpu;
  v.precision = Precision::fp32;
  AccuracySpec spec = spec_of(16, 1);
  EXPECT_FALSE(accuracy_wanted(spec, v, config));  // auto: reference precisions are not evaluated
  v.precision = Precision::fp16;
  EXPECT_FALSE(accuracy_wanted(spec, v, config));
  for (DType kv : {DType::i8, DType::f8e4m3}) {
    v.kv_dtype = kv;
    EXPECT_TRUE(accuracy_wanted(spec, v, config)) << "auto: a quantised KV cache is evaluated";
  }
  v.kv_dtype = DType::f32;
  v.precision = Precision::w8a8;
  EXPECT_TRUE(accuracy_wanted(spec, v, config));
  spec.mode = AccuracyMode::off;
  EXPECT_FALSE(accuracy_wanted(spec, v, config));
  spec.mode = AccuracyMode::on;
  v.precision = Precision::fp32;
  EXPECT_TRUE(accuracy_wanted(spec, v, config));
  v.backend = BackendKind::sim;
  EXPECT_EQ(test::input_error_message([&] { accuracy_wanted(spec, v, config); }),
            "measure.accuracy.mode \"on\": the sim backend computes no logits (use \"auto\" or \"off\")");
  spec.mode = AccuracyMode::automatic;
  v.precision = Precision::int8;
  EXPECT_FALSE(accuracy_wanted(spec, v, config));  // auto: the sim backend is never evaluated
  v.backend = BackendKind::cpu;
  spec.tokens = config.max_positions + 1;
  EXPECT_EQ(test::input_error_message([&] { accuracy_wanted(spec, v, config); }),
            "measure.accuracy.tokens = 2049 exceeds the max_positions 2048 of model 'tiny'");
  spec.tokens = 2048;
  spec.sequences = 1024;  // 2048 x 1024 x 2048 x 4 bytes = 16 GiB
  EXPECT_NE(test::input_error_message([&] {
              accuracy_wanted(spec, v, config);
            }).find("measure.accuracy.tokens x sequences x vocab = 2048 x 1024 x 2048 fp32 logits"),
            std::string::npos);
}

// A cpu run with measure.accuracy.mode "on": runs[i].accuracy against "cpu fp32", conforming to the
// results schema (the test runs its fp32 reference against itself: until the quantised cpu paths
// exist every cpu run is fp32).
TEST(AccuracyEval, RunCarriesAccuracyConformingToTheSchema) {
  const auto points = parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "acc",
    "model": {"preset": "tiny"}, "engine": {"backend": "cpu", "threads": 2},
    "workload": {"requests": 2, "prompt_len": 4, "output_len": 3},
    "measure": {"accuracy": {"mode": "on", "tokens": 8, "sequences": 2}}})",
                                     "acc.json");
  const VariantResult r = run_variant(points.at(0));
  ASSERT_TRUE(r.run.contains("accuracy")) << r.run.dump();
  const nlohmann::json& a = r.run["accuracy"];
  EXPECT_EQ(a["reference"], "cpu fp32");
  EXPECT_EQ(a["tokens"], 8);
  EXPECT_EQ(a["sequences"], 2);
  EXPECT_EQ(a["logit_nmse"], 0.0);
  EXPECT_EQ(a["top1_agreement"], 1.0);
  EXPECT_EQ(a["kl_mean"], 0.0);
  EXPECT_EQ(a["perplexity"], a["perplexity_reference"]);
  const nlohmann::json& run_schema = result_schema()["$defs"]["run"];
  nlohmann::json schema = result_schema();
  schema.erase("required");
  schema["$ref"] = "#/$defs/run";
  schema.erase("properties");
  EXPECT_TRUE(run_schema["properties"].contains("accuracy"));
  EXPECT_EQ(json_schema_violations(r.run, schema), std::vector<std::string>{});
  nlohmann::json bad = r.run;
  bad["accuracy"]["top1_agreement"] = 1.5;
  EXPECT_FALSE(json_schema_violations(bad, schema).empty());
  bad = r.run;
  bad["accuracy"].erase("kl_mean");
  EXPECT_FALSE(json_schema_violations(bad, schema).empty());

  // auto (the default): an fp16 run (the cpu backend's fp32 reference) is not evaluated, an int8 run
  // (quantised weights) is, against that reference
  const auto quiet = parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "acc",
    "model": {"preset": "tiny"}, "engine": {"backend": "cpu", "threads": 2, "precision": "fp16"},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})",
                                    "acc.json");
  EXPECT_FALSE(run_variant(quiet.at(0)).run.contains("accuracy"));
  const auto quantised = parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "acc",
    "model": {"preset": "tiny"}, "engine": {"backend": "cpu", "threads": 2, "precision": "int8"},
    "measure": {"accuracy": {"tokens": 16}},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})",
                                        "acc.json");
  const nlohmann::json int8_run = run_variant(quantised.at(0)).run;
  ASSERT_TRUE(int8_run.contains("accuracy"));
  EXPECT_EQ(int8_run["accuracy"]["reference"], "cpu fp32");
  EXPECT_GT(int8_run["accuracy"]["logit_nmse"].get<double>(), 0.0);
  EXPECT_LT(int8_run["accuracy"]["logit_nmse"].get<double>(), 1e-3);
}

// The results reader (what report, compare and gate read through) accepts runs[i].accuracy and
// names the path of a bad one.
TEST(AccuracyEval, ResultsReaderChecksTheAccuracyObject) {
  nlohmann::json doc = test::make_conforming(nlohmann::json::object());
  doc["runs"][0]["accuracy"] = {{"reference", "cpu fp32"}, {"tokens", 256}, {"sequences", 1}, {"logit_nmse", 1e-4},
                                {"top1_agreement", 0.98}, {"kl_mean", 2e-5}, {"perplexity", 2000.0},
                                {"perplexity_reference", 1990.0}};
  EXPECT_NO_THROW(parse_results_text(doc.dump(), "a.json"));
  doc["runs"][0]["accuracy"]["kl_mean"] = "small";
  EXPECT_NE(test::input_error_message([&] { parse_results_text(doc.dump(), "a.json"); })
                .find("results file 'a.json': runs[0].accuracy.kl_mean: expected number"),
            std::string::npos);
  doc["runs"][0]["accuracy"].erase("kl_mean");
  EXPECT_NE(test::input_error_message([&] { parse_results_text(doc.dump(), "a.json"); }).find("kl_mean"),
            std::string::npos);
}

}  // namespace
}  // namespace rooflm
