// Clocks the engine runs on: the steady wall clock (cpu/cuda backends) and a virtual clock that
// only moves when told (sim backend). Times are seconds since the clock's start.
#pragma once

#include <chrono>
#include <thread>

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
  SteadyClock() : start_(std::chrono::steady_clock::now()) {}
  double now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void sleep_until(double t) override {
    std::this_thread::sleep_until(start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                               std::chrono::duration<double>(t)));
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
