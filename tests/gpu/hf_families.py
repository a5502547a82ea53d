"""Tiny random-weight Hugging Face models of every family rooflm runs, and transformers' fp32 greedy
reference on them. Shared by tests/gpu/hf_parity.py (GPU machine: rooflm vs transformers) and
tests/fixtures/hf/make_fixtures.py (writes the CPU fixtures CI checks). Needs torch + transformers 5.

Families (weights saved as fp16; the reference reloads them as fp32, so both sides use the same
fp16-rounded weights, and runs eager attention, the mask exactly as the model defines it):
  llama    Llama-2 style: MHA, rope_theta 1e4, untied lm_head
  llama3   Llama-3.1/3.2 style: GQA, rope_theta 5e5, rope_type "llama3" (factor 8, low/high freq
           factors 1/4, original_max_position_embeddings 64: with head_dim 64 dims 3-5 fall in the
           interpolated band and 6+ are divided by 8, none near a band edge), tied embeddings
  qwen2    Qwen2/2.5 style: GQA, Q/K/V bias (random, not the zero init), rope_theta 1e6, tied
  mistral  Mistral style: GQA, sliding_window shorter than the prompt (prefill and decode windowed)
Every weight is redrawn from one seeded generator (matrices N(0, 1/fan_in), norm weights 1 + 0.1 N,
biases 0.2 N) so logits are O(1) and every tensor matters. feature_effects() proves each family's
feature changes the logits by more than 1e-2 (relative), a hundred times the CPU tolerance.

Checked against the installed transformers 5.17.0 / torch 2.11.0 (H200 machine, 2026-12-01:
save_pretrained output and the source of masking_utils, modeling_rope_utils, cache_utils,
models/{llama,qwen2,mistral}; make_fixtures.py and hf_parity.py's transformers side ran there,
window_semantics() and every feature_effects() check passing):
  - config.json carries "rope_parameters": {"rope_type", "rope_theta", + scaling keys}, no
    top-level rope_theta / rope_scaling, and "dtype" instead of "torch_dtype". The transformers-4
    keys are still read (RotaryEmbeddingConfigMixin.convert_rope_params_to_dict); to_transformers4()
    writes that layout so rooflm's reader is tested on both.
  - llama3 inverse frequencies: _compute_llama3_parameters (float32; wavelen > orig/low: divided by
    factor; wavelen < orig/high: kept; between: smooth interpolation).
  - Sliding window: masking_utils.sliding_window_overlay keeps kv_idx > q_idx - sliding_window, so a
    query at position p attends to [p - W + 1, p] (W positions, itself included);
    DynamicSlidingWindowLayer caches the last W - 1 keys and get_mask_sizes offsets the mask to
    match. window_semantics() re-checks this behaviourally on whatever version runs.
  - Qwen2: q/k/v_proj Linear(bias=True) initialised to zero, o_proj and the MLP without bias;
    Qwen2Config sets sliding_window = null unless use_sliding_window (layer_types all
    "full_attention").
  - Tied embeddings: save_pretrained writes no lm_head.weight; from_pretrained ties lm_head to
    model.embed_tokens.
"""
import copy, json, os, shutil

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM
from transformers import Qwen2Config, Qwen2ForCausalLM

FAMILIES = ["llama", "llama3", "qwen2", "mistral"]
# fixture: a few hundred KiB of fp16 per model (tests/fixtures/hf); parity: the GPU check's size.
# head_dim 64, hidden and ffn multiples of 8: what the CUDA kernels take.
SIZES = {
    "fixture": dict(hidden_size=128, intermediate_size=192, num_hidden_layers=2, num_attention_heads=2,
                    vocab_size=512, max_position_embeddings=256, sliding_window=8),
    "parity": dict(hidden_size=256, intermediate_size=768, num_hidden_layers=3, num_attention_heads=4,
                   vocab_size=1024, max_position_embeddings=512, sliding_window=16),
}
MIN_EFFECT = 1e-2  # relative logit change each family feature must cause


def family_config(family, size):
    s = dict(SIZES[size])
    window = s.pop("sliding_window")
    heads = s["num_attention_heads"]
    if family == "llama":
        return LlamaConfig(**s, num_key_value_heads=heads, rms_norm_eps=1e-5, tie_word_embeddings=False,
                           rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    if family == "llama3":
        return LlamaConfig(**s, num_key_value_heads=heads // 2, rms_norm_eps=1e-5, tie_word_embeddings=True,
                           rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                            "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                            "original_max_position_embeddings": 64})
    if family == "qwen2":
        return Qwen2Config(**s, num_key_value_heads=heads // 2, rms_norm_eps=1e-6, tie_word_embeddings=True,
                           rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})
    if family == "mistral":
        return MistralConfig(**s, num_key_value_heads=heads // 2, rms_norm_eps=1e-5, tie_word_embeddings=False,
                             sliding_window=window, rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")


MODEL_CLASSES = {"llama": LlamaForCausalLM, "llama3": LlamaForCausalLM, "qwen2": Qwen2ForCausalLM,
                 "mistral": MistralForCausalLM}


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):  # tied weights appear once
            noise = torch.randn(p.shape, generator=g)
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * noise)
            elif name.endswith(".bias"):
                p.copy_(0.2 * noise)
            else:
                p.copy_(noise / p.shape[1] ** 0.5)


def save_random_model(family, size, seed, folder):
    """Random fp16 model of `family` in `folder` (config.json, model.safetensors); returns folder."""
    model = MODEL_CLASSES[family](family_config(family, size))
    randomise(model, seed)
    model.to(torch.float16).save_pretrained(folder)
    return folder


def load_reference(folder, device):
    torch.set_float32_matmul_precision("highest")  # no TF32 / bf16 passes: IEEE fp32 matmuls
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    return model.to(device).eval()


def hf_greedy(model, prompt, steps):
    """Greedy decode with the KV cache (prefill, then one token a step), as rooflm generate does.
    Returns (tokens, logits [steps, vocab] float32 on the CPU)."""
    device = next(model.parameters()).device
    ids = torch.tensor([prompt], device=device)
    tokens, logits, past = [], [], None
    with torch.no_grad():
        for _ in range(steps):
            out = model(input_ids=ids, past_key_values=past, use_cache=True)
            past = out.past_key_values
            step_logits = out.logits[0, -1].float()
            tokens.append(int(torch.argmax(step_logits)))
            logits.append(step_logits.cpu())
            ids = torch.tensor([[tokens[-1]]], device=device)
    return tokens, torch.stack(logits)


def stream_logits(model, stream):
    device = next(model.parameters()).device
    with torch.no_grad():
        return model(input_ids=torch.tensor([stream], device=device), use_cache=False).logits[0].float().cpu()


def relative_change(a, b):
    return float(torch.linalg.norm(a - b) / torch.linalg.norm(a))


def _variant(folder, tmp, edit_config):
    """The model of `folder` with its config.json edited (same weights), as a reference."""
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(folder, tmp)
    cfg = json.load(open(os.path.join(tmp, "config.json")))
    edit_config(cfg)
    json.dump(cfg, open(os.path.join(tmp, "config.json"), "w"), indent=2)
    return tmp


def feature_effects(family, folder, model, stream, device):
    """What each family feature does to the logits of `stream` (relative change when it is removed),
    plus structural checks. Raises AssertionError when a feature has no effect (the test would not
    test it). Returns {feature: value}."""
    effects = {}
    base = stream_logits(model, stream)
    tensors = load_file(os.path.join(folder, "model.safetensors"))
    cfg = model.config
    if cfg.tie_word_embeddings:
        assert "lm_head.weight" not in tensors, "tied model saved an lm_head.weight"
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "lm_head not tied"
        effects["tied_embeddings"] = True
    if family == "llama3":
        def no_scaling(c):
            c["rope_parameters"] = {"rope_type": "default", "rope_theta": c["rope_parameters"]["rope_theta"]}
        plain = load_reference(_variant(folder, folder + "-noscale", no_scaling), device)
        effects["rope_scaling_llama3"] = relative_change(base, stream_logits(plain, stream))
    if family == "qwen2":
        biases = [k for k in tensors if k.endswith("_proj.bias")]
        assert sorted({k.split(".")[-2] for k in biases}) == ["k_proj", "q_proj", "v_proj"], biases
        assert all(float(tensors[k].float().abs().max()) > 0 for k in biases), "a zero Q/K/V bias"
        unbiased = copy.deepcopy(model)
        with torch.no_grad():
            for name, p in unbiased.named_parameters():
                if name.endswith("_proj.bias"):
                    p.zero_()
        effects["qkv_bias"] = relative_change(base, stream_logits(unbiased, stream))
    if family == "mistral":
        assert cfg.sliding_window < len(stream), (cfg.sliding_window, len(stream))
        full = load_reference(_variant(folder, folder + "-nowindow", lambda c: c.update(sliding_window=None)), device)
        effects["sliding_window"] = relative_change(base, stream_logits(full, stream))
    for name, value in effects.items():
        if not isinstance(value, bool):
            assert value > MIN_EFFECT, f"{family}: removing {name} changes the logits by only {value:.1e}"
    return effects


def window_semantics(tmp, device):
    """Checks on the installed transformers that a sliding window W lets position p see exactly
    [p - W + 1, p]: in a one-layer Mistral, the last position's logits ignore a change of the token
    at p - W and follow one at p - W + 1. Returns a description (raises AssertionError otherwise)."""
    window, length = 4, 12
    cfg = MistralConfig(hidden_size=128, intermediate_size=128, num_hidden_layers=1, num_attention_heads=2,
                        num_key_value_heads=1, vocab_size=64, max_position_embeddings=64, sliding_window=window)
    model = MistralForCausalLM(cfg)
    randomise(model, 99)
    model.save_pretrained(tmp)
    model = load_reference(tmp, device)
    stream = list(range(1, length + 1))
    last = stream_logits(model, stream)[-1]
    p = length - 1

    def changed_at(i):
        s = list(stream)
        s[i] = 40
        return float((stream_logits(model, s)[-1] - last).abs().max())
    outside, inside = changed_at(p - window), changed_at(p - window + 1)
    # masked keys get softmax weight exactly 0, so "ignores" is exact up to GEMM blocking
    assert outside <= 1e-6 and inside > 1e-3, f"window semantics changed: outside {outside}, inside {inside}"
    return f"sliding_window {window}: position {p} ignores token {p - window}, sees {p - window + 1} (max change {inside:.2e})"


def to_transformers4(cfg):
    """config.json dict in the transformers-4 layout (top-level rope_theta, rope_scaling, torch_dtype)."""
    cfg = dict(cfg)
    rope = dict(cfg.pop("rope_parameters"))
    cfg["rope_theta"] = rope.pop("rope_theta")
    cfg["rope_scaling"] = rope if rope.get("rope_type", "default") != "default" else None
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    cfg.pop("transformers_version", None)
    return cfg


def check_transformers4_equivalent(folder, tmp, model, stream, device):
    """transformers itself reads the transformers-4 config as the same model (the same logits)."""
    def edit(c):
        v4_layout = to_transformers4(c)
        c.clear()
        c.update(v4_layout)
    v4 = load_reference(_variant(folder, tmp, edit), device)
    change = relative_change(stream_logits(model, stream), stream_logits(v4, stream))
    assert change <= 1e-6, f"transformers-4 layout of {folder} gives different logits ({change:.1e})"


def versions():
    return {"transformers": transformers.__version__, "torch": torch.__version__}
