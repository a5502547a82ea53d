// measure.profile_steps: the steps of a variant's first measured repetition that the profiler's
// capture window holds (profile_range.h names them; capture_window.h opens and closes it).
//   "decode:10-14"   decode steps 10..14 (each phase's steps counted from 0)
//   "prefill:0"      the first prefill step
//   "3-5"            steps 3..5 of any phase
// Without it the window holds every measured repetition (never the warm-up).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/batch_plan.h"

namespace rooflm {

enum class StepPhase : uint8_t { any, prefill, decode, mixed };
std::string_view step_phase_name(StepPhase phase);  // "any" | "prefill" | "decode" | "mixed"
StepPhase phase_of(const BatchPlan& plan);           // prefill | decode | mixed

struct StepWindow {
  StepPhase phase = StepPhase::any;
  int64_t first = 0, last = 0;  // inclusive, first <= last
  std::string to_string() const;  // "decode:10-14" (the spelling it was read from, normalised)
  bool operator==(const StepWindow&) const = default;
};

// The window `spec` spells, or nullopt with `error` saying what is wrong (for a message naming
// the field).
std::optional<StepWindow> parse_step_window(std::string_view spec, std::string& error);

}  // namespace rooflm
