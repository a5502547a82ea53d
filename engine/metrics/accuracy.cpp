// Logit NMSE, top-1 agreement, mean KL and perplexities (definitions: accuracy.h).
#include "engine/metrics/accuracy.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace rooflm {
namespace {

// log softmax(x) in double: x - max - log(sum exp(x - max)).
std::vector<double> log_softmax(std::span<const float> x) {
  double max = -INFINITY;
  for (const float v : x) max = std::max(max, double(v));
  double sum = 0;
  for (const float v : x) sum += std::exp(double(v) - max);
  const double log_norm = max + std::log(sum);
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = double(x[i]) - log_norm;
  return out;
}

size_t argmax(std::span<const float> x) {
  return size_t(std::max_element(x.begin(), x.end()) - x.begin());  // the first of equal maxima
}

}  // namespace

void AccuracyAccumulator::add(std::span<const float> reference, std::span<const float> test, int32_t next_token) {
  const std::string where = "accuracy: position " + std::to_string(positions_);
  if (reference.empty() || reference.size() != test.size())
    throw std::runtime_error(where + ": reference logits have " + std::to_string(reference.size()) +
                             " entries, test logits " + std::to_string(test.size()));
  if (next_token < 0 || size_t(next_token) >= reference.size())
    throw std::runtime_error(where + ": next token " + std::to_string(next_token) + " outside the vocabulary");
  for (size_t v = 0; v < reference.size(); ++v)
    if (!std::isfinite(reference[v]) || !std::isfinite(test[v]))
      throw std::runtime_error(where + ": " + (std::isfinite(reference[v]) ? "test" : "reference") + " logit " +
                               std::to_string(v) + " is not finite");
  for (size_t v = 0; v < reference.size(); ++v) {
    const double a = reference[v], d = a - double(test[v]);
    diff_sq_ += d * d;
    ref_sq_ += a * a;
  }
  if (argmax(reference) == argmax(test)) ++agree_;
  const std::vector<double> lp_ref = log_softmax(reference), lp_test = log_softmax(test);
  double kl = 0;
  for (size_t v = 0; v < lp_ref.size(); ++v) {
    const double p = std::exp(lp_ref[v]);
    if (p > 0) kl += p * (lp_ref[v] - lp_test[v]);
  }
  kl_sum_ += std::max(0.0, kl);
  nll_ref_ -= lp_ref[size_t(next_token)];
  nll_test_ -= lp_test[size_t(next_token)];
  ++positions_;
}

AccuracyMetrics AccuracyAccumulator::result() const {
  if (positions_ == 0) throw std::runtime_error("accuracy: no positions were evaluated");
  if (!(ref_sq_ > 0)) throw std::runtime_error("accuracy: the reference logits are all zero (NMSE undefined)");
  const double n = double(positions_);
  AccuracyMetrics m;
  m.positions = positions_;
  m.logit_nmse = diff_sq_ / ref_sq_;
  m.top1_agreement = double(agree_) / n;
  m.kl_mean = kl_sum_ / n;
  m.perplexity = std::exp(nll_test_ / n);
  m.perplexity_reference = std::exp(nll_ref_ / n);
  return m;
}

}  // namespace rooflm
