// Unit tests of the scenario keys of the precision axis' accuracy and calibration side:
// model.synthetic_outliers, measure.accuracy and the quant section (defaults, bounds, messages).
// Run: build/tests/rooflm_unit_tests --gtest_filter='ScenarioQuant*'
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/error.h"
#include "engine/scenario/scenario.h"

namespace rooflm {
namespace {

std::string scenario_text(const std::string& model_extra, const std::string& extra = "") {
  return R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"preset": "tiny")" + model_extra + "}" +
         (extra.empty() ? "" : ", " + extra) + "}";
}

std::string error_of(const std::string& text) {
  try {
    parse_scenario(text, "x.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

Scenario parse_one(const std::string& text) { return parse_scenario(text, "x.json").at(0); }

TEST(ScenarioQuant, DefaultsAreOffAutoAndHalf) {
  const Scenario s = parse_one(scenario_text(""));
  EXPECT_FALSE(s.model.outliers.enabled());
  EXPECT_EQ(s.measure.accuracy.mode, AccuracyMode::automatic);
  EXPECT_EQ(s.measure.accuracy.tokens, 256);
  EXPECT_EQ(s.measure.accuracy.sequences, 1);
  EXPECT_EQ(s.quant.alpha, 0.5);
  EXPECT_TRUE(s.quant.scales.empty());
  EXPECT_EQ(s.quant.calibration.sequences, 8);
  EXPECT_EQ(s.quant.calibration.tokens, 128);
  EXPECT_FALSE(s.resolved["model"].contains("synthetic_outliers"));
}

TEST(ScenarioQuant, FieldsAreReadAndResolved) {
  const Scenario s =
      parse_one(scenario_text(R"(, "synthetic_outliers": {"channels": 4, "scale": 50})",
                              R"("measure": {"accuracy": {"mode": "on", "tokens": 64, "sequences": 2, "seed": 7}},
         "quant": {"alpha": 0.8, "scales": "cal/scales.json", "calibration": {"sequences": 3, "tokens": 32, "seed": 5}})"));
  EXPECT_EQ(s.model.outliers.channels, 4);
  EXPECT_EQ(s.model.outliers.scale, 50);
  EXPECT_EQ(s.measure.accuracy.mode, AccuracyMode::on);
  EXPECT_EQ(s.measure.accuracy.tokens, 64);
  EXPECT_EQ(s.measure.accuracy.sequences, 2);
  EXPECT_EQ(s.measure.accuracy.seed, 7u);
  EXPECT_EQ(s.quant.alpha, 0.8);
  // relative to the scenario's folder (here the current one); need not exist yet
  EXPECT_EQ(s.quant.scales, (std::filesystem::absolute("cal/scales.json")).lexically_normal());
  EXPECT_EQ(s.quant.calibration.sequences, 3);
  EXPECT_EQ(s.quant.calibration.tokens, 32);
  EXPECT_EQ(s.quant.calibration.seed, 5u);
  EXPECT_EQ(s.resolved["model"]["synthetic_outliers"], nlohmann::json::parse(R"({"channels": 4, "scale": 50.0})"));
  EXPECT_EQ(s.resolved["measure"]["accuracy"]["mode"], "on");
  EXPECT_EQ(s.resolved["quant"]["scales"], s.quant.scales.string());
  // the resolved document reads back to itself
  const Scenario again = parse_one(s.resolved.dump());
  EXPECT_EQ(again.resolved, s.resolved);
}

TEST(ScenarioQuant, BoundsAreErrorsNamingTheKey) {
  EXPECT_EQ(error_of(scenario_text(R"(, "synthetic_outliers": {"channels": 0, "scale": 50})")),
            "x.json: \"model.synthetic_outliers.channels\" must be in [1, 4096], got 0");
  EXPECT_EQ(error_of(scenario_text(R"(, "synthetic_outliers": {"channels": 4, "scale": 1})")),
            "x.json: \"model.synthetic_outliers.scale\" must be in (1, 1000], got 1");
  EXPECT_EQ(error_of(scenario_text(R"(, "synthetic_outliers": {"channels": 4, "scale": 2000})")),
            "x.json: \"model.synthetic_outliers.scale\" must be in (1, 1000], got 2000");
  EXPECT_EQ(error_of(scenario_text(R"(, "synthetic_outliers": {"channels": 4})")),
            "x.json: missing required key \"model.synthetic_outliers.scale\"");
  EXPECT_EQ(error_of(scenario_text("", R"("measure": {"accuracy": {"mode": "yes"}})")),
            "x.json: \"measure.accuracy.mode\" must be one of auto|on|off, got \"yes\"");
  EXPECT_EQ(error_of(scenario_text("", R"("measure": {"accuracy": {"sequences": 1025}})")),
            "x.json: \"measure.accuracy.sequences\" must be in [1, 1024], got 1025");
  EXPECT_EQ(error_of(scenario_text("", R"("measure": {"accuracy": {"tokens": 0}})")),
            "x.json: \"measure.accuracy.tokens\" must be in [1, 134217728], got 0");
  EXPECT_EQ(error_of(scenario_text("", R"("quant": {"alpha": 1.5})")),
            "x.json: \"quant.alpha\" must be in [0, 1], got 1.5");
  EXPECT_EQ(error_of(scenario_text("", R"("quant": {"calibration": {"sequences": 0}})")),
            "x.json: \"quant.calibration.sequences\" must be in [1, 1024], got 0");
  EXPECT_EQ(error_of(scenario_text("", R"("quant": {"scales": ""})")).find("quant.scales") != std::string::npos, true);
  EXPECT_EQ(error_of(scenario_text("", R"("quant": {"alhpa": 0.5})")),
            "x.json: unknown key \"quant.alhpa\" (did you mean \"alpha\"?)");
}

TEST(ScenarioQuant, OutliersNeedSyntheticWeights) {
  const std::string text = R"({"schema": "rooflm.scenario/1", "name": "t",
    "model": {"preset": "tiny", "weights": ".", "synthetic_outliers": {"channels": 4, "scale": 50}}})";
  const std::string error = error_of(text);
  EXPECT_NE(error.find("\"model.synthetic_outliers\" plants outliers in synthetic weights, but model.weights is"),
            std::string::npos)
      << error;
}

TEST(ScenarioQuant, SweepableAsAnyKey) {
  const auto points = parse_scenario(scenario_text("", R"("sweep": {"quant.alpha": [0, 0.5, 1]})"), "x.json");
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[2].quant.alpha, 1.0);
}

}  // namespace
}  // namespace rooflm
