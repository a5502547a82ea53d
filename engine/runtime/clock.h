// Clocks the engine runs on: the steady wall clock (cpu/cuda backends) and a virtual clock that
// only moves when told (sim backend). Times are seconds since the clock's start.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/runtime/interrupt.h"

namespace rooflm {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double now() const = 0;
  virtual void sleep_until(double t) = 0;
  // Accounts for a step that took `seconds` (virtual clock only; the wall clock just ran it).
  virtual void advance(double seconds) = 0;
};

class SteadyClock final : public Clock {
 public:
  static constexpr std::chrono::milliseconds kSleepSlice{20};
  static constexpr double kMaxSleepSeconds = 1e9;  // keeps the time point representable
  SteadyClock() : start_(std::chrono::steady_clock::now()) {}
  double now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  // Sleeps in slices of at most kSleepSlice and returns early once a signal is recorded
  // (interrupt.h), so an interrupted run does not wait for a far arrival.
  void sleep_until(double t) override {
    const auto until = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(std::min(t, kMaxSleepSeconds)));
    while (interrupt_signal() == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_until(std::min(until, std::chrono::steady_clock::now() + kSleepSlice));
  }
  void advance(double) override {}

 private:
  std::chrono::steady_clock::time_point start_;
};

class VirtualClock final : public Clock {
 public:
  double now() const override { return t_; }
  void sleep_until(double t) override {
    if (t > t_) t_ = t;
  }
  void advance(double seconds) override { t_ += seconds; }

 private:
  double t_ = 0;
};

}  // namespace rooflm
