// SIGINT / SIGTERM handling of a run (see interrupt.h).
#include "engine/runtime/interrupt.h"

#include <signal.h>
#include <string.h>

#include <atomic>
#include <utility>
#include <string>

namespace rooflm {

namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

void record_signal(int signal) { g_signal.store(signal, std::memory_order_relaxed); }

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace

Interrupted::Interrupted(int signal)
    : std::runtime_error("interrupted by " + signal_name(signal) + ": stopped before the next step, nothing written"),
      signal_(signal) {}

struct InterruptScope::Saved {
  struct sigaction int_action, term_action;
};

InterruptScope::InterruptScope() : saved_(std::make_unique<Saved>()) {
  clear_interrupt();
  struct sigaction action;
  ::memset(&action, 0, sizeof action);
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;  // one-shot: a second signal gets the default action
  // A signal ignored when rooflm started (`nohup`, a background job of a script) stays ignored.
  for (auto [signal, saved] : {std::pair{SIGINT, &saved_->int_action}, std::pair{SIGTERM, &saved_->term_action}}) {
    ::sigaction(signal, nullptr, saved);
    if (saved->sa_handler != SIG_IGN) ::sigaction(signal, &action, nullptr);
  }
}

InterruptScope::~InterruptScope() {
  ::sigaction(SIGINT, &saved_->int_action, nullptr);
  ::sigaction(SIGTERM, &saved_->term_action, nullptr);
}

int interrupt_signal() { return g_signal.load(std::memory_order_relaxed); }

void throw_if_interrupted() {
  if (const int signal = interrupt_signal(); signal != 0) throw Interrupted(signal);
}

void request_interrupt(int signal) { record_signal(signal); }

void clear_interrupt() { g_signal.store(0, std::memory_order_relaxed); }

}  // namespace rooflm
