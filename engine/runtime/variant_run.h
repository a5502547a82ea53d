// Runs one resolved scenario (one sweep point = one variant): builds model, backend, KV cache and
// scheduler, runs warm-up then the measured repetitions, and assembles the run's results entry.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/backend/backend_factory.h"
#include "engine/metrics/summary.h"
#include "engine/runtime/engine.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

struct VariantProgress {
  std::string label;
  int64_t repetition = 0, repetitions = 1;
  bool warmup = false;
  EngineProgress engine;
};

struct VariantResult {
  std::string label;             // e.g. "max_batch=8" (from the sweep point) or "default"
  nlohmann::json run;            // the results.json "runs" entry
  nlohmann::json device_info;    // the backend's device description (for the environment)
  Summary summary;
  bool valid = true;             // false when an MBU/MFU exceeds 1 or the GPU clocks throttled (run.invalid_reasons)
};

// A short label for a sweep point: "kernels=naive launch=graph" (last path component = value).
std::string variant_label(const nlohmann::json& sweep_point);

// The scenario's requests for `model`, after checking what the model must hold: every request's
// prompt + output within model.max_positions (never shortened), engine.kv_cache.max_seq_len too.
// Throws InputError "scenario file: model 'name': ..." naming the request, the lengths and the limit.
std::vector<Request> workload_for_model(const Scenario& scenario, const ModelConfig& model);

VariantResult run_variant(const Scenario& scenario, const BackendOptions& options = {},
                          const std::function<void(const VariantProgress&)>& on_progress = {});

}  // namespace rooflm
