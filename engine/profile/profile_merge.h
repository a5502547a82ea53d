// The ncu profile folded back into a run of results.json (`rooflm profile`): the profiled launches
// (ncu_csv.h) attributed to the recipe's ops, per (op, kernel) and per op, with ncu's DRAM bytes per
// op call beside the cost model's (run.capture_window.model_ops, written by run_variant for the
// window's steps) and their ratio; an op whose modelled bytes are off by more than 10% is flagged.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/profile/ncu_csv.h"

namespace rooflm {

// The fixed metric set `rooflm profile --tool ncu` collects (ncu --metrics), in base units.
const std::vector<std::string>& ncu_profile_metrics();

// The op of a launch from its name in the export with `--print-nvtx-rename kernel`: ncu writes
// "<innermost push/pop range>/<kernel>" ("qkv_proj/void rooflm::...gemv..."), and the kernel's own
// name where no range encloses it ("" then). A "domain@" prefix, where ncu adds one, is dropped.
std::string op_of_nvtx_renamed(const std::string& renamed);

constexpr double kModelBytesTolerance = 0.10;  // |measured / modelled - 1| above this is flagged

// `launches`: the profiled kernels; `op_of_launch`: launch ID -> op name (from the NVTX-renamed
// export; a launch without one is attributed to op ""); `model_ops`: [{"op", "bytes_per_call",
// "flops_per_call", "calls_per_step"}]. An op with model FLOPs is also a roofline point
// ("arithmetic_intensity": model FLOPs / ncu bytes, "achieved_flops_per_s": model FLOPs / ncu time). Returns run.profile's "kernels" and "ops" tables (the caller adds where the
// files are).
nlohmann::json merge_ncu_profile(const std::vector<NcuLaunch>& launches, const std::map<int64_t, std::string>& op_of_launch,
                                 const nlohmann::json& model_ops);

}  // namespace rooflm
