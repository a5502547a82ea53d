// ProgressLine implementation.
#include "tools/cli/progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace rooflm {

ProgressLine::ProgressLine(bool enabled)
    : start_(std::chrono::steady_clock::now()), last_(start_), enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0) {}

void ProgressLine::update(const std::string& text) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (elapsed < 1.0 || (shown_ && since < (tty_ ? 0.1 : 5.0))) return;
  last_ = now;
  shown_ = true;
  if (tty_)
    std::fprintf(stderr, "\r\033[K[%6.1fs] %s", elapsed, text.c_str());
  else
    std::fprintf(stderr, "[%6.1fs] %s\n", elapsed, text.c_str());
  std::fflush(stderr);
}

void ProgressLine::finish() {
  if (shown_ && tty_) std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace rooflm
