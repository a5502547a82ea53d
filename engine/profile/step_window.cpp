// measure.profile_steps' grammar (step_window.h): [phase ":"] first ["-" last].
#include "engine/profile/step_window.h"

#include <charconv>

namespace rooflm {
namespace {

// A whole decimal integer >= 0 (nullopt for anything else, or beyond 10^9).
std::optional<int64_t> step_number(std::string_view s) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v > 1000000000) return std::nullopt;
  return v;
}

}  // namespace

std::string_view step_phase_name(StepPhase phase) {
  switch (phase) {
    case StepPhase::any: return "any";
    case StepPhase::prefill: return "prefill";
    case StepPhase::decode: return "decode";
    case StepPhase::mixed: return "mixed";
  }
  return "?";
}

StepPhase phase_of(const BatchPlan& plan) {
  if (plan.n_decode_tokens() == 0) return StepPhase::prefill;
  if (plan.n_prefill_tokens() == 0) return StepPhase::decode;
  return StepPhase::mixed;
}

std::string StepWindow::to_string() const {
  std::string s = phase == StepPhase::any ? "" : std::string(step_phase_name(phase)) + ":";
  s += std::to_string(first);
  if (last != first) s += "-" + std::to_string(last);
  return s;
}

std::optional<StepWindow> parse_step_window(std::string_view spec, std::string& error) {
  const std::string grammar = "write [prefill:|decode:|mixed:]FIRST[-LAST], e.g. \"decode:10-14\"";
  StepWindow w;
  std::string_view steps = spec;
  if (const size_t colon = spec.find(':'); colon != std::string_view::npos) {
    const std::string_view phase = spec.substr(0, colon);
    if (phase == "prefill") w.phase = StepPhase::prefill;
    else if (phase == "decode") w.phase = StepPhase::decode;
    else if (phase == "mixed") w.phase = StepPhase::mixed;
    else if (phase == "any") w.phase = StepPhase::any;
    else {
      error = "phase \"" + std::string(phase) + "\" is not prefill, decode, mixed or any: " + grammar;
      return std::nullopt;
    }
    steps = spec.substr(colon + 1);
  }
  const size_t dash = steps.find('-');
  const std::optional<int64_t> first = step_number(steps.substr(0, dash));
  const std::optional<int64_t> last = dash == std::string_view::npos ? first : step_number(steps.substr(dash + 1));
  if (!first || !last) {
    error = "\"" + std::string(spec) + "\" is not a step range: " + grammar + " (steps 0..10^9)";
    return std::nullopt;
  }
  if (*last < *first) {
    error = "\"" + std::string(spec) + "\": the last step " + std::to_string(*last) + " is before the first " +
            std::to_string(*first);
    return std::nullopt;
  }
  w.first = *first;
  w.last = *last;
  return w;
}

}  // namespace rooflm
