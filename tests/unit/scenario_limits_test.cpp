// Unit tests of the scenario's size bounds (engine/scenario/scenario_limits.h): each key accepts its
// limit and refuses one past it with a message naming the key and the limit; the cross-key bounds
// (requests x n x repetitions, warm-up, prefix groups, arrival span) and a safe "name".
// Run: build/tests/rooflm_unit_tests --gtest_filter='ScenarioLimits*'
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/scenario/scenario.h"
#include "engine/scenario/scenario_limits.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

const std::string kScenario = R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"preset": "tiny"}})";

std::vector<Scenario> load(const std::vector<std::string>& sets) { return parse_scenario(kScenario, "x.json", sets); }

struct Bound {
  std::string key;
  std::string at_limit, past_limit;  // --set values
  std::string range;                 // as the message prints it
  std::vector<std::string> also;     // other --set the value needs to be valid
};

TEST(ScenarioLimits, EachKeyAcceptsItsLimitAndRefusesOnePast) {
  const std::string tokens = std::to_string(kMaxTokenLength), tokens1 = std::to_string(kMaxTokenLength + 1);
  const std::vector<Bound> bounds = {
      {"engine.batching.max_batch", std::to_string(kMaxBatch), std::to_string(kMaxBatch + 1), "[1, 65536]"},
      {"engine.batching.max_batched_tokens", std::to_string(kMaxBatchedTokens), std::to_string(kMaxBatchedTokens + 1),
       "[1, 16777216]"},
      {"engine.batching.max_wait_ms", "60000", "60000.5", "in [0, 60000]"},
      {"engine.threads", "1024", "1025", "[0, 1024]"},
      {"engine.kv_cache.max_seq_len", tokens, tokens1, "[0, 134217728]"},
      {"engine.kv_cache.memory_bytes", std::to_string(kMaxKvMemoryBytes), std::to_string(kMaxKvMemoryBytes + 1),
       "[0, 1125899906842624]"},
      {"workload.requests", "1000000", "1000001", "[1, 1000000]"},
      {"workload.n", "256", "257", "[1, 256]"},
      {"workload.prompt_len", tokens, tokens1, "[1, 134217728]"},
      {"workload.output_len", "{\"dist\": \"fixed\", \"value\": " + tokens + "}",
       "{\"dist\": \"fixed\", \"value\": " + tokens1 + "}", "[1, 134217728]"},
      {"workload.prompt_len", "{\"dist\": \"normal\", \"mean\": " + tokens + ", \"std\": 1}",
       "{\"dist\": \"normal\", \"mean\": " + tokens1 + ", \"std\": 1}", "in [1, 134217728]"},
      {"workload.prompt_len", "{\"dist\": \"uniform\", \"min\": 1, \"max\": " + tokens + "}",
       "{\"dist\": \"uniform\", \"min\": 1, \"max\": " + tokens1 + "}", "134217728]"},
      {"workload.arrival", R"({"process": "gamma", "rate": 1, "cv": 100})", R"({"process": "gamma", "rate": 1, "cv": 100.5})",
       "in [0.01, 100]"},
      {"workload.arrival", R"({"process": "gamma", "rate": 1, "cv": 0.01})", R"({"process": "gamma", "rate": 1, "cv": 0.009})",
       "in [0.01, 100]"},
      {"workload.arrival", R"({"process": "closed_loop", "concurrency": 1000000})",
       R"({"process": "closed_loop", "concurrency": 1000001})", "[1, 1000000]"},
      {"workload.shared_prefix", "{\"groups\": 1, \"length\": " + tokens + "}",
       "{\"groups\": 1, \"length\": " + tokens1 + "}", "[1, 134217728]"},
      {"workload.sampling.temperature", "1000", "1000.5", "in [0, 1000]"},
      {"measure.repetitions", "1000", "1001", "[1, 1000]"},
      {"measure.warmup_requests", "16", "1000001", "[0, 1000000]"},
  };
  for (const Bound& b : bounds) {
    SCOPED_TRACE(b.key + " = " + b.past_limit);
    std::vector<std::string> sets = b.also;
    sets.push_back(b.key + "=" + b.at_limit);
    EXPECT_NO_THROW(load(sets));
    sets.back() = b.key + "=" + b.past_limit;
    const std::string message = test::input_error_message([&] { load(sets); });
    EXPECT_NE(message.find(b.range), std::string::npos) << message;
    EXPECT_EQ(message.rfind("x.json: \"" + b.key, 0), 0u) << message;
  }
}

TEST(ScenarioLimits, CrossKeyBoundsNameEveryKey) {
  EXPECT_EQ(test::input_error_message([] { load({"workload.requests=1000", "workload.n=100", "measure.repetitions=11"}); }),
            "x.json: workload.requests x workload.n x measure.repetitions = 1000 x 100 x 11 = 1100000 sequences, "
            "more than the limit of 1000000");
  EXPECT_NO_THROW(load({"workload.requests=1000", "workload.n=100", "measure.repetitions=10"}));
  EXPECT_EQ(test::input_error_message([] { load({"workload.requests=4", "measure.warmup_requests=5"}); }),
            "x.json: \"measure.warmup_requests\" (from --set measure.warmup_requests=5) = 5 is more than "
            "workload.requests = 4 (warm-up replays the first requests)");
  EXPECT_EQ(test::input_error_message([] { load({"workload.shared_prefix={\"groups\": 17, \"length\": 4}"}); }),
            "x.json: \"workload.shared_prefix.groups\" (from --set workload.shared_prefix={\"groups\": 17, \"length\": 4}) "
            "= 17 is more than workload.requests = 16 (a group without requests)");
  const std::string rate = test::input_error_message(
      [] { load({"workload.requests=100", "workload.arrival={\"process\": \"poisson\", \"rate\": 0.001}"}); });
  EXPECT_NE(rate.find("\"workload.arrival.rate\""), std::string::npos) << rate;
  EXPECT_NE(rate.find("spreads workload.requests = 100 over 99000"), std::string::npos) << rate;
  EXPECT_NE(rate.find("the limit of 86400 s"), std::string::npos) << rate;
  EXPECT_NO_THROW(load({"workload.requests=100", "workload.arrival={\"process\": \"poisson\", \"rate\": 0.01}"}));
}

TEST(ScenarioLimits, NameMustBeOneSafeFileName) {
  for (const std::string& good : {"quickstart", "seed_a10", "llama-2.7b_v1", "_x", "A1"})
    EXPECT_NO_THROW(load({"name=" + good})) << good;
  for (const std::string& bad : std::vector<std::string>{"../x", "a/b", "/abs", ".hidden", "..", "-flag", "a b", "a\\b",
                                                        "tab\there", std::string(kMaxNameLength + 1, 'a')}) {
    const std::string message = test::input_error_message([&] { load({"name=" + bad}); });
    EXPECT_NE(message.find("cannot name the results folder: use letters, digits"), std::string::npos) << bad << ": " << message;
  }
  EXPECT_NO_THROW(load({"name=" + std::string(kMaxNameLength, 'a')}));
}

TEST(ScenarioLimits, OverrideValuesGetTheJsonLimits) {
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  const std::string depth = test::input_error_message([&] { load({"engine.kernels=" + deep}); });
  EXPECT_NE(depth.find("--set \"engine.kernels=[[["), std::string::npos) << depth;
  EXPECT_NE(depth.find("nested deeper than 64 levels"), std::string::npos) << depth;
  const std::string number = test::input_error_message([] { load({"workload.requests=1e400"}); });
  EXPECT_EQ(number, "x.json: --set \"workload.requests=1e400\":1:1: number 1e400 does not fit a double (|x| <= 1.8e308)");
  EXPECT_NO_THROW(load({"engine.kernels=naive"}));  // not JSON: the text as a string
}

}  // namespace
}  // namespace rooflm
