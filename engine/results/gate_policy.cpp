// Gate policy: defaults, parsing and validation of a policy file (see gate_policy.h).
#include "engine/results/gate_policy.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/results/run_counters.h"

namespace rooflm {

namespace {

const char* direction_name(MetricDirection d) {
  return d == MetricDirection::lower_is_better ? "lower_is_better" : "higher_is_better";
}

[[noreturn]] void bad(const std::string& source, const std::string& path, const std::string& what) {
  throw InputError("gate policy '" + source + "': " + path + " " + what);
}

void apply_metric_entry(MetricPolicy& policy, const nlohmann::json& entry, const std::string& source,
                        const std::string& path) {
  if (!entry.is_object()) bad(source, path, "must be an object or null, is " + entry.dump());
  for (const auto& [key, value] : entry.items()) {
    const std::string where = path + "." + key;
    if (key == "direction") {
      if (value == "lower_is_better") policy.direction = MetricDirection::lower_is_better;
      else if (value == "higher_is_better") policy.direction = MetricDirection::higher_is_better;
      else bad(source, where, "is " + value.dump() + ", expected \"lower_is_better\" or \"higher_is_better\"");
    } else if (key == "max_regression_pct") {
      if (!value.is_number() || !(value.get<double>() >= 0) || !std::isfinite(value.get<double>()))
        bad(source, where, "is " + value.dump() + ", expected a number >= 0");
      policy.max_regression_pct = value.get<double>();
    } else if (key == "min_samples") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1)
        bad(source, where, "is " + value.dump() + ", expected an integer >= 1");
      policy.min_samples = value.get<int64_t>();
    } else if (key == "observe_only") {
      if (!value.is_boolean()) bad(source, where, "is " + value.dump() + ", expected true or false");
      policy.observe_only = value.get<bool>();
    } else {
      bad(source, where, "is not a known key (direction, max_regression_pct, min_samples, observe_only)");
    }
  }
}

void apply_counter_entry(CounterPolicy& policy, const nlohmann::json& entry, const std::string& source,
                         const std::string& path) {
  if (!entry.is_object()) bad(source, path, "must be an object (e.g. {} for an exact match) or null, is " + entry.dump());
  for (const auto& [key, value] : entry.items()) {
    if (key != "max_change_pct") bad(source, path + "." + key, "is not a known key (max_change_pct)");
    if (!value.is_number() || !(value.get<double>() >= 0) || !std::isfinite(value.get<double>()))
      bad(source, path + "." + key, "is " + value.dump() + ", expected a number >= 0");
    policy.max_change_pct = value.get<double>();
  }
}

std::vector<CounterPolicy> parse_counters(const nlohmann::json& value, const std::string& source) {
  if (!value.is_object()) bad(source, "counters", "must be an object of counter name -> policy");
  for (const auto& item : value.items()) {
    try {
      check_run_counter_name(item.key());
    } catch (const InputError& e) {
      bad(source, "counters." + item.key(), e.what());
    }
  }
  std::vector<CounterPolicy> counters;
  for (const auto& name : run_counter_names()) {
    if (!value.contains(name) || value.at(name).is_null()) continue;
    CounterPolicy c{name};
    apply_counter_entry(c, value.at(name), source, "counters." + name);
    counters.push_back(c);
  }
  return counters;
}

double parse_capacity(const nlohmann::json& value, const std::string& source) {
  if (!value.is_object()) bad(source, "capacity", "must be an object, e.g. {\"max_regression_pct\": 5}");
  double pct = GatePolicy{}.capacity_max_regression_pct;
  for (const auto& [key, entry] : value.items()) {
    if (key != "max_regression_pct") bad(source, "capacity." + key, "is not a known key (max_regression_pct)");
    if (!entry.is_number() || !(entry.get<double>() >= 0) || !std::isfinite(entry.get<double>()))
      bad(source, "capacity." + key, "is " + entry.dump() + ", expected a number >= 0");
    pct = entry.get<double>();
  }
  return pct;
}

}  // namespace

nlohmann::json GatePolicy::to_json() const {
  nlohmann::json by_metric = nlohmann::json::object();
  for (const auto& info : sampled_metrics()) by_metric[info.name] = nullptr;  // null: dropped
  for (const auto& m : metrics)
    by_metric[m.metric] = {{"direction", direction_name(m.direction)},
                           {"max_regression_pct", m.max_regression_pct},
                           {"min_samples", m.min_samples},
                           {"observe_only", m.observe_only}};
  nlohmann::json by_counter = nlohmann::json::object();
  for (const auto& c : counters) by_counter[c.counter] = {{"max_change_pct", c.max_change_pct}};
  return {{"schema", kGatePolicySchema},
          {"significance_level", significance_level},
          {"metrics", by_metric},
          {"counters", by_counter},
          {"capacity", {{"max_regression_pct", capacity_max_regression_pct}}}};
}

GatePolicy default_gate_policy() {
  GatePolicy policy;
  for (const auto& info : sampled_metrics()) {
    MetricPolicy m;
    m.metric = info.name;
    m.direction = info.direction;
    m.observe_only = info.direction == MetricDirection::higher_is_better;  // per-repetition samples
    policy.metrics.push_back(m);
  }
  return policy;
}

GatePolicy parse_gate_policy(const nlohmann::json& doc, const std::string& source) {
  GatePolicy policy = default_gate_policy();
  if (!doc.is_object()) bad(source, "(top level)", "must be a JSON object");
  for (const auto& [key, value] : doc.items()) {
    if (key == "schema") {
      if (value != kGatePolicySchema) bad(source, "schema", "is " + value.dump() + ", expected \"" + kGatePolicySchema + "\"");
    } else if (key == "significance_level") {
      if (!value.is_number() || !(value.get<double>() > 0 && value.get<double>() < 1))
        bad(source, "significance_level", "is " + value.dump() + ", expected a number in (0, 1)");
      policy.significance_level = value.get<double>();
    } else if (key == "metrics") {
      if (!value.is_object()) bad(source, "metrics", "must be an object of metric name -> policy");
      for (const auto& [metric, entry] : value.items()) {
        auto it = std::find_if(policy.metrics.begin(), policy.metrics.end(),
                               [&name = metric](const MetricPolicy& m) { return m.metric == name; });
        if (it == policy.metrics.end()) {
          try {
            sampled_metric(metric);
          } catch (const InputError& e) {
            bad(source, "metrics." + metric, e.what());
          }
        }
        if (entry.is_null()) {
          policy.metrics.erase(it);
          continue;
        }
        apply_metric_entry(*it, entry, source, "metrics." + metric);
      }
    } else if (key == "counters") {
      policy.counters = parse_counters(value, source);
    } else if (key == "capacity") {
      policy.capacity_max_regression_pct = parse_capacity(value, source);
    } else {
      bad(source, key, "is not a known key (schema, significance_level, metrics, counters, capacity)");
    }
  }
  return policy;
}

GatePolicy read_gate_policy(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError("gate policy '" + path.string() + "': cannot open (missing or unreadable)");
  return parse_gate_policy(read_json_file(path, kMaxSmallJsonFileBytes, "gate policy"), path.string());
}

}  // namespace rooflm
