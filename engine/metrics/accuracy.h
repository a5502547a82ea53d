// Accuracy of a variant's logits against a reference's, on the same teacher-forced token stream
// (engine/runtime/accuracy_eval.h feeds both). Per position p the reference logits a, the test
// logits b (each [vocab]) and the stream's next token y; over all P positions:
//   logit_nmse        = sum_p sum_v (a - b)^2 / sum_p sum_v a^2          (pooled, not a mean of ratios)
//   top1_agreement    = share of positions where argmax a == argmax b   (ties: the lowest index)
//   kl_mean           = mean_p KL(softmax a || softmax b), in nats
//   perplexity        = exp(mean_p -log softmax(b)[y])                  (the test's)
//   perplexity_reference = the same with a
// Log-softmax in double (x - max - log sum exp(x - max)), so large logits do not overflow. A KL of
// one position below 0 by rounding is counted as 0. Unit tests: tests/unit/accuracy_metrics_test.cpp.
#pragma once

#include <cstdint>
#include <span>

namespace rooflm {

struct AccuracyMetrics {
  int64_t positions = 0;
  double logit_nmse = 0;
  double top1_agreement = 0;
  double kl_mean = 0;
  double perplexity = 0;
  double perplexity_reference = 0;
};

// Adds positions one at a time (the logits of a long stream need not be held at once).
class AccuracyAccumulator {
 public:
  // `reference` and `test`: the logits of one position, the same length (the vocabulary);
  // `next_token`: the stream's token at the next position, in [0, vocab). Throws std::runtime_error
  // naming the position on a non-finite logit or mismatched lengths (a broken variant, not input).
  void add(std::span<const float> reference, std::span<const float> test, int32_t next_token);
  // The metrics over every position added. Throws std::runtime_error when none was added or the
  // reference logits are all zero (NMSE undefined).
  AccuracyMetrics result() const;

 private:
  int64_t positions_ = 0, agree_ = 0;
  double diff_sq_ = 0, ref_sq_ = 0, kl_sum_ = 0, nll_test_ = 0, nll_ref_ = 0;
};

}  // namespace rooflm
