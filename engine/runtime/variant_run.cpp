// run_variant: model -> backend -> KV cache -> scheduler -> engine, warm-up, repetitions, summary.
#include "engine/runtime/variant_run.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/backend/backend_factory.h"
#include "common/error.h"
#include "engine/kv/kv_cache_factory.h"
#include "engine/metrics/confidence_interval.h"
#include "engine/metrics/kernel_breakdown.h"
#include "engine/metrics/run_counts.h"
#include "engine/metrics/utilization.h"
#include "engine/profile/capture_window.h"
#include "engine/profile/profile_range.h"
#include "engine/runtime/accuracy_eval.h"
#include "engine/roofline/cost_model.h"
#include "engine/roofline/memory_model.h"
#include "engine/runtime/variant_telemetry.h"
#include "engine/scenario/workload.h"

namespace rooflm {
namespace {

// Shifts a repetition's times so repetitions follow each other: pooled summaries then see the
// sum of the repetitions' windows, not the gaps between them.
void shift_times(EngineRunResult& r, double dt) {
  for (auto& t : r.requests) {
    t.arrival += dt;
    t.first_scheduled += dt;
    t.finish += dt;
    for (double& x : t.token_times) x += dt;
  }
  for (auto& s : r.steps) {
    s.start += dt;
    s.end += dt;
  }
}

nlohmann::json kv_summary(const KvGeometry& geom, KvLayout layout, const std::vector<StepRecord>& steps) {
  int64_t peak_used = 0, peak_reserved = 0, peak_seqs = 0, prefix_query = 0, prefix_hit = 0;
  double reserved_sum = 0, used_sum = 0;
  // KV bytes reserved vs used over time: one point per step, at its end.
  nlohmann::json timeline = {{"t", nlohmann::json::array()},
                             {"reserved_bytes", nlohmann::json::array()},
                             {"used_bytes", nlohmann::json::array()}};
  for (const auto& s : steps) {
    peak_used = std::max(peak_used, s.kv_used_tokens);
    peak_reserved = std::max(peak_reserved, s.kv_reserved_tokens);
    peak_seqs = std::max(peak_seqs, s.live_seqs);
    prefix_query += s.prefix_query_tokens;
    prefix_hit += s.prefix_hit_tokens;
    reserved_sum += double(s.kv_reserved_tokens) * s.seconds();
    used_sum += double(s.kv_used_tokens) * s.seconds();
    timeline["t"].push_back(s.end);
    timeline["reserved_bytes"].push_back(s.kv_reserved_tokens * geom.bytes_per_token());
    timeline["used_bytes"].push_back(s.kv_used_tokens * geom.bytes_per_token());
  }
  return {{"layout", name(layout)},
          {"block_size", geom.block_size},
          {"capacity_tokens", geom.num_blocks * geom.block_size},
          {"bytes_per_token", geom.bytes_per_token()},
          {"pool_bytes", geom.total_bytes()},
          {"peak_reserved_tokens", peak_reserved},
          {"peak_used_tokens", peak_used},
          {"peak_reserved_bytes", peak_reserved * geom.bytes_per_token()},
          {"peak_used_bytes", peak_used * geom.bytes_per_token()},
          // time-weighted share of reserved KV that held no token
          {"waste_pct", reserved_sum > 0 ? 100.0 * (1.0 - used_sum / reserved_sum) : 0.0},
          {"peak_concurrent_seqs", peak_seqs},
          {"prefix_query_tokens", prefix_query},
          {"prefix_hit_tokens", prefix_hit},
          {"prefix_hit_rate", prefix_query > 0 ? nlohmann::json(double(prefix_hit) / double(prefix_query))
                                               : nlohmann::json(nullptr)},
          {"over_time", timeline}};
}

// Per phase: GPU time of a step (CUDA events) and the host overhead around it (launches,
// metadata, synchronisation, scheduling) = wall time - GPU time. Null without device timing.
nlohmann::json launch_summary(const std::string& mode, const std::vector<StepRecord>& steps,
                              std::span<const double> percentiles) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_phase;
  for (const auto& s : steps) {
    if (s.device_seconds < 0) continue;
    auto& [device, host] = by_phase[step_phase(s)];
    device.push_back(1e3 * s.device_seconds);
    host.push_back(1e3 * (s.seconds() - s.device_seconds));
  }
  nlohmann::json phases = nlohmann::json::object();
  for (auto& [phase, v] : by_phase)
    phases[phase] = {{"device_ms", compute_stats(v.first, percentiles).to_json()},
                     {"host_overhead_ms", compute_stats(v.second, percentiles).to_json()}};
  return {{"mode", mode}, {"phases", by_phase.empty() ? nlohmann::json(nullptr) : phases}};
}

// The cost model's bytes per call of each op, averaged over the window's steps (indices into the
// first repetition's plans): what `rooflm profile` sets ncu's DRAM bytes beside.
nlohmann::json window_model_ops(const StepProgram& program, const std::vector<BatchPlan>& plans,
                                const std::vector<int64_t>& steps) {
  std::vector<std::string> order;
  struct Sums {
    double bytes = 0, flops = 0;
    int64_t calls = 0;
  };
  std::map<std::string, Sums> sums;  // op -> sums of bytes and FLOPs per call, calls per step
  for (const int64_t i : steps) {
    if (i < 0 || i >= int64_t(plans.size())) continue;
    for (const OpCount& op : count_step_ops(plans[size_t(i)], program)) {
      auto [it, fresh] = sums.try_emplace(op.name);
      if (fresh) order.push_back(op.name);
      it->second.bytes += op.bytes;
      it->second.flops += op.flops();
      it->second.calls = op.calls;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& op : order)
    out.push_back({{"op", op},
                   {"bytes_per_call", sums[op].bytes / double(steps.size())},
                   {"flops_per_call", sums[op].flops / double(steps.size())},
                   {"calls_per_step", sums[op].calls}});
  return out;
}

}  // namespace

std::string variant_label(const nlohmann::json& sweep_point) {
  if (!sweep_point.is_object() || sweep_point.empty()) return "default";
  std::string label;
  for (const auto& [path, value] : sweep_point.items()) {
    if (!label.empty()) label += " ";
    label += path.substr(path.rfind('.') + 1) + "=";
    label += value.is_string() ? value.get<std::string>() : value.dump();
  }
  return label;
}

std::vector<Request> workload_for_model(const Scenario& scenario, const ModelConfig& model) {
  const std::string where = scenario.source.string() + ": model '" + model.name + "': ";
  const int64_t max_seq_len = scenario.engine.kv_cache.max_seq_len;
  if (max_seq_len > model.max_positions)
    throw InputError(where + "engine.kv_cache.max_seq_len = " + std::to_string(max_seq_len) +
                     " exceeds the model's max_positions " + std::to_string(model.max_positions));
  try {
    return generate_workload(scenario.workload, model.vocab, model.max_positions);
  } catch (const InputError& error) {
    throw InputError(where + error.what());
  }
}

VariantResult run_variant(const Scenario& scenario, const BackendOptions& options,
                          const std::function<void(const VariantProgress&)>& on_progress) {
  VariantResult out;
  out.label = variant_label(scenario.sweep_point);
  const ProfileRange variant_range(RangeLevel::variant, out.label);
  const EngineSpec& eng = scenario.engine;
  const ModelConfig config = resolve_model_config(scenario.model);
  const BackendKind backend_kind = resolve_backend(eng.backend);

  std::vector<Request> workload = workload_for_model(scenario, config);
  int64_t longest = 0;
  for (const auto& r : workload) longest = std::max(longest, r.total_len());

  std::unique_ptr<Backend> backend = make_backend(backend_kind, config, scenario, options);
  const Variant variant = backend->effective_variant();
  const bool want_accuracy = accuracy_wanted(scenario.measure.accuracy, variant, config);
  // Checked before anything runs, on every backend (the cpu backend has read it to smooth its
  // weights and take static scales; the others do not use it yet).
  if (!scenario.quant.scales.empty()) (void)read_scenario_quant_scales(scenario, backend->program());
  out.device_info = backend->device_info();
  const std::optional<GpuSpec> spec = backend_gpu_spec(backend_kind, eng, out.device_info);

  // One GPU's KV pool and weights: a tensor-parallel rank holds its shard's KV heads (tensor_shard.h).
  const ModelConfig& rank = backend->program().shard;
  KvGeometry shape;
  shape.n_layers = rank.n_layers;
  shape.n_kv_heads = rank.n_kv_heads;
  shape.head_dim = rank.head_dim;
  shape.dtype = variant.kv_dtype;
  const KvCachePlan kv_plan = plan_kv_cache(eng.kv_cache, shape, eng.batching.max_batch, longest,
                                            backend->kv_memory_budget_bytes());
  const KvGeometry& geom = kv_plan.geom;
  if (variant.backend == BackendKind::sim) {  // the simulated GPU must hold the weights and the KV pool
    const int64_t weights = model_weight_bytes(rank, precision_dtypes(variant));
    const int64_t need = weights + geom.total_bytes();
    if (need > spec->memory_bytes)
      throw InputError("model " + config.name + " needs " + std::to_string(need) + " bytes (weights " +
                       std::to_string(weights) + " + KV pool " + std::to_string(geom.total_bytes()) + ") but " +
                       spec->name + " has " + std::to_string(spec->memory_bytes) +
                       "; lower engine.batching.max_batch, the lengths or engine.kv_cache.memory_bytes");
  }
  // Storage first: the backend refuses a pool its memory cannot hold before the cache builds the
  // bookkeeping of its blocks.
  const KvStorage kv_storage = backend->allocate_kv(geom);
  const std::unique_ptr<KvCache> kv_cache = make_kv_cache(kv_plan);
  KvCache& kv = *kv_cache;
  kv.bind(kv_storage);

  VariantProgress prog;
  prog.label = out.label;
  prog.repetitions = scenario.measure.repetitions;
  CaptureWindow capture(*backend, scenario.measure.profile_steps);
  auto run_once = [&](std::vector<Request> requests, bool warmup, int64_t rep) {
    auto scheduler = make_scheduler(eng.batching, kv);
    SteadyClock steady;
    VirtualClock virtual_clock;
    Clock& clock = variant.backend == BackendKind::sim ? static_cast<Clock&>(virtual_clock) : steady;
    Engine engine(*backend, kv, *scheduler, clock);
    prog.warmup = warmup;
    prog.repetition = rep;
    const ProfileRange range(RangeLevel::repetition, warmup ? "warmup" : "repetition " + std::to_string(rep));
    if (!warmup) {
      engine.set_capture_window(&capture);
      capture.begin_repetition(rep);
    }
    const bool keep_plans = (spec.has_value() || scenario.measure.profile_steps.has_value()) && !warmup;
    EngineRunResult result = engine.run(requests, keep_plans, [&](const EngineProgress& p) {
      prog.engine = p;
      if (on_progress) on_progress(prog);
    });
    if (!warmup) capture.end_repetition();
    return result;
  };

  if (scenario.measure.warmup_requests > 0) {
    std::vector<Request> warm(workload.begin(),
                              workload.begin() + std::min<int64_t>(scenario.measure.warmup_requests,
                                                                   int64_t(workload.size())));
    for (auto& r : warm) r.arrival = 0;
    run_once(std::move(warm), true, 0);
  }

  const std::vector<double>& percentiles = scenario.measure.percentiles;
  EngineRunResult pooled;
  std::vector<Summary> repetition_summaries;
  nlohmann::json repetitions = nlohmann::json::array();
  double offset = 0;
  VariantTelemetry telemetry(variant.backend, out.device_info, options);
  telemetry.start();  // the measured repetitions only, not the warm-up
  for (int64_t rep = 0; rep < scenario.measure.repetitions; ++rep) {
    EngineRunResult r = run_once(workload, false, rep);
    repetition_summaries.push_back(summarize(r.requests, scenario.slo, percentiles));
    repetitions.push_back(repetition_summaries.back().to_json());
    double end = 0;
    for (const auto& t : r.requests) end = std::max(end, t.finish);
    shift_times(r, offset);
    offset += end;
    const int64_t id_base = rep * int64_t(workload.size());
    for (auto& t : r.requests) t.id += id_base;
    pooled.requests.insert(pooled.requests.end(), r.requests.begin(), r.requests.end());
    pooled.steps.insert(pooled.steps.end(), r.steps.begin(), r.steps.end());
    for (auto& p : r.plans) pooled.plans.push_back(std::move(p));
  }
  const TelemetrySummary telemetry_summary = telemetry.stop();

  out.summary = summarize(pooled.requests, scenario.slo, percentiles);
  nlohmann::json summary = out.summary.to_json();
  summary["percentiles"] = percentiles;
  summary["ci"] = repetition_intervals(repetition_summaries, percentiles);
  summary["kv"] = kv_summary(geom, kv.layout(), pooled.steps);
  summary["peak_concurrent_seqs"] = summary["kv"]["peak_concurrent_seqs"];
  const RunCounts counts = count_run(pooled.requests, pooled.steps);
  summary["counts"] = counts.to_json();
  add_energy_summary(summary, telemetry_summary, counts);
  summary["launch"] = launch_summary(std::string(name(variant.launch)), pooled.steps, percentiles);

  nlohmann::json requests = nlohmann::json::array(), steps = nlohmann::json::array();
  if (scenario.measure.record_requests)
    for (const auto& t : pooled.requests) requests.push_back(t.to_json());
  if (scenario.measure.record_steps)
    for (const auto& s : pooled.steps) steps.push_back(s.to_json());

  nlohmann::json roofline;
  if (spec) {
    UtilizationInputs in{&backend->program(), *spec, find_calibration(spec->name)};
    const Utilization u = account_utilization(in, pooled.plans, pooled.steps, steps);
    summary["mbu"] = u.mbu;
    summary["mfu"] = u.mfu;
    roofline = u.roofline;
    if (has_kernel_trace(pooled.steps)) roofline["ops"] = op_roofline(in, pooled.plans, pooled.steps);
    out.valid = u.valid;
  } else {
    summary["mbu"] = nullptr;
    summary["mfu"] = nullptr;
    roofline = {{"status", "no GPU spec for the " + backend->name() + " backend: MBU/MFU are not defined"}};
  }

  // Every reason the run is invalid: the roofline's (an MBU/MFU above 1) and throttled GPU clocks.
  nlohmann::json invalid_reasons = roofline.value("invalid_reasons", nlohmann::json::array());
  if (telemetry_summary.throttled) {
    out.valid = false;
    invalid_reasons.push_back(telemetry_summary.invalid_reason);
  }

  nlohmann::json variant_json = variant.to_json();
  variant_json["label"] = out.label;
  variant_json["gpu"] = spec ? nlohmann::json(spec->name) : nlohmann::json(nullptr);
  variant_json["batching"] = name(eng.batching.policy);
  variant_json["max_batch"] = eng.batching.max_batch;
  variant_json["sweep"] = scenario.sweep_point;
  out.run = {{"variant", variant_json},
             {"model", config.to_json()},
             {"kernels", backend->kernel_names()},
             {"summary", summary},
             {"repetitions", repetitions},
             {"roofline", roofline},
             {"valid", out.valid},
             {"invalid_reasons", invalid_reasons},
             {"telemetry", telemetry_summary.json},
             {"requests", requests},
             {"steps", steps}};
  // The profiler's capture window (engine/profile/capture_window.h): what `rooflm profile` saw.
  out.run["capture_window"] = {
      {"profile_steps", scenario.measure.profile_steps ? nlohmann::json(scenario.measure.profile_steps->to_string())
                                                       : nlohmann::json(nullptr)},
      {"steps", capture.captured_steps()}};
  if (scenario.measure.profile_steps)
    out.run["capture_window"]["model_ops"] = window_model_ops(backend->program(), pooled.plans, capture.captured_steps());
  if (scenario.measure.kernel_trace) {
    out.run["kernel_trace"] = backend->kernel_trace_status();
    out.run["kernel_breakdown"] = kernel_breakdown(pooled.steps);
  }
  // Last: it reuses the backend for its own stream and then frees it for the reference.
  if (want_accuracy) out.run["accuracy"] = evaluate_accuracy(scenario, config, std::move(backend), options);
  return out;
}

}  // namespace rooflm
