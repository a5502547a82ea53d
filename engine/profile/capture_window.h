// CaptureWindow: opens and closes the backend's profiler capture (Backend::set_profiler_capture)
// around a variant's measured steps: every measured repetition, or with measure.profile_steps only
// the chosen steps of the first one (step_window.h). Records which steps it held.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/profile/step_window.h"

namespace rooflm {

class CaptureWindow {
 public:
  CaptureWindow(Backend& backend, std::optional<StepWindow> steps) : backend_(backend), steps_(steps) {}
  ~CaptureWindow();  // closes a window left open (an exception mid-run)
  CaptureWindow(const CaptureWindow&) = delete;
  CaptureWindow& operator=(const CaptureWindow&) = delete;

  // Around each measured repetition (rep from 0).
  void begin_repetition(int64_t rep);
  void end_repetition();
  // Around each step of a measured repetition; `index` is the step's index in its repetition.
  void before_step(const BatchPlan& plan, int64_t index);
  void after_step();

  // Indices of the steps the window held: within the first repetition when measure.profile_steps
  // chose them (from its first chosen step to its last); every measured step otherwise.
  const std::vector<int64_t>& captured_steps() const { return captured_; }
  bool whole_repetitions() const { return !steps_.has_value(); }

 private:
  void set(bool on);

  Backend& backend_;
  std::optional<StepWindow> steps_;
  bool open_ = false, in_first_repetition_ = false, close_after_step_ = false;
  int64_t phase_count_ = 0;  // steps of the window's phase seen in the first repetition
  std::vector<int64_t> captured_;
};

}  // namespace rooflm
