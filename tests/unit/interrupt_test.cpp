// SIGINT / SIGTERM handling (engine/runtime/interrupt.h): a recorded signal makes the engine stop
// before its next step and the wall clock stop sleeping; the scope's handlers record a signal
// instead of ending the process, and the previous handlers come back when the scope ends.
// Run: build/tests/rooflm_unit_tests --gtest_filter='Interrupt*'
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/interrupt.h"
#include "engine/scenario/workload.h"

namespace rooflm {
namespace {

class Interrupt : public ::testing::Test {
 protected:
  void TearDown() override { clear_interrupt(); }
};

TEST_F(Interrupt, EngineStopsBeforeTheNextStep) {
  const ModelConfig config = model_preset("tiny");
  CpuBackend backend(config, synthetic_weights(config, 3), Variant{}, 1);
  WorkloadSpec w;
  w.requests = 4;
  w.prompt_len.value = 5;
  w.output_len.value = 8;  // 4 requests x 8 tokens at batch 2: well over 2 steps
  std::vector<Request> requests = generate_workload(w, config.vocab, config.max_positions);
  ContiguousKvCache kv({config.n_layers, config.n_kv_heads, config.head_dim, 32, 2, DType::f32});
  kv.bind(backend.allocate_kv(kv.geometry()));
  BatchingSpec batching;
  batching.max_batch = 2;
  auto scheduler = make_scheduler(batching, kv);
  VirtualClock clock;
  Engine engine(backend, kv, *scheduler, clock);
  int64_t steps_seen = 0;
  try {
    engine.run(requests, false, [&](const EngineProgress& p) {
      steps_seen = p.steps;
      if (p.steps == 2) request_interrupt(SIGTERM);
    });
    FAIL() << "the run went on after SIGTERM";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
    EXPECT_EQ(e.exit_code(), 143);
    EXPECT_NE(std::string(e.what()).find("SIGTERM"), std::string::npos) << e.what();
  }
  EXPECT_EQ(steps_seen, 2) << "no step after the signal";
}

TEST_F(Interrupt, WallClockSleepEndsOnASignal) {
  SteadyClock clock;
  request_interrupt(SIGINT);
  const auto start = std::chrono::steady_clock::now();
  clock.sleep_until(3600.0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  clear_interrupt();
  const double before = clock.now();
  clock.sleep_until(before + 0.05);  // without a signal it sleeps the whole time
  EXPECT_GE(clock.now(), before + 0.05);
}

TEST_F(Interrupt, ScopeRecordsSignalsAndRestoresTheHandlers) {
  const auto inherited = ::signal(SIGINT, SIG_DFL);  // as in a terminal, whatever ran this test
  struct sigaction before;
  ::sigaction(SIGINT, nullptr, &before);
  {
    const InterruptScope scope;
    EXPECT_EQ(interrupt_signal(), 0);
    ::raise(SIGINT);  // recorded, the test process goes on
    EXPECT_EQ(interrupt_signal(), SIGINT);
    EXPECT_THROW(throw_if_interrupted(), Interrupted);
  }
  struct sigaction after;
  ::sigaction(SIGINT, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  {
    const InterruptScope again;  // a new scope starts clear
    EXPECT_EQ(interrupt_signal(), 0);
    EXPECT_NO_THROW(throw_if_interrupted());
  }
  ::signal(SIGINT, inherited);
}

TEST_F(Interrupt, ASignalIgnoredAtTheStartStaysIgnored) {
  const auto inherited = ::signal(SIGTERM, SIG_IGN);  // e.g. a background job of a script, nohup
  {
    const InterruptScope scope;
    ::raise(SIGTERM);
    EXPECT_EQ(interrupt_signal(), 0);
  }
  ::signal(SIGTERM, inherited);
}

}  // namespace
}  // namespace rooflm
