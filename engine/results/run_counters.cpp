// Where each gated counter lives in a results.json run (see run_counters.h).
#include "engine/results/run_counters.h"

#include <algorithm>

#include "common/error.h"
#include "engine/results/json_number.h"

namespace rooflm {

namespace {

struct CounterPath {
  std::string name;
  std::vector<const char*> path;  // under run.summary
};

const std::vector<CounterPath>& counter_paths() {
  static const std::vector<CounterPath> paths = {
      {"completed_requests", {"requests", "completed"}},
      {"steps", {"counts", "steps"}},
      {"prefill_tokens", {"counts", "prefill_tokens"}},
      {"decode_tokens", {"counts", "decode_tokens"}},
      {"prompt_tokens", {"counts", "prompt_tokens"}},
      {"output_tokens", {"counts", "output_tokens"}},
      {"preemptions", {"counts", "preemptions"}},
      {"prefix_hit_tokens", {"counts", "prefix_hit_tokens"}},
      {"peak_concurrent_seqs", {"peak_concurrent_seqs"}},
  };
  return paths;
}

}  // namespace

const std::vector<std::string>& run_counter_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& c : counter_paths()) out.push_back(c.name);
    return out;
  }();
  return names;
}

void check_run_counter_name(const std::string& name) {
  const auto& names = run_counter_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return;
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw InputError("\"" + name + "\" is not a known counter (" + known + ")");
}

std::optional<double> counter_of(const nlohmann::json& run, const std::string& name) {
  check_run_counter_name(name);
  const auto it = std::find_if(counter_paths().begin(), counter_paths().end(),
                               [&](const CounterPath& c) { return c.name == name; });
  if (!run.is_object() || !run.contains("summary")) return std::nullopt;
  const nlohmann::json* node = &run["summary"];
  for (const char* key : it->path) {
    if (!node->is_object() || !node->contains(key)) return std::nullopt;
    node = &(*node)[key];
  }
  if (!node->is_number()) return std::nullopt;
  return node->get<double>();
}

CounterChange compare_counter(const std::string& variant, const std::string& name, const nlohmann::json& base_run,
                              const nlohmann::json& cand_run) {
  CounterChange c;
  c.variant = variant;
  c.counter = name;
  c.baseline = counter_of(base_run, name).value_or(NAN);
  c.candidate = counter_of(cand_run, name).value_or(NAN);
  if (c.recorded())
    c.change_pct = c.baseline == c.candidate ? 0 : c.baseline == 0 ? INFINITY : (c.candidate - c.baseline) / c.baseline * 100;
  return c;
}

nlohmann::json CounterChange::to_json() const {
  return {{"variant", variant},
          {"counter", counter},
          {"baseline", number_or_null(baseline)},
          {"candidate", number_or_null(candidate)},
          {"change_pct", number_or_null(change_pct)}};
}

}  // namespace rooflm
