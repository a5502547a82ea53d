// Reads and checks config.json's compressed-tensors quantization_config (checkpoint_quant_config.h).
#include "engine/model/checkpoint_quant_config.h"

#include <string>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/model/hf_config_reader.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;

// The scheme of one config group's "weights" object (`reader` is that object).
CheckpointWeightScheme read_weight_scheme(const HfConfigReader& reader) {
  CheckpointWeightScheme scheme;
  const int64_t bits = reader.positive_integer("num_bits");
  if (bits != 8)
    reader.fail("field " + reader.quoted("num_bits") + " = " + std::to_string(bits) +
                " is not supported (8-bit int or float codes only; 4-bit checkpoints are not accepted)");
  const std::string type = reader.text_or("type", "int");
  if (type == "int") {
    scheme.dtype = DType::i8;
  } else if (type == "float") {
    scheme.dtype = DType::f8e4m3;
  } else {
    reader.fail("field " + reader.quoted("type") + " = \"" + type + "\" is not supported (\"int\" or \"float\")");
  }
  if (!reader.boolean_or("symmetric", true))
    reader.fail("field " + reader.quoted("symmetric") + " = false: asymmetric (zero-point) weights are not accepted");
  if (reader.boolean_or("dynamic", false))
    reader.fail("field " + reader.quoted("dynamic") +
                " = true: weights quantised at run time are not a pre-quantised checkpoint");
  const std::string strategy = reader.text_or("strategy", "tensor");
  if (strategy == "tensor") {
    scheme.grain = ref::WeightScaleGrain::tensor;
  } else if (strategy == "channel") {
    scheme.grain = ref::WeightScaleGrain::channel;
  } else if (strategy == "group") {
    if (scheme.dtype != DType::i8)
      reader.fail("field " + reader.quoted("strategy") +
                  " = \"group\" with \"type\" \"float\": group scales are for int8 (weight-only) only");
    scheme.grain = ref::WeightScaleGrain::group;
    scheme.group_size = reader.positive_integer("group_size");
  } else {
    reader.fail("field " + reader.quoted("strategy") + " = \"" + strategy +
                "\" is not supported (\"tensor\", \"channel\" or \"group\")");
  }
  return scheme;
}

bool same_scheme(const CheckpointWeightScheme& a, const CheckpointWeightScheme& b) {
  return a.dtype == b.dtype && a.grain == b.grain && a.group_size == b.group_size;
}

}  // namespace

std::optional<CheckpointWeightScheme> read_checkpoint_quant_config(const fs::path& config_json) {
  if (!fs::exists(config_json)) return std::nullopt;
  const nlohmann::json root =
      parse_json_text(read_text_file(config_json, kMaxSmallJsonFileBytes, "config.json"), config_json.string());
  if (!root.is_object()) throw InputError(config_json.string() + ": expected a JSON object at the top level");
  const HfConfigReader top(config_json, root);
  if (!top.has("quantization_config")) return std::nullopt;
  const HfConfigReader config = top.object("quantization_config");

  const std::string method = config.text_or("quant_method", "");
  if (method != "compressed-tensors")
    config.fail("field " + config.quoted("quant_method") + " = \"" + method +
                "\" is not accepted: rooflm reads pre-quantised checkpoints in the compressed-tensors layout only "
                "(weight + weight_scale; GPTQ / AWQ packed int4 or int8 qweight / qzeros is not accepted)");
  const std::string format = config.text_or("format", "");
  if (format != "int-quantized" && format != "float-quantized" && format != "naive-quantized")
    config.fail("field " + config.quoted("format") + " = \"" + format +
                "\" is not accepted (\"int-quantized\", \"float-quantized\" or \"naive-quantized\": one I8 or "
                "F8_E4M3 code per weight)");

  const HfConfigReader groups = config.object("config_groups");
  std::optional<CheckpointWeightScheme> scheme;
  for (const auto& [name, group] : groups.json().items()) {
    const HfConfigReader group_reader = groups.object(name.c_str());
    if (!group_reader.has("weights")) continue;
    const CheckpointWeightScheme weights = read_weight_scheme(group_reader.object("weights"));
    if (scheme && !same_scheme(*scheme, weights))
      group_reader.fail("field " + group_reader.quoted("weights") +
                        " differs from another config group's: every layer projection must be stored one way");
    scheme = weights;
  }
  if (!scheme) groups.fail("no config group of " + config.quoted("config_groups") + " has \"weights\"");
  return scheme;
}

}  // namespace rooflm
