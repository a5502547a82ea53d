// kbench samplers over Llama-2 logits [rows, 32000] fp16: greedy argmax, and the seeded sampler with
// top-k 50 (short candidate walk) and top-p 0.9 over the full vocabulary (long walk). Bytes count
// one read of the logits only, so roof_pct shows how far the sort + scans are from a single pass.
// Each case is checked first against the host sampler (reference/sampling.h): every row's token equal.
// Names: <kernel>/rows:<rows>[/<params>]
#include <string>
#include <vector>

#include "kernels/common/cuda_check.h"
#include "kernels/sampling/argmax_f16.h"
#include "kernels/sampling/sample_f16.h"
#include "reference/sampling.h"
#include "tools/kbench/kbench_register.h"
#include "tools/kbench/kbench_timing.h"

namespace rooflm::kbench {
namespace {

constexpr int64_t kVocab = 32000;
constexpr int64_t kRowCounts[] = {1, 64};

// Tokens compared exactly (as floats: token ids < 2^24).
ref::CloseReport compare_tokens(const int32_t* tokens_d, const std::vector<int32_t>& ref) {
  const std::vector<int32_t> got = download(tokens_d, ref.size());
  const std::vector<float> got_f(got.begin(), got.end()), ref_f(ref.begin(), ref.end());
  return ref::compare_close(got_f.data(), ref_f.data(), ref_f.size(), 0.0, 0.0);
}

void bench_argmax(benchmark::State& state, int64_t rows) {
  DeviceArena arena;
  const int rotations = rotations_for(size_t(rows * kVocab) * 2);
  std::vector<const __half*> logits;
  for (int r = 0; r < rotations; ++r) logits.push_back(arena.f16(size_t(rows * kVocab), 8.0f, uint64_t(r)));
  auto* tokens = static_cast<int32_t*>(arena.bytes(size_t(rows) * sizeof(int32_t)));
  const Check check = [&] {
    const std::vector<float> l = download_f16(logits[0], size_t(rows * kVocab));
    return compare_tokens(tokens, ref::argmax_rows(l.data(), rows, kVocab));
  };
  time_launches(state, [&](int i, cudaStream_t s) { argmax_f16(logits[i], tokens, rows, kVocab, s); }, rotations,
                Cost{double(rows * kVocab) * 2, 0}, check);
}

void bench_sample(benchmark::State& state, int64_t rows, SamplingRow params) {
  DeviceArena arena;
  const __half* logits = arena.f16(size_t(rows * kVocab), 8.0f, 77);
  std::vector<SamplingRow> row_params(static_cast<size_t>(rows), params);
  for (int64_t r = 0; r < rows; ++r) row_params[size_t(r)].seed = uint64_t(r) * 0x9e3779b97f4a7c15ull;
  auto* rows_d = static_cast<SamplingRow*>(arena.bytes(row_params.size() * sizeof(SamplingRow)));
  ROOFLM_CUDA_CHECK(cudaMemcpy(rows_d, row_params.data(), row_params.size() * sizeof(SamplingRow), cudaMemcpyHostToDevice));
  auto* tokens = static_cast<int32_t*>(arena.bytes(size_t(rows) * sizeof(int32_t)));
  const size_t scratch_bytes = sample_f16_scratch_bytes(rows, kVocab);
  void* scratch = arena.bytes(scratch_bytes);
  const Check check = [&] {
    const std::vector<float> l = download_f16(logits, size_t(rows * kVocab));
    std::vector<SamplingParams> params;
    std::vector<uint64_t> seeds;
    std::vector<int64_t> positions;
    for (const SamplingRow& row : row_params) {
      params.push_back({row.temperature, row.top_k, row.top_p});
      seeds.push_back(row.seed);
      positions.push_back(row.position);
    }
    return compare_tokens(tokens, ref::sample_rows(l.data(), params.data(), seeds.data(), positions.data(), rows, kVocab));
  };
  time_launches(state,
                [&](int, cudaStream_t s) { sample_f16(logits, rows_d, tokens, rows, kVocab, scratch, scratch_bytes, s); },
                1, Cost{double(rows * kVocab) * 2, 0}, check);
}

}  // namespace

void register_sampling_benchmarks() {
  for (const int64_t rows : kRowCounts) {
    add_case(("argmax_f16/rows:" + std::to_string(rows)),
                                           [rows](benchmark::State& st) { bench_argmax(st, rows); });
    add_case(("sample_f16/rows:" + std::to_string(rows) + "/t:0.8/top_k:50"),
                                           [rows](benchmark::State& st) { bench_sample(st, rows, SamplingRow{0.8f, 50, 1.0f}); });
    add_case(("sample_f16/rows:" + std::to_string(rows) + "/t:0.8/top_p:0.9"),
                                           [rows](benchmark::State& st) { bench_sample(st, rows, SamplingRow{0.8f, 0, 0.9f}); });
  }
}

}  // namespace rooflm::kbench
