// workload_source_json / workload_source_line from the WorkloadSpec the scenario reader filled.
#include "engine/scenario/workload_source.h"

#include <cstdio>

namespace rooflm {

nlohmann::json workload_source_json(const WorkloadSpec& workload) {
  const ArrivalSpec& arrival = workload.arrival;
  if (arrival.process == ArrivalSpec::Process::trace && arrival.format == TraceFormat::mooncake)
    return {{"format", "mooncake"},
            {"file", arrival.file.string()},
            {"lines", workload.requests},
            {"block_size", arrival.block_size},
            {"prompt_tokens", arrival.sharing.prompt_tokens},
            {"shared_prefix_tokens", arrival.sharing.shared_tokens},
            {"shared_prefix_fraction", arrival.sharing.fraction()}};
  if (workload.sharegpt)
    return {{"format", "sharegpt"},
            {"file", workload.sharegpt->file.string()},
            {"tokenizer", workload.sharegpt->tokenizer.string()},
            {"conversations", workload.sharegpt->conversations},
            {"pairs", int64_t(workload.sharegpt->pairs.size())},
            {"skipped", workload.sharegpt->skipped}};
  return nullptr;
}

std::string workload_source_line(const WorkloadSpec& workload) {
  const nlohmann::json source = workload_source_json(workload);
  if (source.is_null()) return "";
  if (source["format"] == "mooncake") {
    char fraction[32];
    std::snprintf(fraction, sizeof fraction, "%.3f", source["shared_prefix_fraction"].get<double>());
    return "mooncake trace " + source["file"].get<std::string>() + ": " + source["lines"].dump() + " lines, " +
           source["prompt_tokens"].dump() + " prompt tokens, shared-prefix fraction " + fraction + " (" +
           source["shared_prefix_tokens"].dump() + " tokens in leading blocks an earlier line has)";
  }
  return "sharegpt " + source["file"].get<std::string>() + ": " + source["pairs"].dump() + " pairs from " +
         source["conversations"].dump() + " conversations (" + source["skipped"].dump() + " skipped), tokenizer " +
         source["tokenizer"].get<std::string>();
}

}  // namespace rooflm
