// Kernel trace (measure.kernel_trace) on the GPU: every kernel of an eager step is attributed to one
// of the cost model's ops for that step (both name the nodes of the backend's step program, so each
// op can be a roofline point), the traced kernel time fits inside the step's CUDA-event time,
// and kernels replayed from a CUDA graph are traced without an op. Skips where CUPTI cannot trace
// (another profiler such as ncu holds it), naming the reason.
#include <gtest/gtest.h>

#include <set>

#include "engine/backend/cuda/cuda_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/roofline/cost_model.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

class KernelTraceOnGpu : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {};

double traced_seconds(const StepOutput& out) {
  double s = 0;
  for (const auto& k : out.kernels) s += k.seconds;
  return s;
}

TEST_P(KernelTraceOnGpu, EagerKernelsCarryTheCostModelsOpsGraphReplaysNone) {
  ROOFLM_REQUIRE_GPU();
  const auto [kernels, launch] = GetParam();
  const ModelConfig c = model_preset("tiny");
  Scenario sc;
  sc.model.preset = "tiny";
  sc.engine.kernels = *parse_enum(kKernelSetNames, std::string_view(kernels));
  sc.engine.launch = *parse_enum(kLaunchNames, std::string_view(launch));
  sc.measure.kernel_trace = true;
  CudaBackend gpu(c, sc);
  if (gpu.kernel_trace_status() != "traced") GTEST_SKIP() << "no kernel trace: " << gpu.kernel_trace_status();
  ContiguousKvCache kv({c.n_layers, c.n_kv_heads, c.head_dim, 128, 4, DType::f16});
  kv.bind(gpu.allocate_kv(kv.geometry()));

  BatchPlan plan;
  for (int64_t i = 0; i < 3; ++i) {
    SeqChunk ch;
    ch.seq = i;
    ch.tokens.assign(size_t(5 + 7 * i), int32_t(3 + i));
    ch.sample = ch.is_prefill = true;
    plan.chunks.push_back(ch);
  }
  for (int step = 0; step < 4; ++step) {
    for (auto& ch : plan.chunks) ASSERT_TRUE(kv.reserve(ch.seq, ch.n_tokens()));
    const StepOutput out = gpu.forward(plan, kv.view(plan.seqs()), false);
    for (auto& ch : plan.chunks) kv.commit(ch.seq, ch.tokens);
    const bool replay = std::string(launch) == "graph" && step > 0;  // decode steps run as graphs
    SCOPED_TRACE(std::string(kernels) + "/" + launch + " step " + std::to_string(step));
    ASSERT_FALSE(out.kernels.empty());
    std::set<std::string> traced_ops;
    for (const auto& k : out.kernels) {
      EXPECT_GT(k.calls, 0);
      EXPECT_GT(k.seconds, 0) << k.kernel;
      EXPECT_FALSE(k.kernel.empty());
      EXPECT_NE(k.kernel.back(), ':') << "a shortened name must keep the kernel's own name";
      traced_ops.insert(k.op);
    }
    if (replay) {
      EXPECT_EQ(traced_ops, std::set<std::string>{""});
    } else {
      std::set<std::string> model_ops;
      for (const OpCount& op : count_step_ops(plan, gpu.program())) model_ops.insert(op.name);
      EXPECT_EQ(traced_ops, model_ops);
    }
    // kernels run one after another inside the step's CUDA events
    EXPECT_LE(traced_seconds(out), out.device_seconds * 1.02 + 2e-6);
    BatchPlan next;
    for (const auto& ch : plan.chunks) {
      SeqChunk d;
      d.seq = ch.seq;
      d.start_pos = ch.end_pos();
      d.tokens = {1};
      d.sample = true;
      next.chunks.push_back(d);
    }
    plan = next;
  }
}

INSTANTIATE_TEST_SUITE_P(KernelSetsAndLaunch, KernelTraceOnGpu,
                         ::testing::Combine(::testing::Values("naive", "fused"), ::testing::Values("eager", "graph")));

TEST(KernelTraceOnGpu, OneTraceAtATimeAndAgainAfterwards) {
  ROOFLM_REQUIRE_GPU();
  const ModelConfig c = model_preset("tiny");
  Scenario sc;
  sc.model.preset = "tiny";
  sc.measure.kernel_trace = true;
  {
    CudaBackend first(c, sc);
    if (first.kernel_trace_status() != "traced") GTEST_SKIP() << "no kernel trace: " << first.kernel_trace_status();
    CudaBackend second(c, sc);
    EXPECT_EQ(second.kernel_trace_status(), "another kernel trace is active in this process");
  }
  CudaBackend third(c, sc);
  EXPECT_EQ(third.kernel_trace_status(), "traced");
  sc.measure.kernel_trace = false;
  EXPECT_EQ(CudaBackend(c, sc).kernel_trace_status(), "off (measure.kernel_trace is false)");
}

}  // namespace
}  // namespace rooflm
