// Scenario: a parsed, validated `rooflm.scenario/1` file. One file may expand (through `sweep`)
// into several resolved scenarios, one per variant; each keeps its resolved JSON for the results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sampling.h"
#include "common/variant.h"
#include "engine/model/synthetic_outliers.h"
#include "engine/metrics/percentiles.h"
#include "engine/profile/step_window.h"

namespace rooflm {

// A distribution of token counts, clamped to [min, max] after drawing.
struct LengthDist {
  enum class Kind { fixed, uniform, normal, lognormal, dataset };
  Kind kind = Kind::fixed;
  double value = 0;      // fixed
  double mean = 0;       // normal, lognormal (mean of the resulting lengths)
  double std = 0;        // normal, lognormal (std of the resulting lengths)
  int64_t min = 1;       // uniform lower bound and clamp
  int64_t max = 1 << 20; // uniform upper bound and clamp
  std::filesystem::path file;   // dataset: JSONL file, one object per line
  std::string field;            // dataset: the integer field of each line holding the length
  std::vector<int64_t> values;  // dataset: the lengths read from `file` (each request draws one)
  std::string file_digest;      // dataset: common/file_digest.h of `file` (results compare content, not paths)
};

// One line of an arrival trace: rooflm's {"arrival": seconds, "prompt_len": n, "output_len": n}, or
// a Mooncake / vLLM trace line {"timestamp": ms, "input_length", "output_length", "hash_ids"}.
struct TraceEntry {
  double arrival = 0;             // seconds after the trace's start, after the speed-up
  int64_t prompt_len = 1;
  int64_t output_len = 1;
  std::vector<int64_t> hash_ids;  // mooncake: one id per block of block_size prompt tokens (the last may be partial)
};

enum class TraceFormat { rooflm, mooncake };
inline constexpr std::array<EnumName<TraceFormat>, 2> kTraceFormatNames{
    {{TraceFormat::rooflm, "rooflm"}, {TraceFormat::mooncake, "mooncake"}}};
inline std::string_view name(TraceFormat v) { return enum_name(kTraceFormatNames, v); }

// What prefix caching could reuse in a mooncake trace's prompts (engine/scenario/trace_sharing.h).
struct TraceSharing {
  int64_t prompt_tokens = 0;  // all prompt tokens of the requests taken from the trace
  int64_t shared_tokens = 0;  // of which an earlier request has the same leading blocks
  double fraction() const { return prompt_tokens > 0 ? double(shared_tokens) / double(prompt_tokens) : 0; }
};

// An open-loop rate that moves from `from` to `to` requests/s over `duration_s` seconds, then stays
// at `to` (engine/scenario/arrival_ramp.h).
enum class RampStrategy { linear, exponential };
inline constexpr std::array<EnumName<RampStrategy>, 2> kRampStrategyNames{
    {{RampStrategy::linear, "linear"}, {RampStrategy::exponential, "exponential"}}};
inline std::string_view name(RampStrategy v) { return enum_name(kRampStrategyNames, v); }

struct RampSpec {
  double from = 0;  // linear: >= 0; exponential: > 0
  double to = 1;    // > 0
  double duration_s = 1;
  RampStrategy strategy = RampStrategy::linear;
};

struct ArrivalSpec {
  enum class Process { burst, poisson, constant, gamma, closed_loop, trace };
  Process process = Process::burst;
  double rate = 0;           // requests per second (poisson, gamma: mean; constant: exact spacing 1/rate); 0 with a ramp
  double cv = 1;             // gamma: coefficient of variation of the gaps (1: poisson; > 1: burstier)
  std::optional<double> burstiness;  // gamma, vLLM's spelling: the gamma shape (cv = 1/sqrt(burstiness)); set instead of cv
  std::optional<RampSpec> ramp;      // poisson, constant, gamma: a rate ramp instead of `rate`
  int64_t concurrency = 1;   // closed_loop: requests in flight (a new one arrives when one finishes)
  std::filesystem::path file;       // trace: JSONL file
  std::string file_digest;          // trace: common/file_digest.h of `file` (results compare content, not paths)
  TraceFormat format = TraceFormat::rooflm;  // trace: its line format
  int64_t block_size = 512;         // trace, mooncake: prompt tokens per hash id
  double speedup = 1;               // trace: arrivals are divided by it (2: twice as fast)
  std::vector<TraceEntry> trace;    // trace: its lines (they set arrivals and both lengths)
  TraceSharing sharing;             // trace, mooncake: over the first `requests` lines
  // The gamma shape k of the gaps (mean 1/rate, std 1/(rate sqrt(k))).
  double gamma_shape() const { return burstiness ? *burstiness : 1.0 / (cv * cv); }
};

// A ShareGPT conversation file: each request draws one (prompt, output) pair, the token counts of a
// conversation's first human turn and the gpt turn answering it (engine/scenario/sharegpt_file.h).
struct ConversationPair {
  int64_t prompt_len = 1;
  int64_t output_len = 1;
};

struct ShareGptSpec {
  std::filesystem::path file;       // JSON array of {"id", "conversations": [{"from", "value"}, ...]}
  std::filesystem::path tokenizer;  // tokenizer.json (byte-level BPE) or tokenizer.model (sentencepiece)
  std::string file_digest;          // common/file_digest.h of `file` and of `tokenizer`
  std::string tokenizer_digest;
  int64_t max_len = 0;              // > 0: pairs with prompt + output above it are skipped
  std::vector<ConversationPair> pairs;
  int64_t conversations = 0;        // entries in the file
  int64_t skipped = 0;              // entries without a usable pair (or beyond max_len)
};

// Shared-prefix groups: request i starts with the `length`-token prefix of group i % groups,
// followed by its own prompt_len tokens.
struct SharedPrefixSpec {
  int64_t groups = 0;  // 0: no shared prefix
  int64_t length = 0;
};

struct ModelSpec {
  std::string preset;                 // built-in preset name, or empty
  std::filesystem::path config_path;  // HF config.json (or its folder), or empty
  std::filesystem::path weights_dir;  // safetensors folder; empty: synthetic weights
  uint64_t seed = 0;                  // synthetic weights seed
  SyntheticOutliers outliers;         // model.synthetic_outliers (synthetic weights only); channels 0: off
};

struct KvCacheSpec {
  KvLayout layout = KvLayout::contiguous;
  int64_t block_size = 16;            // paged
  DType dtype = DType::f16;           // fp16 | int8 (cpu backend stores fp32)
  int64_t max_seq_len = 0;            // 0: longest request of the workload
  double memory_fraction = 0.9;       // of free device memory, for the pool (paged)
  int64_t memory_bytes = 0;           // explicit pool size; 0: use memory_fraction / slots
};

struct BatchingSpec {
  BatchingPolicy policy = BatchingPolicy::static_batches;
  int64_t max_batch = 8;              // sequences per batch (static) / max_num_seqs (continuous)
  double max_wait_ms = 0;             // static: wait this long for a batch to fill
  int64_t max_batched_tokens = 8192;  // continuous: token budget per step
  bool chunked_prefill = false;
};

struct EngineSpec {
  std::optional<BackendKind> backend;  // nullopt: "auto" (cuda when built with CUDA and a device is present, else cpu)
  KernelSet kernels = KernelSet::fused;
  Precision precision = Precision::fp16;  // fp16 | int8 | w8a8 | fp8 (the scenario reader admits these)
  WeightScales weight_scales = WeightScales::channel;  // quantised precisions (group: int8 only)
  int32_t weight_group_size = 128;                     // inputs per scale with weight_scales group
  ActivationScales activation_scales = ActivationScales::dynamic;  // w8a8, fp8 (static: not readable yet)
  Launch launch = Launch::eager;
  int32_t tensor_parallel = 1;        // 1 until tensor parallelism exists
  std::string gpu;                    // sim backend's target GPU (hardware spec name)
  int64_t threads = 0;                // cpu backend worker threads; 0: hardware concurrency
  KvCacheSpec kv_cache;
  BatchingSpec batching;
};

struct WorkloadSpec {
  int64_t requests = 16;
  LengthDist prompt_len;
  LengthDist output_len;
  ArrivalSpec arrival;
  SharedPrefixSpec shared_prefix;
  std::optional<ShareGptSpec> sharegpt;  // sets both lengths of every request
  int64_t n = 1;  // samples per request (each sample is its own sequence and timeline)
  SamplingParams sampling;
  uint64_t seed = 0;
};

// measure.accuracy: the variant's logits against its backend's reference precision on a seeded
// teacher-forced token stream (engine/runtime/accuracy_eval.h).
//   auto: every run whose effective precision is neither fp16 nor fp32, or whose KV cache is
//         quantised (int8, fp8), on a backend that computes logits (not sim); on: every run (an
//         error on the sim backend); off: none.
enum class AccuracyMode { automatic, on, off };
inline constexpr std::array<EnumName<AccuracyMode>, 3> kAccuracyModeNames{
    {{AccuracyMode::automatic, "auto"}, {AccuracyMode::on, "on"}, {AccuracyMode::off, "off"}}};
inline std::string_view name(AccuracyMode v) { return enum_name(kAccuracyModeNames, v); }

struct AccuracySpec {
  AccuracyMode mode = AccuracyMode::automatic;
  int64_t tokens = 256;    // positions evaluated per sequence (the stream holds one more: the last next token)
  int64_t sequences = 1;   // independent streams, run as one batch
  uint64_t seed = 0;       // of the token streams
};

struct MeasureSpec {
  int64_t warmup_requests = 0;  // run first and excluded from metrics
  int64_t repetitions = 1;      // each variant runs this many times; samples pool across them
  bool record_requests = true;  // per-request timelines in results.json
  bool record_steps = true;     // per-step trace in results.json
  bool kernel_trace = false;    // cuda: per-kernel GPU time (CUPTI) and per-op roofline points
  // Percentiles every latency summary reports, ascending (engine/metrics/percentiles.h).
  std::vector<double> percentiles{kDefaultPercentiles.begin(), kDefaultPercentiles.end()};
  // The profiler's capture window: these steps of the first measured repetition (absent: every
  // measured repetition; engine/profile/step_window.h).
  std::optional<StepWindow> profile_steps;
  AccuracySpec accuracy;
};

// The `quant` section: SmoothQuant calibration (`rooflm calibrate-quant`) and the scales file
// later runs load (engine/model/quant_scales.h).
struct CalibrationSpec {
  int64_t sequences = 8;   // seeded random token sequences run through the cpu reference
  int64_t tokens = 128;    // tokens per sequence (one prefill each)
  uint64_t seed = 0;
};

struct QuantSpec {
  double alpha = 0.5;                 // SmoothQuant migration strength, in [0, 1]
  std::filesystem::path scales;       // rooflm.quant_scales/1 file (absolute); empty: none
  CalibrationSpec calibration;
};

struct SloSpec {  // absent fields are not checked
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;
  std::optional<double> e2e_ms;
  bool any() const { return ttft_ms || tpot_ms || e2e_ms; }
};

// The `search` section: a capacity search (engine/runtime/capacity_run.h). Per variant, the highest
// value of `path` at which the SLOs hold: the `slo` limits on the `percentile` of TTFT / TPOT / E2E,
// and at least `goodput_fraction` of the requests meeting every SLO. Bracketing (doubling from lo,
// capped at hi), then bisection to `tolerance` (engine/runtime/capacity_bracket.h).
enum class SearchPath { arrival_rate, concurrency };
inline constexpr std::array<EnumName<SearchPath>, 2> kSearchPathNames{
    {{SearchPath::arrival_rate, "workload.arrival.rate"}, {SearchPath::concurrency, "workload.arrival.concurrency"}}};
inline std::string_view name(SearchPath v) { return enum_name(kSearchPathNames, v); }

enum class SloPercentile { p50, p90, p95, p99, max };
inline constexpr std::array<EnumName<SloPercentile>, 5> kSloPercentileNames{{{SloPercentile::p50, "p50"},
                                                                            {SloPercentile::p90, "p90"},
                                                                            {SloPercentile::p95, "p95"},
                                                                            {SloPercentile::p99, "p99"},
                                                                            {SloPercentile::max, "max"}}};
inline std::string_view name(SloPercentile v) { return enum_name(kSloPercentileNames, v); }
// 50, 90, 95, 99; nullopt for max.
inline std::optional<double> slo_percentile_value(SloPercentile v) {
  switch (v) {
    case SloPercentile::p50: return 50;
    case SloPercentile::p90: return 90;
    case SloPercentile::p95: return 95;
    case SloPercentile::p99: return 99;
    case SloPercentile::max: return std::nullopt;
  }
  return std::nullopt;
}

struct SearchSpec {
  SearchPath path = SearchPath::arrival_rate;
  double lo = 0, hi = 0;            // 0 < lo < hi (concurrency: whole numbers)
  SloPercentile percentile = SloPercentile::p99;
  double tolerance = 0.05;          // in (0, 1)
  double goodput_fraction = 0.95;   // in (0, 1]
  bool integer() const { return path == SearchPath::concurrency; }
};

struct Scenario {
  std::string name;
  std::string description;
  std::filesystem::path source;  // the file it came from
  ModelSpec model;
  EngineSpec engine;
  WorkloadSpec workload;
  MeasureSpec measure;
  SloSpec slo;
  QuantSpec quant;
  std::optional<SearchSpec> search;  // absent: a plain run of every variant
  nlohmann::json resolved;        // the full scenario with defaults filled and this sweep point applied
  nlohmann::json sweep_point;     // {"engine.kernels": "naive", ...}; empty object without sweep
};

// The variant a scenario asks for, run on `backend` (the resolved engine.backend).
Variant requested_variant(const EngineSpec& engine, BackendKind backend);

// Reads a scenario file (JSON with // and /* */ comments), validates it strictly and expands its
// sweep into one Scenario per point (cartesian product, in the order the keys appear).
// `overrides` are "path=value" strings (from --set) applied before validation.
// Throws InputError naming the file and JSON path: unknown key (with the nearest valid key),
// wrong type, out-of-range value.
std::vector<Scenario> load_scenario(const std::filesystem::path& file,
                                    const std::vector<std::string>& overrides = {});

// Same, from text already in memory (`origin` names it in errors; relative model paths resolve
// against the folder of `origin`, the current directory when it has none).
std::vector<Scenario> parse_scenario(const std::string& text, const std::string& origin,
                                     const std::vector<std::string>& overrides = {});

}  // namespace rooflm
