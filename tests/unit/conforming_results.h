// make_conforming(doc): fills in every key results/schema/result.schema.json requires that `doc`
// lacks (keeping what it has), so a test can build a results document from the parts it cares
// about (a synthetic run, a roofline phase) and still pass the results reader. Defaults: null
// GPU facts, empty scenario sections, stats with count 0, no kernels, a valid run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rooflm::test {

inline void fill(nlohmann::json& object, const nlohmann::json& defaults) {
  if (!object.is_object()) object = nlohmann::json::object();
  for (const auto& [key, value] : defaults.items())
    if (!object.contains(key)) object[key] = value;
}

inline void make_summary_conforming(nlohmann::json& summary, int64_t completed) {
  const nlohmann::json no_samples = {{"count", 0},     {"mean", nullptr}, {"std", nullptr}, {"min", nullptr}, {"p50", nullptr},
                                     {"p90", nullptr}, {"p95", nullptr},  {"p99", nullptr}, {"max", nullptr}};
  fill(summary, {{"ttft_ms", no_samples}, {"tpot_ms", no_samples}, {"itl_ms", no_samples}, {"e2e_ms", no_samples},
                 {"queue_ms", no_samples}, {"prefill_ms", no_samples}, {"throughput", nlohmann::json::object()},
                 {"goodput_req_s", 0.0}, {"requests", {{"completed", completed}, {"failed", 0}}}});
  fill(summary["throughput"], {{"output_tok_s", 0.0}, {"total_tok_s", 0.0}, {"req_s", 0.0}});
}

inline void make_run_conforming(nlohmann::json& run) {
  fill(run, {{"variant", nlohmann::json::object()}, {"kernels", nlohmann::json::array()},
             {"summary", nlohmann::json::object()}, {"roofline", nlohmann::json::object()}, {"valid", true},
             {"requests", nlohmann::json::array()}, {"steps", nlohmann::json::array()}});
  fill(run["variant"], {{"label", "default"}, {"backend", "sim"}, {"kernels", "fused"}, {"kv_cache", "paged"},
                        {"precision", "fp16"}, {"batching", "continuous"}, {"launch", "eager"}});
  const int64_t n_requests = int64_t(run["requests"].size());
  make_summary_conforming(run["summary"], n_requests);
  if (!run.contains("repetitions")) run["repetitions"] = nlohmann::json::array({run["summary"]});
  for (auto& rep : run["repetitions"]) make_summary_conforming(rep, n_requests);
  for (auto& r : run["requests"]) {
    fill(r, {{"id", 0}, {"n_prompt", 1}, {"n_output", 1}, {"failed", false}, {"token_times", nlohmann::json::array()}});
    const double arrival = r.value("arrival", 0.0);
    fill(r, {{"arrival", arrival}, {"first_token", arrival}, {"finish", r.value("first_token", arrival)}});
  }
  double t = 0;
  for (auto& s : run["steps"]) {
    fill(s, {{"index", 0}, {"start", t}, {"seconds", 0.0}, {"n_seqs", 1}, {"n_prefill_tokens", 0}, {"n_decode_tokens", 1}});
    fill(s, {{"end", s["start"].get<double>() + s["seconds"].get<double>()}});
    t = s["end"].get<double>();
  }
}

inline nlohmann::json make_conforming(nlohmann::json doc) {
  fill(doc, {{"schema", "rooflm.result/1.1"}, {"environment", nlohmann::json::object()},
             {"scenario", nlohmann::json::object()}, {"runs", nlohmann::json::array({nlohmann::json::object()})}});
  fill(doc["environment"], {{"gpu", nullptr}, {"driver", nullptr}, {"cuda", nullptr}, {"clocks", nullptr},
                            {"host", "test"}, {"git_commit", nullptr}, {"timestamp", "2026-01-01T00:00:00Z"}});
  fill(doc["scenario"], {{"name", "synthetic"}, {"resolved", nlohmann::json::object()}});
  for (const char* section : {"model", "engine", "workload", "measure", "slo"})
    fill(doc["scenario"]["resolved"], {{section, nlohmann::json::object()}});
  for (auto& run : doc["runs"]) make_run_conforming(run);
  return doc;
}

}  // namespace rooflm::test
