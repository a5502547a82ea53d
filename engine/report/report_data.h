// The data a rooflm report shows, condensed from results files (reports read results JSON only):
//   {"comparison" (ReportOptions.compare: report_compare.h), "files": [{"name", "environment",
//   "scenario", "headline" (report_headline.h), "capacity" (the file's capacity search, when it
//   ran one), "capacity_ratios": [text] (capacity_ratios.h), "runs": [{"label", "variant", "kernels", "summary",
//     "valid", "invalid_reasons", "ceilings", "phases": [{phase, arithmetic_intensity,
//     achieved_flops_per_s, bound}], "samples": {ttft_ms, tpot_ms, itl_ms, e2e_ms},
//     "steps": [{start_s, step_ms, n_seqs, kv_occupancy}], "kernel_breakdown", "accuracy", "telemetry"
//     (without its sample series; each when present)}]}]}
// Sample lists and step series longer than kMaxReportPoints are thinned evenly (samples sorted
// first, so a CDF keeps its shape), to keep the report file small.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

inline constexpr size_t kMaxReportPoints = 2000;

struct NamedResults {
  std::string name;       // how the report calls the file (its path as given)
  nlohmann::json doc;     // a results document (read_results)
};

struct ReportOptions {
  std::string baseline;  // the headline's baseline variant label ("": each file's first variant)
  bool compare = false;  // exactly two files: add "comparison" (B against A)
};

// Throws InputError for a baseline label some file lacks, or compare without exactly two files.
nlohmann::json report_data(const std::vector<NamedResults>& files, const ReportOptions& options = {});

}  // namespace rooflm
