// CpuRanksBackend: the cpu backend at engine.tensor_parallel N > 1. N CpuBackends, one per rank,
// each with its shard of the weights (shard_weights.h) and its own KV pool of its KV heads, run
// every step's program together, one thread per rank, and meet at each all_reduce node
// (CpuAllReduce: the sum over ranks, in rank order). Every rank ends with the same residual stream,
// so each samples the same tokens; rank 0's are the step's. This is the one-recipe proof of
// tensor parallelism: the sharded program gives TP=1's tokens and logits within float rounding
// (tests/unit/cpu_ranks_test.cpp). fp16 (the fp32 reference) only: quantised precisions would
// quantise each shard's weights on their own.
#pragma once

#include <memory>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/cpu_all_reduce.h"
#include "engine/backend/cpu/cpu_backend.h"

namespace rooflm {

class CpuRanksBackend final : public Backend {
 public:
  // `weights`: the whole model's; `n_threads`: the pool of all ranks together (0: the machine's).
  // InputError naming engine.tensor_parallel for a model N cannot shard, or engine.precision for a
  // quantised precision.
  CpuRanksBackend(const ModelConfig& config, const ModelWeights& weights, const Variant& requested, int n_threads);

  Variant effective_variant() const override { return ranks_[0]->effective_variant(); }
  const StepProgram& program() const override { return ranks_[0]->program(); }
  KvStorage allocate_kv(const KvGeometry& geom) override;
  std::optional<int64_t> kv_memory_budget_bytes() const override { return std::nullopt; }
  void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) override;
  StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) override;
  std::vector<std::string> kernel_names() const override { return ranks_[0]->kernel_names(); }
  nlohmann::json device_info() const override;

  int32_t ranks() const { return int32_t(ranks_.size()); }

 private:
  std::shared_ptr<CpuAllReduce> all_reduce_;
  std::vector<std::unique_ptr<CpuBackend>> ranks_;
  std::vector<KvStorage> storage_;  // each rank's KV pool
};

}  // namespace rooflm
