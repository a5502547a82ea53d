// rooflm.quant_scales/1: writing and the strict reader (quant_scales.h).
#include "engine/model/quant_scales.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.h"
#include "common/json_text.h"

namespace rooflm {
namespace {

using json = nlohmann::json;

// Relative agreement of values the file states twice (smoothed_absmax and the scales derived from
// the arrays): float arrays printed and read back as doubles agree to ~1e-7.
constexpr double kConsistencyRtol = 1e-5;

bool agrees(double stated, double computed) {
  return std::fabs(stated - computed) <= kConsistencyRtol * std::fabs(computed) + 1e-30;
}

class ScalesReader {
 public:
  ScalesReader(std::string origin, const StepProgram& program)
      : where_("scales file '" + origin + "': "), program_(program) {}

  QuantScales read(const json& doc) {
    if (!doc.is_object()) fail("must be a JSON object, got " + std::string(doc.type_name()));
    const std::string schema = text(doc, "schema", "schema");
    if (schema != kQuantScalesSchema) fail("\"schema\" is \"" + schema + "\", expected \"" + kQuantScalesSchema + "\"");
    QuantScales out;
    out.model = check_model(member(doc, "model", "model"));
    out.weights = text(doc, "weights", "weights");
    const std::string kernels = text(doc, "kernels", "kernels");
    const auto kernel_set = parse_enum(kKernelSetNames, kernels);
    if (!kernel_set) fail("\"kernels\" must be naive or fused, got \"" + kernels + "\"");
    if (*kernel_set != program_.variant.kernels)
      fail("calibrated with kernels \"" + kernels + "\" but this run uses \"" +
           std::string(name(program_.variant.kernels)) + "\" (their op names differ): calibrate again with " +
           "engine.kernels = \"" + std::string(name(program_.variant.kernels)) + "\"");
    out.kernels = *kernel_set;
    out.alpha = number(doc, "alpha", "alpha");
    if (out.alpha < 0 || out.alpha > 1) fail("\"alpha\" must be in [0, 1], got " + json(out.alpha).dump());
    const json& calibration = member(doc, "calibration", "calibration");
    out.sequences = integer(calibration, "sequences", "calibration.sequences", 1);
    out.tokens = integer(calibration, "tokens", "calibration.tokens", 1);
    out.seed = uint64_t(integer(calibration, "seed", "calibration.seed", 0));
    const json& ops = member(doc, "ops", "ops");
    if (!ops.is_array()) fail("\"ops\" must be an array");
    std::map<std::pair<int32_t, std::string>, OpQuantScales> entries;
    for (size_t i = 0; i < ops.size(); ++i) {
      OpQuantScales entry = read_op(ops[i], "ops[" + std::to_string(i) + "]");
      const auto key = std::make_pair(entry.layer, entry.op);
      if (!entries.emplace(key, std::move(entry)).second)
        fail("ops[" + std::to_string(i) + "]: a second entry for layer " + std::to_string(key.first) + " op \"" +
             key.second + "\"");
    }
    for (const OpNode& node : program_.ops) {
      if (!linear_input_of(node)) continue;
      const auto it = entries.find({node.layer, node.name});
      if (it == entries.end())
        fail("no entry for layer " + std::to_string(node.layer) + " op \"" + node.name + "\" (a linear op of model '" +
             program_.model.name + "')");
      out.ops.push_back(std::move(it->second));
      entries.erase(it);
    }
    check_shared_inputs(out);
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw InputError(where_ + message); }

  const json& member(const json& object, const char* key, const std::string& path) const {
    if (!object.is_object()) fail("\"" + path.substr(0, path.rfind('.')) + "\" must be an object");
    const auto it = object.find(key);
    if (it == object.end()) fail("missing \"" + path + "\"");
    return *it;
  }
  std::string text(const json& object, const char* key, const std::string& path) const {
    const json& v = member(object, key, path);
    if (!v.is_string()) fail("\"" + path + "\" must be a string, got " + std::string(v.type_name()));
    return v.get<std::string>();
  }
  double number(const json& object, const char* key, const std::string& path) const {
    const json& v = member(object, key, path);
    if (!v.is_number()) fail("\"" + path + "\" must be a number, got " + std::string(v.type_name()));
    return v.get<double>();
  }
  int64_t integer(const json& object, const char* key, const std::string& path, int64_t min) const {
    const json& v = member(object, key, path);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) ||
        v.get<int64_t>() < min)
      fail("\"" + path + "\" must be an integer >= " + std::to_string(min) + ", got " + v.dump());
    return v.get<int64_t>();
  }
  // A number >= 0 (or > 0 when `positive`), finite by construction of JSON.
  double bounded(const json& v, const std::string& path, bool positive) const {
    if (!v.is_number()) fail("\"" + path + "\" must be a number, got " + std::string(v.type_name()));
    const double x = v.get<double>();
    if (positive ? !(x > 0) : !(x >= 0))
      fail("\"" + path + "\" must be " + (positive ? "> 0" : ">= 0") + ", got " + v.dump());
    return x;
  }
  std::vector<float> array(const json& object, const char* key, const std::string& path, int64_t length,
                           bool positive) const {
    const json& v = member(object, key, path);
    if (!v.is_array()) fail("\"" + path + "\" must be an array");
    if (int64_t(v.size()) != length)
      fail("\"" + path + "\" has " + std::to_string(v.size()) + " values, expected " + std::to_string(length) +
           " (the op's in_features)");
    std::vector<float> out(v.size());
    for (size_t j = 0; j < v.size(); ++j) {
      const double x = bounded(v[j], path + "[" + std::to_string(j) + "]", positive);
      if (!std::isfinite(float(x)))
        fail("\"" + path + "[" + std::to_string(j) + "]\" = " + v[j].dump() + " overflows a float");
      out[j] = float(x);
    }
    return out;
  }

  json check_model(const json& model) const {
    const json expected = quant_model_fingerprint(program_.model);
    if (!model.is_object()) fail("\"model\" must be an object");
    for (const auto& [key, value] : expected.items()) {
      const auto it = model.find(key);
      if (it == model.end()) fail("missing \"model." + key + "\"");
      if (*it != value)
        fail("calibrated for another model: model." + key + " is " + it->dump() + ", this run's model '" +
             program_.model.name + "' has " + value.dump());
    }
    return expected;
  }

  OpQuantScales read_op(const json& entry, const std::string& path) const {
    if (!entry.is_object()) fail("\"" + path + "\" must be an object");
    OpQuantScales op;
    op.layer = int32_t(integer(entry, "layer", path + ".layer", 0));
    op.op = text(entry, "op", path + ".op");
    const std::string what = path + " (layer " + std::to_string(op.layer) + " op \"" + op.op + "\")";
    const OpNode* node = nullptr;
    for (const OpNode& n : program_.ops)
      if (n.layer == op.layer && n.name == op.op && linear_input_of(n)) node = &n;
    if (!node) fail(what + ": the step program of model '" + program_.model.name + "' has no such linear op");
    op.input = *linear_input_of(*node);
    const std::string input = text(entry, "input", path + ".input");
    if (input != linear_input_name(op.input))
      fail(what + ": \"input\" is \"" + input + "\", the op reads " + std::string(linear_input_name(op.input)));
    const int64_t in_features = integer(entry, "in_features", path + ".in_features", 1);
    if (in_features != node->in_features)
      fail(what + ": in_features is " + std::to_string(in_features) + ", the op has " +
           std::to_string(node->in_features));
    op.input_absmax = array(entry, "input_absmax", path + ".input_absmax", in_features, false);
    op.smoothing = array(entry, "smoothing", path + ".smoothing", in_features, true);
    op.smoothed_absmax =
        bounded(member(entry, "smoothed_absmax", path + ".smoothed_absmax"), path + ".smoothed_absmax", false);
    double computed = 0;
    for (size_t j = 0; j < op.smoothing.size(); ++j)
      computed = std::max(computed, double(op.input_absmax[j]) / double(op.smoothing[j]));
    if (!agrees(op.smoothed_absmax, computed))
      fail(what + ": smoothed_absmax " + json(op.smoothed_absmax).dump() +
           " is not max(input_absmax / smoothing) = " + json(computed).dump());
    const json& scale = member(entry, "activation_scale", path + ".activation_scale");
    const double int8 =
        bounded(member(scale, "int8", path + ".activation_scale.int8"), path + ".activation_scale.int8", false);
    const double fp8 =
        bounded(member(scale, "fp8", path + ".activation_scale.fp8"), path + ".activation_scale.fp8", false);
    if (!agrees(int8, op.int8_scale()) || !agrees(fp8, op.fp8_scale()))
      fail(what + ": activation_scale is not smoothed_absmax / 127 (int8) and / 448 (fp8)");
    return op;
  }

  // Ops reading one input (q/k/v_proj; gate/up_proj) are smoothed by one factor per channel.
  void check_shared_inputs(const QuantScales& scales) const {
    std::map<std::pair<int32_t, LinearInput>, const OpQuantScales*> first;
    for (const OpQuantScales& op : scales.ops) {
      const auto [it, inserted] = first.emplace(std::make_pair(op.layer, op.input), &op);
      if (!inserted && it->second->smoothing != op.smoothing)
        fail("layer " + std::to_string(op.layer) + " ops \"" + it->second->op + "\" and \"" + op.op +
             "\" read the same input but have different smoothing");
    }
    for (const OpQuantScales& op : scales.ops) {
      if (op.input != LinearInput::attn_out) continue;
      std::vector<float> shared = op.smoothing;
      share_across_kv_groups(shared, program_.model);
      if (shared != op.smoothing)
        fail("layer " + std::to_string(op.layer) + " op \"" + op.op +
             "\": smoothing differs between query heads of one KV group (it folds into V)");
    }
  }

  std::string where_;
  const StepProgram& program_;
};

}  // namespace

const OpQuantScales* QuantScales::find(int32_t layer, const std::string& op) const {
  for (const OpQuantScales& entry : ops)
    if (entry.layer == layer && entry.op == op) return &entry;
  return nullptr;
}

json quant_model_fingerprint(const ModelConfig& c) {
  return {{"name", c.name},       {"family", family_name(c.family)}, {"hidden", c.hidden},     {"n_layers", c.n_layers},
          {"n_heads", c.n_heads}, {"n_kv_heads", c.n_kv_heads},      {"head_dim", c.head_dim}, {"ffn", c.ffn},
          {"vocab", c.vocab}};
}

json QuantScales::to_json() const {
  json out_ops = json::array();
  for (const OpQuantScales& op : ops)
    out_ops.push_back({{"layer", op.layer},
                       {"op", op.op},
                       {"input", linear_input_name(op.input)},
                       {"in_features", op.smoothing.size()},
                       {"input_absmax", op.input_absmax},
                       {"smoothing", op.smoothing},
                       {"smoothed_absmax", op.smoothed_absmax},
                       {"activation_scale", {{"int8", op.int8_scale()}, {"fp8", op.fp8_scale()}}}});
  return {{"schema", kQuantScalesSchema},
          {"model", model},
          {"weights", weights},
          {"kernels", name(kernels)},
          {"alpha", alpha},
          {"calibration", {{"sequences", sequences}, {"tokens", tokens}, {"seed", seed}}},
          {"ops", out_ops}};
}

QuantScales parse_quant_scales(const std::string& text, const std::string& origin, const StepProgram& program) {
  return ScalesReader(origin, program).read(parse_json_text(text, "scales file '" + origin + "'"));
}

QuantScales read_quant_scales(const std::filesystem::path& file, const StepProgram& program) {
  return parse_quant_scales(read_text_file(file, kMaxQuantScalesFileBytes, "scales file"), file.string(), program);
}

SmoothingFactors smoothing_of(const QuantScales& scales, const ModelConfig& config) {
  SmoothingFactors out(size_t(config.n_layers));
  for (const OpQuantScales& op : scales.ops)
    if (op.layer >= 0 && op.layer < config.n_layers) out[size_t(op.layer)].of(op.input) = op.smoothing;
  return out;
}

StaticActivationScales static_activation_scales(const QuantScales& scales, Precision precision) {
  ROOFLM_CHECK(precision == Precision::w8a8 || precision == Precision::fp8, "static scales are for w8a8 and fp8");
  StaticActivationScales out;
  for (const OpQuantScales& op : scales.ops)
    out.set(op.layer, op.op, float(precision == Precision::fp8 ? op.fp8_scale() : op.int8_scale()));
  return out;
}

}  // namespace rooflm
