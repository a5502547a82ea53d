// The benchmark families of rooflm_kbench; each registers its Google Benchmark cases.
#pragma once

namespace rooflm::kbench {

void register_linear_benchmarks();       // cuBLASLt GEMM (prefill shapes), decode GEMV vs cuBLASLt
void register_quant_linear_benchmarks(); // W8A16 / W8A8 / FP8 decode batches: gemv, mma, cuBLASLt, fp16
void register_elementwise_benchmarks();  // norm, RoPE, activation, embedding gather
void register_sampling_benchmarks();     // argmax, seeded top-k / top-p sampling
void register_attention_benchmarks();    // flash / naive prefill, split-K decode by layout and KV dtype

}  // namespace rooflm::kbench
