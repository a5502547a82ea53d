// `rooflm export results.json --format F`: a results document in another tool's format. The shapes
// are checked in tests against tests/fixtures/export/*.schema.json (written from each format's
// documentation).
//   bencher                  Bencher Metric Format: {"<scenario>/<variant>": {"<measure slug>":
//                            {"value", "lower_value"?, "upper_value"?}}}; the measure slug is the
//                            metric key in kebab case (ttft_ms.p99 -> ttft-ms-p99), lower / upper
//                            the 95% interval over repetitions where there is one
//   github-benchmark         github-action-benchmark `customSmallerIsBetter`: [{"name", "unit",
//                            "value", "range"?, "extra"?}], the latencies
//   github-benchmark-bigger  the same for `customBiggerIsBetter`: the rates and capacities
//   jsonl                    one JSON object per line per recorded request (export_requests.h)
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rooflm {

std::string export_bencher(const nlohmann::json& doc);
// `smaller_is_better`: the latencies (customSmallerIsBetter), else the rates (customBiggerIsBetter).
std::string export_github_benchmark(const nlohmann::json& doc, bool smaller_is_better);
std::string export_requests_jsonl(const nlohmann::json& doc);

}  // namespace rooflm
