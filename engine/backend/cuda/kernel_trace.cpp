// CUPTI activity tracing of kernels, attributed to ops by external correlation ids (see kernel_trace.h).
#include "engine/backend/cuda/kernel_trace.h"

#include <cupti_activity.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include "common/kernel_name.h"

namespace rooflm {

namespace {

constexpr size_t kBufferBytes = size_t(8) << 20;
constexpr size_t kBufferAlign = 8;
constexpr CUpti_ExternalCorrelationKind kOpKind = CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0;

// The CUPTI entry points rooflm uses, from a dlopen'ed libcupti.
struct Cupti {
  void* lib = nullptr;
  decltype(&cuptiActivityRegisterCallbacks) register_callbacks = nullptr;
  decltype(&cuptiActivityEnable) enable = nullptr;
  decltype(&cuptiActivityDisable) disable = nullptr;
  decltype(&cuptiActivityFlushAll) flush_all = nullptr;
  decltype(&cuptiActivityGetNextRecord) next_record = nullptr;
  decltype(&cuptiActivityPushExternalCorrelationId) push_external = nullptr;
  decltype(&cuptiActivityPopExternalCorrelationId) pop_external = nullptr;
  decltype(&cuptiGetResultString) result_string = nullptr;

  Cupti() {
    for (const char* name : {"libcupti.so.13", "libcupti.so", "/usr/local/cuda/lib64/libcupti.so.13",
                             "/usr/local/cuda/extras/CUPTI/lib64/libcupti.so.13"})
      if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    if (!lib) return;
    auto sym = [&](auto& fn, const char* name) { fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name)); };
    sym(register_callbacks, "cuptiActivityRegisterCallbacks");
    sym(enable, "cuptiActivityEnable");
    sym(disable, "cuptiActivityDisable");
    sym(flush_all, "cuptiActivityFlushAll");
    sym(next_record, "cuptiActivityGetNextRecord");
    sym(push_external, "cuptiActivityPushExternalCorrelationId");
    sym(pop_external, "cuptiActivityPopExternalCorrelationId");
    sym(result_string, "cuptiGetResultString");
  }
  bool ok() const {
    return register_callbacks && enable && disable && flush_all && next_record && push_external && pop_external &&
           result_string;
  }
  std::string error(CUptiResult r) const {
    const char* text = nullptr;
    if (result_string) result_string(r, &text);
    return text ? text : "CUPTI error " + std::to_string(int(r));
  }
};

Cupti& cupti() {
  static Cupti instance;
  return instance;
}

// Records delivered by CUPTI's buffer callbacks (any thread), joined on collect().
struct Pending {
  std::mutex mutex;
  struct Kernel {
    uint32_t correlation;
    std::string name;
    double seconds;
  };
  std::vector<Kernel> kernels;
  std::unordered_map<uint32_t, uint64_t> op_of_correlation;  // API correlation id -> external id
  std::unordered_map<const char*, std::string> demangled;     // CUPTI's name pointers -> kernel_short_name
};

Pending& pending() {
  static Pending p;
  return p;
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kBufferAlign, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid_size) {
  Pending& p = pending();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    CUpti_Activity* record = nullptr;
    while (cupti().next_record(buffer, valid_size, &record) == CUPTI_SUCCESS) {
      if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
        auto it = p.demangled.find(k->name);
        if (it == p.demangled.end()) it = p.demangled.emplace(k->name, kernel_short_name(k->name)).first;
        p.kernels.push_back({k->correlationId, it->second, double(k->end - k->start) * 1e-9});
      } else if (record->kind == CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION) {
        const auto* e = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(record);
        if (e->externalKind == kOpKind) p.op_of_correlation[e->correlationId] = e->externalId;
      }
    }
  }
  std::free(buffer);
}

constexpr CUpti_ActivityKind kKinds[] = {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_RUNTIME,
                                         CUPTI_ACTIVITY_KIND_DRIVER, CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION};

bool g_active = false;  // one trace per process (CUPTI's callbacks are global)

}  // namespace

std::unique_ptr<KernelTrace> KernelTrace::start(std::string& why_not) {
  Cupti& c = cupti();
  if (!c.ok()) {
    why_not = "CUPTI not found (dlopen libcupti.so.13 failed: " + std::string(c.lib ? "symbols missing" : dlerror()) + ")";
    return nullptr;
  }
  if (g_active) {
    why_not = "another kernel trace is active in this process";
    return nullptr;
  }
  if (CUptiResult r = c.register_callbacks(buffer_requested, buffer_completed); r != CUPTI_SUCCESS) {
    why_not = "cuptiActivityRegisterCallbacks: " + c.error(r) +
              (r == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED ? " (another profiler, e.g. ncu, holds CUPTI)" : "");
    return nullptr;
  }
  for (CUpti_ActivityKind kind : kKinds) {
    if (CUptiResult r = c.enable(kind); r != CUPTI_SUCCESS) {
      for (CUpti_ActivityKind k : kKinds) c.disable(k);
      why_not = "cuptiActivityEnable (kind " + std::to_string(int(kind)) + "): " + c.error(r) +
                (r == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED ? " (another profiler, e.g. ncu, holds CUPTI)" : "");
      return nullptr;
    }
  }
  g_active = true;
  return std::unique_ptr<KernelTrace>(new KernelTrace());
}

KernelTrace::~KernelTrace() {
  Cupti& c = cupti();
  c.flush_all(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  for (CUpti_ActivityKind kind : kKinds) c.disable(kind);
  Pending& p = pending();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.kernels.clear();
  p.op_of_correlation.clear();
  p.demangled.clear();  // keyed by CUPTI's name pointers, valid only while tracing
  g_active = false;
}

void KernelTrace::push_op(std::string_view op) {
  auto it = std::find(op_names_.begin(), op_names_.end(), op);
  if (it == op_names_.end()) it = op_names_.insert(op_names_.end(), std::string(op));
  cupti().push_external(kOpKind, uint64_t(it - op_names_.begin()) + 1);
}

void KernelTrace::pop_op() { cupti().pop_external(kOpKind, nullptr); }

std::vector<KernelTime> KernelTrace::collect() {
  cupti().flush_all(0);  // the caller synchronized: every record of the step is complete
  Pending& p = pending();
  std::map<std::pair<std::string, std::string>, KernelTime> sums;
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    for (const auto& k : p.kernels) {
      const auto op_it = p.op_of_correlation.find(k.correlation);
      const uint64_t id = op_it == p.op_of_correlation.end() ? 0 : op_it->second;
      const std::string op = id >= 1 && id <= op_names_.size() ? op_names_[id - 1] : "";
      KernelTime& sum = sums[{op, k.name}];
      sum.op = op;
      sum.kernel = k.name;
      ++sum.calls;
      sum.seconds += k.seconds;
    }
    p.kernels.clear();
    p.op_of_correlation.clear();
  }
  std::vector<KernelTime> out;
  out.reserve(sums.size());
  for (auto& [key, k] : sums) out.push_back(std::move(k));
  return out;
}

OpRange::OpRange(KernelTrace* trace, const char* op) : trace_(trace) {
  if (trace_) trace_->push_op(op);
}

OpRange::~OpRange() {
  if (trace_) trace_->pop_op();
}

}  // namespace rooflm
