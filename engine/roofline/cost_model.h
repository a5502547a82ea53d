// Cost model: FLOPs and minimum HBM bytes of every op one engine step launches, for a BatchPlan
// (any mix of prefill chunks and decode tokens) and the step program the model family's recipe
// wrote for the variant (engine/model/step_program.h: the ops, their shapes and dtypes, the kernel
// set's choices); and the roofline time of each op on a GPU. It counts the program's nodes, so its
// op list is the one the backends execute, by construction.
//
// Counting rules (what a performance engineer would write on the whiteboard):
//   * bytes are the minimum an op must move: each input read once, each output written once;
//     weights are read once per step whatever the batch (the step is one GEMM over all its rows).
//   * T = tokens in the plan, S = chunks that sample (one LM-head row each: a mid-prompt chunk
//     computes no logits). A chunk at positions [s, e) attends causally: query p sees keys [0, p],
//     so it has (e(e+1) - s(s+1)) / 2 (query, key) pairs and reads KV of all e context tokens.
//   * tensor FLOPs (GEMMs, QK^T, PV) run at the tensor peak: linear layers at the precision's peak,
//     attention and the LM head at fp16. Vector FLOPs (element-wise work on CUDA cores) run at the
//     fp32 peak: RMSNorm 4/element (square, sum, scale by 1/rms, scale by weight), RoPE 3 per q/k
//     element (4 mul + 2 add per rotated pair; sin/cos computed in-kernel), softmax 5/score (max,
//     subtract, exp, sum, divide), SiLU 4/element, mul and residual add 1/element.
//   * attention bytes = q, k, v of the new tokens + new KV written to the cache + KV read back for
//     every context token (new ones included, as paged engines write then read) + O written; a
//     quantised KV cache (int8 / fp8) moves 1-byte codes plus one fp32 scale per (token, kv head)
//     for K and for V (KvGeometry::bytes_per_token_layer, the pool's own count). The
//     naive set materialises S = QK^T and P = softmax(S) in fp32: S written, read, P written, read,
//     each [n_heads, T, e] per chunk (the dense rectangle a GEMM writes; masked entries included).
//     FLOPs count the causal pairs only: the useful work MFU credits. Split-K partials of
//     flash-decoding and the KV of other heads' groups (GQA reads each KV head once) add nothing.
//   * a sliding window of W keys: query p sees keys [max(0, p - W + 1), p], and a chunk reads the KV
//     of positions [max(0, start - W + 1), end); the naive rectangle still spans all `end` keys.
//   * a fused add + RMSNorm reads the residual and the branch, writes the new residual (unless it is
//     dead, after the last layer) and the normed row. A bias adds its fp16 vector to the bytes.
//   * a node that repeats per layer with the same counts is one row with calls = its repetitions.
//   * every norm runs on all T rows; only the LM head is cut to the S sampling rows. Logits are
//     written in fp32 (what the sampler reads).
//   * tensor parallelism (N ranks): every count is one rank's (the program's shard: n_heads / N
//     heads, ffn / N columns, its KV heads), so MBU and MFU are per GPU. An all_reduce of the fp16
//     branch [T, hidden] (P bytes) takes the faster of the two algorithms engines pick by size: a
//     ring (NCCL's, bandwidth-optimal: each rank sends 2 (N - 1) / N P over its link in 2 (N - 1)
//     steps) and a one-shot (TensorRT-LLM's / vLLM's custom all-reduce for small buffers: each
//     rank reads the N - 1 peer buffers, (N - 1) P over its link, in one step); every step pays the
//     spec's link latency, bytes go at its one-direction bandwidth. It reads and writes the local
//     buffer once (HBM bytes) and sums (N - 1) / N of the elements.
//   * quantised linears (precision.h) read their weight's scales (fp16 per channel or per group of
//     inputs, fp32 for fp8, one per tensor) and their input's fp32 scales (one per token, or the
//     one static scale); the op producing a quantised GEMM input writes its per-token scales (or
//     reads the static one). Tensor FLOPs run at the int8 / fp8 peak for w8a8 / fp8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/batch_plan.h"
#include "engine/model/step_program.h"
#include "engine/roofline/gpu_spec.h"

namespace rooflm {

// One op of a step (a StepProgram node), per call. A per-layer op is launched `calls` = n_layers
// times per step.
struct OpCount {
  std::string name;                       // "q_proj", "attention", "add_mlp_norm", ...
  int64_t calls = 1;
  double tensor_flops = 0;                // per call
  TensorMath tensor_math = TensorMath::fp16;
  double vector_flops = 0;                // per call
  double bytes = 0;                       // per call
  // all_reduce (tensor parallelism): the buffer summed over `all_reduce_ranks` GPUs, per call
  double all_reduce_bytes = 0;
  int32_t all_reduce_ranks = 0;

  double flops() const { return tensor_flops + vector_flops; }
  // FLOPs per byte moved.
  double arithmetic_intensity() const { return bytes > 0 ? flops() / bytes : 0; }
};

enum class Bound { compute, memory, interconnect };
std::string_view bound_name(Bound bound);  // "compute" | "memory" | "interconnect"

// Every op of one step, in first-launch order (repetitions merged into `calls`). Throws InputError
// for an empty plan or a chunk with no tokens or a negative start position.
std::vector<OpCount> count_step_ops(const BatchPlan& plan, const StepProgram& program);

struct OpCost {
  OpCount count;
  double compute_seconds = 0;  // per call: tensor FLOPs / tensor peak + vector FLOPs / fp32 peak
  double memory_seconds = 0;   // per call: bytes / peak bandwidth
  double link_seconds = 0;     // per call, all_reduce: link bytes / link bandwidth + steps x link latency
  double link_bytes = 0;       // per call, all_reduce: what crosses this GPU's link in the chosen algorithm
  const char* all_reduce_algorithm = "";  // "ring" | "one_shot" (all_reduce only)
  double seconds = 0;          // per call: max of the three
  Bound bound = Bound::memory;

  double total_seconds() const { return seconds * double(count.calls); }
  nlohmann::json to_json() const;  // totals over calls, plus per-call seconds
};

struct StepCost {
  std::vector<OpCost> ops;
  double flops = 0;            // summed over ops and calls
  double bytes = 0;
  double seconds = 0;          // sum of op times (kernels run one after another)
  // The bound of the ops that hold most of the step's time.
  Bound bound = Bound::memory;
  double compute_bound_seconds = 0;  // time in compute-bound ops
  double memory_bound_seconds = 0;   // time in memory-bound ops
  double interconnect_bound_seconds = 0;  // time in all-reduces bound by the GPU link

  double arithmetic_intensity() const { return bytes > 0 ? flops / bytes : 0; }
  nlohmann::json to_json() const;
};

// The dense tensor-core peak of `gpu` for `math`. Throws InputError naming the GPU for fp8 on a
// spec without an fp8 peak (before Hopper / Ada).
double tensor_peak_flops_per_s(const GpuSpec& gpu, TensorMath math);

// Roofline time of each op on `gpu`: max(FLOPs / peak, bytes / bandwidth, link time). Throws
// InputError when an op needs a tensor peak the GPU lacks (fp8), or an all-reduce runs on a GPU
// whose spec has no interconnect.
StepCost time_step(const std::vector<OpCount>& ops, const GpuSpec& gpu);

// count_step_ops then time_step.
StepCost step_cost(const BatchPlan& plan, const StepProgram& program, const GpuSpec& gpu);

}  // namespace rooflm
