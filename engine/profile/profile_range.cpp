// ProfileRange (profile_range.h) over NVTX3's C API: one domain, ASCII messages, pushed and popped
// on the calling thread.
#include "engine/profile/profile_range.h"

#include <cstdio>

#if ROOFLM_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#endif

namespace rooflm {
namespace {

RangeRecorder* g_recorder = nullptr;

#if ROOFLM_HAVE_NVTX
nvtxDomainHandle_t domain() {
  static const nvtxDomainHandle_t d = nvtxDomainCreateA("rooflm");
  return d;
}

void nvtx_push(const char* message, const StepPayload* payload) {
  nvtxEventAttributes_t a{};
  a.version = NVTX_VERSION;
  a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
  a.messageType = NVTX_MESSAGE_TYPE_ASCII;
  a.message.ascii = message;
  if (payload) {
    a.payloadType = NVTX_PAYLOAD_TYPE_UNSIGNED_INT64;
    a.payload.ullValue = uint64_t(payload->prefill_tokens + payload->decode_tokens);
  }
  nvtxDomainRangePushEx(domain(), &a);
}
void nvtx_pop() { nvtxDomainRangePop(domain()); }
#else
void nvtx_push(const char*, const StepPayload*) {}
void nvtx_pop() {}
#endif

}  // namespace

std::string_view range_level_name(RangeLevel level) {
  switch (level) {
    case RangeLevel::run: return "run";
    case RangeLevel::variant: return "variant";
    case RangeLevel::repetition: return "repetition";
    case RangeLevel::step: return "step";
    case RangeLevel::layer: return "layer";
    case RangeLevel::op: return "op";
  }
  return "?";
}

void set_range_recorder(RangeRecorder* recorder) { g_recorder = recorder; }

ProfileRange::ProfileRange(RangeLevel level, const char* name) : level_(level) {
  if (g_recorder) g_recorder->push(level, name, nullptr);
  nvtx_push(name, nullptr);
}

ProfileRange::ProfileRange(const char* name, const StepPayload& payload) : level_(RangeLevel::step) {
  if (g_recorder) g_recorder->push(level_, name, &payload);
  char message[160];
  std::snprintf(message, sizeof message, "%s prefill=%lld decode=%lld batch=%lld", name,
                static_cast<long long>(payload.prefill_tokens), static_cast<long long>(payload.decode_tokens),
                static_cast<long long>(payload.batch_size));
  nvtx_push(message, &payload);
}

ProfileRange::~ProfileRange() {
  nvtx_pop();
  if (g_recorder) g_recorder->pop(level_);
}

void LayerRanges::enter_layer(int32_t layer) {
  if (layer == open_) return;
  close();
  if (layer < 0) return;
  char name[24];
  std::snprintf(name, sizeof name, "layer %d", layer);
  if (g_recorder) g_recorder->push(RangeLevel::layer, name, nullptr);
  nvtx_push(name, nullptr);
  open_ = layer;
}

void LayerRanges::close() {
  if (open_ < 0) return;
  nvtx_pop();
  if (g_recorder) g_recorder->pop(RangeLevel::layer);
  open_ = -1;
}

}  // namespace rooflm
