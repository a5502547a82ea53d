// CaptureWindow (capture_window.h).
#include "engine/profile/capture_window.h"

namespace rooflm {

CaptureWindow::~CaptureWindow() {
  if (!open_) return;
  try {
    backend_.set_profiler_capture(false);
  } catch (...) {  // a destructor during unwinding: the first error is the one to report
  }
}

void CaptureWindow::set(bool on) {
  if (on == open_) return;
  backend_.set_profiler_capture(on);
  open_ = on;
}

void CaptureWindow::begin_repetition(int64_t rep) {
  in_first_repetition_ = rep == 0;
  if (!steps_) set(true);
}

void CaptureWindow::end_repetition() {
  set(false);
  in_first_repetition_ = false;
}

// The window opens at the first chosen step and closes after the last, holding whatever steps of
// other phases run between them (one start / stop pair: nsys's capture range ends at the first stop).
void CaptureWindow::before_step(const BatchPlan& plan, int64_t index) {
  if (!steps_) {
    captured_.push_back(index);
    return;
  }
  if (!in_first_repetition_) return;
  const StepPhase phase = phase_of(plan);
  const bool counted = steps_->phase == StepPhase::any || steps_->phase == phase;
  const int64_t n = counted ? phase_count_++ : -1;
  if (counted && n == steps_->first) set(true);
  if (!open_) return;
  captured_.push_back(index);
  close_after_step_ = counted && n == steps_->last;
}

void CaptureWindow::after_step() {
  if (!close_after_step_) return;
  set(false);
  close_after_step_ = false;
}

}  // namespace rooflm
