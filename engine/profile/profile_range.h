// ProfileRange: the push/pop ranges of the "rooflm" NVTX domain (NVTX3), nested as
//   run (scenario name) > variant (label) > repetition ("warmup", "repetition 0", ...) >
//   step ("prefill step 0", "decode step 12": payload the step's prefill tokens, decode tokens and
//   batch size) > layer ("layer 3") > op (the recipe's op name: "qkv_proj", "attention", ...)
// so Nsight Systems / Compute show and filter (`--nvtx-include "rooflm@..."`) the engine's structure.
// Free when no tool is attached (NVTX's calls return at once). Without the CUDA toolkit's headers
// (a build without CUDA) only the recorder sees them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rooflm {

enum class RangeLevel : uint8_t { run, variant, repetition, step, layer, op };
std::string_view range_level_name(RangeLevel level);  // "run", "variant", ...

struct StepPayload {
  int64_t prefill_tokens = 0, decode_tokens = 0, batch_size = 0;
};

// Sees every push and pop (tests install one; nullptr: none). Not thread-safe: install it before
// the ranges are made, remove it after.
class RangeRecorder {
 public:
  virtual ~RangeRecorder() = default;
  virtual void push(RangeLevel level, std::string_view name, const StepPayload* payload) = 0;
  virtual void pop(RangeLevel level) = 0;
};
void set_range_recorder(RangeRecorder* recorder);

class ProfileRange {
 public:
  ProfileRange(RangeLevel level, const char* name);
  ProfileRange(RangeLevel level, const std::string& name) : ProfileRange(level, name.c_str()) {}
  // A step range: the NVTX message carries the payload ("decode step 12 prefill=0 decode=8
  // batch=8"); the event's uint64 payload is the step's token count.
  ProfileRange(const char* name, const StepPayload& payload);
  ~ProfileRange();
  ProfileRange(const ProfileRange&) = delete;
  ProfileRange& operator=(const ProfileRange&) = delete;

 private:
  RangeLevel level_;
};

// Layer and op ranges while a backend walks a step program (engine/model/step_program.h): a
// layer's range opens at its first op and closes before the next layer's (ops outside the layers,
// the embedding and the LM head, sit directly in the step).
class LayerRanges {
 public:
  LayerRanges() = default;
  ~LayerRanges() { close(); }
  LayerRanges(const LayerRanges&) = delete;
  LayerRanges& operator=(const LayerRanges&) = delete;
  void enter_layer(int32_t layer);  // layer < 0: outside the layers
  void close();

 private:
  int32_t open_ = -1;
};

}  // namespace rooflm
