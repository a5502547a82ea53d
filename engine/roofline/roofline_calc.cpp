// compute_roofline: builds the prefill and mean-context decode plans of a uniform batch, costs them
// with the cost model, and adds the memory footprint. Also the report's JSON form.
#include "engine/roofline/roofline_calc.h"

#include "common/error.h"
#include "engine/roofline/memory_model.h"

namespace rooflm {
namespace {

void require_at_least_one(const char* option, int64_t value) {
  if (value < 1) throw InputError(std::string(option) + " must be >= 1, got " + std::to_string(value));
}

// `batch` sequences, each a chunk of `tokens` tokens at [start_pos, start_pos + tokens) that samples.
BatchPlan uniform_plan(int64_t batch, int64_t start_pos, int64_t tokens, bool is_prefill) {
  BatchPlan plan;
  for (int64_t seq = 0; seq < batch; ++seq) {
    SeqChunk chunk;
    chunk.seq = seq;
    chunk.start_pos = start_pos;
    chunk.tokens.assign(size_t(tokens), 0);
    chunk.sample = true;
    chunk.is_prefill = is_prefill;
    plan.chunks.push_back(std::move(chunk));
  }
  return plan;
}

}  // namespace

RooflineReport compute_roofline(const RooflineQuery& query) {
  query.model.validate();
  require_at_least_one("--prompt", query.prompt_tokens);
  require_at_least_one("--output", query.output_tokens);
  require_at_least_one("--batch", query.batch);
  if (query.batch > kMaxRooflineBatch)
    throw InputError("--batch " + std::to_string(query.batch) + " exceeds the limit of " +
                     std::to_string(kMaxRooflineBatch));
  const int64_t max_positions = query.model.max_positions;
  if (query.prompt_tokens > max_positions || query.output_tokens > max_positions - query.prompt_tokens) {
    // The sum only where it cannot overflow (each option is an int64).
    const bool summable = query.prompt_tokens <= max_positions && query.output_tokens <= max_positions;
    throw InputError("--prompt " + std::to_string(query.prompt_tokens) + " + --output " +
                     std::to_string(query.output_tokens) +
                     (summable ? " = " + std::to_string(query.prompt_tokens + query.output_tokens) : std::string()) +
                     " tokens exceeds the max_positions " + std::to_string(query.model.max_positions) + " of model '" +
                     query.model.name + "'");
  }
  const int64_t sequence_tokens = query.prompt_tokens + query.output_tokens;
  if (query.batch * query.prompt_tokens > kMaxRooflineStepTokens)
    throw InputError("--batch " + std::to_string(query.batch) + " x --prompt " + std::to_string(query.prompt_tokens) +
                     " = " + std::to_string(query.batch * query.prompt_tokens) +
                     " tokens in one prefill step exceeds the limit of " + std::to_string(kMaxRooflineStepTokens));

  RooflineReport report;
  report.query = query;
  const ModelConfig& model = query.model;
  const double batch = double(query.batch);
  Variant variant;
  variant.backend = BackendKind::sim;
  variant.kernels = query.kernels;
  variant.precision = query.precision;
  variant.kv_dtype = query.kv_dtype;
  variant.tensor_parallel = query.tensor_parallel;
  const StepProgram program = build_step_program(model, variant);
  const ModelConfig& rank = program.shard;  // memory per GPU: one rank's weights and KV heads
  const PrecisionDtypes dtypes = precision_dtypes(variant);

  report.prefill = step_cost(uniform_plan(query.batch, 0, query.prompt_tokens, true), program, query.gpu);
  report.prefill_tokens_per_s = batch * double(query.prompt_tokens) / report.prefill.seconds;
  report.end_to_end_seconds = report.prefill.seconds;
  if (query.output_tokens >= 2) {
    const int64_t middle_position = query.prompt_tokens + (query.output_tokens - 2) / 2;
    report.decode = step_cost(uniform_plan(query.batch, middle_position, 1, false), program, query.gpu);
    report.decode_context_tokens = middle_position + 1;
    report.decode_tokens_per_s = batch / report.decode->seconds;
    report.end_to_end_seconds += double(query.output_tokens - 1) * report.decode->seconds;
  }
  report.output_tokens_per_s = batch * double(query.output_tokens) / report.end_to_end_seconds;

  report.weight_bytes = model_weight_bytes(rank, dtypes);
  report.kv_bytes_per_token = kv_bytes_per_token(rank, dtypes);
  report.sequence_tokens = sequence_tokens;
  report.kv_bytes_per_sequence = kv_bytes_per_sequence(rank, dtypes, sequence_tokens);
  report.kv_bytes_per_max_sequence = kv_bytes_per_sequence(rank, dtypes, model.max_positions);
  report.max_batch = max_batch_that_fits(rank, dtypes, query.gpu, sequence_tokens);
  report.max_batch_at_max_positions = max_batch_that_fits(rank, dtypes, query.gpu, model.max_positions);
  return report;
}

nlohmann::json RooflineReport::to_json() const {
  nlohmann::json decode_json = nullptr;
  if (decode) {
    decode_json = decode->to_json();
    decode_json["context_tokens"] = decode_context_tokens;
    decode_json["tokens_per_s"] = decode_tokens_per_s;
  }
  nlohmann::json prefill_json = prefill.to_json();
  prefill_json["tokens_per_s"] = prefill_tokens_per_s;
  return {{"schema", "rooflm.roofline/1"},
          {"model", query.model.to_json()},
          {"gpu", query.gpu.to_json()},
          {"precision", precision_dtypes(query.precision, query.kv_dtype).to_json()},
          {"kernels", name(query.kernels)},
          {"tensor_parallel", query.tensor_parallel},
          {"workload", {{"batch", query.batch}, {"prompt_tokens", query.prompt_tokens},
                        {"output_tokens", query.output_tokens}}},
          {"prefill", prefill_json},
          {"decode", decode_json},
          {"end_to_end_seconds", end_to_end_seconds},
          {"output_tokens_per_s", output_tokens_per_s},
          {"memory", {{"weight_bytes", weight_bytes},
                      {"kv_bytes_per_token", kv_bytes_per_token},
                      {"sequence_tokens", sequence_tokens},
                      {"kv_bytes_per_sequence", kv_bytes_per_sequence},
                      {"max_positions", query.model.max_positions},
                      {"kv_bytes_per_max_sequence", kv_bytes_per_max_sequence},
                      {"reserve_fraction", kMemoryReserveFraction},
                      {"max_batch", max_batch},
                      {"max_batch_at_max_positions", max_batch_at_max_positions}}}};
}

}  // namespace rooflm
