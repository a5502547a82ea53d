// build_step_program(): the family's recipe for a variant, plus what every executor of it needs
// (the model's shape and its RoPE table).
#include "engine/model/families/families.h"
#include "engine/model/tensor_shard.h"

namespace rooflm {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::embedding: return "embedding";
    case OpKind::rmsnorm: return "rmsnorm";
    case OpKind::add_rmsnorm: return "add_rmsnorm";
    case OpKind::residual_add: return "residual_add";
    case OpKind::linear: return "linear";
    case OpKind::rope: return "rope";
    case OpKind::attention: return "attention";
    case OpKind::silu: return "silu";
    case OpKind::mul: return "mul";
    case OpKind::silu_mul: return "silu_mul";
    case OpKind::lm_head: return "lm_head";
    case OpKind::all_reduce: return "all_reduce";
  }
  return "?";
}

std::vector<std::string> StepProgram::op_names() const {
  std::vector<std::string> names;
  for (const OpNode& op : ops)
    if (std::find(names.begin(), names.end(), op.name) == names.end()) names.push_back(op.name);
  return names;
}

StepProgram build_step_program(const ModelConfig& model, const Variant& variant) {
  model.validate();
  StepProgram program;
  program.model = model;
  program.shard = tensor_shard(model, variant.tensor_parallel);
  program.variant = variant;
  program.inv_freq = rope_inv_freq(model.head_dim, model.rope_theta, model.rope_scaling);
  switch (model.family) {
    case ModelFamily::llama:
    case ModelFamily::qwen2:
    case ModelFamily::mistral:
      program.ops = llama_decoder_ops(program.shard, variant);
      break;
  }
  return program;
}

}  // namespace rooflm
