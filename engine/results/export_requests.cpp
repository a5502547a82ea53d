// export_requests_jsonl(): one line per recorded request of every run (runs[i].requests, kept
// unless measure.record_requests was false): {"variant", "request_id", "arrival_s", "ttft_ms",
// "tpot_ms", "e2e_ms", "input_tokens", "output_tokens", "failed", "preemptions", "slo": {"ttft",
// "tpot", "e2e", "all"}}. Times as the metric definitions say (summary.h); tpot_ms null below two
// output tokens; a failed request has null latencies and slo.all false. The SLO flags judge the
// scenario's slo limits (null: no such limit) exactly as goodput does (slo_flags). Request ids of
// repetition r are offset by r x the workload's requests. A run without recorded requests is an
// InputError naming it.
#include <cmath>

#include "common/error.h"
#include "engine/metrics/summary.h"
#include "engine/results/compare.h"
#include "engine/results/results_export.h"

namespace rooflm {

namespace {

constexpr double kMsPerSecond = 1000.0;

nlohmann::json flag(const std::optional<bool>& f) { return f ? nlohmann::json(*f) : nlohmann::json(nullptr); }

SloSpec slo_of(const nlohmann::json& run, const nlohmann::json& doc) {
  const nlohmann::json& resolved = run.contains("scenario") ? run["scenario"] : doc.at("scenario").at("resolved");
  const nlohmann::json slo = resolved.value("slo", nlohmann::json::object());
  SloSpec spec;
  const std::pair<const char*, std::optional<double>*> limits[] = {
      {"ttft_ms", &spec.ttft_ms}, {"tpot_ms", &spec.tpot_ms}, {"e2e_ms", &spec.e2e_ms}};
  for (const auto& [key, limit] : limits)
    if (slo.contains(key) && slo[key].is_number()) *limit = slo[key].get<double>();
  return spec;
}

double number_or_nan(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : NAN; }

RequestTimeline timeline_of(const nlohmann::json& r) {
  RequestTimeline t;
  t.id = r.at("id").get<int64_t>();
  t.n_prompt = r.at("n_prompt").get<int64_t>();
  t.n_output = r.at("n_output").get<int64_t>();
  t.arrival = number_or_nan(r.at("arrival"));
  t.first_scheduled = number_or_nan(r.value("first_scheduled", nlohmann::json()));
  for (const auto& time : r.at("token_times")) t.token_times.push_back(time.get<double>());
  t.finish = number_or_nan(r.at("finish"));
  t.failed = r.at("failed").get<bool>();
  t.preemptions = r.value("preemptions", int64_t(0));
  return t;
}

nlohmann::json ms_or_null(double seconds) {
  return std::isfinite(seconds) ? nlohmann::json(seconds * kMsPerSecond) : nlohmann::json(nullptr);
}

}  // namespace

std::string export_requests_jsonl(const nlohmann::json& doc) {
  std::string out;
  const nlohmann::json& runs = doc.at("runs");
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string label = run_label(runs[i], i);
    const nlohmann::json& requests = runs[i].at("requests");
    if (requests.empty())
      throw InputError("runs[" + std::to_string(i) + "] (variant \"" + label +
                       "\") has no per-request records (run with measure.record_requests true, the default)");
    const SloSpec slo = slo_of(runs[i], doc);
    for (const nlohmann::json& r : requests) {
      const RequestTimeline t = timeline_of(r);
      const bool completed = !t.failed && std::isfinite(t.finish) && !t.token_times.empty();
      nlohmann::json slo_json = {{"ttft", nullptr}, {"tpot", nullptr}, {"e2e", nullptr}, {"all", false}};
      if (completed) {
        const SloFlags flags = slo_flags(t, slo);
        slo_json = {{"ttft", flag(flags.ttft)}, {"tpot", flag(flags.tpot)}, {"e2e", flag(flags.e2e)}, {"all", flags.all()}};
      }
      const nlohmann::json line = {
          {"variant", label},
          {"request_id", t.id},
          {"arrival_s", std::isfinite(t.arrival) ? nlohmann::json(t.arrival) : nlohmann::json(nullptr)},
          {"ttft_ms", completed ? ms_or_null(t.first_token() - t.arrival) : nlohmann::json(nullptr)},
          {"tpot_ms", completed && t.n_output >= 2 ? ms_or_null((t.finish - t.first_token()) / double(t.n_output - 1))
                                                   : nlohmann::json(nullptr)},
          {"e2e_ms", completed ? ms_or_null(t.finish - t.arrival) : nlohmann::json(nullptr)},
          {"input_tokens", t.n_prompt},
          {"output_tokens", t.n_output},
          {"failed", t.failed},
          {"preemptions", t.preemptions},
          {"slo", slo_json}};
      out += line.dump() + "\n";
    }
  }
  return out;
}

}  // namespace rooflm
