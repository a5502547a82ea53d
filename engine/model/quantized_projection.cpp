// Reading one pre-quantised layer projection: codes, scales and their checks (quantized_projection.h).
#include "engine/model/quantized_projection.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "common/error.h"

namespace rooflm {
namespace {

std::string where(const SafetensorsCheckpoint& checkpoint, const std::string& name) {
  return checkpoint.file_of(name).path().string() + ": tensor " + name;
}

std::string dtype_text(SafetensorsDtype dtype) { return std::string(safetensors_dtype_name(dtype)); }

// The quantised layouts of other tools: each is named rather than misread.
void refuse_other_layouts(const SafetensorsCheckpoint& checkpoint, const std::string& prefix) {
  struct Foreign {
    const char* suffix;
    const char* what;
  };
  static const Foreign kForeign[] = {
      {".qweight",
       "a GPTQ / AWQ packed weight (qweight, qzeros, scales, g_idx), which is not accepted: use a compressed-tensors "
       "int-quantized checkpoint (weight I8 + weight_scale), e.g. from llm-compressor"},
      {".weight_packed",
       "a compressed-tensors pack-quantized weight (codes packed into int32), which is not accepted: only "
       "int-quantized / float-quantized (one I8 or F8_E4M3 code per weight)"},
      {".weight_scale_inv",
       "a block-scaled FP8 weight scale, which is not accepted: only weight_scale per tensor, per output channel or "
       "per group of inputs"},
      {".weight_g_idx",
       "an activation-reordering group index, which is not accepted: groups are consecutive inputs"},
  };
  for (const Foreign& foreign : kForeign) {
    const std::string name = prefix + foreign.suffix;
    if (checkpoint.has(name)) throw InputError(where(checkpoint, name) + " is " + foreign.what);
  }
}

bool is_quantized_dtype(SafetensorsDtype dtype) {
  return dtype == SafetensorsDtype::I8 || dtype == SafetensorsDtype::F8_E4M3 || dtype == SafetensorsDtype::F8_E5M2;
}

// The grain (and group size) that `scale_shape` gives a [rows, cols] weight; nullopt when none.
std::optional<std::pair<ref::WeightScaleGrain, int64_t>> scale_grain(const std::vector<int64_t>& scale_shape,
                                                                      int64_t rows, int64_t cols) {
  using G = ref::WeightScaleGrain;
  if (scale_shape.empty() || scale_shape == std::vector<int64_t>{1}) return std::pair{G::tensor, int64_t(0)};
  if (scale_shape == std::vector<int64_t>{rows} || scale_shape == std::vector<int64_t>{rows, 1})
    return std::pair{G::channel, int64_t(0)};
  if (scale_shape.size() == 2 && scale_shape[0] == rows && scale_shape[1] > 1 && cols % scale_shape[1] == 0)
    return std::pair{G::group, cols / scale_shape[1]};
  return std::nullopt;
}

void check_zero_point(const SafetensorsCheckpoint& checkpoint, const std::string& name) {
  if (!checkpoint.has(name)) return;
  const SafetensorsTensorInfo& info = checkpoint.info(name);
  const bool all_zero =
      std::all_of(info.bytes, info.bytes + info.nbytes, [](std::byte b) { return b == std::byte{0}; });
  if (!all_zero)
    throw InputError(where(checkpoint, name) +
                     " holds non-zero zero points: asymmetric weights are not accepted (symmetric codes only)");
}

}  // namespace

bool is_quantized_projection(const SafetensorsCheckpoint& checkpoint, const std::string& prefix) {
  refuse_other_layouts(checkpoint, prefix);
  if (checkpoint.has(prefix + ".weight_scale")) return true;
  const std::string weight = prefix + ".weight";
  return checkpoint.has(weight) && is_quantized_dtype(checkpoint.info(weight).dtype);
}

ref::QuantizedWeight read_quantized_projection(const SafetensorsCheckpoint& checkpoint, const std::string& prefix,
                                               int64_t rows, int64_t cols, const std::string& origin) {
  refuse_other_layouts(checkpoint, prefix);
  const std::string weight_name = prefix + ".weight", scale_name = prefix + ".weight_scale";
  const std::vector<int64_t> shape = {rows, cols};
  if (!checkpoint.has(weight_name))
    throw InputError(checkpoint.source().string() + ": tensor " + weight_name + " is missing (expected shape " +
                     safetensors_shape_text(shape) + " for " + origin + ")");
  const SafetensorsTensorInfo& weight = checkpoint.info(weight_name);
  ref::QuantizedWeight q;
  if (weight.dtype == SafetensorsDtype::I8) {
    q.dtype = DType::i8;
  } else if (weight.dtype == SafetensorsDtype::F8_E4M3) {
    q.dtype = DType::f8e4m3;
  } else {
    throw InputError(where(checkpoint, weight_name) + " has dtype " + dtype_text(weight.dtype) +
                     (checkpoint.has(scale_name) ? " beside its weight_scale" : "") +
                     ": a pre-quantised weight must be I8 or F8_E4M3");
  }
  if (weight.shape != shape)
    throw InputError(where(checkpoint, weight_name) + " has shape " + safetensors_shape_text(weight.shape) +
                     ", expected " + safetensors_shape_text(shape) + " for " + origin);
  if (!checkpoint.has(scale_name))
    throw InputError(checkpoint.file_of(weight_name).path().string() + ": tensor " + scale_name + " is missing: " +
                     weight_name + " is " + dtype_text(weight.dtype) + " and needs its scales (" +
                     safetensors_shape_text({rows, 1}) + " per output channel, [1] per tensor, or [" +
                     std::to_string(rows) + ", " + std::to_string(cols) + " / group_size] per group)");

  const SafetensorsTensorInfo& scale = checkpoint.info(scale_name);
  const std::string scale_where = where(checkpoint, scale_name);
  const auto grain = scale_grain(scale.shape, rows, cols);
  if (!grain)
    throw InputError(scale_where + " has shape " + safetensors_shape_text(scale.shape) +
                     ", which fits no scale layout of " + weight_name + " " + safetensors_shape_text(shape) + ": [] or [1] (per tensor), [" +
                     std::to_string(rows) + "] or [" + std::to_string(rows) + ", 1] (per output channel), [" +
                     std::to_string(rows) + ", " + std::to_string(cols) + " / group_size] (per group)");
  q.grain = grain->first;
  q.group_size = grain->second;
  if (q.grain == ref::WeightScaleGrain::group && q.dtype != DType::i8)
    throw InputError(scale_where + " has shape " + safetensors_shape_text(scale.shape) + ": group scales (group size " +
                     std::to_string(q.group_size) + ") are for I8 weights only, but " + weight_name + " is " +
                     dtype_text(weight.dtype));
  q.scales.resize(size_t(scale.numel()));
  if (!safetensors_decode_floats(scale, q.scales.data()))
    throw InputError(scale_where + " has dtype " + dtype_text(scale.dtype) + "; expected F16, BF16 or F32");
  for (size_t i = 0; i < q.scales.size(); ++i) {
    if (std::isfinite(q.scales[i]) && q.scales[i] >= 0) continue;
    std::ostringstream message;
    message << scale_where << " element " << i << " = " << q.scales[i]
            << " is not a scale (every scale must be finite and >= 0)";
    throw InputError(message.str());
  }

  q.rows = rows;
  q.cols = cols;
  q.codes.resize(size_t(rows * cols));
  if (!q.codes.empty()) std::memcpy(q.codes.data(), weight.bytes, q.codes.size());
  for (size_t i = 0; i < q.codes.size(); ++i) {
    const uint8_t code = q.codes[i];
    const bool bad = q.dtype == DType::i8 ? code == 0x80 : (code & 0x7F) == 0x7F;
    if (!bad) continue;
    throw InputError(where(checkpoint, weight_name) + " element [" + std::to_string(int64_t(i) / cols) + ", " +
                     std::to_string(int64_t(i) % cols) + "] is " +
                     (q.dtype == DType::i8 ? "-128: int8 codes are symmetric (-127..127)" : "an e4m3 NaN code"));
  }
  check_zero_point(checkpoint, prefix + ".weight_zero_point");
  return q;
}

}  // namespace rooflm
