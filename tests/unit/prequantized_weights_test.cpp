// Pre-quantised checkpoints (engine/model/prequantized_weights.h) on the cpu backend. Checked: a
// checkpoint holding the codes and scales the backend computes when it quantises at load runs bit
// for bit like quantising at load (int8, w8a8, fp8; channel, tensor and group scales); per-tensor
// scales that differ between q/k/v expand to per-channel ones, and any grain to a finer one,
// exactly; fp16 dequantises; config.json's quantization_config is cross-checked; every bad tensor
// or mismatched variant is an InputError naming the file and the tensor (or the field).
//   build/tests/rooflm_unit_tests --gtest_filter='Prequantized*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/half.h"
#include "engine/backend/backend_factory.h"
#include "engine/backend/cpu/cpu_backend.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/model/prequantized_weights.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "reference/quant.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/plan_builders.h"
#include "tests/unit/prequantized_checkpoint.h"
#include "tests/unit/step_logits.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using G = ref::WeightScaleGrain;
using test::input_error_message;
using test::PrequantizedScheme;
using test::tensor_named;

const ModelConfig& tiny() {
  static const ModelConfig config = model_preset("tiny");  // hidden 256, q_dim 256, kv_dim 128, ffn 768, 4 layers
  return config;
}

const ModelWeights& tiny_weights() {
  static const ModelWeights weights = synthetic_weights(tiny(), 5);
  return weights;
}

std::vector<SafetensorsWriteTensor> tiny_tensors(const PrequantizedScheme& scheme) {
  return test::prequantized_hf_tensors(tiny(), tiny_weights(), scheme);
}

// A checkpoint folder: model.safetensors (+ config.json when given a quantization_config).
struct Checkpoint {
  test::TempDir dir;
  explicit Checkpoint(const std::vector<SafetensorsWriteTensor>& tensors,
                      const nlohmann::json& quantization_config = nullptr) {
    write_safetensors(file(), tensors);
    if (!quantization_config.is_null())
      test::write_text_file(dir.path() / "config.json", nlohmann::json{{"quantization_config", quantization_config}}.dump());
  }
  fs::path file() const { return dir.path() / "model.safetensors"; }
  fs::path config_json() const { return dir.path() / "config.json"; }
};

// A cpu scenario on the tiny preset with the weights of `dir`; `engine`: more engine keys.
Scenario scenario_on(const fs::path& dir, const std::string& engine, const std::string& more = "") {
  const std::string text = R"({"schema": "rooflm.scenario/1", "name": "p",
    "model": {"preset": "tiny", "weights": ")" + dir.string() + R"("},
    "engine": {"backend": "cpu", "threads": 2)" + (engine.empty() ? "" : ", " + engine) + R"(},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2})" + more + "}";
  return parse_scenario(text, "p.json").front();
}

std::unique_ptr<Backend> cpu_backend(const Scenario& s) { return make_backend(BackendKind::cpu, tiny(), s, {}); }

// The message of the InputError that building the cpu backend of `s` throws.
std::string backend_error(const Scenario& s) { return input_error_message([&] { cpu_backend(s); }); }

std::vector<int32_t> random_tokens(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = int32_t(rng() % uint32_t(tiny().vocab));
  return t;
}

// Prefill 9 tokens, then decode 3 (one per step) on sequence 0: the logits of every step.
std::vector<std::vector<float>> step_logits(Backend& backend) {
  const ModelConfig& c = tiny();
  ContiguousKvCache kv({c.n_layers, c.n_kv_heads, c.head_dim, 64, 1, DType::f32});
  kv.bind(backend.allocate_kv(kv.geometry()));
  return test::prefill_decode_logits(backend, kv, random_tokens(9, 1), random_tokens(3, 2));
}

void expect_contains(const std::string& message, const std::vector<std::string>& words) {
  for (const std::string& word : words) EXPECT_NE(message.find(word), std::string::npos) << "\"" << word << "\" in: " << message;
}

// ---- runs like quantising at load ----------------------------------------------------------------

struct RunCase {
  const char* engine;  // the scenario's engine keys
  PrequantizedScheme scheme;
};

const RunCase kRunCases[] = {
    {R"("precision": "int8", "weight_scales": "channel")", {DType::i8, G::channel}},
    {R"("precision": "int8", "weight_scales": "tensor")", {DType::i8, G::tensor}},
    {R"("precision": "int8", "weight_scales": "group", "weight_group_size": 64)", {DType::i8, G::group, 64}},
    {R"("precision": "w8a8", "weight_scales": "channel")", {DType::i8, G::channel}},
    {R"("precision": "w8a8", "weight_scales": "tensor")", {DType::i8, G::tensor}},
    {R"("precision": "fp8", "weight_scales": "channel")", {DType::f8e4m3, G::channel}},
    {R"("precision": "fp8", "weight_scales": "tensor")", {DType::f8e4m3, G::tensor}},
};

TEST(PrequantizedCheckpoint, RunsBitForBitLikeQuantisingAtLoad) {
  for (const RunCase& rc : kRunCases) {
    SCOPED_TRACE(rc.engine);
    const Checkpoint checkpoint(tiny_tensors(rc.scheme));
    const Scenario s = scenario_on(checkpoint.dir.path(), rc.engine);
    const std::unique_ptr<Backend> pre = cpu_backend(s);
    CpuBackend at_load(tiny(), tiny_weights(), requested_variant(s.engine, BackendKind::cpu), 2);
    EXPECT_EQ(step_logits(*pre), step_logits(at_load)) << "the same codes and scales";
    EXPECT_EQ(pre->effective_variant().to_json(), at_load.effective_variant().to_json());
    EXPECT_EQ(pre->kernel_names(), at_load.kernel_names());
    EXPECT_EQ(dynamic_cast<CpuBackend&>(*pre).quantized_weight_bytes(), at_load.quantized_weight_bytes());
  }
}

TEST(PrequantizedCheckpoint, MatchingQuantizationConfigIsAccepted) {
  const nlohmann::json config = {
      {"quant_method", "compressed-tensors"},
      {"format", "int-quantized"},
      {"config_groups",
       {{"group_0",
         {{"targets", {"Linear"}},
          {"weights", {{"num_bits", 8}, {"type", "int"}, {"strategy", "group"}, {"group_size", 64}, {"symmetric", true}}},
          {"input_activations", nullptr}}}}},
      {"ignore", {"lm_head"}}};
  const Checkpoint checkpoint(tiny_tensors({DType::i8, G::group, 64}), config);
  EXPECT_NO_THROW(cpu_backend(scenario_on(checkpoint.dir.path(), R"("precision": "int8", "weight_scales": "group",
    "weight_group_size": 64)")));
}

// ---- packing and finer grains ---------------------------------------------------------------------

TEST(PrequantizedCheckpoint, PerTensorScalesThatDifferRunPerChannelExactly) {
  ModelWeights weights = tiny_weights();  // every projection's max |w| is about 1/16: halve k_proj's
  const int64_t QD = tiny().q_dim(), KD = tiny().kv_dim(), H = tiny().hidden;
  for (int64_t i = QD * H; i < (QD + KD) * H; ++i) weights.layers[0].wqkv.data[size_t(i)] /= 2;
  const Checkpoint checkpoint(
      test::prequantized_hf_tensors(tiny(), weights, {DType::i8, G::tensor, 0, /*per_projection=*/true}));
  const SafetensorsFile file(checkpoint.file());
  const auto scale_of = [&](const std::string& module) {
    float s = 0;
    EXPECT_TRUE(safetensors_decode_floats(file.info("model.layers.0." + module + ".weight_scale"), &s));
    return s;
  };
  const float q = scale_of("self_attn.q_proj"), k = scale_of("self_attn.k_proj"), v = scale_of("self_attn.v_proj");
  ASSERT_NE(q, k);

  Variant channel;
  channel.precision = Precision::int8;
  const auto layers = load_prequantized_layers(checkpoint.dir.path(), tiny(), precision_dtypes(channel));
  ASSERT_TRUE(layers);
  const ref::QuantizedWeight& wqkv = layers->front().wqkv;
  EXPECT_EQ(wqkv.grain, G::channel);
  ASSERT_EQ(int64_t(wqkv.scales.size()), QD + 2 * KD);
  for (int64_t r = 0; r < QD + 2 * KD; ++r)
    ASSERT_EQ(wqkv.scales[size_t(r)], r < QD ? q : r < QD + KD ? k : v) << "row " << r;
  const SafetensorsTensorInfo& k_codes = file.info("model.layers.0.self_attn.k_proj.weight");
  EXPECT_EQ(std::memcmp(wqkv.codes.data() + QD * H, k_codes.bytes, k_codes.nbytes), 0)
      << "k_proj's codes as stored, after q_proj's";

  const std::string message =
      backend_error(scenario_on(checkpoint.dir.path(), R"("precision": "int8", "weight_scales": "tensor")"));
  expect_contains(message, {checkpoint.file().string(), "model.layers.0.self_attn.k_proj.weight_scale",
                            "differs from model.layers.0.self_attn.q_proj.weight_scale", "wqkv",
                            "engine.weight_scales \"channel\""});
}

TEST(PrequantizedCheckpoint, AFinerGrainTakesTheCheckpointsScalesExactly) {
  // W8A16 computes on the dequantised weight, so the same values under finer scales change no bit.
  const Checkpoint channel_file(tiny_tensors({DType::i8, G::channel}));
  const auto channel = cpu_backend(scenario_on(channel_file.dir.path(), R"("precision": "int8")"));
  const auto as_group = cpu_backend(
      scenario_on(channel_file.dir.path(), R"("precision": "int8", "weight_scales": "group", "weight_group_size": 32)"));
  EXPECT_EQ(step_logits(*as_group), step_logits(*channel));
  EXPECT_EQ(as_group->effective_variant().weight_scales, WeightScales::group);

  const Checkpoint group_file(tiny_tensors({DType::i8, G::group, 128}));
  const auto group128 = cpu_backend(
      scenario_on(group_file.dir.path(), R"("precision": "int8", "weight_scales": "group", "weight_group_size": 128)"));
  const auto group64 = cpu_backend(
      scenario_on(group_file.dir.path(), R"("precision": "int8", "weight_scales": "group", "weight_group_size": 64)"));
  EXPECT_EQ(step_logits(*group64), step_logits(*group128)) << "a group size dividing the checkpoint's";
  const std::string message = backend_error(
      scenario_on(group_file.dir.path(), R"("precision": "int8", "weight_scales": "group", "weight_group_size": 256)"));
  expect_contains(message, {group_file.file().string(), "model.layers.0.self_attn.q_proj.weight_scale",
                            "per-group (group size 128)", "engine.weight_group_size 128"});
}

// ---- fp16 dequantises --------------------------------------------------------------------------

TEST(PrequantizedCheckpoint, Fp16DequantisesTheCheckpoint) {
  const Checkpoint checkpoint(tiny_tensors({DType::i8, G::channel}));
  const ModelWeights loaded = load_safetensors_weights(checkpoint.dir.path(), tiny());
  const ModelWeights& w = tiny_weights();
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const HostTensor& t = w.layers[l].w_gate_up;
    const ref::QuantizedWeight q = ref::quantize_weight(t.ptr(), t.shape[0], t.shape[1], DType::i8, G::channel);
    std::vector<float> expected(t.data.size());
    ref::dequantize_weight(ref::view_all(q), expected.data());
    for (float& x : expected) x = round_to_fp16(x);
    ASSERT_EQ(loaded.layers[l].w_gate_up.data, expected) << "layer " << l;
    ASSERT_EQ(loaded.layers[l].attn_norm.data, w.layers[l].attn_norm.data);
  }
  EXPECT_EQ(loaded.embed.data, w.embed.data);

  const auto fp16 = cpu_backend(scenario_on(checkpoint.dir.path(), R"("precision": "fp16")"));
  EXPECT_EQ(fp16->effective_variant().precision, Precision::fp32);
  CpuBackend on_loaded(tiny(), loaded, fp16->effective_variant(), 2);
  EXPECT_EQ(step_logits(*fp16), step_logits(on_loaded));
}

// ---- bad tensors: InputError naming the file and the tensor ---------------------------------------

struct BrokenCase {
  const char* what;
  PrequantizedScheme scheme;
  std::function<void(std::vector<SafetensorsWriteTensor>&)> breaks;
  std::string tensor;              // named in the message
  std::vector<std::string> words;  // also in the message
  bool also_in_fp16 = true;        // fp16 (which dequantises, scales in fp32) refuses it too
};

std::vector<std::byte> f16_bytes(std::vector<float> values) {
  return safetensors_encode_floats(SafetensorsDtype::F16, values);
}

void erase(std::vector<SafetensorsWriteTensor>& tensors, const std::string& name) {
  std::erase_if(tensors, [&](const SafetensorsWriteTensor& t) { return t.name == name; });
}

const std::string kQ = "model.layers.0.self_attn.q_proj", kUp1 = "model.layers.1.mlp.up_proj",
                  kDown2 = "model.layers.2.mlp.down_proj", kO3 = "model.layers.3.self_attn.o_proj";

std::vector<BrokenCase> broken_cases() {
  const PrequantizedScheme int8{DType::i8, G::channel}, fp8{DType::f8e4m3, G::channel};
  using T = std::vector<SafetensorsWriteTensor>;
  return {
      {"missing scale", int8, [](T& t) { erase(t, kUp1 + ".weight_scale"); }, kUp1 + ".weight_scale",
       {"is missing", kUp1 + ".weight is I8 and needs its scales"}},
      {"scale of a wrong shape", int8,
       [](T& t) { tensor_named(t, kDown2 + ".weight_scale") = {kDown2 + ".weight_scale", SafetensorsDtype::F16, {256, 5},
                                                               f16_bytes(std::vector<float>(256 * 5, 0.01f))}; },
       kDown2 + ".weight_scale", {"has shape [256, 5]", "fits no scale layout", "[256, 768 / group_size]"}},
      {"scale with rows of another tensor", int8,
       [](T& t) { tensor_named(t, kQ + ".weight_scale") = {kQ + ".weight_scale", SafetensorsDtype::F16, {128, 1},
                                                           f16_bytes(std::vector<float>(128, 0.01f))}; },
       kQ + ".weight_scale", {"has shape [128, 1]", "[256] or [256, 1] (per output channel)"}},
      {"scale of a wrong dtype", int8,
       [](T& t) { tensor_named(t, kQ + ".weight_scale") = {kQ + ".weight_scale", SafetensorsDtype::I32, {256, 1},
                                                           std::vector<std::byte>(256 * 4)}; },
       kQ + ".weight_scale", {"has dtype I32", "expected F16, BF16 or F32"}},
      {"non-finite scale", int8,
       [](T& t) {
         std::vector<float> s(768, 0.01f);
         s[3] = std::numeric_limits<float>::quiet_NaN();
         tensor_named(t, kUp1 + ".weight_scale").bytes = f16_bytes(s);
       },
       kUp1 + ".weight_scale", {"element 3 = nan", "finite and >= 0"}},
      {"negative scale", int8,
       [](T& t) {
         std::vector<float> s(256, 0.01f);
         s[0] = -0.5f;
         tensor_named(t, kO3 + ".weight_scale").bytes = f16_bytes(s);
       },
       kO3 + ".weight_scale", {"element 0 = -0.5", "finite and >= 0"}},
      {"int8 scale beyond fp16", int8,
       [](T& t) {
         std::vector<float> s(256, 0.01f);
         s[7] = 1e6f;
         tensor_named(t, kQ + ".weight_scale") = {kQ + ".weight_scale", SafetensorsDtype::F32, {256, 1},
                                                  safetensors_encode_floats(SafetensorsDtype::F32, s)};
       },
       kQ + ".weight_scale", {"element 7 = 1e+06", "fp16 scale"}, /*also_in_fp16=*/false},
      {"int8 code -128", int8, [](T& t) { tensor_named(t, kQ + ".weight").bytes[5] = std::byte{0x80}; }, kQ + ".weight",
       {"element [0, 5] is -128", "-127..127"}},
      {"e4m3 NaN code", fp8, [](T& t) { tensor_named(t, kO3 + ".weight").bytes[256 + 2] = std::byte{0xFF}; },
       kO3 + ".weight", {"element [1, 2] is an e4m3 NaN code"}},
      {"weight of a float dtype beside a scale", int8,
       [](T& t) { tensor_named(t, kO3 + ".weight") = {kO3 + ".weight", SafetensorsDtype::F16, {256, 256},
                                                      f16_bytes(std::vector<float>(256 * 256, 0.01f))}; },
       kO3 + ".weight", {"has dtype F16", "must be I8 or F8_E4M3"}},
      {"weight of a wrong shape", int8,
       [](T& t) { tensor_named(t, kQ + ".weight") = {kQ + ".weight", SafetensorsDtype::I8, {256, 128},
                                                     std::vector<std::byte>(256 * 128)}; },
       kQ + ".weight", {"has shape [256, 128], expected [256, 256]", "hidden=256"}},
      {"one projection left in fp16", int8,
       [](T& t) {
         erase(t, kDown2 + ".weight_scale");
         tensor_named(t, kDown2 + ".weight") = {kDown2 + ".weight", SafetensorsDtype::F16, {256, 768},
                                                f16_bytes(std::vector<float>(256 * 768, 0.01f))};
       },
       kDown2 + ".weight", {"is F16 with no weight_scale", "every layer projection must be"}},
      {"two code dtypes", int8,
       [](T& t) { tensor_named(t, kO3 + ".weight") = {kO3 + ".weight", SafetensorsDtype::F8_E4M3, {256, 256},
                                                      std::vector<std::byte>(256 * 256)}; },
       kO3 + ".weight",
       {"is F8_E4M3", "one code dtype"}},
      {"group scales of fp8 codes", fp8,
       [](T& t) { tensor_named(t, kQ + ".weight_scale") = {kQ + ".weight_scale", SafetensorsDtype::F32, {256, 4},
                                                           std::vector<std::byte>(256 * 4 * 4)}; },
       kQ + ".weight_scale", {"group scales (group size 64) are for I8 weights only"}},
      {"asymmetric zero point", int8,
       [](T& t) {
         std::vector<std::byte> zp(256);
         zp[9] = std::byte{3};
         t.push_back({kQ + ".weight_zero_point", SafetensorsDtype::I8, {256, 1}, zp});
       },
       kQ + ".weight_zero_point", {"non-zero zero points", "symmetric"}},
      {"GPTQ", int8,
       [](T& t) { t.push_back({kUp1 + ".qweight", SafetensorsDtype::I32, {96, 768}, std::vector<std::byte>(96 * 768 * 4)}); },
       kUp1 + ".qweight", {"GPTQ", "not accepted"}},
      {"packed codes", int8,
       [](T& t) { t.push_back({kUp1 + ".weight_packed", SafetensorsDtype::I32, {768, 32}, std::vector<std::byte>(768 * 32 * 4)}); },
       kUp1 + ".weight_packed", {"pack-quantized", "not accepted"}},
      {"activation reordering", int8,
       [](T& t) { t.push_back({kQ + ".weight_g_idx", SafetensorsDtype::I32, {256}, std::vector<std::byte>(256 * 4)}); },
       kQ + ".weight_g_idx", {"activation-reordering", "not accepted"}},
  };
}

TEST(PrequantizedCheckpoint, BadTensorsNameTheFileAndTheTensor) {
  for (const BrokenCase& bc : broken_cases()) {
    SCOPED_TRACE(bc.what);
    std::vector<SafetensorsWriteTensor> tensors = tiny_tensors(bc.scheme);
    bc.breaks(tensors);
    const Checkpoint checkpoint(tensors);
    const char* engine = bc.scheme.dtype == DType::i8 ? R"("precision": "int8")" : R"("precision": "fp8")";
    const std::string message = backend_error(scenario_on(checkpoint.dir.path(), engine));
    expect_contains(message, {checkpoint.file().string() + ": tensor " + bc.tensor});
    expect_contains(message, bc.words);
    if (bc.also_in_fp16) {
      EXPECT_EQ(input_error_message([&] { load_safetensors_weights(checkpoint.dir.path(), tiny()); }), message)
          << "fp16 (dequantising) checks the same";
    }
  }
}

// ---- a variant the checkpoint does not fit ----------------------------------------------------

TEST(PrequantizedCheckpoint, VariantThatDoesNotFitIsNamed) {
  const Checkpoint int8(tiny_tensors({DType::i8, G::channel})), fp8(tiny_tensors({DType::f8e4m3, G::channel})),
      group(tiny_tensors({DType::i8, G::group, 64}));
  const std::string q = "model.layers.0.self_attn.q_proj";
  expect_contains(backend_error(scenario_on(int8.dir.path(), R"("precision": "fp8")")),
                  {"engine.precision \"fp8\" needs F8_E4M3 weights", int8.file().string() + ": tensor " + q + ".weight",
                   "is I8"});
  expect_contains(backend_error(scenario_on(fp8.dir.path(), R"("precision": "w8a8")")),
                  {"engine.precision \"w8a8\" needs I8 weights", fp8.file().string() + ": tensor " + q + ".weight"});
  expect_contains(backend_error(scenario_on(int8.dir.path(), R"("precision": "int8", "weight_scales": "tensor")")),
                  {int8.file().string() + ": tensor " + q + ".weight_scale", "holds per-channel scales",
                   "engine.weight_scales \"tensor\"", "set engine.weight_scales \"channel\""});
  expect_contains(backend_error(scenario_on(group.dir.path(), R"("precision": "int8")")),
                  {group.file().string() + ": tensor " + q + ".weight_scale", "per-group (group size 64)",
                   "\"group\" with engine.weight_group_size 64"});
  expect_contains(backend_error(scenario_on(group.dir.path(), R"("precision": "w8a8")")),
                  {group.file().string() + ": tensor " + q + ".weight_scale", "engine.precision \"int8\" only"});
  expect_contains(backend_error(scenario_on(int8.dir.path(), R"("precision": "w8a8")", R"(, "quant": {"scales": "s.json"})")),
                  {"quant.scales", int8.dir.path().string(), "pre-quantised", "cannot be smoothed"});
}

// ---- config.json's quantization_config ----------------------------------------------------------

nlohmann::json compressed_tensors_config(const nlohmann::json& weights) {
  return {{"quant_method", "compressed-tensors"},
          {"format", "int-quantized"},
          {"config_groups", {{"group_0", {{"targets", {"Linear"}}, {"weights", weights}}}}}};
}

TEST(PrequantizedCheckpoint, QuantizationConfigThatDisagreesIsNamed) {
  const nlohmann::json channel_int8 = {{"num_bits", 8}, {"type", "int"}, {"strategy", "channel"}, {"symmetric", true}};
  struct ConfigCase {
    const char* what;
    nlohmann::json config;
    std::vector<std::string> words;
  };
  nlohmann::json other_method = compressed_tensors_config(channel_int8);
  other_method["quant_method"] = "gptq";
  nlohmann::json packed = compressed_tensors_config(channel_int8);
  packed["format"] = "pack-quantized";
  nlohmann::json per_tensor = channel_int8, as_float = channel_int8, four_bits = channel_int8, asymmetric = channel_int8;
  per_tensor["strategy"] = "tensor";
  as_float["type"] = "float";
  four_bits["num_bits"] = 4;
  asymmetric["symmetric"] = false;
  nlohmann::json two_groups = compressed_tensors_config(channel_int8);
  two_groups["config_groups"]["group_1"] = {{"weights", per_tensor}};
  const ConfigCase cases[] = {
      {"another method", other_method, {"\"quantization_config.quant_method\" = \"gptq\" is not accepted"}},
      {"packed format", packed, {"\"quantization_config.format\" = \"pack-quantized\" is not accepted"}},
      {"another strategy", compressed_tensors_config(per_tensor),
       {"per-tensor scales", "tensor model.layers.0.self_attn.q_proj.weight_scale of", "(per-channel)"}},
      {"another type", compressed_tensors_config(as_float),
       {"\"type\": \"float\"", "tensor model.layers.0.self_attn.q_proj.weight of", "is I8"}},
      {"4 bits", compressed_tensors_config(four_bits),
       {"\"quantization_config.config_groups.group_0.weights.num_bits\" = 4 is not supported"}},
      {"asymmetric", compressed_tensors_config(asymmetric), {"weights.symmetric\" = false", "asymmetric"}},
      {"groups that differ", two_groups, {"group_1.weights\" differs from another config group's"}},
  };
  for (const ConfigCase& cc : cases) {
    SCOPED_TRACE(cc.what);
    const Checkpoint checkpoint(tiny_tensors({DType::i8, G::channel}), cc.config);
    const std::string message = backend_error(scenario_on(checkpoint.dir.path(), R"("precision": "int8")"));
    expect_contains(message, {checkpoint.config_json().string() + ": "});
    expect_contains(message, cc.words);
  }

  test::TempDir plain;
  write_safetensors(plain.path() / "model.safetensors", test::hf_tensors(tiny(), tiny_weights(), SafetensorsDtype::F16));
  test::write_text_file(plain.path() / "config.json",
                        nlohmann::json{{"quantization_config", compressed_tensors_config(channel_int8)}}.dump());
  expect_contains(backend_error(scenario_on(plain.path(), R"("precision": "int8")")),
                  {(plain.path() / "config.json").string(), "describes pre-quantised I8 weights",
                   "model.layers.0.self_attn.q_proj.weight of", "is F16 with no weight_scale"});
}

}  // namespace
}  // namespace rooflm
