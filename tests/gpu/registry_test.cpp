// The kernel registry's selection (kernels/registry.h), which needs no device: every op kind has
// a kernel for fp16 and the model shapes rooflm runs, the choice depends on the shape where it
// should (GEMV vs GEMM, decode vs prefill vs naive attention, greedy vs seeded sampling), scratch is
// sized, and what has no kernel (fp8 weights with fp16 inputs, group scales for W8A8, an int8 KV
// cache, odd rows) is refused
// with a message that names the op and the reason. Runs in CI without a device, except what reads the
// device (flash attention's support, split-K's scratch).
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "kernels/registry.h"
#include "tests/gpu/gpu_test_util.h"

namespace rooflm {
namespace {

KernelQuery vector_query(KernelOp op, int64_t n, int64_t in) {
  KernelQuery q;
  q.op = op;
  q.n = n;
  q.in = in;
  q.vocab = 2048;
  return q;
}

TEST(KernelRegistry, EveryOpKindHasAnFp16Kernel) {
  const std::pair<KernelOp, const char*> expected[] = {
      {KernelOp::embedding, "embedding_gather_f16"}, {KernelOp::rmsnorm, "rmsnorm_f16"},
      {KernelOp::add_rmsnorm, "add_rmsnorm_f16"},    {KernelOp::residual_add, "residual_add_f16"},
      {KernelOp::silu, "silu_f16"},                  {KernelOp::mul, "mul_f16"},
      {KernelOp::silu_mul, "silu_mul_f16"},          {KernelOp::gather_rows, "gather_rows_f16"},
  };
  for (const auto& [op, name] : expected) {
    const KernelChoice k = select_kernel(vector_query(op, 5, 4096));
    EXPECT_TRUE(k.supported) << kernel_op_name(op) << ": " << k.why_not;
    EXPECT_STREQ(k.name, name);
    EXPECT_NE(k.launch, nullptr);
  }
  for (KernelOp op : {KernelOp::rope, KernelOp::kv_write, KernelOp::rope_qkv_kv_write}) {
    KernelQuery q;
    q.op = op;
    q.n = 3;
    q.n_heads = 32;
    q.n_kv_heads = 8;
    q.head_dim = 128;
    EXPECT_TRUE(select_kernel(q).supported) << kernel_op_name(op);
  }
}

TEST(KernelRegistry, LinearIsAGemvForDecodeSizedBatchesElseCublasLt) {
  KernelQuery q;
  q.op = KernelOp::linear;
  q.in = 4096;
  q.out = 11008;
  for (int64_t n = 1; n <= kGemvCrossoverTokens; ++n) {
    q.n = n;
    EXPECT_STREQ(select_kernel(q).name, "gemv_xwt_f16") << n;
  }
  q.n = kGemvCrossoverTokens + 1;
  EXPECT_STREQ(select_kernel(q).name, "gemm_cublaslt_xwt_f16");
  q.bias = true;
  EXPECT_TRUE(select_kernel(q).supported) << "a bias rides in the GEMM epilogue";
}

// The silu_mul epilogue is the decode GEMV's; a larger step is refused with the reason, and the
// backend then runs the plain linear and silu_mul (CudaBackend::linear_silu_mul).
TEST(KernelRegistry, SiluMulEpilogueIsTheDecodeGemvsOnly) {
  KernelQuery q;
  q.op = KernelOp::linear;
  q.in = 4096;
  q.out = 11008;
  q.silu_mul_epilogue = true;
  for (int64_t n = 1; n <= kGemvCrossoverTokens; ++n) {
    q.n = n;
    EXPECT_STREQ(select_kernel(q).name, "gemv_xwt_f16_silu_mul") << n;
  }
  q.n = kGemvCrossoverTokens + 1;
  KernelChoice k = select_kernel(q);
  EXPECT_FALSE(k.supported);
  EXPECT_NE(k.why_not.find("the silu_mul epilogue is the decode GEMV's"), std::string::npos) << k.why_not;
  q.n = 1;
  q.weight = DType::i8;
  k = select_kernel(q);
  EXPECT_FALSE(k.supported);
  EXPECT_NE(k.why_not.find("for fp16 weights and inputs"), std::string::npos) << k.why_not;
}

struct AttentionRig {
  attn::KvDeviceView kv;
  attn::AttnBatch batch;
  KernelQuery q;
  AttentionRig() {
    kv.n_layers = 2;
    kv.n_kv_heads = 8;
    kv.head_dim = 128;
    kv.block_size = 16;
    kv.num_blocks = 64;
    kv.layout = KvLayout::paged;
    kv.max_blocks_per_seq = 8;
    kv.n_seqs = 4;
    batch.n_seqs = 4;
    batch.n_tokens = 4;
    batch.max_q_len = 1;
    batch.max_kv_len = 4096;  // long enough for split-K to split
    q.op = KernelOp::attention;
    q.n_heads = 32;
    q.n_kv_heads = 8;
    q.head_dim = 128;
    q.batch = &batch;
    q.kv_view = &kv;
  }
};

// Without a device: the naive kernel and the refusal of a paged block size the kernels cannot index.
TEST(KernelRegistry, NaiveAttentionAndUnindexableBlocks) {
  AttentionRig r;
  r.q.scores_in_hbm = true;
  EXPECT_STREQ(select_kernel(r.q).name, "attn_naive_f16");
  r.kv.block_size = 24;  // not a power of two
  const KernelChoice odd = select_kernel(r.q);
  EXPECT_FALSE(odd.supported);
  EXPECT_NE(odd.why_not.find("block size 24"), std::string::npos) << odd.why_not;
}

// The flash kernels' support and split-K's scratch read the device (compute capability, SM count).
TEST(KernelRegistry, FlashAttentionFollowsTheBatch) {
  ROOFLM_REQUIRE_GPU();
  AttentionRig r;
  const KernelChoice decode = select_kernel(r.q);
  ASSERT_TRUE(decode.supported) << decode.why_not;
  EXPECT_STREQ(decode.name, "attn_decode_splitk_f16");
  EXPECT_GT(decode.scratch_bytes, 0u) << "split-K partials";
  r.batch.max_q_len = 7;
  EXPECT_STREQ(select_kernel(r.q).name, "attn_prefill_flash_f16");
}

TEST(KernelRegistry, SamplingIsArgmaxForGreedyRowsElseTheSeededSampler) {
  ROOFLM_REQUIRE_GPU();  // the seeded sampler's scratch size is cub's, which asks the device
  KernelQuery q;
  q.op = KernelOp::sample;
  q.n = 4;
  q.vocab = 32000;
  EXPECT_STREQ(select_kernel(q).name, "argmax_f16");
  q.greedy = false;
  const KernelChoice k = select_kernel(q);
  EXPECT_STREQ(k.name, "sample_f16");
  EXPECT_GT(k.scratch_bytes, 0u);
}

TEST(KernelRegistry, RefusesWhatHasNoKernelNamingTheOpAndTheReason) {
  KernelQuery linear;
  linear.op = KernelOp::linear;
  linear.n = 1;
  linear.in = 4096;
  linear.out = 4096;
  linear.weight = DType::f8e4m3;  // fp8 weights with fp16 inputs: no such path
  const KernelChoice mixed = select_kernel(linear);
  EXPECT_FALSE(mixed.supported);
  EXPECT_EQ(mixed.why_not, "linear: no kernel for fp8 weights with fp16 inputs");
  linear.weight = DType::i8;
  linear.activation = DType::i8;
  linear.weight_grain = WeightGrain::group;
  linear.group_size = 128;
  EXPECT_EQ(select_kernel(linear).why_not,
            "linear: W8A8 and FP8 GEMMs take per-tensor or per-channel weight scales, not groups");

  KernelQuery kv_write;
  kv_write.op = KernelOp::kv_write;
  kv_write.head_dim = 128;
  kv_write.kv = DType::bf16;
  EXPECT_EQ(select_kernel(kv_write).why_not,
            "kv_write: no kernel for a KV cache of bf16 (the cuda kernels store fp16, int8 or fp8 KV)");
  kv_write.kv = DType::i8;  // the quantised writers exist, at head_dim 64 and 128
  EXPECT_STREQ(select_kernel(kv_write).name, "kv_write_quant");
  kv_write.head_dim = 96;
  EXPECT_EQ(select_kernel(kv_write).why_not, "kv_write: a quantised (int8) KV cache needs head_dim 64 or 128, not 96");

  KernelQuery quantize = vector_query(KernelOp::quantize, 2, 4096);  // fp16 output: nothing to quantise
  EXPECT_FALSE(select_kernel(quantize).supported);
  quantize.output = DType::i8;
  EXPECT_STREQ(select_kernel(quantize).name, "quantize_rows_f16_to_int8");
  KernelQuery silu = vector_query(KernelOp::silu, 2, 4096);
  silu.output = DType::i8;
  EXPECT_EQ(select_kernel(silu).why_not, "silu: no kernel writes int8 rows");

  const KernelChoice odd = select_kernel(vector_query(KernelOp::rmsnorm, 2, 100));
  EXPECT_FALSE(odd.supported);
  EXPECT_EQ(odd.why_not, "rmsnorm: rows of 100 elements are not a positive multiple of 8 (16-byte vectors)");

  KernelRegistry registry;
  EXPECT_THROW(registry.launch(odd, vector_query(KernelOp::rmsnorm, 2, 100), KernelArgs{}, nullptr), InputError);
  EXPECT_TRUE(registry.used().empty()) << "nothing ran";
}

}  // namespace
}  // namespace rooflm
