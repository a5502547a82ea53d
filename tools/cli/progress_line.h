// A progress line on stderr, shown only once a run has lasted more than a second: redrawn in place
// on a terminal (at most 10 times a second), one line every 5 s otherwise (logs, CI); never when
// disabled (--quiet, --no-progress).
#pragma once

#include <chrono>
#include <string>

namespace rooflm {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled = true);
  void update(const std::string& text);
  void finish();  // clears the in-place line

 private:
  std::chrono::steady_clock::time_point start_, last_;
  bool enabled_, tty_;
  bool shown_ = false;
};

}  // namespace rooflm
