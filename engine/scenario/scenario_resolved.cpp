// resolved_scenario_json: a Scenario written back as a complete rooflm.scenario/1 document, every
// default spelled out, so results.json records exactly what ran.
#include <charconv>
#include <string>

#include "engine/scenario/scenario_keys.h"
#include "engine/scenario/scenario_read.h"

namespace rooflm {
namespace {

using json = nlohmann::json;

// The shortest decimal that reads back as `x`: 0.7f is written 0.7, not 0.699999988079071.
double shortest_decimal(float x) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, x);
  return std::stod(std::string(text, result.ptr));
}

json length_json(const LengthDist& dist) {
  switch (dist.kind) {
    case LengthDist::Kind::fixed:
      return {{"dist", "fixed"}, {"value", int64_t(dist.value)}};
    case LengthDist::Kind::uniform:
      return {{"dist", "uniform"}, {"min", dist.min}, {"max", dist.max}};
    case LengthDist::Kind::normal:
    case LengthDist::Kind::lognormal:
      return {{"dist", dist.kind == LengthDist::Kind::normal ? "normal" : "lognormal"},
              {"mean", dist.mean}, {"std", dist.std}, {"min", dist.min}, {"max", dist.max}};
    case LengthDist::Kind::dataset:
      return {{"dist", "dataset"}, {"file", dist.file.string()}, {"file_digest", dist.file_digest}, {"field", dist.field},
              {"min", dist.min}, {"max", dist.max}};
  }
  return {};
}

json model_json(const ModelSpec& model) {
  json out = json::object();
  if (model.preset.empty()) out["config"] = model.config_path.string();
  else out["preset"] = model.preset;
  out["weights"] = model.weights_dir.empty() ? "synthetic" : model.weights_dir.string();
  out["seed"] = model.seed;
  if (model.outliers.enabled())
    out["synthetic_outliers"] = {{"channels", model.outliers.channels}, {"scale", model.outliers.scale}};
  return out;
}

json engine_json(const EngineSpec& engine) {
  const KvCacheSpec& kv = engine.kv_cache;
  const BatchingSpec& batching = engine.batching;
  return {{"backend", engine.backend ? name(*engine.backend) : "auto"},
          {"kernels", name(engine.kernels)},
          {"precision", name(engine.precision)},
          {"weight_scales", name(engine.weight_scales)},
          {"weight_group_size", engine.weight_group_size},
          {"activation_scales", name(engine.activation_scales)},
          {"launch", name(engine.launch)},
          {"tensor_parallel", engine.tensor_parallel},
          {"gpu", engine.gpu},
          {"threads", engine.threads},
          {"kv_cache", {{"layout", name(kv.layout)},
                        {"block_size", kv.block_size},
                        {"dtype", dtype_name(kv.dtype)},
                        {"max_seq_len", kv.max_seq_len},
                        {"memory_fraction", kv.memory_fraction},
                        {"memory_bytes", kv.memory_bytes}}},
          {"batching", {{"policy", name(batching.policy)},
                        {"max_batch", batching.max_batch},
                        {"max_wait_ms", batching.max_wait_ms},
                        {"max_batched_tokens", batching.max_batched_tokens},
                        {"chunked_prefill", batching.chunked_prefill}}}};
}

json ramp_json(const RampSpec& ramp) {
  return {{"from", ramp.from}, {"to", ramp.to}, {"duration_s", ramp.duration_s}, {"strategy", name(ramp.strategy)}};
}

json arrival_json(const ArrivalSpec& arrival) {
  json out = json::object();
  switch (arrival.process) {
    case ArrivalSpec::Process::burst:
      out["process"] = "burst";
      return out;
    case ArrivalSpec::Process::poisson:
    case ArrivalSpec::Process::constant:
    case ArrivalSpec::Process::gamma:
      out["process"] = arrival.process == ArrivalSpec::Process::poisson    ? "poisson"
                       : arrival.process == ArrivalSpec::Process::constant ? "constant"
                                                                           : "gamma";
      if (arrival.ramp) out["ramp"] = ramp_json(*arrival.ramp);
      else out["rate"] = arrival.rate;
      if (arrival.process == ArrivalSpec::Process::gamma) {
        if (arrival.burstiness) out["burstiness"] = *arrival.burstiness;
        else out["cv"] = arrival.cv;
      }
      return out;
    case ArrivalSpec::Process::closed_loop:
      return {{"process", "closed_loop"}, {"concurrency", arrival.concurrency}};
    case ArrivalSpec::Process::trace:
      out = {{"process", "trace"}, {"file", arrival.file.string()}, {"file_digest", arrival.file_digest},
             {"format", name(arrival.format)},
             {"speedup", arrival.speedup}};
      if (arrival.format == TraceFormat::mooncake) out["block_size"] = arrival.block_size;
      return out;
  }
  return {};
}

json workload_json(const WorkloadSpec& workload) {
  json out = json::object();
  out["requests"] = workload.requests;
  // A trace or ShareGPT conversations set the lengths.
  if (workload.arrival.process != ArrivalSpec::Process::trace && !workload.sharegpt) {
    out["prompt_len"] = length_json(workload.prompt_len);
    out["output_len"] = length_json(workload.output_len);
  }
  out["arrival"] = arrival_json(workload.arrival);
  if (workload.shared_prefix.groups > 0)
    out["shared_prefix"] = {{"groups", workload.shared_prefix.groups}, {"length", workload.shared_prefix.length}};
  if (workload.sharegpt)
    out["sharegpt"] = {{"file", workload.sharegpt->file.string()},
                       {"file_digest", workload.sharegpt->file_digest},
                       {"tokenizer", workload.sharegpt->tokenizer.string()},
                       {"tokenizer_digest", workload.sharegpt->tokenizer_digest},
                       {"max_len", workload.sharegpt->max_len}};
  out["n"] = workload.n;
  out["sampling"] = {{"temperature", shortest_decimal(workload.sampling.temperature)},
                     {"top_k", workload.sampling.top_k},
                     {"top_p", shortest_decimal(workload.sampling.top_p)}};
  out["seed"] = workload.seed;
  return out;
}

json quant_json(const QuantSpec& quant) {
  json out = {{"alpha", quant.alpha}};
  if (!quant.scales.empty()) out["scales"] = quant.scales.string();
  out["calibration"] = {{"sequences", quant.calibration.sequences},
                        {"tokens", quant.calibration.tokens},
                        {"seed", quant.calibration.seed}};
  return out;
}

json slo_json(const SloSpec& slo) {
  json out = json::object();
  if (slo.ttft_ms) out["ttft_ms"] = *slo.ttft_ms;
  if (slo.tpot_ms) out["tpot_ms"] = *slo.tpot_ms;
  if (slo.e2e_ms) out["e2e_ms"] = *slo.e2e_ms;
  return out;
}

json search_json(const SearchSpec& search) {
  return {{"path", name(search.path)},
          {"lo", search.integer() ? json(int64_t(search.lo)) : json(search.lo)},
          {"hi", search.integer() ? json(int64_t(search.hi)) : json(search.hi)},
          {"slo", name(search.percentile)},
          {"tolerance", search.tolerance},
          {"goodput_fraction", search.goodput_fraction}};
}

}  // namespace

json resolved_scenario_json(const Scenario& scenario) {
  const MeasureSpec& measure = scenario.measure;
  json out = {{"schema", kScenarioSchema},
          {"name", scenario.name},
          {"description", scenario.description},
          {"model", model_json(scenario.model)},
          {"engine", engine_json(scenario.engine)},
          {"workload", workload_json(scenario.workload)},
          {"measure", {{"warmup_requests", measure.warmup_requests},
                       {"repetitions", measure.repetitions},
                       {"record_requests", measure.record_requests},
                       {"record_steps", measure.record_steps},
                       {"kernel_trace", measure.kernel_trace},
                       {"percentiles", measure.percentiles},
                       {"accuracy", {{"mode", name(measure.accuracy.mode)},
                                     {"tokens", measure.accuracy.tokens},
                                     {"sequences", measure.accuracy.sequences},
                                     {"seed", measure.accuracy.seed}}}}},
          {"slo", slo_json(scenario.slo)},
          {"quant", quant_json(scenario.quant)}};
  if (measure.profile_steps) out["measure"]["profile_steps"] = measure.profile_steps->to_string();
  if (scenario.search) out["search"] = search_json(*scenario.search);
  return out;
}

}  // namespace rooflm
