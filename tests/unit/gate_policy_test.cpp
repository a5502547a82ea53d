// Gate policy files: defaults, overrides, dropped metrics, and errors naming the JSON path.
#include <gtest/gtest.h>

#include "common/error.h"
#include "engine/results/gate_policy.h"

namespace rooflm {
namespace {

const MetricPolicy* find(const GatePolicy& p, const std::string& metric) {
  for (const auto& m : p.metrics)
    if (m.metric == metric) return &m;
  return nullptr;
}

std::string error_of(const nlohmann::json& doc) {
  try {
    parse_gate_policy(doc, "gate.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(GatePolicy, DefaultsGateLatenciesAndObserveThroughput) {
  const GatePolicy p = default_gate_policy();
  EXPECT_DOUBLE_EQ(p.significance_level, 0.05);
  ASSERT_NE(find(p, "ttft_ms"), nullptr);
  EXPECT_FALSE(find(p, "ttft_ms")->observe_only);
  EXPECT_DOUBLE_EQ(find(p, "ttft_ms")->max_regression_pct, 5);
  EXPECT_TRUE(find(p, "output_tok_s")->observe_only);
  EXPECT_EQ(find(p, "output_tok_s")->direction, MetricDirection::higher_is_better);
}

TEST(GatePolicy, OverridesAndDrops) {
  const GatePolicy p = parse_gate_policy(
      {{"schema", "rooflm.gate_policy/1"},
       {"significance_level", 0.01},
       {"metrics", {{"ttft_ms", {{"max_regression_pct", 2.5}, {"min_samples", 20}}},
                    {"output_tok_s", {{"observe_only", false}}},
                    {"itl_ms", nullptr}}}},
      "gate.json");
  EXPECT_DOUBLE_EQ(p.significance_level, 0.01);
  EXPECT_DOUBLE_EQ(find(p, "ttft_ms")->max_regression_pct, 2.5);
  EXPECT_EQ(find(p, "ttft_ms")->min_samples, 20);
  EXPECT_FALSE(find(p, "output_tok_s")->observe_only);
  EXPECT_EQ(find(p, "itl_ms"), nullptr);
  EXPECT_NE(find(p, "tpot_ms"), nullptr);
  // round trip through the file format
  const GatePolicy again = parse_gate_policy(p.to_json(), "round-trip");
  EXPECT_EQ(again.metrics.size(), p.metrics.size());
  EXPECT_DOUBLE_EQ(find(again, "ttft_ms")->max_regression_pct, 2.5);
}

TEST(GatePolicy, ErrorsNameThePathAndValue) {
  EXPECT_NE(error_of({{"metrics", {{"ttft_ms", {{"max_regression_pct", -3}}}}}}).find("metrics.ttft_ms.max_regression_pct is -3"),
            std::string::npos);
  EXPECT_NE(error_of({{"metrics", {{"ttft", {{"min_samples", 3}}}}}}).find("metrics.ttft"), std::string::npos);
  EXPECT_NE(error_of({{"metrics", {{"ttft_ms", {{"min_samples", 0}}}}}}).find("min_samples is 0"), std::string::npos);
  EXPECT_NE(error_of({{"metrics", {{"ttft_ms", {{"direction", "up"}}}}}}).find("direction is \"up\""), std::string::npos);
  EXPECT_NE(error_of({{"metrics", {{"ttft_ms", {{"treshold", 3}}}}}}).find("metrics.ttft_ms.treshold is not a known key"),
            std::string::npos);
  EXPECT_NE(error_of({{"significance_level", 2}}).find("significance_level is 2"), std::string::npos);
  EXPECT_NE(error_of({{"schema", "rooflm.gate_policy/2"}}).find("schema is \"rooflm.gate_policy/2\""), std::string::npos);
  EXPECT_EQ(error_of({{"metrics", {{"ttft_ms", {{"observe_only", true}}}}}}), "");
}

}  // namespace
}  // namespace rooflm
