// CudaBackend with a paged KV cache vs the same backend with a contiguous one (tiny preset): every
// logit of a batched prefill (lengths 37, 1, 17) and of 24 decode steps, block sizes 8/16/32, both
// kernel sets and launch modes; then a forked sequence whose first decode writes copy its shared,
// partly filled block on the GPU (copy_kv_blocks) against two sequences prefilled from scratch
// (fp16, int8 and fp8 caches); and an int8 / fp8 cache paged vs contiguous.
// Tolerance: |paged - contiguous| <= 1e-2 + 1e-2 |contiguous|. Both sides run the same fp16 kernels
// on the same weights; only the KV accessor (and so split-K partitioning and summation order)
// differs, which moves fp32-accumulated logits by ~1e-3, while a wrong block or a missed copy
// reads the NaN poison or another sequence's KV and moves them by O(1).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "engine/backend/cuda/cuda_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/kv/paged_kv_cache.h"
#include "tests/gpu/gpu_test_util.h"
#include "tests/unit/plan_builders.h"

namespace rooflm {
namespace {

Scenario tiny_scenario(const char* kernels, const char* launch, DType kv_dtype = DType::f16) {
  Scenario s;
  s.engine.kv_cache.dtype = kv_dtype;
  s.model.preset = "tiny";
  s.model.seed = 13;
  s.engine.kernels = *parse_enum(kKernelSetNames, std::string_view(kernels));
  s.engine.launch = *parse_enum(kLaunchNames, std::string_view(launch));
  return s;
}

struct Side {
  CudaBackend backend;
  std::unique_ptr<KvCache> kv;
  Side(const ModelConfig& c, const Scenario& sc, std::unique_ptr<KvCache> cache) : backend(c, sc), kv(std::move(cache)) {
    kv->bind(backend.allocate_kv(kv->geometry()));
  }
  StepOutput step(const BatchPlan& plan) {
    for (const auto& ch : plan.chunks) EXPECT_TRUE(kv->reserve(ch.seq, ch.n_tokens()));
    backend.copy_kv_blocks(kv->geometry(), kv->take_block_copies());
    StepOutput out = backend.forward(plan, kv->view(plan.seqs()), true);
    for (const auto& ch : plan.chunks) kv->commit(ch.seq, ch.tokens);
    return out;
  }
};

std::unique_ptr<KvCache> contiguous(const ModelConfig& c, DType dtype = DType::f16) {
  return std::make_unique<ContiguousKvCache>(KvGeometry{c.n_layers, c.n_kv_heads, c.head_dim, 128, 4, dtype});
}
std::unique_ptr<KvCache> paged(const ModelConfig& c, int64_t block_size, DType dtype = DType::f16) {
  return std::make_unique<PagedKvCache>(KvGeometry{c.n_layers, c.n_kv_heads, c.head_dim, block_size, 4 * 128 / block_size, dtype}, 128);
}

using test::make_chunk;

// A batched prefill of three sequences (37, 1 and 17 tokens drawn with `seed`) and `steps` decode
// steps fed `ref`'s greedy tokens: every logit of `got` within 1e-2 + 1e-2 |ref|.
void expect_same_logits(Side& ref, Side& got, const ModelConfig& c, unsigned seed, int steps) {
  std::mt19937 rng(seed);
  BatchPlan plan;
  int64_t seq = 0;
  for (const int64_t len : {37, 1, 17}) {
    std::vector<int32_t> tokens(static_cast<size_t>(len));
    for (auto& t : tokens) t = int32_t(rng() % uint32_t(c.vocab));
    plan.chunks.push_back(make_chunk(seq++, 0, tokens));
  }
  for (int step = 0; step <= steps; ++step) {
    const StepOutput want = ref.step(plan), have = got.step(plan);
    BatchPlan next;
    for (size_t i = 0; i < plan.chunks.size(); ++i) {
      ASSERT_TRUE(gputest::all_close(have.logits[i], want.logits[i], 1e-2, 1e-2)) << "step " << step << " seq " << i;
      next.chunks.push_back(make_chunk(plan.chunks[i].seq, plan.chunks[i].end_pos(), {want.next_tokens[i]}));
    }
    plan = next;
  }
}

class PagedCudaBackend : public ::testing::TestWithParam<std::tuple<int64_t, const char*, const char*>> {};

TEST_P(PagedCudaBackend, SameLogitsAsContiguous) {
  ROOFLM_REQUIRE_GPU();
  const auto [block_size, kernels, launch] = GetParam();
  const ModelConfig c = model_preset("tiny");
  const Scenario sc = tiny_scenario(kernels, launch);
  Side ref(c, sc, contiguous(c)), got(c, sc, paged(c, block_size));
  SCOPED_TRACE("block " + std::to_string(block_size) + " " + kernels + "/" + launch);
  expect_same_logits(ref, got, c, 7, 24);
}

INSTANTIATE_TEST_SUITE_P(BlockSizesKernelSetsLaunch, PagedCudaBackend,
                         ::testing::Combine(::testing::Values(8, 16, 32), ::testing::Values("naive", "fused"),
                                            ::testing::Values("eager", "graph")),
                         [](const auto& info) {
                           return "block" + std::to_string(std::get<0>(info.param)) + "_" + std::get<1>(info.param) +
                                  "_" + std::get<2>(info.param);
                         });

// fp16, and a quantised cache whose copy-on-write must copy the scales with the codes.
class PagedCudaBackendFork : public ::testing::TestWithParam<DType> {};

TEST_P(PagedCudaBackendFork, CopyOnWriteOnTheGpuMatchesFreshSequences) {
  ROOFLM_REQUIRE_GPU();
  const DType dtype = GetParam();
  const ModelConfig c = model_preset("tiny");
  const Scenario sc = tiny_scenario("fused", "eager", dtype);
  Side ref(c, sc, contiguous(c, dtype)), got(c, sc, paged(c, 16, dtype));
  std::vector<int32_t> prompt(21);  // one full block + 5 tokens in the shared block
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t((i * 37 + 5) % uint64_t(c.vocab));
  BatchPlan prefill;
  prefill.chunks = {make_chunk(0, 0, prompt)};
  got.step(prefill);
  ASSERT_TRUE(got.kv->fork(0, 1));
  prefill.chunks = {make_chunk(0, 0, prompt), make_chunk(1, 0, prompt)};
  ref.step(prefill);
  for (int k = 0; k < 12; ++k) {
    BatchPlan plan;
    const int64_t pos = int64_t(prompt.size()) + k;
    plan.chunks = {make_chunk(0, pos, {int32_t(3 + k)}), make_chunk(1, pos, {int32_t(200 + k)})};
    const StepOutput want = ref.step(plan), have = got.step(plan);
    for (size_t i = 0; i < 2; ++i)
      ASSERT_TRUE(gputest::all_close(have.logits[i], want.logits[i], 1e-2, 1e-2)) << "step " << k << " seq " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(KvDtypes, PagedCudaBackendFork, ::testing::Values(DType::f16, DType::i8, DType::f8e4m3),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// A quantised cache paged vs contiguous: the same writer stores the same codes in either layout, so
// the logits differ as the fp16 ones do (split-K partitioning), within the same tolerance.
class PagedQuantKvCudaBackend : public ::testing::TestWithParam<std::tuple<DType, const char*>> {};

TEST_P(PagedQuantKvCudaBackend, SameLogitsAsContiguous) {
  ROOFLM_REQUIRE_GPU();
  const auto [dtype, kernels] = GetParam();
  const ModelConfig c = model_preset("tiny");
  const Scenario sc = tiny_scenario(kernels, "eager", dtype);
  Side ref(c, sc, contiguous(c, dtype)), got(c, sc, paged(c, 16, dtype));
  SCOPED_TRACE(kernels);
  expect_same_logits(ref, got, c, 9, 12);
}

INSTANTIATE_TEST_SUITE_P(KvDtypesKernelSets, PagedQuantKvCudaBackend,
                         ::testing::Combine(::testing::Values(DType::i8, DType::f8e4m3), ::testing::Values("naive", "fused")),
                         [](const auto& info) {
                           return std::string(dtype_name(std::get<0>(info.param))) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace rooflm
