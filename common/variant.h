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
enum class Launch { eager, graph };
enum class BatchingPolicy { static_batches, continuous };

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
inline constexpr std::array<EnumName<Launch>, 2> kLaunchNames{{{Launch::eager, "eager"}, {Launch::graph, "graph"}}};
inline constexpr std::array<EnumName<BatchingPolicy>, 2> kBatchingPolicyNames{
    {{BatchingPolicy::static_batches, "static"}, {BatchingPolicy::continuous, "continuous"}}};
inline constexpr std::array<EnumName<KvLayout>, 2> kKvLayoutNames{
    {{KvLayout::contiguous, "contiguous"}, {KvLayout::paged, "paged"}}};
// KV-cache element types a scenario may ask for (the cpu backend stores fp32 whatever is asked).
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
inline std::string_view name(Launch v) { return enum_name(kLaunchNames, v); }
inline std::string_view name(BatchingPolicy v) { return enum_name(kBatchingPolicyNames, v); }
inline std::string_view name(KvLayout v) { return enum_name(kKvLayoutNames, v); }

struct Variant {
  BackendKind backend = BackendKind::cpu;
  KernelSet kernels = KernelSet::fused;
  Precision precision = Precision::fp16;
  KvLayout kv_layout = KvLayout::contiguous;
  DType kv_dtype = DType::f16;
  Launch launch = Launch::eager;
  int32_t tensor_parallel = 1;  // GPUs one model is sharded over (Megatron); 1 until TP exists

  bool operator==(const Variant&) const = default;
  // {"backend", "kernels", "precision", "kv_cache", "kv_dtype", "launch", "tensor_parallel"}
  nlohmann::json to_json() const;
};

}  // namespace rooflm
