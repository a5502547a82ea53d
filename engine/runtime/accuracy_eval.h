// Teacher-forced accuracy of a variant (scenario measure.accuracy, results runs[i].accuracy): the
// same weights and the same seeded token streams through the variant's backend and through that
// backend at its reference precision (cpu: the fp32 reference; cuda: fp16), the logits of every
// position compared with engine/metrics/accuracy.h.
//
// How the logits of every position are obtained: one decode step per position, all streams of the
// evaluation in one plan (chunk s = stream s's token at position p, sampled). Backend::forward
// returns the logits of a chunk's last token only, so a prefill would give one position per
// sequence; one token per chunk gives every position through the interface every backend has,
// and runs the decode path (GEMV-shaped linears), where weight-only quantisation pays.
// The streams: seeded_token_streams (token_streams.h) of measure.accuracy.seed. Position p feeds
// token p and is scored on token p + 1, so a stream holds tokens + 1 ids.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/backend_factory.h"
#include "engine/metrics/accuracy.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

// Logits of tokens x sequences positions held at once are at most this many bytes (an evaluation
// needing more is an InputError naming measure.accuracy.tokens and sequences).
inline constexpr int64_t kMaxAccuracyLogitBytes = int64_t(2) << 30;  // (x 2: test and reference)

// [sequences][tokens + 1] token ids in [0, vocab).
std::vector<std::vector<int32_t>> accuracy_token_streams(const AccuracySpec& spec, int64_t vocab);

// The logits of positions [0, tokens) of every stream.
struct StreamLogits {
  int64_t sequences = 0, tokens = 0, vocab = 0;
  std::vector<float> data;  // [tokens, sequences, vocab]
  std::span<const float> at(int64_t sequence, int64_t position) const {
    return {data.data() + (position * sequences + sequence) * vocab, size_t(vocab)};
  }
};

// Runs `streams` (each at least tokens + 1 long) through `backend`, one decode step per position, in
// a contiguous KV cache of its own (allocated with backend.allocate_kv: call it only when the
// backend's other KV storage is no longer used). Throws Interrupted on SIGINT / SIGTERM.
StreamLogits teacher_forced_logits(Backend& backend, const ModelConfig& config,
                                   const std::vector<std::vector<int32_t>>& streams, int64_t tokens);

// Metrics of `test` against `reference` over every (sequence, position); the next token of position
// p of stream s is streams[s][p + 1].
AccuracyMetrics compare_stream_logits(const StreamLogits& reference, const StreamLogits& test,
                                      const std::vector<std::vector<int32_t>>& streams);

// Whether measure.accuracy asks for an evaluation of a run of `effective` (see AccuracyMode).
// Throws InputError for mode "on" on the sim backend, and for an evaluation longer than the model's
// max_positions or larger than kMaxAccuracyLogitBytes (checked before anything runs).
bool accuracy_wanted(const AccuracySpec& spec, const Variant& effective, const ModelConfig& config);

// The reference of `scenario` on `kind`: the same scenario at fp16 with an fp16 KV cache (what each
// backend realises as its reference: cpu fp32, cuda fp16).
Scenario accuracy_reference_scenario(const Scenario& scenario);

// runs[i].accuracy: {reference, tokens, sequences, logit_nmse, top1_agreement, kl_mean, perplexity,
// perplexity_reference}; `reference` names the reference backend and precision ("cpu fp32").
nlohmann::json accuracy_json(const AccuracyMetrics& metrics, const std::string& reference, const AccuracySpec& spec);

// The whole evaluation for run_variant: the streams through `tested` (the run's backend, after its
// measured repetitions; freed before the reference is built, so the two never hold memory at
// once), then through the reference backend make_backend builds for accuracy_reference_scenario.
nlohmann::json evaluate_accuracy(const Scenario& scenario, const ModelConfig& config, std::unique_ptr<Backend> tested,
                                 const BackendOptions& options);

}  // namespace rooflm
