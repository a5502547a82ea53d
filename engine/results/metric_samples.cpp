// Per-metric raw samples of a results.json run (see metric_samples.h for the definitions).
#include "engine/results/metric_samples.h"

#include "common/error.h"

namespace rooflm {

namespace {

constexpr double kMsPerSecond = 1000.0;

bool completed(const nlohmann::json& request) {
  return !request.value("failed", false) && request.contains("finish") && request["finish"].is_number() &&
         request.contains("first_token") && request["first_token"].is_number();
}

std::vector<double> request_samples(const nlohmann::json& run, const std::string& metric) {
  std::vector<double> out;
  for (const auto& r : run.value("requests", nlohmann::json::array())) {
    if (!completed(r)) continue;
    const double arrival = r.at("arrival").get<double>();
    const double first_token = r.at("first_token").get<double>();
    const double finish = r.at("finish").get<double>();
    if (metric == "ttft_ms") {
      out.push_back((first_token - arrival) * kMsPerSecond);
    } else if (metric == "e2e_ms") {
      out.push_back((finish - arrival) * kMsPerSecond);
    } else if (metric == "tpot_ms") {
      const int64_t n_output = r.at("n_output").get<int64_t>();
      if (n_output >= 2) out.push_back((finish - first_token) / double(n_output - 1) * kMsPerSecond);
    } else {  // itl_ms
      const auto& times = r.at("token_times");
      for (size_t i = 1; i < times.size(); ++i)
        out.push_back((times[i].get<double>() - times[i - 1].get<double>()) * kMsPerSecond);
    }
  }
  return out;
}

}  // namespace

const std::vector<MetricInfo>& sampled_metrics() {
  static const std::vector<MetricInfo> metrics = {
      {"ttft_ms", MetricDirection::lower_is_better},        {"tpot_ms", MetricDirection::lower_is_better},
      {"itl_ms", MetricDirection::lower_is_better},         {"e2e_ms", MetricDirection::lower_is_better},
      {"step_ms", MetricDirection::lower_is_better},        {"output_tok_s", MetricDirection::higher_is_better},
      {"goodput_req_s", MetricDirection::higher_is_better}, {"goodput_tok_s", MetricDirection::higher_is_better}};
  return metrics;
}

const std::vector<MetricInfo>& kernel_metrics() {
  static const std::vector<MetricInfo> metrics = {{"kernel_us", MetricDirection::lower_is_better},
                                                  {"kernel_gb_s", MetricDirection::higher_is_better}};
  return metrics;
}

const MetricInfo& sampled_metric(const std::string& metric) {
  for (const auto* list : {&sampled_metrics(), &kernel_metrics()})
    for (const auto& m : *list)
      if (m.name == metric) return m;
  std::string known;
  for (const auto* list : {&sampled_metrics(), &kernel_metrics()})
    for (const auto& m : *list) known += (known.empty() ? "" : ", ") + m.name;
  throw InputError("unknown metric \"" + metric + "\" (known: " + known + ")");
}

std::vector<double> samples_of(const nlohmann::json& run, const std::string& metric) {
  sampled_metric(metric);
  if (metric == "kernel_us" || metric == "kernel_gb_s") {
    std::vector<double> out;
    const nlohmann::json* samples = run.contains("kernel_samples") ? &run["kernel_samples"] : nullptr;
    if (samples && samples->is_object() && samples->contains(metric))
      for (const auto& v : (*samples)[metric])
        if (v.is_number()) out.push_back(v.get<double>());
    return out;
  }
  if (metric == "step_ms") {
    std::vector<double> out;
    for (const auto& s : run.value("steps", nlohmann::json::array()))
      out.push_back(s.at("seconds").get<double>() * kMsPerSecond);
    return out;
  }
  if (metric == "output_tok_s" || metric == "goodput_req_s" || metric == "goodput_tok_s") {
    std::vector<double> out;  // goodput_tok_s: absent from files before rooflm.result/1.5
    for (const auto& rep : run.value("repetitions", nlohmann::json::array())) {
      const nlohmann::json& value = metric == "output_tok_s" ? rep.at("throughput").at("output_tok_s")
                                                              : rep.value(metric, nlohmann::json());
      if (value.is_number()) out.push_back(value.get<double>());
    }
    return out;
  }
  return request_samples(run, metric);
}

}  // namespace rooflm
