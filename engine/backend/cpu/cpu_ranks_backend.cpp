// CpuRanksBackend: N CpuBackends over their weight shards, one thread each per step.
#include "engine/backend/cpu/cpu_ranks_backend.h"

#include <algorithm>
#include <exception>
#include <thread>

#include "common/error.h"
#include "engine/model/shard_weights.h"

namespace rooflm {

CpuRanksBackend::CpuRanksBackend(const ModelConfig& config, const ModelWeights& weights, const Variant& requested,
                                 int n_threads) {
  const int32_t n = requested.tensor_parallel;
  ROOFLM_CHECK(n > 1, "CpuRanksBackend is for tensor_parallel > 1");
  if (requested.quantised_weights())
    throw InputError("engine.tensor_parallel = " + std::to_string(n) + " with engine.precision \"" +
                     std::string(rooflm::name(requested.precision)) +
                     "\": the cpu backend's ranks run fp16 (the fp32 reference) only so far (a quantised precision "
                     "would quantise each shard on its own)");
  const unsigned machine = std::max(1u, std::thread::hardware_concurrency());
  const int per_rank = std::max(1, (n_threads > 0 ? n_threads : int(machine)) / n);
  all_reduce_ = std::make_shared<CpuAllReduce>(n);
  for (int32_t r = 0; r < n; ++r)
    ranks_.push_back(std::make_unique<CpuBackend>(config, shard_weights(weights, config, n, r), requested, per_rank,
                                                  StaticActivationScales{}, std::vector<QuantizedLayer>{},
                                                  CpuRankLink{all_reduce_, r}));
}

KvStorage CpuRanksBackend::allocate_kv(const KvGeometry& geom) {
  storage_.clear();
  for (auto& rank : ranks_) storage_.push_back(rank->allocate_kv(geom));
  return storage_[0];
}

void CpuRanksBackend::copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) {
  for (auto& rank : ranks_) rank->copy_kv_blocks(geom, copies);
}

StepOutput CpuRanksBackend::forward(const BatchPlan& plan, const KvView& kv, bool want_logits) {
  ROOFLM_CHECK(storage_.size() == ranks_.size(), "allocate_kv before forward");
  ranks_[0]->set_op_observer(observer_);
  std::vector<StepOutput> outputs(ranks_.size());
  // A rank's own error; the ranks it stopped only see RanksAborted, which is not worth reporting.
  std::vector<std::exception_ptr> errors(ranks_.size());
  std::vector<std::thread> threads;
  for (size_t r = 0; r < ranks_.size(); ++r)
    threads.emplace_back([&, r] {
      try {
        KvView view = kv;
        view.storage = storage_[r];
        outputs[r] = ranks_[r]->forward(plan, view, want_logits && r == 0);
      } catch (const RanksAborted&) {
        all_reduce_->abandon();
      } catch (...) {
        errors[r] = std::current_exception();
        all_reduce_->abandon();
      }
    });
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  for (size_t r = 1; r < ranks_.size(); ++r)
    ROOFLM_CHECK(outputs[r].next_tokens == outputs[0].next_tokens,
                 "tensor-parallel rank " + std::to_string(r) + " sampled other tokens than rank 0");
  return std::move(outputs[0]);
}

nlohmann::json CpuRanksBackend::device_info() const {
  nlohmann::json info = ranks_[0]->device_info();
  info["device"]["tensor_parallel_ranks"] = ranks();
  info["device"]["threads"] = info["device"]["threads"].get<int64_t>() * ranks();
  return info;
}

}  // namespace rooflm
