// The roofline calculator behind `rooflm roofline`: for a model, GPU, precision, kernel set and a
// workload of `batch` identical requests (prompt, output tokens), the predicted prefill step, the
// decode step at the mean context, throughput and the memory footprint.
//   prefill: one step holding all `batch` prompts, each chunk sampling its first output token.
//   decode:  the output's remaining output - 1 tokens come from decode steps at positions
//            prompt .. prompt + output - 2; attention cost is linear in the position, so the
//            step at the middle position prompt + (output - 2) / 2 stands for their mean.
//   end to end = prefill + (output - 1) * decode; tokens/s = batch * output / end to end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/model/model_config.h"
#include "engine/roofline/cost_model.h"
#include "engine/roofline/gpu_spec.h"

namespace rooflm {

// Bounds of a query: the step plans it costs hold every token of the batch.
inline constexpr int64_t kMaxRooflineBatch = 65'536;             // --batch
inline constexpr int64_t kMaxRooflineStepTokens = int64_t(1) << 26;  // --batch x --prompt

struct RooflineQuery {
  ModelConfig model;
  GpuSpec gpu;
  Precision precision = Precision::fp16;
  DType kv_dtype = DType::f16;
  KernelSet kernels = KernelSet::fused;
  int32_t tensor_parallel = 1;  // ranks (Megatron): every figure is one GPU's, all-reduces on the spec's interconnect
  int64_t prompt_tokens = 350;
  int64_t output_tokens = 128;
  int64_t batch = 1;
};

struct RooflineReport {
  RooflineQuery query;
  StepCost prefill;
  double prefill_tokens_per_s = 0;            // batch * prompt / prefill time
  std::optional<StepCost> decode;             // absent when output_tokens == 1
  int64_t decode_context_tokens = 0;          // context the decode step attends over
  double decode_tokens_per_s = 0;             // batch / decode step time (0 without decode)
  double end_to_end_seconds = 0;
  double output_tokens_per_s = 0;             // batch * output / end to end
  int64_t weight_bytes = 0;                   // per GPU (one rank's shard with tensor_parallel)
  int64_t kv_bytes_per_token = 0;
  int64_t sequence_tokens = 0;                // prompt + output
  int64_t kv_bytes_per_sequence = 0;          // at sequence_tokens
  int64_t kv_bytes_per_max_sequence = 0;      // at model.max_positions
  int64_t max_batch = 0;                      // sequences of sequence_tokens that fit
  int64_t max_batch_at_max_positions = 0;

  nlohmann::json to_json() const;
  // Human-readable summary (what `rooflm roofline` prints); with `per_op`, a table of every op of
  // the prefill and decode steps follows.
  std::string to_text(bool per_op) const;
};

// Throws InputError naming the option and the number when prompt, output or batch is < 1 or
// prompt + output exceeds the model's max_positions; the model must pass validate().
RooflineReport compute_roofline(const RooflineQuery& query);

}  // namespace rooflm
