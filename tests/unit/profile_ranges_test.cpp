// The "rooflm" NVTX ranges (engine/profile/profile_range.h) recorded through the range recorder on a
// cpu run of the tiny model: run > variant > repetition > step > layer > op, balanced, ops named as
// in the recipe inside their layers, step payloads equal to the steps' token counts. And the
// profiler's capture window (engine/profile/capture_window.h) and measure.profile_steps' grammar.
// Run: build/tests/rooflm_unit_tests --gtest_filter='ProfileRanges*:StepWindow*:CaptureWindow*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "engine/profile/capture_window.h"
#include "engine/profile/profile_range.h"
#include "engine/profile/step_window.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "tests/unit/input_error_message.h"

namespace rooflm {
namespace {

struct Event {
  bool push;
  RangeLevel level;
  std::string name;
  StepPayload payload;
};

class Recorder : public RangeRecorder {
 public:
  Recorder() { set_range_recorder(this); }
  ~Recorder() override { set_range_recorder(nullptr); }
  void push(RangeLevel level, std::string_view name, const StepPayload* payload) override {
    events.push_back({true, level, std::string(name), payload ? *payload : StepPayload{}});
  }
  void pop(RangeLevel level) override { events.push_back({false, level, "", {}}); }
  std::vector<Event> events;
};

Scenario tiny_cpu(const std::string& measure) {
  const std::string text = R"({"schema": "rooflm.scenario/1", "name": "ranges", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu", "threads": 2, "batching": {"policy": "static", "max_batch": 2}},
    "workload": {"requests": 2, "prompt_len": 7, "output_len": 5},
    "measure": )" + measure + "}";
  return parse_scenario(text, "ranges.json").front();
}

TEST(ProfileRanges, NestAsRunVariantRepetitionStepLayerOp) {
  const Scenario s = tiny_cpu(R"({"warmup_requests": 1, "repetitions": 2, "accuracy": {"mode": "off"}})");
  Recorder rec;
  {
    const ProfileRange run(RangeLevel::run, "run ranges");
    const VariantResult r = run_variant(s);
    EXPECT_EQ(r.run["capture_window"]["profile_steps"], nullptr);
  }
  const StepProgram program = build_step_program(model_preset("tiny"), Variant{});
  std::vector<RangeLevel> stack;
  std::vector<std::string> repetitions, ops_of_layer0;
  int64_t steps = 0, layer_ranges = 0;
  for (const Event& e : rec.events) {
    if (!e.push) {
      ASSERT_FALSE(stack.empty());
      EXPECT_EQ(stack.back(), e.level) << "pops in the order of the pushes";
      stack.pop_back();
      continue;
    }
    // Each level opens directly inside the one above it; ops outside the layers sit in the step.
    const RangeLevel parent = stack.empty() ? RangeLevel::run : stack.back();
    switch (e.level) {
      case RangeLevel::run: EXPECT_TRUE(stack.empty()); break;
      case RangeLevel::variant: EXPECT_EQ(parent, RangeLevel::run); break;
      case RangeLevel::repetition:
        EXPECT_EQ(parent, RangeLevel::variant);
        repetitions.push_back(e.name);
        break;
      case RangeLevel::step:
        EXPECT_EQ(parent, RangeLevel::repetition);
        ++steps;
        if (e.name.rfind("prefill step", 0) == 0) {
          EXPECT_EQ(e.payload.decode_tokens, 0);
          EXPECT_GT(e.payload.prefill_tokens, 0);
        } else {
          EXPECT_EQ(e.name.rfind("decode step", 0), 0u) << e.name;
          EXPECT_EQ(e.payload.prefill_tokens, 0);
          EXPECT_EQ(e.payload.decode_tokens, e.payload.batch_size);
        }
        break;
      case RangeLevel::layer:
        EXPECT_EQ(parent, RangeLevel::step);
        ++layer_ranges;
        break;
      case RangeLevel::op:
        EXPECT_TRUE(parent == RangeLevel::layer || parent == RangeLevel::step);
        if (steps == 1 && layer_ranges == 1 && parent == RangeLevel::layer) ops_of_layer0.push_back(e.name);
        break;
    }
    if (e.level == RangeLevel::variant) EXPECT_EQ(e.name, "default");
    stack.push_back(e.level);
  }
  EXPECT_TRUE(stack.empty());
  EXPECT_EQ(repetitions, (std::vector<std::string>{"warmup", "repetition 0", "repetition 1"}));
  EXPECT_EQ(layer_ranges, steps * model_preset("tiny").n_layers);
  std::vector<std::string> recipe_layer0;
  for (const OpNode& op : program.ops)
    if (op.layer == 0) recipe_layer0.push_back(op.name);
  EXPECT_EQ(ops_of_layer0, recipe_layer0) << "the first step's layer 0 holds the recipe's layer-0 ops";
}

TEST(StepWindow, Grammar) {
  std::string error;
  EXPECT_EQ(parse_step_window("decode:10-14", error), (StepWindow{StepPhase::decode, 10, 14}));
  EXPECT_EQ(parse_step_window("prefill:0", error), (StepWindow{StepPhase::prefill, 0, 0}));
  EXPECT_EQ(parse_step_window("3-5", error), (StepWindow{StepPhase::any, 3, 5}));
  EXPECT_EQ(parse_step_window("decode:10-14", error)->to_string(), "decode:10-14");
  EXPECT_EQ(parse_step_window("any:7", error)->to_string(), "7");
  for (const char* bad : {"", "decode:", "decoder:1", "1-", "-3", "5-2", "1.5", "x", "1-2-3", "decode:99999999999"}) {
    error.clear();
    EXPECT_FALSE(parse_step_window(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(StepWindow, BadProfileStepsNameTheField) {
  const std::string message = test::input_error_message([] { tiny_cpu(R"({"profile_steps": "decode:9-2"})"); });
  EXPECT_NE(message.find("measure.profile_steps"), std::string::npos) << message;
  EXPECT_NE(message.find("before the first"), std::string::npos) << message;
  EXPECT_NE(test::input_error_message([] { tiny_cpu(R"({"profile_steps": 4})"); }).find("measure.profile_steps"),
            std::string::npos);
}

// A backend that only records the capture calls (the rest is never called here).
class CaptureLog : public Backend {
 public:
  Variant effective_variant() const override { return {}; }
  const StepProgram& program() const override { std::abort(); }
  KvStorage allocate_kv(const KvGeometry&) override { std::abort(); }
  std::optional<int64_t> kv_memory_budget_bytes() const override { return std::nullopt; }
  void copy_kv_blocks(const KvGeometry&, std::span<const KvBlockCopy>) override {}
  StepOutput forward(const BatchPlan&, const KvView&, bool) override { std::abort(); }
  std::vector<std::string> kernel_names() const override { return {}; }
  nlohmann::json device_info() const override { return {}; }
  void set_profiler_capture(bool on) override { calls.push_back(on); }
  std::vector<bool> calls;
};

BatchPlan plan_of(bool prefill) {
  BatchPlan plan;
  SeqChunk& c = plan.chunks.emplace_back();
  c.tokens = prefill ? std::vector<int32_t>{1, 2, 3} : std::vector<int32_t>{4};
  c.is_prefill = prefill;
  c.start_pos = prefill ? 0 : 3;
  return plan;
}

// One prefill then decode steps, twice (two repetitions): the window drives the backend's capture.
std::vector<int64_t> drive(CaptureWindow& w, int64_t decode_steps) {
  for (int64_t rep = 0; rep < 2; ++rep) {
    w.begin_repetition(rep);
    for (int64_t i = 0; i <= decode_steps; ++i) {
      w.before_step(plan_of(i == 0), i);
      w.after_step();
    }
    w.end_repetition();
  }
  return w.captured_steps();
}

TEST(CaptureWindow, WholeRepetitionsOrTheChosenSteps) {
  {
    CaptureLog log;
    CaptureWindow w(log, std::nullopt);
    EXPECT_EQ(drive(w, 2), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
    EXPECT_EQ(log.calls, (std::vector<bool>{true, false, true, false}));  // around each repetition
  }
  {
    CaptureLog log;
    CaptureWindow w(log, StepWindow{StepPhase::decode, 1, 2});
    EXPECT_EQ(drive(w, 5), (std::vector<int64_t>{2, 3}));  // decode steps 1, 2 of the first repetition
    EXPECT_EQ(log.calls, (std::vector<bool>{true, false}));  // one start / stop pair
  }
  {
    CaptureLog log;
    CaptureWindow w(log, StepWindow{StepPhase::decode, 3, 9});  // runs out of steps: closed at the end
    EXPECT_EQ(drive(w, 4), (std::vector<int64_t>{4}));
    EXPECT_EQ(log.calls, (std::vector<bool>{true, false}));
  }
  {
    CaptureLog log;
    CaptureWindow w(log, StepWindow{StepPhase::prefill, 1, 1});  // no second prefill step: nothing
    EXPECT_TRUE(drive(w, 3).empty());
    EXPECT_TRUE(log.calls.empty());
  }
}

TEST(CaptureWindow, ProfileStepsReachTheResults) {
  const VariantResult r = run_variant(tiny_cpu(R"({"profile_steps": "decode:1-2", "accuracy": {"mode": "off"}})"));
  EXPECT_EQ(r.run["capture_window"]["profile_steps"], "decode:1-2");
  EXPECT_EQ(r.run["capture_window"]["steps"], nlohmann::json::array({2, 3}));  // static batch: one prefill step
}

}  // namespace
}  // namespace rooflm
