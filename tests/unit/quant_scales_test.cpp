// The rooflm.quant_scales/1 file (engine/model/quant_scales.h): the round trip through its JSON,
// and every class of bad file as an InputError naming the file and the tensor / op.
// Run: build/tests/rooflm_unit_tests --gtest_filter='QuantScales*'
#include "engine/model/quant_scales.h"

#include <gtest/gtest.h>

#include <functional>

#include "engine/runtime/quant_calibration.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

using nlohmann::json;

struct Rig {
  ModelConfig config = model_preset("tiny");
  StepProgram program = build_step_program(config, Variant{});
  json file;
  Rig() {
    const Scenario s = parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "q", "model": {"preset": "tiny"},
      "engine": {"threads": 2}, "quant": {"calibration": {"sequences": 1, "tokens": 8}}})",
                                      "q.json")
                           .at(0);
    file = calibrate_quant(s).to_json();
  }
  // The message parsing `doc` (edited) gives.
  std::string error(const json& doc) const {
    return test::input_error_message([&] { parse_quant_scales(doc.dump(), "s.json", program); });
  }
  std::string error_after(const std::function<void(json&)>& edit) const {
    json doc = file;
    edit(doc);
    return error(doc);
  }
};

TEST(QuantScales, RoundTripIsExact) {
  const Rig rig;
  const QuantScales q = parse_quant_scales(rig.file.dump(), "s.json", rig.program);
  EXPECT_EQ(q.to_json(), rig.file);
  ASSERT_EQ(q.ops.size(), 16u);
  EXPECT_EQ(q.ops[0].op, "qkv_proj");
  EXPECT_EQ(q.alpha, 0.5);
  EXPECT_EQ(q.kernels, KernelSet::fused);
  // through a file
  test::TempDir dir;
  const auto path = dir.path() / "scales.json";
  test::write_text_file(path, rig.file.dump());
  EXPECT_EQ(read_quant_scales(path, rig.program).to_json(), rig.file);
  // the factors apply_smoothing takes
  const SmoothingFactors f = smoothing_of(q, rig.config);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[1].mlp_in, q.find(1, "gate_up_proj")->smoothing);
  EXPECT_EQ(f[3].attn_out, q.find(3, "o_proj")->smoothing);
}

TEST(QuantScales, WrongSchemaOrFile) {
  const Rig rig;
  EXPECT_EQ(rig.error_after([](json& d) { d["schema"] = "rooflm.quant_scales/2"; }),
            "scales file 's.json': \"schema\" is \"rooflm.quant_scales/2\", expected \"rooflm.quant_scales/1\"");
  EXPECT_EQ(rig.error(json::array()), "scales file 's.json': must be a JSON object, got array");
  const std::string syntax =
      test::input_error_message([&] { parse_quant_scales("{\"ops\": [NaN]}", "s.json", rig.program); });
  EXPECT_EQ(syntax.rfind("scales file 's.json':", 0), 0u) << syntax;
  EXPECT_NE(test::input_error_message([&] {
              read_quant_scales("/nonexistent/scales.json", rig.program);
            }).find("/nonexistent/scales.json"),
            std::string::npos);
}

TEST(QuantScales, AnotherModel) {
  const Rig rig;
  EXPECT_EQ(rig.error_after([](json& d) { d["model"]["name"] = "tiny-llama3"; }),
            "scales file 's.json': calibrated for another model: model.name is \"tiny-llama3\", this run's model "
            "'tiny' has \"tiny\"");
  EXPECT_EQ(rig.error_after([](json& d) { d["model"]["hidden"] = 512; }),
            "scales file 's.json': calibrated for another model: model.hidden is 512, this run's model 'tiny' has 256");
  EXPECT_EQ(rig.error_after([](json& d) { d["model"].erase("ffn"); }), "scales file 's.json': missing \"model.ffn\"");
  EXPECT_EQ(rig.error_after([](json& d) { d["kernels"] = "naive"; }),
            "scales file 's.json': calibrated with kernels \"naive\" but this run uses \"fused\" (their op names "
            "differ): calibrate again with engine.kernels = \"fused\"");
}

TEST(QuantScales, MissingOrUnknownOp) {
  const Rig rig;
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"].erase(5); }),  // layer 1 o_proj
            "scales file 's.json': no entry for layer 1 op \"o_proj\" (a linear op of model 'tiny')");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][2]["op"] = "gate_proj"; }),
            "scales file 's.json': ops[2] (layer 0 op \"gate_proj\"): the step program of model 'tiny' has no such "
            "linear op");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][3]["layer"] = 4; }),
            "scales file 's.json': ops[3] (layer 4 op \"down_proj\"): the step program of model 'tiny' has no such "
            "linear op");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"].push_back(d["ops"][0]); }),
            "scales file 's.json': ops[16]: a second entry for layer 0 op \"qkv_proj\"");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][0].erase("smoothing"); }),
            "scales file 's.json': missing \"ops[0].smoothing\"");
}

TEST(QuantScales, WrongLengthOrValue) {
  const Rig rig;
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][1]["smoothing"].erase(0); }),
            "scales file 's.json': \"ops[1].smoothing\" has 255 values, expected 256 (the op's in_features)");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][0]["in_features"] = 128; }),
            "scales file 's.json': ops[0] (layer 0 op \"qkv_proj\"): in_features is 128, the op has 256");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][3]["input_absmax"][7] = -1.0; }),
            "scales file 's.json': \"ops[3].input_absmax[7]\" must be >= 0, got -1.0");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][3]["smoothing"][7] = 0; }),
            "scales file 's.json': \"ops[3].smoothing[7]\" must be > 0, got 0");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][3]["smoothing"][7] = "1"; }),
            "scales file 's.json': \"ops[3].smoothing[7]\" must be a number, got string");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][3]["smoothing"][7] = 1e300; }),
            "scales file 's.json': \"ops[3].smoothing[7]\" = 1e+300 overflows a float");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][0]["activation_scale"]["int8"] = -0.5; }),
            "scales file 's.json': \"ops[0].activation_scale.int8\" must be >= 0, got -0.5");
  EXPECT_EQ(rig.error_after([](json& d) { d["ops"][0]["activation_scale"]["fp8"] = 1.0; }),
            "scales file 's.json': ops[0] (layer 0 op \"qkv_proj\"): activation_scale is not smoothed_absmax / 127 "
            "(int8) and / 448 (fp8)");
  EXPECT_NE(
      rig.error_after([](json& d) { d["ops"][0]["smoothed_absmax"] = 1e6; })
          .find("ops[0] (layer 0 op \"qkv_proj\"): smoothed_absmax 1000000.0 is not max(input_absmax / smoothing)"),
      std::string::npos);
  EXPECT_EQ(rig.error_after([](json& d) { d["alpha"] = 2; }),
            "scales file 's.json': \"alpha\" must be in [0, 1], got 2.0");
}

TEST(QuantScales, InconsistentSharedFactors) {
  const Rig rig;
  // o_proj (attn_out): head 0 and head 1 share KV head 0, so their channel-0 factors must agree
  EXPECT_EQ(rig.error_after([](json& d) {
    auto& op = d["ops"][1];
    op["smoothing"][0] = op["smoothing"][0].get<double>() * 2;
    op["smoothed_absmax"] = 0.0;
    op["activation_scale"] = {{"int8", 0.0}, {"fp8", 0.0}};
    double m = 0;
    for (size_t j = 0; j < op["smoothing"].size(); ++j)
      m = std::max(
          m, double(float(op["input_absmax"][j].get<double>())) / double(float(op["smoothing"][j].get<double>())));
    op["smoothed_absmax"] = m;
    op["activation_scale"] = {{"int8", m / 127}, {"fp8", m / 448}};
  }),
            "scales file 's.json': layer 0 op \"o_proj\": smoothing differs between query heads of one KV group (it "
            "folds into V)");
}

}  // namespace
}  // namespace rooflm
