// Google Benchmark JSON as a results document (kbench_results.h).
#include "engine/results/kbench_results.h"

#include <map>
#include <vector>

#include "common/error.h"

namespace rooflm {
namespace {

// Microseconds per `unit` ("ns", "us", "ms", "s"); 0 for anything else.
double us_per(const std::string& unit) {
  if (unit == "ns") return 1e-3;
  if (unit == "us") return 1;
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1e6;
  return 0;
}

}  // namespace

bool is_benchmark_json(const nlohmann::json& doc) {
  return doc.is_object() && doc.contains("context") && doc["context"].is_object() && doc.contains("benchmarks") &&
         doc["benchmarks"].is_array() && !doc.contains("schema");
}

nlohmann::json benchmark_json_as_results(const nlohmann::json& doc, const std::string& origin) {
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> samples;  // name -> (us, GB/s)
  const nlohmann::json& benchmarks = doc["benchmarks"];
  for (size_t i = 0; i < benchmarks.size(); ++i) {
    const nlohmann::json& b = benchmarks[i];
    const std::string where = origin + ": benchmarks[" + std::to_string(i) + "]";
    if (!b.is_object()) throw InputError(where + " is not an object");
    if (b.contains("run_type") && b["run_type"] == "aggregate") continue;
    if (!b.contains("run_name") || !b["run_name"].is_string() || !b.contains("real_time") ||
        !b["real_time"].is_number() || !b.contains("time_unit") || !b["time_unit"].is_string())
      throw InputError(where + " has no run_name, real_time or time_unit: not Google Benchmark's JSON output");
    const double scale = us_per(b["time_unit"].get<std::string>());
    if (scale == 0) throw InputError(where + ": time_unit \"" + b["time_unit"].get<std::string>() + "\" is not ns, us, ms or s");
    const std::string name = b["run_name"].get<std::string>();
    auto [it, fresh] = samples.try_emplace(name);
    if (fresh) order.push_back(name);
    it->second.first.push_back(b["real_time"].get<double>() * scale);
    if (b.contains("GB/s") && b["GB/s"].is_number()) it->second.second.push_back(b["GB/s"].get<double>());
  }
  const nlohmann::json& context = doc["context"];
  nlohmann::json runs = nlohmann::json::array();
  for (const std::string& name : order)
    runs.push_back({{"variant", {{"label", name}}},
                    {"kernel_samples", {{"kernel_us", samples[name].first}, {"kernel_gb_s", samples[name].second}}}});
  return {{"schema", "rooflm.result/1.3"},
          {"kind", kKbenchResultsKind},
          {"environment",
           {{"gpu", context.value("gpu", nlohmann::json(nullptr))},
            {"git_commit", context.value("git_commit", nlohmann::json(nullptr))},
            {"timestamp", context.value("date", nlohmann::json(nullptr))}}},
          {"scenario", {{"name", kKbenchResultsKind}}},
          {"runs", runs}};
}

}  // namespace rooflm
