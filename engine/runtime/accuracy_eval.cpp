// Teacher-forced logits of a backend and the accuracy of a variant against its reference
// (accuracy_eval.h).
#include "engine/runtime/accuracy_eval.h"

#include <algorithm>
#include <stdexcept>

#include "common/error.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/interrupt.h"
#include "engine/runtime/token_streams.h"

namespace rooflm {
namespace {

constexpr uint64_t kAccuracyStreamSalt = 0x6163637572616379ull;  // "accuracy"

}  // namespace

std::vector<std::vector<int32_t>> accuracy_token_streams(const AccuracySpec& spec, int64_t vocab) {
  return seeded_token_streams(spec.seed ^ kAccuracyStreamSalt, spec.sequences, spec.tokens + 1, vocab);
}

StreamLogits teacher_forced_logits(Backend& backend, const ModelConfig& config,
                                   const std::vector<std::vector<int32_t>>& streams, int64_t tokens) {
  const int64_t S = int64_t(streams.size()), V = config.vocab;
  for (const auto& stream : streams) ROOFLM_CHECK(int64_t(stream.size()) > tokens, "a stream of tokens + 1 ids");
  ContiguousKvCache kv(
      {config.n_layers, config.n_kv_heads, config.head_dim, tokens, S, backend.effective_variant().kv_dtype});
  kv.bind(backend.allocate_kv(kv.geometry()));
  StreamLogits out{S, tokens, V, std::vector<float>(size_t(tokens * S * V))};
  BatchPlan plan;
  plan.chunks.resize(size_t(S));
  for (int64_t p = 0; p < tokens; ++p) {
    throw_if_interrupted();
    plan.step = p;
    for (int64_t s = 0; s < S; ++s) {
      SeqChunk& ch = plan.chunks[size_t(s)];
      ch.seq = SeqId(s);
      ch.start_pos = p;
      ch.tokens = {streams[size_t(s)][size_t(p)]};
      ch.sample = true;
      if (!kv.reserve(ch.seq, 1)) throw std::runtime_error("accuracy: the evaluation's KV cache is full");
    }
    const StepOutput step = backend.forward(plan, kv.view(plan.seqs()), true);
    for (int64_t s = 0; s < S; ++s) {
      const SeqChunk& ch = plan.chunks[size_t(s)];
      kv.commit(ch.seq, ch.tokens);
      const std::vector<float>& row = step.logits.at(size_t(s));
      if (int64_t(row.size()) != V)
        throw std::runtime_error("accuracy: the " + backend.name() + " backend returned " + std::to_string(row.size()) +
                                 " logits for a vocabulary of " + std::to_string(V));
      std::copy(row.begin(), row.end(), out.data.begin() + (p * S + s) * V);
    }
  }
  for (int64_t s = 0; s < S; ++s) kv.release(SeqId(s));
  return out;
}

AccuracyMetrics compare_stream_logits(const StreamLogits& reference, const StreamLogits& test,
                                      const std::vector<std::vector<int32_t>>& streams) {
  ROOFLM_CHECK(reference.sequences == test.sequences && reference.tokens == test.tokens &&
                   reference.vocab == test.vocab && int64_t(streams.size()) == reference.sequences,
               "logits of the same streams");
  AccuracyAccumulator acc;
  for (int64_t s = 0; s < reference.sequences; ++s)
    for (int64_t p = 0; p < reference.tokens; ++p)
      acc.add(reference.at(s, p), test.at(s, p), streams[size_t(s)][size_t(p + 1)]);
  return acc.result();
}

bool accuracy_wanted(const AccuracySpec& spec, const Variant& effective, const ModelConfig& config) {
  bool wanted = false;
  switch (spec.mode) {
    case AccuracyMode::off:
      return false;
    case AccuracyMode::on:
      if (effective.backend == BackendKind::sim)
        throw InputError("measure.accuracy.mode \"on\": the sim backend computes no logits (use \"auto\" or \"off\")");
      wanted = true;
      break;
    case AccuracyMode::automatic:
      wanted = effective.backend != BackendKind::sim &&
               ((effective.precision != Precision::fp16 && effective.precision != Precision::fp32) ||
                kv_dtype_quantized(effective.kv_dtype));
      break;
  }
  if (!wanted) return false;
  if (spec.tokens > config.max_positions)
    throw InputError("measure.accuracy.tokens = " + std::to_string(spec.tokens) + " exceeds the max_positions " +
                     std::to_string(config.max_positions) + " of model '" + config.name + "'");
  const double bytes = double(spec.tokens) * double(spec.sequences) * double(config.vocab) * double(sizeof(float));
  if (bytes > double(kMaxAccuracyLogitBytes))
    throw InputError("measure.accuracy.tokens x sequences x vocab = " + std::to_string(spec.tokens) + " x " +
                     std::to_string(spec.sequences) + " x " + std::to_string(config.vocab) +
                     " fp32 logits are more than the limit of " + std::to_string(kMaxAccuracyLogitBytes) +
                     " bytes; lower measure.accuracy.tokens or sequences");
  return true;
}

Scenario accuracy_reference_scenario(const Scenario& scenario) {
  Scenario reference = scenario;
  reference.engine.precision = Precision::fp16;
  reference.engine.kv_cache.dtype = DType::f16;
  return reference;
}

nlohmann::json accuracy_json(const AccuracyMetrics& m, const std::string& reference, const AccuracySpec& spec) {
  return {{"reference", reference},
          {"tokens", spec.tokens},
          {"sequences", spec.sequences},
          {"logit_nmse", m.logit_nmse},
          {"top1_agreement", m.top1_agreement},
          {"kl_mean", m.kl_mean},
          {"perplexity", m.perplexity},
          {"perplexity_reference", m.perplexity_reference}};
}

nlohmann::json evaluate_accuracy(const Scenario& scenario, const ModelConfig& config, std::unique_ptr<Backend> tested,
                                 const BackendOptions& options) {
  const AccuracySpec& spec = scenario.measure.accuracy;
  const BackendKind kind = tested->effective_variant().backend;
  const auto streams = accuracy_token_streams(spec, config.vocab);
  const StreamLogits test = teacher_forced_logits(*tested, config, streams, spec.tokens);
  tested.reset();
  const std::unique_ptr<Backend> reference = make_backend(kind, config, accuracy_reference_scenario(scenario), options);
  const StreamLogits ref = teacher_forced_logits(*reference, config, streams, spec.tokens);
  const Variant rv = reference->effective_variant();
  return accuracy_json(compare_stream_logits(ref, test, streams),
                       std::string(name(rv.backend)) + " " + std::string(name(rv.precision)), spec);
}

}  // namespace rooflm
