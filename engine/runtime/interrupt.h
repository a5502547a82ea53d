// Stopping a run on SIGINT / SIGTERM. While an InterruptScope lives, the first such signal only
// records itself; the engine's step loop checks before every step (and the wall clock's sleeps
// wake up for it) and throws Interrupted, so a run stops within one step and, since results are
// written only after the last variant, writes nothing. The CLI turns Interrupted into exit
// 128 + signal (130 for SIGINT, 143 for SIGTERM). A second signal gets the default action (the
// process ends at once). A signal that was ignored when the scope began stays ignored.
#pragma once

#include <memory>
#include <stdexcept>

namespace rooflm {

class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }
  int exit_code() const { return 128 + signal_; }

 private:
  int signal_;
};

// Installs the SIGINT and SIGTERM handlers (one-shot) and clears any recorded signal; restores the
// previous handlers when it ends.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

// The signal recorded since the scope began (0: none). Async-signal-safe to set, safe to read
// from any thread.
int interrupt_signal();

// Throws Interrupted when a signal has been recorded.
void throw_if_interrupted();

// What the handler does; for tests (and clear_interrupt to undo it).
void request_interrupt(int signal);
void clear_interrupt();

}  // namespace rooflm
