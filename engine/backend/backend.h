// Backend: runs the model's forward pass for one BatchPlan and samples the next tokens.
// Implementations: cpu/ (fp32 reference, the test oracle), cuda/ (the real one), sim/ (virtual clock).
// Each executes (or, sim, times) the StepProgram its model family's recipe wrote for the variant it
// actually runs, which it reports as effective_variant().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/batch_plan.h"
#include "common/error.h"
#include "common/kv_view.h"
#include "common/variant.h"
#include "engine/kv/kv_cache.h"
#include "engine/model/step_program.h"

namespace rooflm {

// What runs one rank only (the cuda backend so far, quant calibration) refuses engine.tensor_parallel
// > 1 with an InputError naming the key, `what` ("the cuda backend") and where N ranks do run.
inline void require_one_rank(const Variant& requested, const std::string& what) {
  if (requested.tensor_parallel != 1)
    throw InputError("engine.tensor_parallel = " + std::to_string(requested.tensor_parallel) + ": " + what +
                     " runs one rank so far; the cpu backend (simulated ranks, one thread each) runs " +
                     std::to_string(requested.tensor_parallel) + ", the sim backend and `rooflm roofline --tp " +
                     std::to_string(requested.tensor_parallel) + "` model them");
}

class Backend {
 public:
  virtual ~Backend() = default;

  std::string name() const { return std::string(rooflm::name(effective_variant().backend)); }
  // What this backend runs: the requested variant as this backend realises it (cpu: the fp32
  // reference with fp32 KV, or the int8 / fp8 KV asked for, eager). results.json records it.
  virtual Variant effective_variant() const = 0;
  // The ops every step executes, in order: the recipe of effective_variant().
  virtual const StepProgram& program() const = 0;
  // Allocates (and owns) zero-cost-to-read KV storage for `geom` in the backend's memory.
  virtual KvStorage allocate_kv(const KvGeometry& geom) = 0;
  // Bytes the KV pool may take from the backend's memory (before kv_cache.memory_fraction):
  // cuda: free device memory after weights and activation headroom; sim: the GPU spec's memory
  // minus the weights; nullopt where there is no device to fill (cpu: size the pool from the batch).
  virtual std::optional<int64_t> kv_memory_budget_bytes() const = 0;
  // Copies whole blocks (every layer, K and V, and a quantised cache's scales) of the storage
  // allocate_kv returned, in order
  // (copy-on-write of the paged cache). Issued before the next forward, which then sees them.
  virtual void copy_kv_blocks(const KvGeometry& geom, std::span<const KvBlockCopy> copies) = 0;
  // Runs the plan: writes the plan's KV through `kv`, returns one sampled token per sampling chunk.
  // Blocks until the step's results are on the host (the engine's clock times the whole step).
  virtual StepOutput forward(const BatchPlan& plan, const KvView& kv, bool want_logits) = 0;
  // Names of the kernels the backend's registry chose (recorded in every result row).
  virtual std::vector<std::string> kernel_names() const = 0;
  // Device description for the results' environment section (gpu, driver, clocks, ...).
  virtual nlohmann::json device_info() const = 0;
  // measure.kernel_trace: "traced" when every step's StepOutput.kernels is filled, else why not
  // (no trace on this backend, CUPTI missing or taken by another profiler).
  virtual std::string kernel_trace_status() const { return "not available on the " + name() + " backend"; }
  // The profiler's capture window (cudaProfilerStart / Stop on the cuda backend, so that `ncu
  // --profile-from-start off` and `nsys --capture-range=cudaProfilerApi` see only measured steps);
  // a no-op elsewhere.
  virtual void set_profiler_capture(bool on) {}
  // Called around every op of every step the backend executes (nullptr: none). The sim backend
  // executes no ops.
  void set_op_observer(OpObserver* observer) { observer_ = observer; }

 protected:
  OpObserver* observer_ = nullptr;
};

}  // namespace rooflm
