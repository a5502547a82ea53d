// BatchPlan: what one engine step computes. A list of sequence chunks; each chunk is a run of
// consecutive tokens of one sequence at positions [start_pos, start_pos + tokens.size()). A prompt
// (or a prompt chunk) and a decode token are the same thing with different lengths, so any mix of
// prefill and decode is one plan.
#pragma once

#include <cstdint>
#include <vector>

#include "common/kv_view.h"
#include "common/kernel_time.h"
#include "common/sampling.h"

namespace rooflm {

struct SeqChunk {
  SeqId seq = -1;
  int64_t start_pos = 0;         // position of tokens[0]; KV of [0, start_pos) is already cached
  std::vector<int32_t> tokens;   // token ids to feed
  bool sample = false;           // produce the next token after the last one (false: mid-prompt chunk)
  bool is_prefill = false;       // tokens come from the prompt (for metrics and the cost model)
  SamplingParams sampling;
  uint64_t sample_seed = 0;      // per-request seed; the sampler mixes in the position

  int64_t n_tokens() const { return int64_t(tokens.size()); }
  int64_t end_pos() const { return start_pos + n_tokens(); }
};

struct BatchPlan {
  int64_t step = 0;
  std::vector<SeqChunk> chunks;
  // Slots a static batch keeps for sequences that already finished (padding waste, for the trace).
  int64_t idle_slots = 0;

  bool empty() const { return chunks.empty(); }
  int64_t n_tokens() const;
  int64_t n_prefill_tokens() const;
  int64_t n_decode_tokens() const;
  std::vector<SeqId> seqs() const;
};

// What a backend returns for a plan: one token per chunk with sample=true (-1 for the others),
// and the logits of sampled rows when asked for ([n_chunks, vocab], rows of non-sampled chunks
// left empty).
struct StepOutput {
  std::vector<int32_t> next_tokens;
  std::vector<std::vector<float>> logits;
  double modelled_seconds = 0;  // sim backend: the step's modelled time (advances the virtual clock)
  double device_seconds = -1;   // cuda backend: the step's GPU time by CUDA events (-1: not measured)
  std::vector<KernelTime> kernels;  // cuda backend with measure.kernel_trace: per (op, kernel) GPU time
};

}  // namespace rooflm
