// read_scenario: strict reading of one sweep-free rooflm.scenario/1 document into a Scenario —
// closed objects, types, ranges, enums, required keys, and model paths that must exist.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "common/file_digest.h"
#include "common/json_text.h"
#include "engine/scenario/arrival_ramp.h"
#include "engine/scenario/field_reader.h"
#include "engine/scenario/scenario_keys.h"
#include "engine/scenario/scenario_limits.h"
#include "engine/scenario/scenario_read.h"
#include "engine/scenario/search.h"
#include "engine/scenario/sharegpt_file.h"
#include "engine/scenario/trace_sharing.h"
#include "engine/scenario/workload_files.h"

namespace rooflm {
namespace {

using ordered_json = nlohmann::ordered_json;
namespace fs = std::filesystem;

// Lengths used when the workload does not say.
constexpr int64_t kDefaultPromptLen = 128;
constexpr int64_t kDefaultOutputLen = 128;

// A path from the file (model, trace, dataset): relative ones resolve against the scenario's folder.
fs::path resolve_path(const FieldReader& model, std::string_view key) {
  const fs::path written = model.required_text(key);
  return (written.is_absolute() ? written : fs::absolute(model.context().base_dir / written)).lexically_normal();
}

// Reads a workload data file, prefixing its errors with the scenario key that named it.
template <class Read>
auto read_data_file(const FieldReader& reader, std::string_view key, Read read) {
  const ScenarioContext& ctx = reader.context();
  try {
    return read();
  } catch (const InputError& e) {
    ctx.fail(ctx.where(reader.key_path(key)) + ": " + e.what());
  }
}

// A pinned `<key>_digest` (a resolved scenario carries one) must match the digest of the file
// named by `key`: a results file's scenario reruns only on the content it was measured on.
void check_pinned_digest(const FieldReader& reader, std::string_view key, const fs::path& file,
                         const std::string& digest) {
  const ScenarioContext& ctx = reader.context();
  const std::string pinned_key = std::string(key) + "_digest";
  if (!reader.has(pinned_key)) return;
  const std::string pinned = reader.required_text(pinned_key);
  if (pinned != digest)
    ctx.fail(ctx.where(reader.key_path(pinned_key)) + " is " + pinned + ", but " + file.string() + " is now " + digest +
             ": the file changed since this scenario was resolved (drop the key to run on the new content)");
}

// A workload data file named by `key`, read once: its text for the parser and its content digest.
struct DataFileText {
  std::string text;
  std::string digest;
};

DataFileText read_data_text(const FieldReader& reader, std::string_view key, const fs::path& file, int64_t max_bytes,
                            const std::string& what) {
  DataFileText out;
  out.text = read_data_file(reader, key, [&] { return read_text_file(file, max_bytes, what); });
  out.digest = content_digest(out.text);
  check_pinned_digest(reader, key, file, out.digest);
  return out;
}

ModelSpec read_model(const FieldReader& model) {
  const ScenarioContext& ctx = model.context();
  ModelSpec spec;
  if (model.has("preset") == model.has("config"))
    ctx.fail(ctx.where("model") + " needs exactly one of \"preset\" or \"config\"");
  if (model.has("preset")) spec.preset = model.required_text("preset");
  if (model.has("config")) {
    spec.config_path = resolve_path(model, "config");
    if (!fs::exists(spec.config_path))
      ctx.fail(ctx.where("model.config") + " not found: " + spec.config_path.string());
    if (fs::is_directory(spec.config_path) && !fs::exists(spec.config_path / "config.json"))
      ctx.fail(ctx.where("model.config") + " folder has no config.json: " + spec.config_path.string());
  }
  if (model.has("weights") && model.text("weights", "") != "synthetic") {
    spec.weights_dir = resolve_path(model, "weights");
    if (!fs::is_directory(spec.weights_dir))
      ctx.fail(ctx.where("model.weights") + " must be \"synthetic\" or an existing folder, got " +
               spec.weights_dir.string());
  }
  spec.seed = model.seed("seed");
  if (model.has("synthetic_outliers")) {
    const FieldReader outliers = model.object("synthetic_outliers");
    if (!outliers.has("channels")) outliers.fail_missing("channels");
    if (!outliers.has("scale")) outliers.fail_missing("scale");
    spec.outliers.channels = outliers.integer("channels", 0, 1, kMaxOutlierChannels);
    spec.outliers.scale = outliers.number("scale", 1, open_closed(kMinOutlierScale, kMaxOutlierScale));
    if (!spec.weights_dir.empty())
      ctx.fail(ctx.where("model.synthetic_outliers") + " plants outliers in synthetic weights, but model.weights is " +
               spec.weights_dir.string());
  }
  return spec;
}

KvCacheSpec read_kv_cache(const FieldReader& kv) {
  KvCacheSpec spec;
  spec.layout = kv.enum_choice("layout", kKvLayoutNames, {KvLayout::contiguous, KvLayout::paged}, spec.layout);
  spec.block_size = kv.integer_choice("block_size", {8, 16, 32}, spec.block_size);
  spec.dtype = kv.enum_choice("dtype", kKvDtypeNames, {DType::f16, DType::i8, DType::f8e4m3}, spec.dtype);
  spec.max_seq_len = kv.integer("max_seq_len", spec.max_seq_len, 0, kMaxTokenLength);
  spec.memory_fraction = kv.number("memory_fraction", spec.memory_fraction, open_closed(0, 1));
  spec.memory_bytes = kv.integer("memory_bytes", spec.memory_bytes, 0, kMaxKvMemoryBytes);
  return spec;
}

BatchingSpec read_batching(const FieldReader& batching) {
  BatchingSpec spec;
  spec.policy = batching.enum_choice("policy", kBatchingPolicyNames,
                                     {BatchingPolicy::static_batches, BatchingPolicy::continuous}, spec.policy);
  spec.max_batch = batching.integer("max_batch", spec.max_batch, 1, kMaxBatch);
  spec.max_wait_ms = batching.number("max_wait_ms", spec.max_wait_ms, closed(0, kMaxWaitMs));
  spec.max_batched_tokens = batching.integer("max_batched_tokens", spec.max_batched_tokens, 1, kMaxBatchedTokens);
  spec.chunked_prefill = batching.boolean("chunked_prefill", spec.chunked_prefill);
  return spec;
}

// engine.weight_scales, engine.weight_group_size, engine.activation_scales (precision.h says what
// each precision runs; they are ignored by a precision that does not quantise what they scale).
void read_quantisation(const FieldReader& engine, EngineSpec& spec) {
  const ScenarioContext& ctx = engine.context();
  spec.weight_scales = engine.enum_choice("weight_scales", kWeightScalesNames,
                                          {WeightScales::channel, WeightScales::group, WeightScales::tensor},
                                          spec.weight_scales);
  spec.weight_group_size = int32_t(engine.integer("weight_group_size", spec.weight_group_size, 1, kMaxWeightGroupSize));
  spec.activation_scales = engine.enum_choice("activation_scales", kActivationScalesNames,
                                              {ActivationScales::dynamic, ActivationScales::static_calibrated},
                                              spec.activation_scales);
  if (spec.weight_scales == WeightScales::group && (spec.precision == Precision::w8a8 || spec.precision == Precision::fp8))
    ctx.fail(ctx.where(engine.key_path("weight_scales")) + " = \"group\" is for engine.precision \"int8\" (weight-only) "
             "only, not \"" + std::string(name(spec.precision)) + "\": its tensor-core GEMM applies one scale per output "
             "channel after the whole reduction (have: \"channel\", \"tensor\")");
}

EngineSpec read_engine(const FieldReader& engine) {
  EngineSpec spec;
  const std::string backend = engine.choice("backend", {"auto", "cpu", "cuda", "sim"}, "auto");
  if (backend != "auto") spec.backend = parse_enum(kBackendKindNames, backend);
  spec.kernels = engine.enum_choice("kernels", kKernelSetNames, {KernelSet::naive, KernelSet::fused}, spec.kernels);
  spec.precision = engine.enum_choice("precision", kPrecisionNames,
                                      {Precision::fp16, Precision::int8, Precision::w8a8, Precision::fp8}, spec.precision);
  read_quantisation(engine, spec);
  spec.launch = engine.enum_choice("launch", kLaunchNames, {Launch::eager, Launch::graph}, spec.launch);
  spec.tensor_parallel = int32_t(engine.integer("tensor_parallel", spec.tensor_parallel, 1, kMaxTensorParallel));
  spec.gpu = engine.text("gpu", spec.gpu);
  spec.threads = engine.integer("threads", spec.threads, 0, kMaxThreads);
  spec.kv_cache = read_kv_cache(engine.object("kv_cache"));
  spec.batching = read_batching(engine.object("batching"));
  return spec;
}

// A length: a bare integer (fixed) or {"dist": fixed|uniform|normal|lognormal, ...}.
LengthDist read_length(const FieldReader& workload, std::string_view key, int64_t fallback) {
  const ScenarioContext& ctx = workload.context();
  LengthDist dist;
  dist.value = double(fallback);
  const ordered_json* value = workload.find(key);
  if (!value) return dist;
  if (value->is_number()) {
    dist.value = double(workload.integer(key, fallback, 1, kMaxTokenLength));
    return dist;
  }
  if (!value->is_object())
    ctx.fail(ctx.where(workload.key_path(key)) + " must be an integer or an object, got " + value->type_name());
  const FieldReader length = workload.object(key);
  if (!length.has("dist")) length.fail_missing("dist");
  const std::string kind = length.choice("dist", {"fixed", "uniform", "normal", "lognormal", "dataset"}, "");
  const std::string because = "dist \"" + kind + "\"";
  if (kind == "dataset") {
    dist.kind = LengthDist::Kind::dataset;
    length.allow_only({"dist", "file", "file_digest", "field", "min", "max"}, because);
    if (!length.has("file")) length.fail_missing("file");
    if (!length.has("field")) length.fail_missing("field");
    dist.file = resolve_path(length, "file");
    dist.field = length.required_text("field");
    const DataFileText data = read_data_text(length, "file", dist.file, kMaxJsonlFileBytes, "workload file");
    dist.file_digest = data.digest;
    dist.values = read_data_file(length, "file", [&] { return parse_length_dataset(data.text, dist.file.string(), dist.field); });
    dist.min = length.integer("min", dist.min, 1, kMaxTokenLength);
    dist.max = length.integer("max", std::max(dist.max, dist.min), dist.min, kMaxTokenLength);
    return dist;
  }
  if (kind == "fixed") {
    length.allow_only({"dist", "value"}, because);
    if (!length.has("value")) length.fail_missing("value");
    dist.value = double(length.integer("value", 1, 1, kMaxTokenLength));
    return dist;
  }
  if (kind == "uniform") {
    dist.kind = LengthDist::Kind::uniform;
    length.allow_only({"dist", "min", "max"}, because);
    if (!length.has("min")) length.fail_missing("min");
    if (!length.has("max")) length.fail_missing("max");
  } else {
    dist.kind = kind == "normal" ? LengthDist::Kind::normal : LengthDist::Kind::lognormal;
    length.allow_only({"dist", "mean", "std", "min", "max"}, because);
    if (!length.has("mean")) length.fail_missing("mean");
    if (!length.has("std")) length.fail_missing("std");
    dist.mean = length.number("mean", 0, closed(1, double(kMaxTokenLength)));
    dist.std = length.number("std", 0, closed(0, double(kMaxTokenLength)));
  }
  dist.min = length.integer("min", dist.min, 1, kMaxTokenLength);
  dist.max = length.integer("max", std::max(dist.max, dist.min), dist.min, kMaxTokenLength);
  return dist;
}

// workload.arrival.ramp: from, to and duration_s required; strategy linear (default) or exponential.
RampSpec read_ramp(const FieldReader& ramp) {
  const ScenarioContext& ctx = ramp.context();
  RampSpec spec;
  for (const char* key : {"from", "to", "duration_s"})
    if (!ramp.has(key)) ramp.fail_missing(key);
  spec.strategy = ramp.enum_choice("strategy", kRampStrategyNames, {RampStrategy::linear, RampStrategy::exponential},
                                   spec.strategy);
  spec.from = ramp.number("from", 0, at_least(0));
  if (spec.strategy == RampStrategy::exponential && !(spec.from > 0))
    ctx.fail(ctx.where(ramp.key_path("from")) + " must be > 0 with strategy \"exponential\" (the rate grows by a "
             "factor), got 0");
  spec.to = ramp.number("to", 0, greater_than(0));
  spec.duration_s = ramp.number("duration_s", 0, open_closed(0, kMaxArrivalSeconds));
  return spec;
}

// The trace process: its file in the rooflm or mooncake format, the speed-up, the mooncake block size.
void read_trace(const FieldReader& arrival, ArrivalSpec& spec) {
  const ScenarioContext& ctx = arrival.context();
  if (!arrival.has("file")) arrival.fail_missing("file");
  spec.format = arrival.enum_choice("format", kTraceFormatNames, {TraceFormat::rooflm, TraceFormat::mooncake}, spec.format);
  if (spec.format != TraceFormat::mooncake && arrival.has("block_size"))
    ctx.fail(ctx.where(arrival.key_path("block_size")) + " is for format \"mooncake\" (tokens per hash id), not \"" +
             std::string(name(spec.format)) + "\"");
  spec.block_size = arrival.integer("block_size", spec.block_size, 1, kMaxTokenLength);
  spec.speedup = arrival.number("speedup", spec.speedup, closed(kMinTraceSpeedup, kMaxTraceSpeedup));
  spec.file = resolve_path(arrival, "file");
  const DataFileText trace = read_data_text(arrival, "file", spec.file, kMaxJsonlFileBytes, "workload file");
  spec.file_digest = trace.digest;
  spec.trace = read_data_file(arrival, "file", [&] {
    return spec.format == TraceFormat::mooncake ? parse_mooncake_trace(trace.text, spec.file.string(), spec.block_size)
                                                : parse_arrival_trace(trace.text, spec.file.string());
  });
  for (TraceEntry& entry : spec.trace) entry.arrival /= spec.speedup;
  if (spec.trace.back().arrival > kMaxArrivalSeconds)
    ctx.fail(ctx.where(arrival.key_path("speedup")) + " = " + nlohmann::json(spec.speedup).dump() + " puts the last line of " +
             spec.file.string() + " at " + nlohmann::json(spec.trace.back().arrival).dump() +
             " s, beyond the limit of " + std::to_string(int64_t(kMaxArrivalSeconds)) + " s (a day)");
}

// gamma: the shape as `cv` or vLLM's `burstiness` (cv = 1/sqrt(burstiness)), exactly one of them.
void read_gamma_shape(const FieldReader& arrival, ArrivalSpec& spec) {
  const ScenarioContext& ctx = arrival.context();
  if (arrival.has("cv") && arrival.has("burstiness"))
    ctx.fail(ctx.where(arrival.key_path("cv")) + " and " + ctx.where(arrival.key_path("burstiness")) +
             " are both set: they say the same (cv = 1/sqrt(burstiness)); keep one");
  if (!arrival.has("cv") && !arrival.has("burstiness"))
    ctx.fail(ctx.where(arrival.path()) + " with process \"gamma\" needs \"cv\" or \"burstiness\" (vLLM's: the gamma shape; "
             "1 is poisson)");
  if (arrival.has("burstiness")) {
    spec.burstiness = arrival.number("burstiness", 1, closed(kMinBurstiness, kMaxBurstiness));
    spec.cv = 1 / std::sqrt(*spec.burstiness);
  } else {
    spec.cv = arrival.number("cv", 1, closed(kMinGammaCv, kMaxGammaCv));
  }
}

ArrivalSpec read_arrival(const FieldReader& arrival) {
  ArrivalSpec spec;
  if (!arrival.has("process")) {
    for (const char* key :
         {"rate", "cv", "burstiness", "ramp", "concurrency", "file", "file_digest", "format", "block_size", "speedup"})
      if (arrival.has(key)) arrival.fail_missing("process");
    return spec;
  }
  const std::string process =
      arrival.choice("process", {"burst", "poisson", "constant", "gamma", "closed_loop", "trace"}, "");
  const std::string because = "process \"" + process + "\"";
  if (process == "burst") {
    arrival.allow_only({"process"}, because);
    return spec;
  }
  if (process == "closed_loop") {
    spec.process = ArrivalSpec::Process::closed_loop;
    arrival.allow_only({"process", "concurrency"}, because);
    if (!arrival.has("concurrency")) arrival.fail_missing("concurrency");
    spec.concurrency = arrival.integer("concurrency", 1, 1, kMaxRequests);
    return spec;
  }
  if (process == "trace") {
    spec.process = ArrivalSpec::Process::trace;
    arrival.allow_only({"process", "file", "file_digest", "format", "block_size", "speedup"}, because);
    read_trace(arrival, spec);
    return spec;
  }
  if (process == "gamma") {
    spec.process = ArrivalSpec::Process::gamma;
    arrival.allow_only({"process", "rate", "ramp", "cv", "burstiness"}, because);
    read_gamma_shape(arrival, spec);
  } else {
    spec.process = process == "poisson" ? ArrivalSpec::Process::poisson : ArrivalSpec::Process::constant;
    arrival.allow_only({"process", "rate", "ramp"}, because);
  }
  const ScenarioContext& ctx = arrival.context();
  if (arrival.has("rate") && arrival.has("ramp"))
    ctx.fail(ctx.where(arrival.key_path("rate")) + " and " + ctx.where(arrival.key_path("ramp")) +
             " are both set: a ramp sets the rate (ramp.to after ramp.duration_s); keep one");
  if (arrival.has("ramp")) {
    spec.ramp = read_ramp(arrival.object("ramp"));
    return spec;
  }
  if (!arrival.has("rate")) arrival.fail_missing("rate");
  spec.rate = arrival.number("rate", 0, greater_than(0));
  return spec;
}

// workload.sharegpt: the conversation file and the tokenizer that turns its turns into lengths.
ShareGptSpec read_sharegpt_section(const FieldReader& sharegpt) {
  for (const char* key : {"file", "tokenizer"})
    if (!sharegpt.has(key)) sharegpt.fail_missing(key);
  ShareGptSpec spec;
  spec.file = resolve_path(sharegpt, "file");
  spec.tokenizer = resolve_path(sharegpt, "tokenizer");
  spec.max_len = sharegpt.integer("max_len", spec.max_len, 0, kMaxTokenLength);
  const std::unique_ptr<TokenCounter> tokenizer =
      read_data_file(sharegpt, "tokenizer", [&] { return load_token_counter(spec.tokenizer); });
  // the tokenizer's loader reads its file itself (sentencepiece takes a path): digested apart
  spec.tokenizer_digest = read_data_file(sharegpt, "tokenizer", [&] { return file_digest(spec.tokenizer); });
  check_pinned_digest(sharegpt, "tokenizer", spec.tokenizer, spec.tokenizer_digest);
  const DataFileText conversations =
      read_data_text(sharegpt, "file", spec.file, kMaxConversationFileBytes, "conversation file");
  spec.file_digest = conversations.digest;
  read_data_file(sharegpt, "file", [&] {
    parse_sharegpt(conversations.text, spec.file.string(), *tokenizer, spec);
    return 0;
  });
  return spec;
}

SharedPrefixSpec read_shared_prefix(const FieldReader& shared_prefix) {
  SharedPrefixSpec spec;
  if (shared_prefix.has("groups") != shared_prefix.has("length"))
    shared_prefix.fail_missing(shared_prefix.has("groups") ? "length" : "groups");
  spec.groups = shared_prefix.integer("groups", spec.groups, 1, kMaxRequests);
  spec.length = shared_prefix.integer("length", spec.length, 1, kMaxTokenLength);
  return spec;
}

SamplingParams read_sampling(const FieldReader& sampling) {
  SamplingParams params;
  params.temperature = float(sampling.number("temperature", params.temperature, closed(0, kMaxTemperature)));
  params.top_k = int32_t(sampling.integer("top_k", params.top_k, 0, std::numeric_limits<int32_t>::max()));
  params.top_p = float(sampling.number("top_p", params.top_p, open_closed(0, 1)));
  return params;
}

WorkloadSpec read_workload(const FieldReader& workload) {
  WorkloadSpec spec;
  spec.requests = workload.integer("requests", spec.requests, 1, kMaxRequests);
  spec.prompt_len = read_length(workload, "prompt_len", kDefaultPromptLen);
  spec.output_len = read_length(workload, "output_len", kDefaultOutputLen);
  spec.arrival = read_arrival(workload.object("arrival"));
  const ScenarioContext& ctx = workload.context();
  const bool traced = spec.arrival.process == ArrivalSpec::Process::trace;
  if (workload.has("sharegpt")) {
    if (traced)
      ctx.fail(ctx.where(workload.key_path("sharegpt")) + " cannot be set with arrival process \"trace\" (the trace file "
               "sets the lengths)");
    spec.sharegpt = read_sharegpt_section(workload.object("sharegpt"));
  }
  if (traced || spec.sharegpt) {
    // The trace or the conversations set every length; a trace's `requests` may take its first lines only.
    const std::string setter = traced ? "arrival process \"trace\" (the trace file sets it)"
                                      : "workload.sharegpt (its conversations set it)";
    for (const char* key : {"prompt_len", "output_len"})
      if (workload.has(key)) ctx.fail(ctx.where(workload.key_path(key)) + " cannot be set with " + setter);
  }
  if (traced) {
    const int64_t lines = int64_t(spec.arrival.trace.size());
    spec.requests = workload.has("requests") ? spec.requests : lines;
    if (spec.requests > lines)
      ctx.fail(ctx.where(workload.key_path("requests")) + " = " + std::to_string(spec.requests) +
               " but the trace " + spec.arrival.file.string() + " has " + std::to_string(lines) + " lines");
    if (spec.arrival.format == TraceFormat::mooncake)
      spec.arrival.sharing = trace_sharing(std::span(spec.arrival.trace).first(size_t(spec.requests)), spec.arrival.block_size);
  }
  if (spec.arrival.rate > 0 && double(spec.requests - 1) / spec.arrival.rate > kMaxArrivalSeconds) {
    ctx.fail(ctx.where(workload.key_path("arrival.rate")) + " = " + nlohmann::json(spec.arrival.rate).dump() +
             " spreads workload.requests = " + std::to_string(spec.requests) + " over " +
             nlohmann::json(double(spec.requests - 1) / spec.arrival.rate).dump() + " s, beyond the limit of " +
             std::to_string(int64_t(kMaxArrivalSeconds)) + " s (a day)");
  }
  if (spec.arrival.ramp) {
    const double last = ramp_arrival_time(*spec.arrival.ramp, double(spec.requests - 1));
    if (last > kMaxArrivalSeconds)
      ctx.fail(ctx.where(workload.key_path("arrival.ramp")) + " spreads workload.requests = " +
               std::to_string(spec.requests) + " over " + nlohmann::json(last).dump() + " s on average, beyond the limit of " +
               std::to_string(int64_t(kMaxArrivalSeconds)) + " s (a day)");
  }
  spec.shared_prefix = read_shared_prefix(workload.object("shared_prefix"));
  if (spec.shared_prefix.groups > spec.requests)
    ctx.fail(ctx.where(workload.key_path("shared_prefix.groups")) + " = " + std::to_string(spec.shared_prefix.groups) +
             " is more than workload.requests = " + std::to_string(spec.requests) + " (a group without requests)");
  spec.n = workload.integer("n", spec.n, 1, kMaxSamplesPerRequest);
  spec.sampling = read_sampling(workload.object("sampling"));
  spec.seed = workload.seed("seed");
  return spec;
}

AccuracySpec read_accuracy(const FieldReader& accuracy) {
  AccuracySpec spec;
  spec.mode = accuracy.enum_choice("mode", kAccuracyModeNames,
                                   {AccuracyMode::automatic, AccuracyMode::on, AccuracyMode::off}, spec.mode);
  spec.tokens = accuracy.integer("tokens", spec.tokens, 1, kMaxTokenLength);
  spec.sequences = accuracy.integer("sequences", spec.sequences, 1, kMaxAccuracySequences);
  spec.seed = accuracy.seed("seed");
  return spec;
}

// measure.percentiles: a list of numbers, each in (0, 100) with at most 3 decimals, no value twice;
// any order (sorted here, as summaries report them).
std::vector<double> read_percentiles(const FieldReader& measure, std::vector<double> fallback) {
  const nlohmann::ordered_json* list = measure.find("percentiles");
  if (!list) return fallback;
  const ScenarioContext& ctx = measure.context();
  const std::string where = ctx.where(measure.key_path("percentiles"));
  if (!list->is_array()) ctx.fail(where + " must be a list of numbers, e.g. [50, 90, 99, 99.9], got " + list->dump());
  std::vector<double> values;
  for (size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_number())
      ctx.fail(where + "[" + std::to_string(i) + "] must be a number, got " + (*list)[i].dump());
    values.push_back((*list)[i].get<double>());
  }
  std::sort(values.begin(), values.end());
  if (const std::string problem = percentile_list_problem(values); !problem.empty()) ctx.fail(where + " " + problem);
  return values;
}

MeasureSpec read_measure(const FieldReader& measure) {
  MeasureSpec spec;
  spec.warmup_requests = measure.integer("warmup_requests", spec.warmup_requests, 0, kMaxRequests);
  spec.repetitions = measure.integer("repetitions", spec.repetitions, 1, kMaxRepetitions);
  spec.record_requests = measure.boolean("record_requests", spec.record_requests);
  spec.record_steps = measure.boolean("record_steps", spec.record_steps);
  spec.kernel_trace = measure.boolean("kernel_trace", spec.kernel_trace);
  spec.percentiles = read_percentiles(measure, spec.percentiles);
  if (measure.has("profile_steps")) {
    std::string error;
    spec.profile_steps = parse_step_window(measure.required_text("profile_steps"), error);
    if (!spec.profile_steps) measure.context().fail(measure.context().where(measure.key_path("profile_steps")) + ": " + error);
  }
  spec.accuracy = read_accuracy(measure.object("accuracy"));
  return spec;
}

// The scales file may not exist yet (`rooflm calibrate-quant` writes it): it is read when used.
QuantSpec read_quant(const FieldReader& quant) {
  QuantSpec spec;
  spec.alpha = quant.number("alpha", spec.alpha, closed(0, 1));
  if (quant.has("scales")) spec.scales = resolve_path(quant, "scales");
  const FieldReader calibration = quant.object("calibration");
  spec.calibration.sequences =
      calibration.integer("sequences", spec.calibration.sequences, 1, kMaxCalibrationSequences);
  spec.calibration.tokens = calibration.integer("tokens", spec.calibration.tokens, 1, kMaxTokenLength);
  spec.calibration.seed = calibration.seed("seed");
  return spec;
}

SloSpec read_slo(const FieldReader& slo) {
  SloSpec spec;
  spec.ttft_ms = slo.optional_number("ttft_ms", greater_than(0));
  spec.tpot_ms = slo.optional_number("tpot_ms", greater_than(0));
  spec.e2e_ms = slo.optional_number("e2e_ms", greater_than(0));
  return spec;
}

// The name becomes a file and folder name (out/<name>/, results/<gpu>/<name>.json): one path
// component of letters, digits, '.', '_' and '-', not starting with '.' or '-' (so never "..", a
// hidden file, an option or a path outside the output folder).
std::string read_name(const FieldReader& top) {
  const std::string name = top.required_text("name");
  const bool safe_first = std::isalnum(static_cast<unsigned char>(name[0])) || name[0] == '_';
  const bool safe_rest = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  if (!safe_first || !safe_rest || name.size() > kMaxNameLength) {
    const ScenarioContext& ctx = top.context();
    ctx.fail(ctx.where("name") + " = " + nlohmann::json(name).dump() +
             " cannot name the results folder: use letters, digits, '.', '_' and '-' (not first: '.', '-'), at most " +
             std::to_string(kMaxNameLength) + " characters");
  }
  return name;
}

}  // namespace

void check_scenario_schema(const ordered_json& doc, const ScenarioContext& ctx) {
  if (!doc.is_object()) ctx.fail("a scenario must be a JSON object, got " + std::string(doc.type_name()));
  const auto schema = doc.find("schema");
  if (schema == doc.end()) ctx.fail("missing required key \"schema\" (write \"schema\": \"" + std::string(kScenarioSchema) + "\")");
  if (!schema->is_string()) ctx.fail("\"schema\" must be a string, got " + std::string(schema->type_name()));
  const std::string value = schema->get<std::string>();
  if (value == kScenarioSchema) return;
  const std::string family = "rooflm.scenario/";
  if (value.starts_with(family))
    ctx.fail("\"schema\" is \"" + value + "\", a version this build does not read (it reads \"" +
             std::string(kScenarioSchema) + "\")");
  ctx.fail("\"schema\" must be \"" + std::string(kScenarioSchema) + "\", got \"" + value + "\"");
}

Scenario read_scenario(const ordered_json& doc, const ScenarioContext& ctx) {
  check_scenario_schema(doc, ctx);
  const FieldReader top(&doc, "", ctx);
  Scenario scenario;
  scenario.name = read_name(top);
  scenario.description = top.text("description", "");
  if (!top.has("model")) top.fail_missing("model");
  scenario.model = read_model(top.object("model"));
  scenario.engine = read_engine(top.object("engine"));
  scenario.workload = read_workload(top.object("workload"));
  scenario.measure = read_measure(top.object("measure"));
  const WorkloadSpec& w = scenario.workload;
  const MeasureSpec& m = scenario.measure;
  if (m.warmup_requests > w.requests)
    ctx.fail(ctx.where("measure.warmup_requests") + " = " + std::to_string(m.warmup_requests) +
             " is more than workload.requests = " + std::to_string(w.requests) + " (warm-up replays the first requests)");
  if (w.requests * w.n * m.repetitions > kMaxRequests)
    ctx.fail("workload.requests x workload.n x measure.repetitions = " + std::to_string(w.requests) + " x " +
             std::to_string(w.n) + " x " + std::to_string(m.repetitions) + " = " +
             std::to_string(w.requests * w.n * m.repetitions) + " sequences, more than the limit of " +
             std::to_string(kMaxRequests));
  scenario.slo = read_slo(top.object("slo"));
  if (top.has("search")) scenario.search = read_search(top.object("search"), scenario);
  scenario.quant = read_quant(top.object("quant"));
  const EngineSpec& e = scenario.engine;
  const bool quantised_inputs = e.precision == Precision::w8a8 || e.precision == Precision::fp8;
  if (quantised_inputs && e.activation_scales == ActivationScales::static_calibrated && scenario.quant.scales.empty())
    ctx.fail(ctx.where("engine.activation_scales") + " = \"static\" with engine.precision \"" +
             std::string(name(e.precision)) + "\" needs quant.scales: the per-tensor activation scales of a "
             "calibration file (rooflm calibrate-quant <scenario> -o scales.json)");
  return scenario;
}

}  // namespace rooflm
