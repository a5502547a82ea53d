// Every committed results file (results/**/*.json with "schema": "rooflm.result/...") conforms to
// results/schema/result.schema.json, so the gate and the reports can rely on its keys; and the
// schema checker itself finds missing keys, wrong types and bad versions, naming the JSON path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/results/json_schema_check.h"
#include "engine/results/results_reader.h"
#include "tests/unit/compare_synthetic_results.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

nlohmann::json load(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

const nlohmann::json& result_schema() {
  static const nlohmann::json schema = load(fs::path(source_dir()) / "results/schema/result.schema.json");
  return schema;
}

bool contains(const std::vector<std::string>& violations, const std::string& fragment) {
  for (const auto& v : violations)
    if (v.find(fragment) != std::string::npos) return true;
  return false;
}

TEST(GateResultsFiles, EveryCommittedResultsFileMatchesTheSchema) {
  int checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(source_dir()) / "results")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    if (entry.path().parent_path().filename() == "schema") continue;
    const nlohmann::json doc = load(entry.path());
    if (!doc.is_object() || !doc.value("schema", "").starts_with("rooflm.result/")) continue;  // kbench etc.
    EXPECT_NO_THROW(read_results(entry.path())) << entry.path();
    const auto violations = json_schema_violations(doc, result_schema());
    EXPECT_TRUE(violations.empty()) << entry.path() << ": " << violations.front();
    ++checked;
  }
  EXPECT_GE(checked, 1) << "no committed rooflm.result file found under results/";
}

nlohmann::json conforming_document() {
  nlohmann::json doc = test::synthetic_results(test::SyntheticRunSpec{});
  nlohmann::json stats = {{"count", 0}, {"mean", nullptr}, {"std", nullptr}, {"min", nullptr}, {"p50", nullptr},
                          {"p90", nullptr}, {"p95", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  nlohmann::json summary = {{"throughput", {{"output_tok_s", 1.0}, {"total_tok_s", 2.0}, {"req_s", 0.5}}},
                            {"goodput_req_s", 0.5}, {"requests", {{"completed", 1}, {"failed", 0}}}};
  for (const char* m : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "queue_ms", "prefill_ms"}) summary[m] = stats;
  doc["environment"] = {{"gpu", nullptr}, {"driver", nullptr}, {"cuda", nullptr}, {"clocks", nullptr},
                        {"host", "vm"}, {"git_commit", "abc"}, {"timestamp", "2026-11-24T00:00:00Z"}};
  doc["scenario"]["resolved"] = {{"model", {}}, {"engine", {}}, {"workload", {}}, {"measure", {}}, {"slo", {}}};
  nlohmann::json run = {{"variant", {{"label", "default"}, {"backend", "sim"}, {"kernels", "fused"}, {"kv_cache", "paged"},
                                     {"precision", "fp16"}, {"batching", "continuous"}, {"launch", "eager"}}},
                        {"kernels", {"gemv_f16"}}, {"summary", summary}, {"repetitions", {summary}},
                        {"roofline", nlohmann::json::object()}, {"valid", true},
                        {"requests", nlohmann::json::array()}, {"steps", nlohmann::json::array()}};
  doc["runs"] = nlohmann::json::array({run});  // `= {run}` is a copy of run with clang, an array with g++
  return doc;
}

TEST(GateResultsFiles, CheckerAcceptsAConformingDocument) {
  const auto violations = json_schema_violations(conforming_document(), result_schema());
  EXPECT_TRUE(violations.empty()) << violations.front();
}

TEST(GateResultsFiles, CheckerNamesMissingKeysWrongTypesAndVersions) {
  nlohmann::json doc = conforming_document();
  doc["runs"][0]["summary"]["ttft_ms"].erase("max");
  doc["runs"][0]["summary"]["tpot_ms"]["p99.9"] = "slow";  // a percentile key (patternProperties)
  doc["runs"][0]["summary"]["requests"]["completed"] = 1.5;
  doc["runs"][0]["variant"]["backend"] = "tpu";
  doc["schema"] = "rooflm.result/2";
  doc["runs"][0]["steps"] = {{{"index", 0}}};
  doc["runs"][0]["kernel_breakdown"] = {{{"op", "attention"}, {"kernel", "k"}, {"calls", 1}, {"ms", 1.0}, {"mean_us", 1.0}, {"share", 1.5}}};
  const auto v = json_schema_violations(doc, result_schema());
  EXPECT_TRUE(contains(v, "runs[0].summary.ttft_ms: missing required key \"max\"")) << v.front();
  EXPECT_TRUE(contains(v, "runs[0].summary.tpot_ms[\"p99.9\"]: expected number or null, is \"slow\""));
  EXPECT_TRUE(contains(v, "runs[0].summary.requests.completed: expected integer, is 1.5"));
  EXPECT_TRUE(contains(v, "runs[0].variant.backend: is \"tpu\", expected one of"));
  EXPECT_TRUE(contains(v, "schema: is \"rooflm.result/2\", does not match"));
  EXPECT_TRUE(contains(v, "runs[0].steps[0]: missing required key \"seconds\""));
  EXPECT_TRUE(contains(v, "runs[0].kernel_breakdown[0].share: is 1.5, above the maximum 1"));
  // minor versions are accepted
  doc = conforming_document();
  doc["schema"] = "rooflm.result/1.3";
  EXPECT_TRUE(json_schema_violations(doc, result_schema()).empty());
}

TEST(GateResultsFiles, CheckerAppliesIfThenElseAndAdditionalProperties) {
  const nlohmann::json schema = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {"n": {"type": "integer"}},
    "additionalProperties": {"type": "string"},
    "if": {"properties": {"n": {"minimum": 1}}},
    "then": {"required": ["first"]},
    "else": {"properties": {"first": {"type": "null"}}}
  })");
  EXPECT_TRUE(json_schema_violations({{"n", 0}}, schema).empty());
  EXPECT_TRUE(json_schema_violations({{"n", 2}, {"first", "a"}}, schema).empty());
  EXPECT_EQ(json_schema_violations({{"n", 2}}, schema), std::vector<std::string>{"(top level): missing required key \"first\""});
  EXPECT_EQ(json_schema_violations({{"n", 0}, {"first", "a"}}, schema),
            std::vector<std::string>{"first: expected null, is \"a\""});
  EXPECT_EQ(json_schema_violations({{"n", 0}, {"odd key", 3}}, schema),
            std::vector<std::string>{"[\"odd key\"]: expected string, is 3"});
  // a value of the wrong type gets no further checks; containers are described, never dumped
  EXPECT_EQ(json_schema_violations(nlohmann::json::array({1, 2, 3}), schema),
            std::vector<std::string>{"(top level): expected object, is an array of 3 items"});
}

TEST(GateResultsFiles, CheckerRefusesUnsupportedKeywords) {
  EXPECT_THROW(json_schema_violations(nlohmann::json(1), {{"oneOf", nlohmann::json::array()}}), InputError);
  EXPECT_THROW(json_schema_violations(nlohmann::json(1), {{"$ref", "#/$defs/none"}}), InputError);
}

}  // namespace
}  // namespace rooflm
