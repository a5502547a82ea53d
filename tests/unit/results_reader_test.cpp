// The results reader (engine/results/results_reader.h): a file is used only after it parses within
// limits, has major version 1 and conforms to results/schema/result.schema.json; anything else is an
// InputError naming the file and the JSON path of the first problem.
// Run: build/tests/rooflm_unit_tests --gtest_filter='ResultsReader*'
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/results/atomic_write.h"
#include "engine/results/results_reader.h"
#include "tests/unit/compare_synthetic_results.h"
#include "tests/unit/conforming_results.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

nlohmann::json good_document() {
  nlohmann::json doc = test::make_conforming(test::synthetic_results(test::SyntheticRunSpec{}));
  doc["runs"][0]["summary"]["ttft_ms"] = {{"count", 40}, {"mean", 100.0}, {"std", 1.0}, {"min", 97.0}, {"p50", 100.0},
                                          {"p90", 102.0}, {"p95", 102.5}, {"p99", 103.0}, {"max", 103.0}};
  doc["runs"][0]["roofline"]["phases"] = {{"decode", {{"measured_s", 2.0}, {"predicted_s", 1.5}, {"efficiency", 0.75},
                                                      {"bound", "memory"}, {"steps", 60}}}};
  doc["runs"][0]["summary"]["mbu"] = {{"decode", {{"datasheet", 0.7}, {"calibrated", nullptr}}}};
  return doc;
}

// The reader's message for `text`, or "" when it accepts it.
std::string refusal(const std::string& text, const std::string& origin = "b.json") {
  try {
    parse_results_text(text, origin);
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

std::string refusal_after(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json doc = good_document();
  edit(doc);
  return refusal(doc.dump());
}

TEST(ResultsReader, AcceptsAConformingDocumentAndEveryCommittedResultsFile) {
  EXPECT_EQ(refusal(good_document().dump()), "");
  EXPECT_EQ(parse_results_text(good_document().dump(), "x"), good_document());
  int read = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source_dir() / "results")) {
    if (entry.path().extension() != ".json" || entry.path().parent_path().filename() == "schema") continue;
    std::ifstream in(entry.path());
    const nlohmann::json doc = nlohmann::json::parse(in);
    if (!doc.is_object() || !doc.value("schema", "").starts_with("rooflm.result/")) continue;
    EXPECT_NO_THROW(read_results(entry.path())) << entry.path();
    ++read;
  }
  EXPECT_GE(read, 10);
}

TEST(ResultsReader, AFailedRequestMayLackItsTimes) {
  EXPECT_EQ(refusal_after([](nlohmann::json& d) {
              auto& r = d["runs"][0]["requests"][0];
              r["failed"] = true;
              r["first_token"] = nullptr;
              r["finish"] = nullptr;
            }),
            "");
}

struct Case {
  const char* what;
  std::function<void(nlohmann::json&)> edit;
  const char* message;  // what follows "results file 'b.json': "
};

TEST(ResultsReader, RefusesWithTheJsonPathOfTheFirstProblem) {
  const std::vector<Case> cases = {
      {"no runs", [](nlohmann::json& d) { d.erase("runs"); }, "(top level): missing required key \"runs\""},
      {"empty runs", [](nlohmann::json& d) { d["runs"] = nlohmann::json::array(); }, "runs: has 0 items, needs at least 1"},
      {"runs not an array", [](nlohmann::json& d) { d["runs"] = "all of them"; }, "runs: expected array, is \"all of them\""},
      {"no summary", [](nlohmann::json& d) { d["runs"][0].erase("summary"); }, "runs[0]: missing required key \"summary\""},
      {"null metric", [](nlohmann::json& d) { d["runs"][0]["summary"]["ttft_ms"] = nullptr; },
       "runs[0].summary.ttft_ms: expected object, is null"},
      {"null percentile with samples", [](nlohmann::json& d) { d["runs"][0]["summary"]["ttft_ms"]["p50"] = nullptr; },
       "runs[0].summary.ttft_ms.p50: expected number, is null"},
      {"null throughput", [](nlohmann::json& d) { d["runs"][0]["repetitions"][0]["throughput"]["output_tok_s"] = nullptr; },
       "runs[0].repetitions[0].throughput.output_tok_s: expected number, is null"},
      {"null time of a completed request", [](nlohmann::json& d) { d["runs"][0]["requests"][3]["first_token"] = nullptr; },
       "runs[0].requests[3].first_token: expected number, is null"},
      {"null step time", [](nlohmann::json& d) { d["runs"][0]["steps"][2]["seconds"] = nullptr; },
       "runs[0].steps[2].seconds: expected number, is null"},
      {"metric of the wrong type", [](nlohmann::json& d) { d["runs"][0]["summary"]["tpot_ms"] = "fast"; },
       "runs[0].summary.tpot_ms: expected object, is \"fast\""},
      {"count of the wrong type", [](nlohmann::json& d) { d["runs"][0]["summary"]["requests"]["completed"] = "40"; },
       "runs[0].summary.requests.completed: expected integer, is \"40\""},
      {"token time of the wrong type", [](nlohmann::json& d) { d["runs"][0]["requests"][0]["token_times"][1] = "soon"; },
       "runs[0].requests[0].token_times[1]: expected number, is \"soon\""},
      {"valid not a boolean", [](nlohmann::json& d) { d["runs"][0]["valid"] = "yes"; }, "runs[0].valid: expected boolean, is \"yes\""},
      {"kernels not names", [](nlohmann::json& d) { d["runs"][0]["kernels"] = 7; }, "runs[0].kernels: expected array, is 7"},
      {"roofline not an object", [](nlohmann::json& d) { d["runs"][0]["roofline"] = "fine"; },
       "runs[0].roofline: expected object, is \"fine\""},
      {"phase not an object", [](nlohmann::json& d) { d["runs"][0]["roofline"]["phases"]["decode"] = 3; },
       "runs[0].roofline.phases.decode: expected object, is 3"},
      {"efficiency not a number", [](nlohmann::json& d) { d["runs"][0]["roofline"]["phases"]["decode"]["efficiency"] = "high"; },
       "runs[0].roofline.phases.decode.efficiency: expected number, is \"high\""},
      {"MBU not a number", [](nlohmann::json& d) { d["runs"][0]["summary"]["mbu"]["decode"]["datasheet"] = "70%"; },
       "runs[0].summary.mbu.decode.datasheet: expected number or null, is \"70%\""},
      {"invalid reason not text", [](nlohmann::json& d) { d["runs"][0]["roofline"]["invalid_reasons"] = {1}; },
       "runs[0].roofline.invalid_reasons[0]: expected string, is 1"},
      {"scenario name not text", [](nlohmann::json& d) { d["scenario"]["name"] = 5; }, "scenario.name: expected string, is 5"},
      {"unknown backend", [](nlohmann::json& d) { d["runs"][0]["variant"]["backend"] = "tpu"; },
       "runs[0].variant.backend: is \"tpu\", expected one of [\"cpu\",\"cuda\",\"sim\",\"torch-hf\",\"torch-compile\"]"},
      {"odd key named", [](nlohmann::json& d) { d["runs"][0]["roofline"]["phases"]["de.code"] = nullptr; },
       "runs[0].roofline.phases[\"de.code\"]: expected object, is null"},
  };
  for (const Case& c : cases) {
    const std::string message = refusal_after(c.edit);
    EXPECT_EQ(message, std::string("results file 'b.json': ") + c.message +
                           " (does not conform to results/schema/result.schema.json)")
        << c.what;
  }
}

TEST(ResultsReader, RefusesTextThatIsNotAResultsDocument) {
  const std::string good = good_document().dump(2);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() / 2), "not valid JSON (truncated or corrupt?)"},
      {"", "not valid JSON"},
      {"[1, 2]", "(top level): expected object, is array"},
      {"42", "(top level): expected object, is number"},
      {R"({"runs": []})", "schema: missing or not a string"},
      {R"({"schema": "rooflm.scenario/1"})", "schema: is \"rooflm.scenario/1\", not a rooflm.result/<version>"},
      {R"({"schema": "rooflm.result/2", "runs": []})", "major version \"2\" is not supported"},
      {R"({"schema": "rooflm.result/10"})", "major version \"10\" is not supported"},
      {std::string(100000, '['), "line 1, column 65: JSON nested deeper than 64 levels (the limit)"},
      {"{\"schema\": \"rooflm.result/1\",\n \"x\": 1e400}", "line 2, column 7: number 1e400 does not fit a double"},
      {"{\"schema\": \"rooflm.result/1\", \"schema\": \"rooflm.result/1\"}", "duplicate key \"schema\""},
  };
  for (const auto& [text, fragment] : cases) {
    const std::string message = refusal(text);
    EXPECT_EQ(message.rfind("results file 'b.json': ", 0), 0u) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << text.substr(0, 80) << "\n -> " << message;
  }
}

TEST(ResultsReader, RefusesAnOverlongVersionString) {
  nlohmann::json doc = good_document();
  doc["schema"] = "rooflm.result/1." + std::string(200000, '1');  // too long for std::regex to match safely
  EXPECT_EQ(refusal(doc.dump()), "results file 'b.json': schema: is a string of 200016 characters, longer than the "
                                 "1024 it may have (does not conform to results/schema/result.schema.json)");
}

TEST(ResultsReader, ReadsFilesAndRefusesWhatIsNotOne) {
  test::TempDir dir;
  const fs::path good = dir.path() / "good.json";
  write_json_atomic(good, good_document());
  EXPECT_EQ(read_results(good), good_document());
  auto message_of = [](const fs::path& path) {
    try {
      read_results(path);
      return std::string();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  EXPECT_EQ(message_of(dir.path() / "missing.json"),
            "results file '" + (dir.path() / "missing.json").string() + "': cannot open (missing or unreadable)");
  EXPECT_EQ(message_of(dir.path()), "results file '" + dir.path().string() + "': is not a regular file");
  EXPECT_EQ(message_of("/dev/zero"), "results file '/dev/zero': is not a regular file");
}

TEST(ResultsReader, CompiledInSchemaIsTheCommittedOne) {
  std::ifstream in(source_dir() / "results/schema/result.schema.json");
  EXPECT_EQ(result_schema(), nlohmann::json::parse(in)) << "rebuild: CMake embeds the schema at configure time";
}

}  // namespace
}  // namespace rooflm
