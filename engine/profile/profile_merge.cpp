// Folding ncu's launches into per-op rows beside the cost model (profile_merge.h).
#include "engine/profile/profile_merge.h"

#include <cmath>

namespace rooflm {
namespace {

constexpr const char* kTime = "gpu__time_duration.sum";
constexpr const char* kRead = "dram__bytes_read.sum";
constexpr const char* kWrite = "dram__bytes_write.sum";

// Mean of `metric` over `launches` (null when none of them has it).
nlohmann::json mean_of(const std::vector<const NcuLaunch*>& launches, const std::string& metric) {
  double sum = 0;
  int64_t n = 0;
  for (const NcuLaunch* l : launches)
    if (const auto it = l->metrics.find(metric); it != l->metrics.end()) {
      sum += it->second;
      ++n;
    }
  return n > 0 ? nlohmann::json(sum / double(n)) : nlohmann::json(nullptr);
}

double number_or_zero(const nlohmann::json& v) { return v.is_number() ? v.get<double>() : 0.0; }

}  // namespace

std::string op_of_nvtx_renamed(const std::string& renamed) {
  const size_t slash = renamed.find('/');
  if (slash == std::string::npos) return "";
  const std::string range = renamed.substr(0, slash);
  const size_t at = range.rfind('@');
  return at == std::string::npos ? range : range.substr(at + 1);
}

const std::vector<std::string>& ncu_profile_metrics() {
  static const std::vector<std::string> metrics = {
      kTime,
      kRead,
      kWrite,
      "sm__throughput.avg.pct_of_peak_sustained_elapsed",
      "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed",
      "sm__warps_active.avg.pct_of_peak_sustained_active",
      "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_active",
      "lts__t_sector_hit_rate.pct",
  };
  return metrics;
}

nlohmann::json merge_ncu_profile(const std::vector<NcuLaunch>& launches, const std::map<int64_t, std::string>& op_of_launch,
                                 const nlohmann::json& model_ops) {
  // (op, kernel) -> launches, in first-seen order
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<const NcuLaunch*>> groups;
  for (const NcuLaunch& l : launches) {
    const auto op_it = op_of_launch.find(l.id);
    const std::pair<std::string, std::string> key{op_it == op_of_launch.end() ? "" : op_it->second, l.kernel};
    auto [it, fresh] = groups.try_emplace(key);
    if (fresh) order.push_back(key);
    it->second.push_back(&l);
  }
  nlohmann::json kernels = nlohmann::json::array();
  std::vector<std::string> op_order;
  std::map<std::string, double> measured_bytes, measured_ns;
  std::map<std::string, int64_t> profiled;
  for (const auto& key : order) {
    const std::vector<const NcuLaunch*>& g = groups.at(key);
    nlohmann::json row = {{"op", key.first}, {"kernel", key.second}, {"launches", int64_t(g.size())}};
    const nlohmann::json read = mean_of(g, kRead), write = mean_of(g, kWrite), ns = mean_of(g, kTime);
    row["duration_us"] = ns.is_number() ? nlohmann::json(ns.get<double>() / 1e3) : nlohmann::json(nullptr);
    row["dram_read_bytes"] = read;
    row["dram_write_bytes"] = write;
    row["dram_bytes"] = read.is_number() || write.is_number() ? nlohmann::json(number_or_zero(read) + number_or_zero(write))
                                                              : nlohmann::json(nullptr);
    row["dram_gb_s"] = ns.is_number() && ns.get<double>() > 0 && row["dram_bytes"].is_number()
                           ? nlohmann::json(row["dram_bytes"].get<double>() / ns.get<double>())
                           : nlohmann::json(nullptr);
    row["sm_throughput_pct"] = mean_of(g, "sm__throughput.avg.pct_of_peak_sustained_elapsed");
    row["memory_throughput_pct"] = mean_of(g, "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed");
    row["achieved_occupancy_pct"] = mean_of(g, "sm__warps_active.avg.pct_of_peak_sustained_active");
    row["tensor_pipe_pct"] = mean_of(g, "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_active");
    row["l2_hit_rate_pct"] = mean_of(g, "lts__t_sector_hit_rate.pct");
    kernels.push_back(row);
    // An op call launches each of its kernels once: its bytes per call are the sum of its kernels' means.
    if (!profiled.count(key.first)) op_order.push_back(key.first);
    measured_bytes[key.first] += number_or_zero(row["dram_bytes"]);
    measured_ns[key.first] += number_or_zero(ns);
    profiled[key.first] += int64_t(g.size());
  }
  std::map<std::string, const nlohmann::json*> model_of;
  if (model_ops.is_array())
    for (const nlohmann::json& m : model_ops) model_of[m.value("op", "")] = &m;
  nlohmann::json ops = nlohmann::json::array();
  int64_t flagged = 0;
  for (const std::string& op : op_order) {
    nlohmann::json row = {{"op", op},
                          {"launches", profiled[op]},
                          {"duration_us", measured_ns[op] / 1e3},
                          {"measured_bytes_per_call", measured_bytes[op]},
                          {"model_bytes_per_call", nullptr},
                          {"measured_over_model", nullptr},
                          {"model_off", nullptr}};
    if (const auto it = model_of.find(op); it != model_of.end() && (*it->second)["bytes_per_call"].is_number()) {
      const double model = (*it->second)["bytes_per_call"].get<double>();
      // A roofline point of the hardware's bytes and time with the model's FLOPs.
      const double flops = it->second->value("flops_per_call", 0.0);
      if (flops > 0 && measured_bytes[op] > 0 && measured_ns[op] > 0) {
        row["arithmetic_intensity"] = flops / measured_bytes[op];
        row["achieved_flops_per_s"] = flops / (measured_ns[op] * 1e-9);
      }
      row["model_bytes_per_call"] = model;
      if (model > 0) {
        const double ratio = measured_bytes[op] / model;
        row["measured_over_model"] = ratio;
        row["model_off"] = std::fabs(ratio - 1) > kModelBytesTolerance;
        flagged += std::fabs(ratio - 1) > kModelBytesTolerance;
      }
    }
    ops.push_back(row);
  }
  return {{"kernels", kernels},
          {"ops", ops},
          {"tolerance", kModelBytesTolerance},
          {"ops_off_model", flagged},
          {"launches", int64_t(launches.size())}};
}

}  // namespace rooflm
