// Upper bounds of a scenario's sizes. Each is the "maximum" of its key in
// scenarios/scenario.schema.json (tests/unit/scenario_files_test.cpp keeps the two in step) and is
// named with the key in the error a larger value gets. They keep a valid scenario from exhausting
// memory or time before its first step (the workload is built up front; a wait or an arrival is
// real time on the cpu and cuda backends); what the model and the memory can hold (max_positions,
// KV pool bytes, weight bytes) is checked against the model when the variant runs.
#pragma once

#include <cstdint>

#include "engine/model/model_config.h"

namespace rooflm {

inline constexpr size_t kMaxNameLength = 100;                // "name" (also: [A-Za-z0-9_][A-Za-z0-9._-]*)
inline constexpr int64_t kMaxRequests = 1'000'000;           // workload.requests; also requests x n x repetitions
inline constexpr int64_t kMaxSamplesPerRequest = 256;        // workload.n
inline constexpr int64_t kMaxRepetitions = 1'000;            // measure.repetitions
inline constexpr int64_t kMaxTokenLength = kMaxModelPositions;  // every length: prompt, output, prefix, max_seq_len
inline constexpr int64_t kMaxWorkloadTokens = int64_t(1) << 28;  // prompt tokens one workload holds (1 GiB of ids)
inline constexpr int64_t kMaxBatch = 65'536;                 // engine.batching.max_batch
inline constexpr int64_t kMaxBatchedTokens = int64_t(1) << 24;  // engine.batching.max_batched_tokens
inline constexpr double kMaxWaitMs = 60'000;                 // engine.batching.max_wait_ms (one minute)
inline constexpr int64_t kMaxThreads = 1'024;                // engine.threads
inline constexpr int64_t kMaxTensorParallel = 8;               // engine.tensor_parallel (GPUs of one NVLink / NVSwitch node)
inline constexpr int64_t kMaxKvMemoryBytes = int64_t(1) << 50;  // engine.kv_cache.memory_bytes (1 PiB)
inline constexpr double kMaxArrivalSeconds = 86'400;         // any arrival: trace lines, rate-driven schedules (a day)
inline constexpr double kMaxTemperature = 1'000;               // workload.sampling.temperature
inline constexpr double kMinGammaCv = 0.01;                  // workload.arrival.cv
inline constexpr double kMaxGammaCv = 100;
inline constexpr double kMinBurstiness = 1e-4;              // workload.arrival.burstiness (cv = 1/sqrt(b): the same range)
inline constexpr double kMaxBurstiness = 1e4;
inline constexpr double kMinTraceSpeedup = 1e-3;            // workload.arrival.speedup
inline constexpr double kMaxTraceSpeedup = 1e3;
inline constexpr int64_t kMaxAccuracySequences = 1'024;    // measure.accuracy.sequences
inline constexpr int64_t kMaxCalibrationSequences = 1'024; // quant.calibration.sequences
// (model.synthetic_outliers bounds: kMaxOutlierChannels, k{Min,Max}OutlierScale in engine/model/weights.h)

}  // namespace rooflm
