// SmoothQuant calibration on the cpu reference (quant_calibration.h).
#include "engine/runtime/quant_calibration.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/backend/backend_factory.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/runtime/interrupt.h"
#include "engine/runtime/token_streams.h"

namespace rooflm {
namespace {

constexpr uint64_t kCalibrationStreamSalt = 0x63616c6962726174ull;  // "calibrat"

using InputKey = std::pair<int32_t, LinearInput>;

void max_into(std::vector<float>& into, const std::vector<float>& values) {
  if (into.empty()) into.assign(values.size(), 0.0f);
  for (size_t j = 0; j < values.size(); ++j) into[j] = std::max(into[j], values[j]);
}

// The weight rows a linear node reads, as a tensor of the layer.
const HostTensor& linear_weight(const ModelWeights& weights, const OpNode& op) {
  const LayerWeights& w = weights.layers.at(size_t(op.layer));
  switch (op.weight.param) {
    case Param::wqkv:
      return w.wqkv;
    case Param::wo:
      return w.wo;
    case Param::w_gate_up:
      return w.w_gate_up;
    case Param::w_down:
      return w.w_down;
    default:
      break;
  }
  ROOFLM_CHECK(false, "a transformer layer's linear weight");
  return w.wo;
}

std::string weights_description(const ModelSpec& model) {
  if (!model.weights_dir.empty()) return model.weights_dir.string();
  std::string out = "synthetic seed " + std::to_string(model.seed);
  if (model.outliers.enabled())
    out += ", synthetic_outliers " + std::to_string(model.outliers.channels) + " x " +
           nlohmann::json(model.outliers.scale).dump();
  return out;
}

}  // namespace

void LinearInputAbsmax::op_begin(const OpNode& op) {
  if (!linear_input_of(op)) return;
  const float* x = backend_.activation(op.in);  // [T, in_features]
  const int64_t T = backend_.step_tokens(), C = op.in_features;
  std::vector<float>& m = absmax_[{op.layer, op.name}];
  if (m.empty()) m.assign(size_t(C), 0.0f);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < C; ++j) m[size_t(j)] = std::max(m[size_t(j)], std::fabs(x[t * C + j]));
}

QuantScales calibrate_quant(const Scenario& scenario) {
  const ModelConfig config = resolve_model_config(scenario.model);
  const CalibrationSpec& cal = scenario.quant.calibration;
  if (cal.tokens > config.max_positions)
    throw InputError("quant.calibration.tokens = " + std::to_string(cal.tokens) + " exceeds the max_positions " +
                     std::to_string(config.max_positions) + " of model '" + config.name + "'");
  const Variant requested = requested_variant(scenario.engine, BackendKind::cpu);
  ModelWeights weights = host_model_weights(scenario.model, config);

  // The weights' side first (the backend takes the weights): max |W_j| over every weight reading input j.
  const StepProgram program = build_step_program(config, CpuBackend::effective(requested));
  std::map<InputKey, std::vector<float>> w_absmax;
  for (const OpNode& op : program.ops)
    if (const auto input = linear_input_of(op))
      max_into(w_absmax[{op.layer, *input}],
               weight_column_absmax(linear_weight(weights, op), op.weight.row_begin, op.weight.rows));

  CpuBackend cpu(config, std::move(weights), requested, int(scenario.engine.threads));
  LinearInputAbsmax observer(cpu);
  cpu.set_op_observer(&observer);
  ContiguousKvCache kv(
      {config.n_layers, config.n_kv_heads, config.head_dim, cal.tokens, 1, cpu.effective_variant().kv_dtype});
  kv.bind(cpu.allocate_kv(kv.geometry()));
  for (const std::vector<int32_t>& tokens :
       seeded_token_streams(cal.seed ^ kCalibrationStreamSalt, cal.sequences, cal.tokens, config.vocab)) {
    throw_if_interrupted();
    BatchPlan plan;
    SeqChunk& chunk = plan.chunks.emplace_back();
    chunk.seq = 0;
    chunk.tokens = tokens;
    chunk.sample = chunk.is_prefill = true;
    if (!kv.reserve(0, chunk.n_tokens())) throw std::runtime_error("calibration: the KV cache is full");
    cpu.forward(plan, kv.view(plan.seqs()), false);
    kv.commit(0, chunk.tokens);
    kv.release(0);
  }

  // Activation side per input (ops of one input saw the same activations), then the factors.
  std::map<InputKey, std::vector<float>> x_absmax;
  for (const OpNode& op : program.ops)
    if (const auto input = linear_input_of(op))
      max_into(x_absmax[{op.layer, *input}], observer.absmax().at({op.layer, op.name}));
  std::map<InputKey, std::vector<float>> factors;
  for (auto& [key, x] : x_absmax) {
    std::vector<float> group_x = x, group_w = w_absmax.at(key);
    if (key.second == LinearInput::attn_out) {  // foldable into V: one factor per KV-head channel
      share_across_kv_groups(group_x, config);
      share_across_kv_groups(group_w, config);
    }
    factors[key] = smoothing_factors(group_x, group_w, scenario.quant.alpha);
  }

  QuantScales out;
  out.model = quant_model_fingerprint(config);
  out.weights = weights_description(scenario.model);
  out.kernels = program.variant.kernels;
  out.alpha = scenario.quant.alpha;
  out.sequences = cal.sequences;
  out.tokens = cal.tokens;
  out.seed = cal.seed;
  for (const OpNode& op : program.ops) {
    const auto input = linear_input_of(op);
    if (!input) continue;
    OpQuantScales entry;
    entry.layer = op.layer;
    entry.op = op.name;
    entry.input = *input;
    entry.input_absmax = observer.absmax().at({op.layer, op.name});
    entry.smoothing = factors.at({op.layer, *input});
    for (size_t j = 0; j < entry.smoothing.size(); ++j)
      entry.smoothed_absmax =
          std::max(entry.smoothed_absmax, double(entry.input_absmax[j]) / double(entry.smoothing[j]));
    out.ops.push_back(std::move(entry));
  }
  return out;
}

}  // namespace rooflm
