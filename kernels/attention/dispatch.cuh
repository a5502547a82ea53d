// Runtime values -> template constants for the attention launchers.
//   ROOFLM_DISPATCH_HEAD_DIM(head_dim, kHeadDim, ...)   head_dim 64 or 128, else "unsupported head_dim: 96"
//   ROOFLM_DISPATCH_KV_LAYOUT(layout, Kv, ...)           KvLayout -> ContiguousKv / PagedKv
// Only head_dim 64 and 128 are instantiated: they cover the Llama-family presets (Llama-2/3, Mistral,
// Qwen2 use 128; TinyLlama-class models use 64); each one costs a wgmma kernel's compile time.
#pragma once

#include <string>

#include "common/error.h"
#include "kernels/attention/kv_accessor.cuh"

#define ROOFLM_DISPATCH_HEAD_DIM(head_dim, kHeadDim, ...)                                             \
  [&] {                                                                                             \
    switch (head_dim) {                                                                             \
      case 64: {                                                                                    \
        constexpr int kHeadDim = 64;                                                                \
        return __VA_ARGS__();                                                                       \
      }                                                                                             \
      case 128: {                                                                                   \
        constexpr int kHeadDim = 128;                                                               \
        return __VA_ARGS__();                                                                       \
      }                                                                                             \
      default:                                                                                      \
        throw ::rooflm::InputError("attention: unsupported head_dim: " + std::to_string(head_dim)); \
    }                                                                                               \
  }()

#define ROOFLM_DISPATCH_KV_LAYOUT(layout, Kv, ...)   \
  [&] {                                               \
    if ((layout) == ::rooflm::KvLayout::paged) {      \
      using Kv = ::rooflm::attn::PagedKv;             \
      return __VA_ARGS__();                           \
    } else {                                          \
      using Kv = ::rooflm::attn::ContiguousKv;        \
      return __VA_ARGS__();                           \
    }                                                 \
  }()
