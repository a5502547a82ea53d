// The key table of rooflm.scenario/1 and the edit-distance suggestions built on it.
#include "engine/scenario/scenario_keys.h"
#include "common/edit_distance.h"

#include <algorithm>

namespace rooflm {
namespace {

// Keys of a length distribution object (the union over fixed, uniform, normal, lognormal, dataset).
constexpr std::string_view kLengthKeys[] = {"dist", "value", "min", "max", "mean", "std", "file", "file_digest", "field"};

std::vector<std::string> build_key_paths() {
  std::vector<std::string> paths = {
      "schema", "name", "description",
      "model", "model.preset", "model.config", "model.weights", "model.seed",
      "model.synthetic_outliers", "model.synthetic_outliers.channels", "model.synthetic_outliers.scale",
      "engine", "engine.backend", "engine.kernels", "engine.precision", "engine.weight_scales",
      "engine.weight_group_size", "engine.activation_scales", "engine.launch",
      "engine.tensor_parallel", "engine.gpu", "engine.threads",
      "engine.kv_cache", "engine.kv_cache.layout", "engine.kv_cache.block_size",
      "engine.kv_cache.dtype", "engine.kv_cache.max_seq_len", "engine.kv_cache.memory_fraction",
      "engine.kv_cache.memory_bytes",
      "engine.batching", "engine.batching.policy", "engine.batching.max_batch",
      "engine.batching.max_wait_ms", "engine.batching.max_batched_tokens",
      "engine.batching.chunked_prefill",
      "workload", "workload.requests", "workload.prompt_len", "workload.output_len",
      "workload.arrival", "workload.arrival.process", "workload.arrival.rate",
      "workload.arrival.cv", "workload.arrival.burstiness",
      "workload.arrival.ramp", "workload.arrival.ramp.from", "workload.arrival.ramp.to",
      "workload.arrival.ramp.duration_s", "workload.arrival.ramp.strategy",
      "workload.arrival.concurrency", "workload.arrival.file", "workload.arrival.file_digest",
      "workload.arrival.format", "workload.arrival.block_size", "workload.arrival.speedup",
      "workload.shared_prefix", "workload.shared_prefix.groups", "workload.shared_prefix.length",
      "workload.sharegpt", "workload.sharegpt.file", "workload.sharegpt.file_digest", "workload.sharegpt.tokenizer",
      "workload.sharegpt.tokenizer_digest", "workload.sharegpt.max_len",
      "workload.n",
      "workload.sampling", "workload.sampling.temperature", "workload.sampling.top_k",
      "workload.sampling.top_p", "workload.seed",
      "sweep",
      "measure", "measure.warmup_requests", "measure.repetitions", "measure.record_requests",
      "measure.record_steps", "measure.kernel_trace", "measure.percentiles", "measure.profile_steps",
      "measure.accuracy", "measure.accuracy.mode", "measure.accuracy.tokens", "measure.accuracy.sequences",
      "measure.accuracy.seed",
      "slo", "slo.ttft_ms", "slo.tpot_ms", "slo.e2e_ms",
      "quant", "quant.alpha", "quant.scales", "quant.calibration", "quant.calibration.sequences",
      "quant.calibration.tokens", "quant.calibration.seed",
      "search", "search.path", "search.lo", "search.hi", "search.slo", "search.tolerance",
      "search.goodput_fraction",
  };
  for (std::string_view length : {"workload.prompt_len", "workload.output_len"}) {
    const auto after = std::find(paths.begin(), paths.end(), length) + 1;
    std::vector<std::string> children;
    for (std::string_view key : kLengthKeys) children.push_back(std::string(length) + "." + std::string(key));
    paths.insert(after, children.begin(), children.end());
  }
  return paths;
}

bool is_listed(const std::vector<std::string>& paths, std::string_view path) {
  return std::find(paths.begin(), paths.end(), path) != paths.end();
}

}  // namespace

const std::vector<std::string>& scenario_key_paths() {
  static const std::vector<std::string> paths = build_key_paths();
  return paths;
}

bool is_scenario_key_path(std::string_view path) { return is_listed(scenario_key_paths(), path); }

bool is_search_key_path(std::string_view path) { return path == "search" || path.starts_with("search."); }

std::vector<std::string> scenario_child_keys(std::string_view parent) {
  const std::string prefix = parent.empty() ? "" : std::string(parent) + ".";
  std::vector<std::string> keys;
  for (const std::string& path : scenario_key_paths()) {
    if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = path.substr(prefix.size());
    if (rest.find('.') == std::string::npos) keys.push_back(rest);
  }
  return keys;
}

const std::vector<std::string>& sweepable_key_paths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> sweepable;
    for (const std::string& path : scenario_key_paths())
      if (path != "schema" && path != "name" && path != "description" && path != "sweep" &&
          !is_search_key_path(path))
        sweepable.push_back(path);
    return sweepable;
  }();
  return paths;
}

bool is_sweepable_key_path(std::string_view path) { return is_listed(sweepable_key_paths(), path); }

std::optional<std::string> nearest_word(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    const size_t distance = edit_distance(word, candidate);
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Close enough to be a typo: at most 2 edits, or a third of the word for long words.
  const size_t tolerated = std::max<size_t>(2, word.size() / 3);
  if (!best || best_distance > tolerated || best_distance >= word.size()) return std::nullopt;
  return best;
}

std::string unknown_key_hint(std::string_view key, const std::vector<std::string>& candidates) {
  if (const auto nearest = nearest_word(key, candidates)) return " (did you mean \"" + *nearest + "\"?)";
  std::string list;
  for (const std::string& candidate : candidates) list += (list.empty() ? "" : ", ") + candidate;
  return " (valid keys: " + list + ")";
}

}  // namespace rooflm
