// Variant: one point of the engine's variant axes, as typed values. The scenario reader (and the
// CLI for its own options) turns the strings of a scenario into these enums once; everything below
// it passes them on and never compares axis strings. Backends report what they actually run as a
// Variant too (Backend::effective_variant()), which is what results.json records.
//
// Each enum has one name table (kKernelSetNames, ...): the spelling in scenarios and results, used
// to parse (parse_enum) and to print (name()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/dtype.h"
#include "common/kv_view.h"

namespace rooflm {

enum class BackendKind { cpu, cuda, sim };
// naive: one kernel per primitive, attention materialises S; fused: fused GEMMs, norms, RoPE in the
// attention prologue, flash attention (DESIGN.md, "The variant axes").
enum class KernelSet { naive, fused };
// Linear-layer precision: fp16; int8 = W8A16 weight-only; w8a8 = SmoothQuant; fp8 = E4M3 W8A8;
// fp32 = the CPU reference (fp32 arithmetic on fp16-rounded weights).
enum class Precision { fp16, int8, w8a8, fp8, fp32 };
// Scales of quantised linear weights (engine.weight_scales): one per output channel, one per
// (output channel, group of engine.weight_group_size inputs), or one per weight tensor.
enum class WeightScales { channel, group, tensor };
// Scales of quantised GEMM inputs (w8a8, fp8; engine.activation_scales): dynamic = one per token,
// computed at run time from the row; static = one per tensor, fixed by a calibration run.
enum class ActivationScales { dynamic, static_calibrated };
enum class Launch { eager, graph };
enum class BatchingPolicy { static_batches, continuous };

// The largest engine.weight_group_size (inputs per weight scale with WeightScales::group).
inline constexpr int32_t kMaxWeightGroupSize = 1 << 16;

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

inline constexpr std::array<EnumName<BackendKind>, 3> kBackendKindNames{
    {{BackendKind::cpu, "cpu"}, {BackendKind::cuda, "cuda"}, {BackendKind::sim, "sim"}}};
inline constexpr std::array<EnumName<KernelSet>, 2> kKernelSetNames{
    {{KernelSet::naive, "naive"}, {KernelSet::fused, "fused"}}};
inline constexpr std::array<EnumName<Precision>, 5> kPrecisionNames{{{Precision::fp16, "fp16"},
                                                                     {Precision::int8, "int8"},
                                                                     {Precision::w8a8, "w8a8"},
                                                                     {Precision::fp8, "fp8"},
                                                                     {Precision::fp32, "fp32"}}};
inline constexpr std::array<EnumName<WeightScales>, 3> kWeightScalesNames{
    {{WeightScales::channel, "channel"}, {WeightScales::group, "group"}, {WeightScales::tensor, "tensor"}}};
inline constexpr std::array<EnumName<ActivationScales>, 2> kActivationScalesNames{
    {{ActivationScales::dynamic, "dynamic"}, {ActivationScales::static_calibrated, "static"}}};
inline constexpr std::array<EnumName<Launch>, 2> kLaunchNames{{{Launch::eager, "eager"}, {Launch::graph, "graph"}}};
inline constexpr std::array<EnumName<BatchingPolicy>, 2> kBatchingPolicyNames{
    {{BatchingPolicy::static_batches, "static"}, {BatchingPolicy::continuous, "continuous"}}};
inline constexpr std::array<EnumName<KvLayout>, 2> kKvLayoutNames{
    {{KvLayout::contiguous, "contiguous"}, {KvLayout::paged, "paged"}}};
// KV-cache element types a scenario may ask for (the cpu backend stores fp16 as fp32 and runs
// int8 / fp8 codes with their scales as asked).
inline constexpr std::array<EnumName<DType>, 3> kKvDtypeNames{
    {{DType::f16, "fp16"}, {DType::i8, "int8"}, {DType::f8e4m3, "fp8"}}};

template <class E, size_t N>
constexpr std::string_view enum_name(const std::array<EnumName<E>, N>& table, E value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

// The value spelled `text` in `table`, or nullopt.
template <class E, size_t N>
constexpr std::optional<E> parse_enum(const std::array<EnumName<E>, N>& table, std::string_view text) {
  for (const auto& entry : table)
    if (entry.name == text) return entry.value;
  return std::nullopt;
}

// Every spelling of `table`, in order (for "must be one of ..." messages).
template <class E, size_t N>
std::vector<std::string> enum_names(const std::array<EnumName<E>, N>& table) {
  std::vector<std::string> out;
  for (const auto& entry : table) out.emplace_back(entry.name);
  return out;
}

inline std::string_view name(BackendKind v) { return enum_name(kBackendKindNames, v); }
inline std::string_view name(KernelSet v) { return enum_name(kKernelSetNames, v); }
inline std::string_view name(Precision v) { return enum_name(kPrecisionNames, v); }
inline std::string_view name(WeightScales v) { return enum_name(kWeightScalesNames, v); }
inline std::string_view name(ActivationScales v) { return enum_name(kActivationScalesNames, v); }
inline std::string_view name(Launch v) { return enum_name(kLaunchNames, v); }
inline std::string_view name(BatchingPolicy v) { return enum_name(kBatchingPolicyNames, v); }
inline std::string_view name(KvLayout v) { return enum_name(kKvLayoutNames, v); }

struct Variant {
  BackendKind backend = BackendKind::cpu;
  KernelSet kernels = KernelSet::fused;
  Precision precision = Precision::fp16;
  // How a quantised precision scales its weights and (w8a8, fp8) its GEMM inputs; other precisions
  // ignore them.
  WeightScales weight_scales = WeightScales::channel;
  int32_t weight_group_size = 128;  // inputs per scale with WeightScales::group
  ActivationScales activation_scales = ActivationScales::dynamic;
  KvLayout kv_layout = KvLayout::contiguous;
  DType kv_dtype = DType::f16;
  Launch launch = Launch::eager;
  int32_t tensor_parallel = 1;  // GPUs one model is sharded over (Megatron); 1 until TP exists

  bool operator==(const Variant&) const = default;
  // Whether the precision quantises the linear weights (int8, w8a8, fp8) / the GEMM inputs (w8a8, fp8).
  bool quantised_weights() const;
  bool quantised_activations() const;
  // {"backend", "kernels", "precision", "kv_cache", "kv_dtype", "launch", "tensor_parallel"}, and
  // with quantised weights "weight_scales" (+ "weight_group_size" for group), with quantised
  // activations "activation_scales".
  nlohmann::json to_json() const;
};

}  // namespace rooflm
