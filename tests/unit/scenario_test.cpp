// Unit tests of scenario parsing (engine/scenario): strict validation and its error messages,
// defaults, sweep expansion, --set overrides, comments and relative model paths.
// Run: build/tests/rooflm_unit_tests --gtest_filter='Scenario*'
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/scenario/scenario.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

// The smallest valid scenario; `extra` is spliced in as more top-level members.
std::string scenario_text(const std::string& extra = "") {
  return R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"preset": "tiny"})" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

// The InputError message parsing `text` throws ("" when it parses).
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(text, "x.json", overrides);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

Scenario parse_one(const std::string& text, const std::vector<std::string>& overrides = {}) {
  std::vector<Scenario> scenarios = parse_scenario(text, "x.json", overrides);
  EXPECT_EQ(scenarios.size(), 1u);
  return scenarios.at(0);
}

// A fresh folder under the system temp dir, removed at the end of the test.
class ScenarioFolder {
 public:
  ScenarioFolder() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("rooflm_scenario_" + std::string(info->name()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScenarioFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file;
  }

 private:
  fs::path path_;
};

// --- error kinds (exact messages for the forms the format promises) -------------------------

TEST(Scenario, UnknownKeySuggestsNearest) {
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kv_cahce": {}})")),
            "x.json: unknown key \"engine.kv_cahce\" (did you mean \"kv_cache\"?)");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"arrival": {"process": "poisson", "rte": 2}})")),
            "x.json: unknown key \"workload.arrival.rte\" (did you mean \"rate\"?)");
}

TEST(Scenario, KvCacheDtypeIsFp16Int8OrFp8) {
  EXPECT_EQ(parse_one(scenario_text(R"("engine": {"kv_cache": {"dtype": "fp8"}})")).engine.kv_cache.dtype,
            DType::f8e4m3);
  EXPECT_EQ(parse_one(scenario_text(R"("engine": {"kv_cache": {"dtype": "int8"}})")).engine.kv_cache.dtype, DType::i8);
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kv_cache": {"dtype": "int4"}})")),
            "x.json: \"engine.kv_cache.dtype\" must be one of fp16|int8|fp8, got \"int4\" (did you mean \"int8\"?)");
}

TEST(Scenario, UnknownKeyFarFromAnyListsValidKeys) {
  EXPECT_EQ(error_of(scenario_text(R"("slo": {"zzzzzzzz": 1})")),
            "x.json: unknown key \"slo.zzzzzzzz\" (valid keys: ttft_ms, tpot_ms, e2e_ms)");
}

TEST(Scenario, WrongType) {
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"requests": "16"})")),
            "x.json: \"workload.requests\" must be an integer, got string");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"requests": 2.5})")),
            "x.json: \"workload.requests\" must be an integer, got 2.5");
  EXPECT_EQ(error_of(scenario_text(R"("measure": {"record_steps": 1})")),
            "x.json: \"measure.record_steps\" must be true or false, got 1");
  EXPECT_EQ(error_of(scenario_text(R"("engine": [])")),
            "x.json: \"engine\" must be an object, got array");
}

TEST(Scenario, OutOfRange) {
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"arrival": {"process": "poisson", "rate": -3}})")),
            "x.json: \"workload.arrival.rate\" must be > 0, got -3");
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kv_cache": {"memory_fraction": 0}})")),
            "x.json: \"engine.kv_cache.memory_fraction\" must be in (0, 1], got 0");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"sampling": {"top_p": 1.5}})")),
            "x.json: \"workload.sampling.top_p\" must be in (0, 1], got 1.5");
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"batching": {"max_batch": 0}})")),
            "x.json: \"engine.batching.max_batch\" must be in [1, 65536], got 0");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"seed": -1})")),
            "x.json: \"workload.seed\" must be an integer in [0, 18446744073709551615], got -1");
  EXPECT_EQ(error_of(scenario_text(R"("slo": {"ttft_ms": 0})")),
            "x.json: \"slo.ttft_ms\" must be > 0, got 0");
}

TEST(Scenario, BadEnumListsAllowedValues) {
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kernels": "fast"})")),
            "x.json: \"engine.kernels\" must be one of naive|fused, got \"fast\"");
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kv_cache": {"layout": "pagd"}})")),
            "x.json: \"engine.kv_cache.layout\" must be one of contiguous|paged, got \"pagd\" "
            "(did you mean \"paged\"?)");
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kv_cache": {"block_size": 12}})")),
            "x.json: \"engine.kv_cache.block_size\" must be one of 8|16|32, got 12");
}

TEST(Scenario, MissingRequired) {
  EXPECT_EQ(error_of(R"({"schema": "rooflm.scenario/1", "model": {"preset": "tiny"}})"),
            "x.json: missing required key \"name\"");
  EXPECT_EQ(error_of(R"({"schema": "rooflm.scenario/1", "name": "t"})"),
            "x.json: missing required key \"model\"");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": {"dist": "uniform", "min": 4}})")),
            "x.json: missing required key \"workload.prompt_len.max\"");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"arrival": {"process": "poisson"}})")),
            "x.json: missing required key \"workload.arrival.rate\"");
}

TEST(Scenario, SchemaVersion) {
  EXPECT_EQ(error_of(R"({"name": "t", "model": {"preset": "tiny"}})"),
            "x.json: missing required key \"schema\" (write \"schema\": \"rooflm.scenario/1\")");
  const std::string newer = error_of(R"({"schema": "rooflm.scenario/2", "name": "t"})");
  EXPECT_NE(newer.find("\"rooflm.scenario/2\""), std::string::npos) << newer;
  EXPECT_NE(newer.find("reads \"rooflm.scenario/1\""), std::string::npos) << newer;
  EXPECT_EQ(error_of(R"({"schema": "rooflm.result/1", "name": "t"})"),
            "x.json: \"schema\" must be \"rooflm.scenario/1\", got \"rooflm.result/1\"");
  EXPECT_EQ(error_of("[1, 2]"), "x.json: a scenario must be a JSON object, got array");
}

TEST(Scenario, SyntaxErrorNamesLineAndColumn) {
  // Line 3, column 11 holds the stray ','.
  const std::string text = "{\n  \"schema\": \"rooflm.scenario/1\",\n  \"name\": ,\n}";
  const std::string message = error_of(text);
  EXPECT_EQ(message.rfind("x.json:3:11: JSON syntax error: ", 0), 0u) << message;
}

// Found by the scenario fuzz target: nlohmann reports a number literal beyond a double as an
// out_of_range exception (not a parse_error), which escaped as a raw library message (exit 1).
TEST(Scenario, NumberBeyondADoubleIsAnInputError) {
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"requests": 1e400})")),
            "x.json:1:100: number 1e400 does not fit a double (|x| <= 1.8e308)");
}

TEST(Scenario, DuplicateKeyIsAnError) {
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"kernels": "naive", "kernels": "fused"})")),
            "x.json: duplicate key \"engine.kernels\"");
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"workload.prompt_len": [8, {"dist": "fixed", "dist": "fixed"}]})")),
            "x.json: duplicate key \"sweep.workload.prompt_len[1].dist\"");
}

TEST(Scenario, MissingFileNamesIt) {
  try {
    load_scenario("no/such/scenario.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "scenario file not found: no/such/scenario.json");
  }
  ScenarioFolder folder;
  EXPECT_THROW(load_scenario(folder.path()), InputError);
}

TEST(Scenario, ModelNeedsExactlyOneOfPresetOrConfig) {
  const std::string both = R"({"schema": "rooflm.scenario/1", "name": "t",
                               "model": {"preset": "tiny", "config": "c.json"}})";
  EXPECT_EQ(error_of(both), "x.json: \"model\" needs exactly one of \"preset\" or \"config\"");
  EXPECT_EQ(error_of(R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"seed": 1}})"),
            "x.json: \"model\" needs exactly one of \"preset\" or \"config\"");
}

TEST(Scenario, LengthDistributionKeysDependOnDist) {
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"output_len": {"dist": "uniform", "min": 4, "max": 8, "mean": 6}})")),
            "x.json: \"workload.output_len.mean\" is not used with dist \"uniform\" (it takes: dist, min, max)");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": {"dist": "uniform", "min": 16, "max": 8}})")),
            "x.json: \"workload.prompt_len.max\" must be in [16, 134217728], got 8");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": {"dist": "uniform", "min": 0, "max": 8}})")),
            "x.json: \"workload.prompt_len.min\" must be in [1, 134217728], got 0");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": {"dist": "normal", "mean": 0.5, "std": 1}})")),
            "x.json: \"workload.prompt_len.mean\" must be in [1, 134217728], got 0.5");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": {"dist": "fixed", "value": 0}})")),
            "x.json: \"workload.prompt_len.value\" must be in [1, 134217728], got 0");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": {"dist": "poisson"}})")),
            "x.json: \"workload.prompt_len.dist\" must be one of fixed|uniform|normal|lognormal|dataset, got \"poisson\"");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": 0})")),
            "x.json: \"workload.prompt_len\" must be in [1, 134217728], got 0");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": "long"})")),
            "x.json: \"workload.prompt_len\" must be an integer or an object, got string");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"arrival": {"process": "burst", "rate": 2}})")),
            "x.json: \"workload.arrival.rate\" is not used with process \"burst\" (it takes: process)");
}

// --- what a valid file reads as ----------------------------------------------------------------

TEST(Scenario, DefaultsAreFilledInResolved) {
  const Scenario s = parse_one(scenario_text());
  const nlohmann::json expected = nlohmann::json::parse(R"({
    "schema": "rooflm.scenario/1", "name": "t", "description": "",
    "model": {"preset": "tiny", "weights": "synthetic", "seed": 0},
    "engine": {"backend": "auto", "kernels": "fused", "precision": "fp16", "launch": "eager",
               "weight_scales": "channel", "weight_group_size": 128, "activation_scales": "dynamic",
               "gpu": "", "tensor_parallel": 1, "threads": 0,
               "kv_cache": {"layout": "contiguous", "block_size": 16, "dtype": "fp16",
                            "max_seq_len": 0, "memory_fraction": 0.9, "memory_bytes": 0},
               "batching": {"policy": "static", "max_batch": 8, "max_wait_ms": 0.0,
                            "max_batched_tokens": 8192, "chunked_prefill": false}},
    "workload": {"requests": 16,
                 "prompt_len": {"dist": "fixed", "value": 128},
                 "output_len": {"dist": "fixed", "value": 128},
                 "arrival": {"process": "burst"},
                 "n": 1,
                 "sampling": {"temperature": 0.0, "top_k": 0, "top_p": 1.0},
                 "seed": 0},
    "measure": {"warmup_requests": 0, "repetitions": 1, "record_requests": true, "record_steps": true,
                "kernel_trace": false, "percentiles": [50, 90, 95, 99],
                "accuracy": {"mode": "auto", "tokens": 256, "sequences": 1, "seed": 0}},
    "slo": {},
    "quant": {"alpha": 0.5, "calibration": {"sequences": 8, "tokens": 128, "seed": 0}}
  })");
  EXPECT_EQ(s.resolved, expected) << s.resolved.dump(2);
  EXPECT_EQ(s.sweep_point, nlohmann::json::object());
  EXPECT_EQ(s.source, fs::path("x.json"));
  EXPECT_EQ(s.model.preset, "tiny");
  EXPECT_TRUE(s.model.weights_dir.empty());
  EXPECT_EQ(s.workload.prompt_len.kind, LengthDist::Kind::fixed);
  EXPECT_EQ(s.workload.prompt_len.value, 128);
  EXPECT_FALSE(s.slo.any());
}

TEST(Scenario, QuantisationFieldsAreReadAndImpossibleCombinationsNamed) {
  const Scenario s = parse_one(scenario_text(
      R"("engine": {"precision": "int8", "weight_scales": "group", "weight_group_size": 64})"));
  EXPECT_EQ(s.engine.precision, Precision::int8);
  EXPECT_EQ(s.engine.weight_scales, WeightScales::group);
  EXPECT_EQ(s.engine.weight_group_size, 64);
  const Variant v = requested_variant(s.engine, BackendKind::cpu);
  EXPECT_EQ(v.weight_scales, WeightScales::group);
  EXPECT_EQ(v.weight_group_size, 64);
  EXPECT_EQ(parse_one(scenario_text(R"("engine": {"precision": "fp8", "weight_scales": "tensor"})")).engine.precision,
            Precision::fp8);
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"precision": "fp8", "weight_scales": "group"})")),
            "x.json: \"engine.weight_scales\" = \"group\" is for engine.precision \"int8\" (weight-only) only, not "
            "\"fp8\": its tensor-core GEMM applies one scale per output channel after the whole reduction (have: "
            "\"channel\", \"tensor\")");
  EXPECT_NE(error_of(scenario_text(R"("engine": {"precision": "w8a8", "weight_scales": "group"})")).find("not \"w8a8\""),
            std::string::npos);
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"precision": "w8a8", "activation_scales": "static"})")),
            "x.json: \"engine.activation_scales\" = \"static\" with engine.precision \"w8a8\" needs quant.scales: the "
            "per-tensor activation scales of a calibration file (rooflm calibrate-quant <scenario> -o scales.json)");
  EXPECT_EQ(parse_one(scenario_text(R"("engine": {"precision": "w8a8", "activation_scales": "static"},
                                       "quant": {"scales": "scales.json"})")).engine.activation_scales,
            ActivationScales::static_calibrated);
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"weight_group_size": 0})")),
            "x.json: \"engine.weight_group_size\" must be in [1, 65536], got 0");
  EXPECT_NE(error_of(scenario_text(R"("engine": {"weight_scales": "row"})")).find("\"engine.weight_scales\""),
            std::string::npos);
  // Scales a precision does not use are accepted and ignored (a sweep over precisions keeps them).
  EXPECT_EQ(error_of(scenario_text(R"("engine": {"precision": "fp16", "weight_scales": "group"})")), "");
}

TEST(Scenario, FieldsAreRead) {
  const Scenario s = parse_one(scenario_text(R"(
    "description": "d",
    "engine": {"backend": "cpu", "kernels": "naive", "precision": "w8a8", "launch": "graph",
               "gpu": "h100-sxm", "threads": 3,
               "kv_cache": {"layout": "paged", "block_size": 32, "dtype": "int8", "max_seq_len": 512,
                            "memory_fraction": 0.5, "memory_bytes": 1048576},
               "batching": {"policy": "continuous", "max_batch": 4, "max_wait_ms": 2.5,
                            "max_batched_tokens": 256, "chunked_prefill": true}},
    "workload": {"requests": 16.0, "prompt_len": 7,
                 "output_len": {"dist": "lognormal", "mean": 100, "std": 30, "max": 400},
                 "arrival": {"process": "poisson", "rate": 2.5},
                 "sampling": {"temperature": 0.7, "top_k": 40, "top_p": 0.9}, "seed": 18446744073709551615},
    "measure": {"warmup_requests": 2, "repetitions": 3, "record_requests": false, "record_steps": false},
    "slo": {"ttft_ms": 500, "e2e_ms": 2000})"));
  EXPECT_EQ(s.description, "d");
  EXPECT_EQ(s.engine.backend, BackendKind::cpu);
  EXPECT_EQ(s.engine.kernels, KernelSet::naive);
  EXPECT_EQ(s.engine.precision, Precision::w8a8);
  EXPECT_EQ(s.engine.launch, Launch::graph);
  EXPECT_EQ(s.engine.gpu, "h100-sxm");
  EXPECT_EQ(s.engine.threads, 3);
  EXPECT_EQ(s.engine.kv_cache.layout, KvLayout::paged);
  EXPECT_EQ(s.engine.kv_cache.block_size, 32);
  EXPECT_EQ(s.engine.kv_cache.dtype, DType::i8);
  EXPECT_EQ(s.engine.kv_cache.max_seq_len, 512);
  EXPECT_EQ(s.engine.kv_cache.memory_fraction, 0.5);
  EXPECT_EQ(s.engine.kv_cache.memory_bytes, 1048576);
  EXPECT_EQ(s.engine.batching.policy, BatchingPolicy::continuous);
  EXPECT_EQ(s.engine.batching.max_batch, 4);
  EXPECT_EQ(s.engine.batching.max_wait_ms, 2.5);
  EXPECT_EQ(s.engine.batching.max_batched_tokens, 256);
  EXPECT_TRUE(s.engine.batching.chunked_prefill);
  EXPECT_EQ(s.workload.requests, 16);
  EXPECT_EQ(s.workload.prompt_len.kind, LengthDist::Kind::fixed);
  EXPECT_EQ(s.workload.prompt_len.value, 7);
  EXPECT_EQ(s.workload.output_len.kind, LengthDist::Kind::lognormal);
  EXPECT_EQ(s.workload.output_len.mean, 100);
  EXPECT_EQ(s.workload.output_len.std, 30);
  EXPECT_EQ(s.workload.output_len.min, 1);
  EXPECT_EQ(s.workload.output_len.max, 400);
  EXPECT_EQ(s.workload.arrival.process, ArrivalSpec::Process::poisson);
  EXPECT_EQ(s.workload.arrival.rate, 2.5);
  EXPECT_FLOAT_EQ(s.workload.sampling.temperature, 0.7f);
  EXPECT_EQ(s.workload.sampling.top_k, 40);
  EXPECT_FLOAT_EQ(s.workload.sampling.top_p, 0.9f);
  EXPECT_EQ(s.workload.seed, 18446744073709551615ull);
  EXPECT_EQ(s.measure.warmup_requests, 2);
  EXPECT_EQ(s.measure.repetitions, 3);
  EXPECT_FALSE(s.measure.record_requests);
  EXPECT_FALSE(s.measure.record_steps);
  EXPECT_EQ(s.slo.ttft_ms, 500.0);
  EXPECT_FALSE(s.slo.tpot_ms.has_value());
  EXPECT_EQ(s.slo.e2e_ms, 2000.0);
  // Floats are written back as the decimals the file used.
  EXPECT_EQ(s.resolved["workload"]["sampling"]["temperature"].dump(), "0.7");
  EXPECT_EQ(s.resolved["workload"]["prompt_len"], nlohmann::json::parse(R"({"dist": "fixed", "value": 7})"));
  EXPECT_EQ(s.resolved["slo"], nlohmann::json::parse(R"({"ttft_ms": 500.0, "e2e_ms": 2000.0})"));
}

TEST(Scenario, ResolvedJsonReadsBackToItself) {
  const Scenario s = parse_one(scenario_text(R"(
    "workload": {"prompt_len": {"dist": "normal", "mean": 64, "std": 8, "min": 32},
                 "output_len": {"dist": "uniform", "min": 4, "max": 9},
                 "arrival": {"process": "poisson", "rate": 4},
                 "sampling": {"temperature": 0.3, "top_p": 0.95}},
    "slo": {"tpot_ms": 25})"));
  const Scenario again = parse_one(s.resolved.dump());
  EXPECT_EQ(again.resolved, s.resolved);
}

TEST(Scenario, CommentsAreAccepted) {
  const std::string text = R"(// leading line comment
    {
      /* block comment
         over lines */
      "schema": "rooflm.scenario/1",  // trailing comment
      "name": "commented",
      "model": {"preset": "tiny" /* inline */}
    })";
  EXPECT_EQ(parse_one(text).name, "commented");
}

TEST(Scenario, RelativeModelPathsResolveAgainstTheScenarioFolder) {
  ScenarioFolder folder;
  folder.write("models/m/config.json", "{}");
  fs::create_directories(folder.path() / "models/m/weights");
  const fs::path file = folder.write("sub/s.json", R"({"schema": "rooflm.scenario/1", "name": "r",
      "model": {"config": "../models/m", "weights": "../models/m/weights"}})");
  const std::vector<Scenario> scenarios = load_scenario(file);
  ASSERT_EQ(scenarios.size(), 1u);
  const fs::path root = fs::absolute(folder.path()).lexically_normal();
  EXPECT_EQ(scenarios[0].model.config_path, root / "models/m");
  EXPECT_EQ(scenarios[0].model.weights_dir, root / "models/m/weights");
  EXPECT_EQ(scenarios[0].resolved["model"]["config"], (root / "models/m").string());
  EXPECT_EQ(scenarios[0].source, file);
}

TEST(Scenario, MissingModelPathsAreErrors) {
  ScenarioFolder folder;
  fs::create_directories(folder.path() / "empty");
  const fs::path missing = folder.write("a.json", R"({"schema": "rooflm.scenario/1", "name": "r",
      "model": {"config": "nope/config.json"}})");
  const std::string root = fs::absolute(folder.path()).lexically_normal().string();
  try {
    load_scenario(missing);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": \"model.config\" not found: " + root + "/nope/config.json");
  }
  const fs::path no_config = folder.write("b.json", R"({"schema": "rooflm.scenario/1", "name": "r",
      "model": {"config": "empty"}})");
  EXPECT_THROW(load_scenario(no_config), InputError);
  const fs::path no_weights = folder.write("c.json", R"({"schema": "rooflm.scenario/1", "name": "r",
      "model": {"preset": "tiny", "weights": "nope"}})");
  EXPECT_THROW(load_scenario(no_weights), InputError);
}

// --- sweep --------------------------------------------------------------------------------------

TEST(Scenario, SweepIsTheProductInKeyOrderFirstKeySlowest) {
  // Keys deliberately not in alphabetical order: the file's order decides.
  const std::vector<Scenario> points = parse_scenario(
      scenario_text(R"("sweep": {"engine.kernels": ["naive", "fused"], "engine.batching.max_batch": [1, 2, 4]})"),
      "x.json");
  ASSERT_EQ(points.size(), 6u);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"naive", 1}, {"naive", 2}, {"naive", 4}, {"fused", 1}, {"fused", 2}, {"fused", 4}};
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(name(points[i].engine.kernels), expected[i].first) << i;
    EXPECT_EQ(points[i].engine.batching.max_batch, expected[i].second) << i;
    EXPECT_EQ(points[i].sweep_point,
              (nlohmann::json{{"engine.kernels", expected[i].first},
                              {"engine.batching.max_batch", expected[i].second}}));
    EXPECT_FALSE(points[i].resolved.contains("sweep"));
    EXPECT_EQ(points[i].resolved["engine"]["kernels"], expected[i].first);
  }
}

TEST(Scenario, SweepCanVaryWholeObjectsAndNestedFields) {
  const std::vector<Scenario> points = parse_scenario(
      scenario_text(R"("workload": {"arrival": {"process": "poisson", "rate": 1}},
                       "sweep": {"workload.arrival.rate": [2, 8],
                                 "workload.prompt_len": [16, {"dist": "uniform", "min": 1, "max": 3}]})"),
      "x.json");
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0].workload.arrival.rate, 2);
  EXPECT_EQ(points[0].workload.prompt_len.value, 16);
  EXPECT_EQ(points[1].workload.prompt_len.kind, LengthDist::Kind::uniform);
  EXPECT_EQ(points[3].workload.arrival.rate, 8);
  EXPECT_EQ(points[3].workload.prompt_len.max, 3);
}

TEST(Scenario, BadSweepPathSuggestsNearest) {
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"engine.kernel": ["naive"]})")),
            "x.json: unknown sweep path sweep[\"engine.kernel\"] (did you mean \"engine.kernels\"?)");
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"name": ["a", "b"]})")).rfind(
                "x.json: unknown sweep path sweep[\"name\"]", 0),
            0u);
}

TEST(Scenario, BadSweepValueNamesItsPlaceInTheSweep) {
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"engine.kernels": ["naive", "fast"]})")),
            "x.json: \"engine.kernels\" (from sweep[\"engine.kernels\"][1]) must be one of naive|fused, "
            "got \"fast\"");
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"workload.prompt_len": [8, {"dist": "uniform", "min": 4}]})")),
            "x.json: missing required key \"workload.prompt_len.max\" (from sweep[\"workload.prompt_len\"][1])");
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"engine.kernels": []})")),
            "x.json: sweep[\"engine.kernels\"] must be a non-empty array of values, got []");
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"engine.kernels": "naive"})")),
            "x.json: sweep[\"engine.kernels\"] must be a non-empty array of values, got string");
  EXPECT_EQ(error_of(scenario_text(R"("sweep": {"workload.arrival": [{}], "workload.arrival.rate": [1]})")),
            "x.json: sweep[\"workload.arrival.rate\"] overlaps sweep[\"workload.arrival\"]: sweep one or the other");
}

TEST(Scenario, SweepIntoANonObjectIsAnError) {
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": 8}, "sweep": {"workload.prompt_len.value": [4]})")),
            "x.json: cannot apply sweep[\"workload.prompt_len.value\"][0]: \"workload.prompt_len\" is not an object");
}

// --- overrides ----------------------------------------------------------------------------------

TEST(Scenario, OverridesSetValuesAsJsonOrString) {
  const Scenario s = parse_one(scenario_text(),
                               {"engine.kernels=naive", "workload.requests=4", "engine.batching.chunked_prefill=true",
                                "workload.output_len={\"dist\":\"uniform\",\"min\":2,\"max\":5}", "name=renamed"});
  EXPECT_EQ(s.engine.kernels, KernelSet::naive);
  EXPECT_EQ(s.workload.requests, 4);
  EXPECT_TRUE(s.engine.batching.chunked_prefill);
  EXPECT_EQ(s.workload.output_len.kind, LengthDist::Kind::uniform);
  EXPECT_EQ(s.workload.output_len.max, 5);
  EXPECT_EQ(s.name, "renamed");
  EXPECT_EQ(s.resolved["engine"]["kernels"], "naive");
}

TEST(Scenario, OverrideOfASweptPathReplacesTheSweep) {
  const std::string text = scenario_text(R"("sweep": {"engine.batching.max_batch": [1, 8], "engine.kernels": ["naive", "fused"]})");
  const std::vector<Scenario> points = parse_scenario(text, "x.json", {"engine.batching.max_batch=4"});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].engine.batching.max_batch, 4);
  EXPECT_EQ(points[1].engine.batching.max_batch, 4);
  EXPECT_EQ(points[0].sweep_point, (nlohmann::json{{"engine.kernels", "naive"}}));
  // Overriding a parent object replaces the sweeps inside it too.
  EXPECT_EQ(parse_scenario(text, "x.json", {"engine={\"kernels\":\"naive\"}"}).size(), 1u);
}

TEST(Scenario, OverrideCanSetASweepAxis) {
  const std::vector<Scenario> points =
      parse_scenario(scenario_text(R"("sweep": {"engine.kernels": ["naive", "fused"]})"), "x.json",
                     {"sweep.engine.batching.max_batch=[2,3,4]", "sweep.engine.kernels=[\"fused\"]"});
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].engine.kernels, KernelSet::fused);
  EXPECT_EQ(points[2].engine.batching.max_batch, 4);
}

TEST(Scenario, BadOverrides) {
  EXPECT_EQ(error_of(scenario_text(), {"engine.kernels"}),
            "x.json: --set \"engine.kernels\": expected path=value, e.g. --set engine.kernels=naive");
  EXPECT_EQ(error_of(scenario_text(), {"=3"}),
            "x.json: --set \"=3\": expected path=value, e.g. --set engine.kernels=naive");
  EXPECT_EQ(error_of(scenario_text(), {"engine.kernel=naive"}),
            "x.json: --set \"engine.kernel=naive\": unknown key \"engine.kernel\" (did you mean \"engine.kernels\"?)");
  EXPECT_EQ(error_of(scenario_text(), {"schema=rooflm.scenario/2"}).rfind(
                "x.json: --set \"schema=rooflm.scenario/2\": unknown key \"schema\"", 0),
            0u);
  EXPECT_EQ(error_of(scenario_text(), {"workload.requests=0"}),
            "x.json: \"workload.requests\" (from --set workload.requests=0) must be in [1, 1000000], got 0");
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"prompt_len": 8})"), {"workload.prompt_len.value=4"}),
            "x.json: cannot apply --set workload.prompt_len.value=4: \"workload.prompt_len\" is not an object");
}

}  // namespace
}  // namespace rooflm

namespace rooflm {
namespace {

TEST(ScenarioPercentiles, DefaultSortedAndRefused) {
  EXPECT_EQ(parse_one(scenario_text()).measure.percentiles, (std::vector<double>{50, 90, 95, 99}));
  const Scenario chosen = parse_one(scenario_text(R"("measure": {"percentiles": [99.9, 50, 90]})"));
  EXPECT_EQ(chosen.measure.percentiles, (std::vector<double>{50, 90, 99.9}));  // sorted for the user
  EXPECT_EQ(chosen.resolved["measure"]["percentiles"], nlohmann::json::parse("[50.0, 90.0, 99.9]"));
  EXPECT_EQ(parse_one(scenario_text(), {"measure.percentiles=[75]"}).measure.percentiles, std::vector<double>{75});

  const auto refused = [](const std::string& list) { return error_of(scenario_text(R"("measure": {"percentiles": )" + list + "}")); };
  EXPECT_NE(refused("[50, 100]").find("\"measure.percentiles\" holds 100, outside (0, 100)"), std::string::npos);
  EXPECT_NE(refused("[-1]").find("outside (0, 100)"), std::string::npos);
  EXPECT_NE(refused("[99, 50, 99]").find("holds 99 twice"), std::string::npos);
  EXPECT_NE(refused("[]").find("is empty"), std::string::npos);
  EXPECT_NE(refused("[50, \"p99\"]").find("\"measure.percentiles\"[1] must be a number, got \"p99\""), std::string::npos);
  EXPECT_NE(refused("99").find("must be a list of numbers"), std::string::npos);
  EXPECT_NE(refused("[99.12345]").find("more than 3 decimals"), std::string::npos);
}

TEST(ScenarioPercentiles, SearchSloMustBeReported) {
  const std::string search =
      R"("workload": {"arrival": {"process": "poisson", "rate": 1}}, "slo": {"ttft_ms": 100},
         "search": {"path": "workload.arrival.rate", "lo": 1, "hi": 8, "slo": "p95"})";
  EXPECT_EQ(error_of(scenario_text(search)), "");
  const std::string error = error_of(scenario_text(search + R"(, "measure": {"percentiles": [50, 99]})"));
  EXPECT_NE(error.find("\"search.slo\" = \"p95\" is not one of measure.percentiles [50.0,99.0]: add 95.0"),
            std::string::npos)
      << error;
  EXPECT_EQ(error_of(scenario_text(R"("workload": {"arrival": {"process": "poisson", "rate": 1}}, "slo": {"ttft_ms": 100},
         "search": {"path": "workload.arrival.rate", "lo": 1, "hi": 8, "slo": "max"}, "measure": {"percentiles": [50]})")),
            "");
}

}  // namespace
}  // namespace rooflm
