// `rooflm generate`: greedy generation from token ids with one model and backend, printing the
// tokens and optionally writing every step's logits (what tests/gpu/hf_parity.py compares with
// Hugging Face transformers).
//   rooflm generate --config DIR --weights DIR --prompt 1,2,3 --steps 32 --backend cuda --logits out.json
#include <algorithm>
#include <charconv>
#include <iostream>
#include <sstream>

#include "engine/backend/backend_factory.h"
#include "common/error.h"
#include "engine/kv/contiguous_kv_cache.h"
#include "engine/results/results.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_path.h"
#include "tools/cli/option_enum.h"

namespace rooflm {
namespace {

struct GenerateArgs {
  std::string preset, config, weights, prompt, logits_out, backend = "auto", kernels = "fused", launch = "eager";
  uint64_t seed = 0;
  int64_t steps = 32;
};

std::vector<int32_t> parse_tokens(const std::string& text) {
  std::vector<int32_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    int32_t token = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), token);
    if (item.empty() || error != std::errc() || end != item.data() + item.size())
      throw InputError("--prompt: \"" + item + "\" is not a token id (expected comma-separated integers)");
    out.push_back(token);
  }
  if (out.empty()) throw InputError("--prompt needs at least one token id");
  return out;
}

void generate(const GenerateArgs& a) {
  Scenario s;
  if (a.preset.empty() == a.config.empty()) throw InputError("give exactly one of --model (preset) and --config");
  s.model.preset = a.preset;
  s.model.config_path = a.config;
  if (!a.weights.empty() && a.weights != "synthetic") s.model.weights_dir = a.weights;
  s.model.seed = a.seed;
  s.engine.kernels = parse_option("--kernels", kKernelSetNames, {KernelSet::naive, KernelSet::fused}, a.kernels);
  s.engine.launch = parse_option("--launch", kLaunchNames, {Launch::eager, Launch::graph}, a.launch);
  const ModelConfig config = resolve_model_config(s.model);
  const std::vector<int32_t> prompt = parse_tokens(a.prompt);
  for (int32_t t : prompt)
    if (t < 0 || t >= config.vocab)
      throw InputError("--prompt: token " + std::to_string(t) + " is outside the vocabulary [0, " +
                       std::to_string(config.vocab) + ")");
  if (a.steps < 1) throw InputError("--steps must be >= 1, got " + std::to_string(a.steps));
  if (a.steps > config.max_positions - int64_t(prompt.size()))
    throw InputError("--prompt of " + std::to_string(prompt.size()) + " tokens + --steps " + std::to_string(a.steps) +
                     " exceeds the max_positions " + std::to_string(config.max_positions) + " of model '" +
                     config.name + "' (the steps may be at most " +
                     std::to_string(std::max<int64_t>(0, config.max_positions - int64_t(prompt.size()))) + ")");
  if (!a.logits_out.empty()) require_writable_file(a.logits_out, "--logits");
  const BackendKind kind =
      a.backend == "auto" ? resolve_backend(std::nullopt)
                          : parse_option("--backend", kBackendKindNames, {BackendKind::cpu, BackendKind::cuda}, a.backend);
  auto backend = make_backend(kind, config, s, {});
  const int64_t len = int64_t(prompt.size()) + a.steps;
  ContiguousKvCache kv({config.n_layers, config.n_kv_heads, config.head_dim, len, 1, backend->effective_variant().kv_dtype});
  kv.bind(backend->allocate_kv(kv.geometry()));

  nlohmann::json logits = nlohmann::json::array();
  std::vector<int32_t> generated;
  SeqChunk ch;
  ch.seq = 0;
  ch.tokens = prompt;
  ch.sample = ch.is_prefill = true;
  for (int64_t step = 0; step < a.steps; ++step) {
    BatchPlan plan;
    plan.chunks = {ch};
    if (!kv.reserve(0, ch.n_tokens())) throw std::runtime_error("KV cache full");
    const StepOutput out = backend->forward(plan, kv.view(plan.seqs()), !a.logits_out.empty());
    kv.commit(0, ch.tokens);
    generated.push_back(out.next_tokens[0]);
    if (!a.logits_out.empty()) logits.push_back(out.logits[0]);
    ch.start_pos = ch.end_pos();
    ch.tokens = {out.next_tokens[0]};
    ch.is_prefill = false;
  }
  for (size_t i = 0; i < generated.size(); ++i) std::cout << (i ? "," : "") << generated[i];
  std::cout << "\n";
  if (!a.logits_out.empty())
    write_json_atomic(a.logits_out, {{"backend", backend->name()}, {"variant", backend->effective_variant().to_json()},
                                     {"kernels", backend->kernel_names()}, {"prompt", prompt},
                                     {"tokens", generated}, {"logits", logits}});
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  CLI::App* sub = app.add_subcommand("generate", "Greedy generation from token ids (prints the tokens)");
  sub->add_option("--model", a->preset, "Built-in preset (rooflm list models)");
  sub->add_option("--config", a->config, "Hugging Face config.json or its folder");
  sub->add_option("--weights", a->weights, "safetensors folder (default: synthetic weights)");
  sub->add_option("--seed", a->seed, "Synthetic weights seed");
  sub->add_option("--prompt", a->prompt, "Comma-separated prompt token ids")->required();
  sub->add_option("--steps", a->steps, "Tokens to generate (default 32)");
  sub->add_option("--backend", a->backend, "auto | cpu | cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  sub->add_option("--kernels", a->kernels, "naive | fused")->check(CLI::IsMember({"naive", "fused"}));
  sub->add_option("--launch", a->launch, "eager | graph")->check(CLI::IsMember({"eager", "graph"}));
  sub->add_option("--logits", a->logits_out, "Write {tokens, logits per step} to this JSON file");
  sub->callback([a] { generate(*a); });
}

}  // namespace rooflm
