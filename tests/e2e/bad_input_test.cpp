// End-to-end: every class of bad input in the README's table ("Bad input") through the real CLI.
// Each must exit 2 within seconds, with a message naming the field, file or number and the limit,
// and leave no file behind. One test per class; each failed before the hardening (issue 11).
// Run: build/tests/e2e/rooflm_e2e_tests --gtest_filter='BadInput*'
//      (ROOFLM_TEST_CLI=other/rooflm runs them against another build)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/weights.h"
#include "tests/e2e/cli_run.h"
#include "tests/unit/prequantized_checkpoint.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using test::CliResult;
using test::run_cli;

constexpr double kSeconds = 20;  // "within seconds", with room for a loaded CI machine

// A one-request scenario on the cpu backend (tiny model: max_positions 2048), with `extra`
// top-level keys appended.
std::string scenario(const std::string& extra = "", const std::string& name = "bad") {
  return R"({"schema": "rooflm.scenario/1", "name": ")" + name + R"(", "model": {"preset": "tiny"},
  "engine": {"backend": "cpu"}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2})" +
         (extra.empty() ? "" : ",\n" + extra) + "}";
}

// Exit 2 within seconds, every `words` in the message, and nothing at `no_file`.
void expect_refused(const CliResult& r, const std::vector<std::string>& words, const fs::path& no_file = {}) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_LT(r.seconds, kSeconds) << r.err;
  for (const std::string& word : words) EXPECT_NE(r.err.find(word), std::string::npos) << "\"" << word << "\" in: " << r.err;
  EXPECT_EQ(r.err.find(" at engine/"), std::string::npos) << "an internal check, not an input error: " << r.err;
  if (!no_file.empty()) EXPECT_FALSE(fs::exists(no_file)) << no_file;
}

class BadInput : public ::testing::Test {
 protected:
  // Writes `text` to dir/name and returns its path.
  fs::path write(const std::string& name, const std::string& text) {
    test::write_text_file(dir_.path() / name, text);
    return dir_.path() / name;
  }
  CliResult run(const fs::path& file, const std::string& more = "") {
    return run_cli("run " + file.string() + " --out " + out().string() + " " + more, 60);
  }
  fs::path out() const { return dir_.path() / "out"; }
  // A Hugging Face config.json folder: the tiny model's shape with the keys of `replaced` set, and
  // `raw` (text, e.g. a literal nlohmann cannot hold) appended on the last line.
  fs::path config_folder(const std::string& raw = "", const nlohmann::json& replaced = nlohmann::json::object()) {
    nlohmann::json config = {{"model_type", "llama"},     {"hidden_size", 256},          {"num_hidden_layers", 4},
                             {"num_attention_heads", 4}, {"num_key_value_heads", 2},    {"intermediate_size", 768},
                             {"vocab_size", 2048},        {"max_position_embeddings", 2048}, {"rms_norm_eps", 1e-5}};
    config.update(replaced);
    std::string text = config.dump(1);
    if (!raw.empty()) {
      text.erase(text.find_last_not_of("}\n ") + 1);  // "{", 9 keys, then raw on line 11
      text += ",\n" + raw + "}";
    }
    write("model/config.json", text);
    return dir_.path() / "model";
  }

  test::TempDir dir_;
};

TEST_F(BadInput, JsonNestedTooDeepIsRefusedWhereverJsonIsRead) {
  const std::string deep = std::string(100000, '[') + "\"naive\"" + std::string(100000, ']');
  expect_refused(run(write("s.json", scenario("\"sweep\": {\"engine.kernels\": " + deep + "}"))),
                 {"s.json:", "nested deeper than 64 levels"}, out());
  const std::string deep_set = std::string(10000, '[') + "\"naive\"" + std::string(10000, ']');  // one argument < 128 KiB
  expect_refused(run(write("s2.json", scenario()), "--set 'engine.kernels=" + deep_set + "'"),
                 {"--set", "nested deeper than 64 levels"}, out());
  config_folder("\"rope_scaling\": " + std::string(1000, '[') + std::string(1000, ']'));
  expect_refused(run_cli("validate " + write("c.json", R"({"schema": "rooflm.scenario/1", "name": "c",
    "model": {"config": "model"}})").string()),
                 {"config.json:11:", "nested deeper than 64 levels"});
  write("trace.jsonl", R"({"arrival": 0, "prompt_len": 4, "output_len": 2, "x": )" + std::string(200, '[') +
                           std::string(200, ']') + "}\n");
  expect_refused(run_cli("validate " + write("t.json", R"({"schema": "rooflm.scenario/1", "name": "t",
    "model": {"preset": "tiny"}, "workload": {"arrival": {"process": "trace", "file": "trace.jsonl"}}})").string()),
                 {"trace.jsonl:1:", "nested deeper than 64 levels"});
}

TEST_F(BadInput, NumberBeyondADoubleNamesFileLineAndLiteral) {
  expect_refused(run(write("s.json", scenario("\"measure\": {\n  \"repetitions\": 1e400}"))),
                 {"s.json:4:18:", "1e400", "does not fit a double"}, out());
  expect_refused(run(write("s2.json", scenario()), "--set workload.requests=-1e400"),
                 {"--set", "-1e400", "does not fit a double"}, out());
  config_folder("\"rope_theta\": 1e999");
  expect_refused(run_cli("validate " + write("c.json", R"({"schema": "rooflm.scenario/1", "name": "c",
    "model": {"config": "model"}})").string()),
                 {"config.json:11:", "1e999", "does not fit a double"});
  write("trace.jsonl", "{\"arrival\": 0, \"prompt_len\": 4, \"output_len\": 2}\n{\"arrival\": 1e400, \"prompt_len\": 4, \"output_len\": 2}\n");
  expect_refused(run_cli("validate " + write("t.json", R"({"schema": "rooflm.scenario/1", "name": "t",
    "model": {"preset": "tiny"}, "workload": {"arrival": {"process": "trace", "file": "trace.jsonl"}}})").string()),
                 {"trace.jsonl:2:13:", "1e400"});
  // A safetensors header: the loader reads it before any tensor.
  const fs::path model = config_folder();
  const std::string header = R"({"__metadata__": {"format": "pt"}, "x": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 0]}})";
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = char((header.size() >> (8 * i)) & 0xff);
  write("model/model.safetensors", bytes + header);
  expect_refused(run(write("w.json", R"({"schema": "rooflm.scenario/1", "name": "w",
    "model": {"config": "model", "weights": "model"}, "engine": {"backend": "cpu"},
    "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})")),
                 {"model.safetensors: header:1:", "1e400"}, out());
}

TEST_F(BadInput, DuplicateKeyInAnyJsonInputIsAnError) {
  config_folder("\"hidden_size\": 512");  // a second hidden_size
  expect_refused(run_cli("validate " + write("c.json", R"({"schema": "rooflm.scenario/1", "name": "c",
    "model": {"config": "model"}})").string()),
                 {"config.json", "duplicate key \"hidden_size\""});
}

TEST_F(BadInput, SizeAboveItsBoundNamesTheKeyAndTheLimit) {
  const fs::path file = write("s.json", scenario());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"engine.batching.max_batch=1000000000000", "[1, 65536]"},
      {"engine.batching.max_batched_tokens=1e12", "[1, 16777216]"},
      {"engine.batching.max_wait_ms=1e300", "in [0, 60000]"},
      {"engine.threads=100000000", "[0, 1024]"},
      {"engine.kv_cache.memory_bytes=1e18", "[0, 1125899906842624]"},
      {"engine.kv_cache.max_seq_len=1e12", "[0, 134217728]"},
      {"workload.requests=1000000000000000", "[1, 1000000]"},
      {"workload.n=1000000000", "[1, 256]"},
      {"workload.prompt_len=1e12", "[1, 134217728]"},
      {"measure.repetitions=1000000000", "[1, 1000]"},
      {"workload.shared_prefix={\"groups\": 1000000000, \"length\": 4}", "[1, 1000000]"},
      {"workload.arrival={\"process\": \"gamma\", \"rate\": 1, \"cv\": 1e-300}", "in [0.01, 100]"},
  };
  for (const auto& [set, limit] : cases) {
    SCOPED_TRACE(set);
    const std::string key = set.substr(0, set.find('='));
    expect_refused(run(file, "--set '" + set + "'"), {"s.json", key, limit}, out());
  }
  // Products of bounded keys, and a rate that spreads the requests beyond a day.
  expect_refused(run(file, "--set workload.requests=1000000 --set workload.n=2"),
                 {"workload.requests x workload.n x measure.repetitions", "1000000"}, out());
  expect_refused(run(file, "--set workload.requests=100 --set 'workload.arrival={\"process\": \"constant\", \"rate\": 1e-9}'"),
                 {"workload.arrival.rate", "86400 s"}, out());
  expect_refused(run(file, "--set measure.warmup_requests=5"), {"measure.warmup_requests", "workload.requests = 1"}, out());
}

TEST_F(BadInput, TraceValuesBeyondTheirLimitsNameTheLine) {
  write("trace.jsonl", "{\"arrival\": 0, \"prompt_len\": 4, \"output_len\": 2}\n"
                       "{\"arrival\": 1e30, \"prompt_len\": 4, \"output_len\": 2}\n");
  const fs::path file = write("t.json", R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu"}, "workload": {"arrival": {"process": "trace", "file": "trace.jsonl"}}})");
  expect_refused(run(file), {"trace.jsonl:2", "\"arrival\"", "86400"}, out());
  write("trace.jsonl", "{\"arrival\": 0, \"prompt_len\": 1000000000000, \"output_len\": 2}\n");
  expect_refused(run(file), {"trace.jsonl:1", "\"prompt_len\"", "134217728"}, out());
}

TEST_F(BadInput, LengthsBeyondTheModelsPositionsAreRefusedNotShortened) {
  const fs::path file = write("s.json", scenario());
  expect_refused(run(file, "--set workload.prompt_len=3000"), {"3000", "2048", "max_positions"}, out());
  EXPECT_EQ(run_cli("validate " + file.string() + " --set workload.prompt_len=2040 --set workload.output_len=9").code, 2);
  EXPECT_EQ(run_cli("validate " + file.string() + " --set workload.prompt_len=2040 --set workload.output_len=8").code, 0);
  expect_refused(run(file, "--set 'workload.shared_prefix={\"groups\": 1, \"length\": 2046}'"),
                 {"shared_prefix.length 2046", "2048"}, out());
  write("trace.jsonl", "{\"arrival\": 0, \"prompt_len\": 2000, \"output_len\": 100}\n");
  expect_refused(run(write("t.json", R"({"schema": "rooflm.scenario/1", "name": "t", "model": {"preset": "tiny"},
    "engine": {"backend": "cpu"}, "workload": {"arrival": {"process": "trace", "file": "trace.jsonl"}}})")),
                 {"trace", "entry 1", "2100", "2048"}, out());
  expect_refused(run(file, "--set engine.kv_cache.max_seq_len=4096"), {"max_seq_len = 4096", "2048"}, out());
  expect_refused(run_cli("generate --model tiny --backend cpu --prompt 1,2,3 --steps 2046"),
                 {"--steps 2046", "2048", "at most 2045"});
}

TEST_F(BadInput, KvPoolOrModelBeyondMemoryIsRefusedWithBytes) {
  const fs::path file = write("s.json", scenario());
  expect_refused(run(file, "--set engine.kv_cache.layout=paged --set engine.kv_cache.memory_bytes=1000000000000000"),
                 {"KV pool", "bytes of host memory"}, out());
  // 65536 slots of 2^27 tokens: beyond the 2^50-byte limit of any pool, whatever the machine holds.
  config_folder("", {{"max_position_embeddings", 1 << 27}});
  const fs::path long_model = write("l.json", R"({"schema": "rooflm.scenario/1", "name": "l", "model": {"config": "model"},
    "engine": {"backend": "cpu"}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})");
  expect_refused(run(long_model, "--set engine.batching.max_batch=65536 --set engine.kv_cache.max_seq_len=134217728"),
                 {"engine.batching.max_batch = 65536", "KV pool", "beyond the limit of 1125899906842624 bytes"}, out());
  // A synthetic model of 2^20 x 2^20 projections in 4096 layers: petabytes of weights.
  config_folder("", {{"hidden_size", 1 << 20}, {"intermediate_size", 1 << 20}, {"num_hidden_layers", 4096},
                     {"num_attention_heads", 4096}, {"num_key_value_heads", 4096}, {"head_dim", 256}});
  expect_refused(run(write("m.json", R"({"schema": "rooflm.scenario/1", "name": "m", "model": {"config": "model"},
    "engine": {"backend": "cpu"}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})")),
                 {"model 'model'", "parameters", "bytes of host memory"}, out());
}

TEST_F(BadInput, UnusableOutFolderIsRefusedBeforeTheRun) {
  const fs::path file = write("s.json", scenario("", "slow"));
  // Enough work that a run which started would be seen (its summary table) and take a while.
  const std::string work = "--set workload.requests=64 --set workload.output_len=64";
  const fs::path a_file = write("a-file", "x");
  for (const std::string& bad : {a_file.string(), (a_file / "sub").string(), std::string("/proc/rooflm-out")}) {
    SCOPED_TRACE(bad);
    const CliResult r = run_cli("run " + file.string() + " --out " + bad + " " + work, 60);
    expect_refused(r, {"--out " + bad});
    EXPECT_EQ(r.out.find("TTFT"), std::string::npos) << "the run started: " << r.out;
  }
  expect_refused(run_cli("generate --model tiny --backend cpu --prompt 1,2 --steps 2 --logits " + dir_.path().string()),
                 {"--logits", "is a folder"});
}

TEST_F(BadInput, ScenarioNameThatIsAPathIsRefused) {
  // Run in dir/work with the default --out (out/<name>): before, "../../escape" wrote dir/escape.
  fs::create_directories(dir_.path() / "work");
  for (const std::string& name : {"../../escape", "/tmp/rooflm-escape", "a/b", ".hidden", "tab\\there"}) {
    SCOPED_TRACE(name);
    const fs::path file = write("n.json", scenario("", name));
    const CliResult r = run_cli("run " + file.string(), 60, dir_.path() / "work");
    expect_refused(r, {"\"name\"", "letters, digits"});
    EXPECT_FALSE(fs::exists(dir_.path() / "escape"));
    EXPECT_FALSE(fs::exists(dir_.path() / "work" / "out"));
  }
}

TEST_F(BadInput, RooflineOfAbsurdSizesIsRefusedOrExact) {
  expect_refused(run_cli("roofline --model tiny --gpu a10 --batch 1000000000000"), {"--batch", "65536"});
  expect_refused(run_cli("roofline --model tiny --gpu a10 --prompt 9223372036854775807 --output 9223372036854775807"),
                 {"--prompt", "max_positions 2048"});
  expect_refused(run_cli("roofline --model llama3-8b --gpu a10 --prompt 8000 --batch 65536"),
                 {"--batch 65536 x --prompt 8000", "67108864"});
  // The largest config the model limits admit: byte counts stay exact (no int64 wrap).
  const fs::path model = config_folder("", {{"hidden_size", 1 << 20}, {"intermediate_size", 1 << 20},
                                            {"num_hidden_layers", 4096}, {"num_attention_heads", 4096},
                                            {"num_key_value_heads", 4096}, {"head_dim", 256}, {"vocab_size", 1 << 24}});
  const CliResult r = run_cli("roofline --model " + model.string() + " --gpu h100-sxm --json --prompt 1 --output 1");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // 4096 layers x (4 x 2^40 attention + 3 x 2^40 MLP) fp16 + 2 x 2^44 embedding and head, + norms.
  const double weights = 4096.0 * 7 * 1099511627776.0 * 2 + 2 * 17592186044416.0 * 2;
  EXPECT_NEAR(j.at("memory").at("weight_bytes").get<double>(), weights, weights * 1e-6) << r.out.substr(0, 2000);
}

TEST_F(BadInput, PrecisionOptionsNoLayerCanRunAreNamed) {
  auto engine = [](const std::string& fields) {
    return R"({"schema": "rooflm.scenario/1", "name": "q", "model": {"preset": "tiny"},
      "engine": {)" + fields + R"(}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})";
  };
  // Group scales with a GEMM that scales after the whole reduction.
  expect_refused(run(write("g.json", engine(R"("backend": "cpu", "precision": "fp8", "weight_scales": "group")"))),
                 {"g.json", "\"engine.weight_scales\" = \"group\"", "not \"fp8\"", "(have: \"channel\", \"tensor\")"},
                 out());
  // A group size that does not divide a layer's inputs (the tiny model's are 256 and 768), in run and validate.
  const fs::path odd = write("o.json", engine(R"("backend": "cpu", "precision": "int8", "weight_scales": "group",
                                                 "weight_group_size": 96)"));
  for (const std::string& command : {"run " + odd.string() + " --out " + out().string(), "validate " + odd.string()})
    expect_refused(run_cli(command), {"engine.weight_group_size = 96 must divide", "qkv_proj of model tiny has 256"},
                   out());
  expect_refused(run(write("z.json", engine(R"("backend": "cpu", "precision": "int8", "weight_group_size": 1e6)"))),
                 {"\"engine.weight_group_size\"", "[1, 65536]"}, out());
  // Static activation scales need a calibration file (quant.scales).
  expect_refused(run(write("s.json", engine(R"("backend": "cpu", "precision": "w8a8", "activation_scales": "static")"))),
                 {"\"engine.activation_scales\" = \"static\"", "needs quant.scales", "rooflm calibrate-quant"}, out());
  // FP8 on a GPU without FP8 tensor cores.
  expect_refused(run(write("a.json", engine(R"("backend": "sim", "gpu": "a10", "precision": "fp8")"))),
                 {"GPU a10", "no fp8 tensor peak"}, out());
  expect_refused(run_cli("roofline --model tiny --gpu a100-80gb --precision fp8"), {"GPU a100-80gb", "no fp8 tensor peak"});
}

TEST_F(BadInput, PrequantizedCheckpointWithABrokenScaleNamesTheFileAndTensor) {
  // The tiny model's projections as int8 codes + per-channel weight_scale; one scale negative.
  const ModelConfig config = model_preset("tiny");
  std::vector<SafetensorsWriteTensor> tensors =
      test::prequantized_hf_tensors(config, synthetic_weights(config, 3), {DType::i8, ref::WeightScaleGrain::channel});
  const std::string broken = "model.layers.2.mlp.down_proj.weight_scale";
  std::vector<float> scales(256, 0.01f);
  scales[4] = -0.01f;
  test::tensor_named(tensors, broken).bytes = safetensors_encode_floats(SafetensorsDtype::F16, scales);
  fs::create_directories(dir_.path() / "q");
  write_safetensors(dir_.path() / "q" / "model.safetensors", tensors);
  const std::string scenario = R"({"schema": "rooflm.scenario/1", "name": "q", "model": {"preset": "tiny", "weights": "q"},
    "engine": {"backend": "cpu", "precision": "int8"}, "workload": {"requests": 1, "prompt_len": 4, "output_len": 2}})";
  expect_refused(run(write("q.json", scenario)),
                 {(dir_.path() / "q" / "model.safetensors").string() + ": tensor " + broken, "element 4 = -0.01",
                  "finite and >= 0"},
                 out());
  // A scale tensor of another shape; and one at a precision the codes are not (int8 codes at fp8).
  tensors = test::prequantized_hf_tensors(config, synthetic_weights(config, 3), {DType::i8, ref::WeightScaleGrain::channel});
  test::tensor_named(tensors, broken).shape = {128, 2};
  write_safetensors(dir_.path() / "q" / "model.safetensors", tensors);
  expect_refused(run(write("q.json", scenario)), {"model.safetensors: tensor " + broken, "has shape [128, 2]"}, out());
  test::tensor_named(tensors, broken).shape = {256, 1};
  write_safetensors(dir_.path() / "q" / "model.safetensors", tensors);
  expect_refused(run(write("q.json", scenario), "--set engine.precision=fp8"),
                 {"engine.precision \"fp8\" needs F8_E4M3 weights", "model.safetensors: tensor model.layers.0.self_attn.q_proj.weight"},
                 out());
}

// (A trace or dataset reads through the same read_text_file, with a 256 MiB limit: not read here
// for the time it takes; tests/unit/json_text_test.cpp reads /dev/zero through it.)
TEST_F(BadInput, FileTooLargeOrEndlessIsRefused) {
  expect_refused(run_cli("validate /dev/zero"), {"/dev/zero", "larger than 16777216 bytes"});
  config_folder();
  fs::resize_file(dir_.path() / "model" / "config.json", (16 << 20) + 1);
  expect_refused(run_cli("validate " + write("c.json", R"({"schema": "rooflm.scenario/1", "name": "c",
    "model": {"config": "model"}})").string()),
                 {"config.json", "larger than 16777216 bytes"});
}

}  // namespace
}  // namespace rooflm
