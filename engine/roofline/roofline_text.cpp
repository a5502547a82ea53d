// RooflineReport::to_text: the summary `rooflm roofline` prints, and its optional per-op tables.
#include <cstdio>
#include <string>

#include "engine/roofline/memory_model.h"
#include "engine/roofline/roofline_calc.h"

namespace rooflm {
namespace {

template <typename... Args>
std::string format(const char* pattern, Args... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, pattern, args...);
  return buffer;
}

// Binary units: memory is sized in them and "0.5 MiB/token" is the figure people quote.
std::string binary_bytes(double bytes) {
  if (bytes >= double(1LL << 30)) return format("%.2f GiB", bytes / double(1LL << 30));
  if (bytes >= double(1LL << 20)) return format("%.2f MiB", bytes / double(1LL << 20));
  if (bytes >= double(1LL << 10)) return format("%.2f KiB", bytes / double(1LL << 10));
  return format("%.0f B", bytes);
}

std::string milliseconds(double seconds) { return format("%.3f ms", seconds * 1e3); }

std::string step_line(const char* label, const StepCost& step, const char* time_suffix) {
  const std::string bound = std::string(bound_name(step.bound)) + " bound";
  return format("%-8s %10.3f ms%-7s %-14s %8.3f TFLOP %9.3f GB moved   %7.1f FLOP/B\n", label,
                step.seconds * 1e3, time_suffix, bound.c_str(), step.flops / 1e12,
                step.bytes / 1e9, step.arithmetic_intensity());
}

std::string op_table(const char* title, const StepCost& step) {
  std::string text = format("\n%s ops (per step, summed over layers):\n", title);
  text += format("  %-15s %5s %12s %12s %10s %9s  %s\n", "op", "calls", "GFLOP", "MB", "FLOP/B", "us", "bound");
  for (const OpCost& op : step.ops) {
    const double calls = double(op.count.calls);
    text += format("  %-15s %5lld %12.3f %12.3f %10.1f %9.2f  %s\n", op.count.name.c_str(),
                   static_cast<long long>(op.count.calls), op.count.flops() * calls / 1e9,
                   op.count.bytes * calls / 1e6, op.count.arithmetic_intensity(), op.total_seconds() * 1e6,
                   std::string(bound_name(op.bound)).c_str());
  }
  return text;
}

}  // namespace

std::string RooflineReport::to_text(bool per_op) const {
  const GpuSpec& gpu = query.gpu;
  std::string text = format("%s on %s (%s): %s weights, %s KV cache, %s kernels\n", query.model.name.c_str(),
                            gpu.display_name.c_str(), gpu.name.c_str(), std::string(name(query.precision)).c_str(),
                            std::string(dtype_name(query.kv_dtype)).c_str(), std::string(name(query.kernels)).c_str());
  text += format("batch %lld, prompt %lld tokens, output %lld tokens\n", static_cast<long long>(query.batch),
                 static_cast<long long>(query.prompt_tokens), static_cast<long long>(query.output_tokens));
  if (query.tensor_parallel > 1 && gpu.interconnect)
    text += format("tensor parallel %d: every figure below is one GPU's; all-reduces over %s at %.0f GB/s each way, "
                   "%.1f us per ring step\n",
                   int(query.tensor_parallel), gpu.interconnect->kind.c_str(), gpu.interconnect->bandwidth_bytes_per_s / 1e9,
                   gpu.interconnect->latency_s * 1e6);
  const std::string fp8 = gpu.fp8_tensor_flops_per_s
                              ? format("%.1f TFLOP/s fp8 tensor, ", *gpu.fp8_tensor_flops_per_s / 1e12)
                              : std::string();
  text += format("peaks: %.0f GB/s, %.1f TFLOP/s fp16 tensor, %.1f TOP/s int8 tensor, %s%.1f TFLOP/s fp32\n\n",
                 gpu.memory_bandwidth_bytes_per_s / 1e9, gpu.fp16_tensor_flops_per_s / 1e12,
                 gpu.int8_tensor_ops_per_s / 1e12, fp8.c_str(), gpu.fp32_flops_per_s / 1e12);

  text += step_line("prefill", prefill, "");
  if (prefill.interconnect_bound_seconds > 0)
    text += format("         %10.3f ms of it in all-reduces bound by the GPU link\n", prefill.interconnect_bound_seconds * 1e3);
  text += format("         %10.0f prompt tokens/s\n", prefill_tokens_per_s);
  if (decode) {
    text += step_line("decode", *decode, "/token");
    if (decode->interconnect_bound_seconds > 0)
      text += format("         %10.3f ms of it in all-reduces bound by the GPU link\n", decode->interconnect_bound_seconds * 1e3);
    text += format("         %10.1f output tokens/s in decode (step at context %lld tokens)\n", decode_tokens_per_s,
                   static_cast<long long>(decode_context_tokens));
  } else {
    text += "decode   none (a single output token comes from prefill)\n";
  }
  text += format("end to end %s per batch, %.1f output tokens/s\n\n", milliseconds(end_to_end_seconds).c_str(),
                 output_tokens_per_s);

  text += format("weights  %s (%.2f GB)\n", binary_bytes(double(weight_bytes)).c_str(), double(weight_bytes) / 1e9);
  text += format("KV cache %s/token, %s per %lld-token sequence, %s per %lld-token sequence (max_positions)\n",
                 binary_bytes(double(kv_bytes_per_token)).c_str(), binary_bytes(double(kv_bytes_per_sequence)).c_str(),
                 static_cast<long long>(sequence_tokens), binary_bytes(double(kv_bytes_per_max_sequence)).c_str(),
                 static_cast<long long>(query.model.max_positions));
  text += format("largest batch in %s (%.0f%% reserved): %lld sequences of %lld tokens, %lld of %lld tokens\n",
                 binary_bytes(double(gpu.memory_bytes)).c_str(), kMemoryReserveFraction * 100,
                 static_cast<long long>(max_batch), static_cast<long long>(sequence_tokens),
                 static_cast<long long>(max_batch_at_max_positions), static_cast<long long>(query.model.max_positions));
  if (max_batch == 0) text += "not one sequence fits: weights + its KV cache exceed memory less the reserve\n";

  if (per_op) {
    text += op_table("prefill", prefill);
    if (decode) text += op_table("decode", *decode);
  }
  return text;
}

}  // namespace rooflm
