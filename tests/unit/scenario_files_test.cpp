// Unit tests of the committed scenario files: every scenarios/*.json loads, quickstart.json says
// what it promises, and scenarios/scenario.schema.json is a closed JSON Schema whose keys match
// the parser's key table (engine/scenario/scenario_keys.cpp).
// Run: build/tests/rooflm_unit_tests --gtest_filter='ScenarioFiles*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "engine/scenario/scenario.h"
#include "engine/scenario/scenario_keys.h"
#include "engine/scenario/scenario_limits.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path scenarios_dir() {
  const char* root = std::getenv("ROOFLM_SOURCE_DIR");
  return fs::path(root ? root : ROOFLM_SOURCE_DIR) / "scenarios";
}

json read_schema() {
  std::ifstream in(scenarios_dir() / "scenario.schema.json");
  EXPECT_TRUE(in.good());
  return json::parse(in);  // plain JSON: no comments allowed in the schema
}

// Collects the dotted key paths a schema node describes, following $ref and oneOf/anyOf/allOf,
// and checks every object with properties is closed.
void collect_schema_paths(const json& schema, const json& node, const std::string& path,
                          std::set<std::string>& paths) {
  if (node.contains("$ref")) {
    const std::string ref = node["$ref"];
    ASSERT_EQ(ref.rfind("#/$defs/", 0), 0u) << ref;
    collect_schema_paths(schema, schema["$defs"].at(ref.substr(8)), path, paths);
  }
  if (node.contains("properties")) {
    EXPECT_EQ(node.value("additionalProperties", json(true)), json(false)) << "open object at \"" << path << "\"";
    for (const auto& [key, child] : node["properties"].items()) {
      const std::string child_path = path.empty() ? key : path + "." + key;
      paths.insert(child_path);
      collect_schema_paths(schema, child, child_path, paths);
    }
  }
  for (const char* combinator : {"oneOf", "anyOf", "allOf"})
    if (node.contains(combinator))
      for (const json& variant : node[combinator]) collect_schema_paths(schema, variant, path, paths);
}

TEST(ScenarioFiles, EveryScenarioFileLoads) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(scenarios_dir())) {
    const fs::path file = entry.path();
    if (file.extension() != ".json" || file.filename() == "scenario.schema.json") continue;
    ++files;
    std::vector<Scenario> scenarios;
    EXPECT_NO_THROW(scenarios = load_scenario(file)) << file;
    EXPECT_FALSE(scenarios.empty()) << file;
    for (const Scenario& s : scenarios) EXPECT_EQ(s.resolved["schema"], "rooflm.scenario/1") << file;
  }
  EXPECT_GE(files, 1);
}

// Request count and arrival rate are tuning knobs of the file and are not pinned here.
TEST(ScenarioFiles, QuickstartIsTheTinyTwoPointSweep) {
  const std::vector<Scenario> points = load_scenario(scenarios_dir() / "quickstart.json");
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].engine.batching.max_batch, 1);
  EXPECT_EQ(points[1].engine.batching.max_batch, 8);
  for (const Scenario& s : points) {
    EXPECT_EQ(s.model.preset, "tiny");
    EXPECT_FALSE(s.engine.backend.has_value());  // "auto"
    EXPECT_EQ(s.engine.batching.policy, BatchingPolicy::static_batches);
    EXPECT_EQ(s.workload.prompt_len.kind, LengthDist::Kind::uniform);
    EXPECT_EQ(s.workload.prompt_len.min, 16);
    EXPECT_EQ(s.workload.prompt_len.max, 64);
    EXPECT_EQ(s.workload.output_len.min, 16);
    EXPECT_EQ(s.workload.output_len.max, 32);
    EXPECT_EQ(s.workload.arrival.process, ArrivalSpec::Process::poisson);
    EXPECT_EQ(s.workload.sampling.temperature, 0.0f);
    EXPECT_EQ(s.slo.ttft_ms, 500.0);
    EXPECT_EQ(s.slo.tpot_ms, 50.0);
  }
}

TEST(ScenarioFiles, SchemaIsDraft202012) {
  const json schema = read_schema();
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema["properties"]["schema"]["const"], "rooflm.scenario/1");
  EXPECT_EQ(schema["required"], json::parse(R"(["schema", "name", "model"])"));
}

TEST(ScenarioFiles, SchemaKeysMatchTheParser) {
  const json schema = read_schema();
  std::set<std::string> schema_paths;
  collect_schema_paths(schema, schema, "", schema_paths);
  const std::set<std::string> parser_paths(scenario_key_paths().begin(), scenario_key_paths().end());
  EXPECT_EQ(schema_paths, parser_paths);

  const json sweep_names = schema["$defs"]["sweep"]["propertyNames"]["enum"];
  const std::set<std::string> schema_sweepable(sweep_names.begin(), sweep_names.end());
  const std::set<std::string> parser_sweepable(sweepable_key_paths().begin(), sweepable_key_paths().end());
  EXPECT_EQ(schema_sweepable, parser_sweepable);
}

// Every size's bound (engine/scenario/scenario_limits.h) is the "maximum" of its key in the schema.
TEST(ScenarioFiles, SchemaMaximaAreTheReadersLimits) {
  const json schema = read_schema();
  const json& defs = schema["$defs"];
  const json& engine = defs["engine"]["properties"];
  EXPECT_EQ(engine["threads"]["maximum"], kMaxThreads);
  EXPECT_EQ(engine["tensor_parallel"]["maximum"], kMaxTensorParallel);
  EXPECT_EQ(engine["kv_cache"]["properties"]["max_seq_len"]["maximum"], kMaxTokenLength);
  EXPECT_EQ(engine["kv_cache"]["properties"]["memory_bytes"]["maximum"], kMaxKvMemoryBytes);
  const json& batching = engine["batching"]["properties"];
  EXPECT_EQ(batching["max_batch"]["maximum"], kMaxBatch);
  EXPECT_EQ(batching["max_wait_ms"]["maximum"], kMaxWaitMs);
  EXPECT_EQ(batching["max_batched_tokens"]["maximum"], kMaxBatchedTokens);
  const json& workload = defs["workload"]["properties"];
  EXPECT_EQ(workload["requests"]["maximum"], kMaxRequests);
  EXPECT_EQ(workload["n"]["maximum"], kMaxSamplesPerRequest);
  EXPECT_EQ(workload["shared_prefix"]["properties"]["groups"]["maximum"], kMaxRequests);
  EXPECT_EQ(workload["shared_prefix"]["properties"]["length"]["maximum"], kMaxTokenLength);
  EXPECT_EQ(workload["sampling"]["properties"]["temperature"]["maximum"], kMaxTemperature);
  const json& measure = defs["measure"]["properties"];
  EXPECT_EQ(measure["warmup_requests"]["maximum"], kMaxRequests);
  EXPECT_EQ(measure["repetitions"]["maximum"], kMaxRepetitions);
  EXPECT_EQ(measure["accuracy"]["properties"]["tokens"]["maximum"], kMaxTokenLength);
  EXPECT_EQ(measure["accuracy"]["properties"]["sequences"]["maximum"], kMaxAccuracySequences);
  const json& outliers = defs["model"]["properties"]["synthetic_outliers"]["properties"];
  EXPECT_EQ(outliers["channels"]["maximum"], kMaxOutlierChannels);
  EXPECT_EQ(outliers["scale"]["exclusiveMinimum"], kMinOutlierScale);
  EXPECT_EQ(outliers["scale"]["maximum"], kMaxOutlierScale);
  const json& calibration = defs["quant"]["properties"]["calibration"]["properties"];
  EXPECT_EQ(calibration["sequences"]["maximum"], kMaxCalibrationSequences);
  EXPECT_EQ(calibration["tokens"]["maximum"], kMaxTokenLength);
  EXPECT_EQ(schema["properties"]["name"]["maxLength"], kMaxNameLength);
  // Every length (bare integer, value, min, max, mean, std) and the arrival process' bounds.
  int lengths = 0;
  for (const json& form : defs["length"]["oneOf"]) {
    if (form.contains("maximum")) {
      EXPECT_EQ(form["maximum"], kMaxTokenLength);
      ++lengths;
    }
    const json fields = form.value("properties", json::object());
    for (const auto& [key, field] : fields.items()) {
      if (key == "dist" || key == "file" || key == "file_digest" || key == "field") continue;
      EXPECT_EQ(field.value("maximum", json()), kMaxTokenLength) << key;
      ++lengths;
    }
  }
  EXPECT_EQ(lengths, 1 + 1 + 2 + 4 + 4 + 2);
  for (const json& process : workload["arrival"]["oneOf"]) {
    const json& fields = process["properties"];
    if (fields.contains("cv")) {
      EXPECT_EQ(fields["cv"]["minimum"], kMinGammaCv);
      EXPECT_EQ(fields["cv"]["maximum"], kMaxGammaCv);
    }
    if (fields.contains("concurrency")) EXPECT_EQ(fields["concurrency"]["maximum"], kMaxRequests);
    if (fields.contains("burstiness")) {
      EXPECT_EQ(fields["burstiness"]["minimum"], kMinBurstiness);
      EXPECT_EQ(fields["burstiness"]["maximum"], kMaxBurstiness);
    }
    if (fields.contains("speedup")) {
      EXPECT_EQ(fields["speedup"]["minimum"], kMinTraceSpeedup);
      EXPECT_EQ(fields["speedup"]["maximum"], kMaxTraceSpeedup);
      EXPECT_EQ(fields["block_size"]["maximum"], kMaxTokenLength);
    }
  }
  EXPECT_EQ(defs["ramp"]["properties"]["duration_s"]["maximum"], kMaxArrivalSeconds);
  EXPECT_EQ(workload["sharegpt"]["properties"]["max_len"]["maximum"], kMaxTokenLength);
}

}  // namespace
}  // namespace rooflm
