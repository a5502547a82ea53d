"""rooflm's model presets (engine/model/presets.cpp) as Python data, and the model JSON rooflm writes
into every run (ModelConfig::to_json), so a peer's run and rooflm's run of the same preset carry an
identical "model" object (rooflm compare refuses a pair whose models differ). tests/e2e/torch_peer_test.sh
checks the table against `rooflm run` output for the CI presets and the dims against `rooflm list models`.
"""

LLAMA3_ROPE = {"low_freq_factor": 1.0, "high_freq_factor": 4.0}


def _llama3(factor, original):
    return {"type": "llama3", "factor": factor, **LLAMA3_ROPE, "original_max_positions": original}


# name: (family, hidden, n_layers, n_heads, n_kv_heads, head_dim (0: hidden / n_heads), ffn, vocab,
#        max_positions, rope_theta, rope_scaling, rms_eps, tied_embeddings, qkv_bias, sliding_window)
_PRESETS = {
    "llama2-7b": ("llama", 4096, 32, 32, 32, 0, 11008, 32000, 4096, 1e4, None, 1e-5, False, False, 0),
    "llama2-13b": ("llama", 5120, 40, 40, 40, 0, 13824, 32000, 4096, 1e4, None, 1e-5, False, False, 0),
    "llama2-70b": ("llama", 8192, 80, 64, 8, 0, 28672, 32000, 4096, 1e4, None, 1e-5, False, False, 0),
    "llama3-8b": ("llama", 4096, 32, 32, 8, 0, 14336, 128256, 8192, 5e5, None, 1e-5, False, False, 0),
    "llama3-70b": ("llama", 8192, 80, 64, 8, 0, 28672, 128256, 8192, 5e5, None, 1e-5, False, False, 0),
    "llama3.1-8b": ("llama", 4096, 32, 32, 8, 0, 14336, 128256, 131072, 5e5, _llama3(8.0, 8192), 1e-5, False, False, 0),
    "llama3.1-70b": ("llama", 8192, 80, 64, 8, 0, 28672, 128256, 131072, 5e5, _llama3(8.0, 8192), 1e-5, False, False, 0),
    "llama3.2-1b": ("llama", 2048, 16, 32, 8, 64, 8192, 128256, 131072, 5e5, _llama3(32.0, 8192), 1e-5, True, False, 0),
    "llama3.2-3b": ("llama", 3072, 28, 24, 8, 128, 8192, 128256, 131072, 5e5, _llama3(32.0, 8192), 1e-5, True, False, 0),
    "qwen2.5-0.5b": ("qwen2", 896, 24, 14, 2, 0, 4864, 151936, 32768, 1e6, None, 1e-6, True, True, 0),
    "qwen2.5-7b": ("qwen2", 3584, 28, 28, 4, 0, 18944, 152064, 131072, 1e6, None, 1e-6, False, True, 0),
    "mistral-7b": ("mistral", 4096, 32, 32, 8, 0, 14336, 32000, 32768, 1e4, None, 1e-5, False, False, 4096),
    "mistral-7b-v0.3": ("mistral", 4096, 32, 32, 8, 0, 14336, 32768, 32768, 1e6, None, 1e-5, False, False, 0),
    "tiny": ("llama", 256, 4, 4, 2, 64, 768, 2048, 2048, 1e4, None, 1e-5, False, False, 0),
    "tiny-llama3": ("llama", 256, 4, 4, 1, 64, 512, 2048, 2048, 5e5, _llama3(8.0, 64), 1e-5, True, False, 0),
    "tiny-qwen2": ("qwen2", 256, 3, 2, 1, 128, 640, 2048, 4096, 1e6, None, 1e-6, True, True, 0),
    "tiny-mistral": ("mistral", 256, 4, 4, 2, 64, 768, 2048, 2048, 1e4, None, 1e-5, False, False, 16),
}


class UnknownPreset(ValueError):
    pass


class ModelShape:
    """The fields of rooflm's ModelConfig a preset sets."""

    def __init__(self, name):
        if name not in _PRESETS:
            raise UnknownPreset(f"unknown model preset '{name}' (valid: {', '.join(_PRESETS)})")
        (self.family, self.hidden, self.n_layers, self.n_heads, self.n_kv_heads, head_dim, self.ffn, self.vocab,
         self.max_positions, self.rope_theta, rope_scaling, self.rms_eps, self.tied_embeddings, self.qkv_bias,
         self.sliding_window) = _PRESETS[name]
        self.name = name
        self.head_dim = head_dim or self.hidden // self.n_heads
        self.rope_scaling = dict(rope_scaling) if rope_scaling else {"type": "none"}

    @property
    def q_dim(self):
        return self.n_heads * self.head_dim

    @property
    def kv_dim(self):
        return self.n_kv_heads * self.head_dim

    def n_params(self):
        attention = self.hidden * self.q_dim + 2 * self.hidden * self.kv_dim + self.q_dim * self.hidden
        bias = self.q_dim + 2 * self.kv_dim if self.qkv_bias else 0
        per_layer = attention + bias + 3 * self.hidden * self.ffn + 2 * self.hidden
        lm_head = 0 if self.tied_embeddings else self.vocab * self.hidden
        return self.vocab * self.hidden + self.n_layers * per_layer + self.hidden + lm_head

    def kv_bytes_per_token(self, dtype_bytes=2):
        return 2 * self.n_layers * self.kv_dim * dtype_bytes

    def to_json(self):
        """ModelConfig::to_json, key for key."""
        return {"name": self.name, "family": self.family, "hidden": self.hidden, "n_layers": self.n_layers,
                "n_heads": self.n_heads, "n_kv_heads": self.n_kv_heads, "head_dim": self.head_dim, "ffn": self.ffn,
                "vocab": self.vocab, "max_positions": self.max_positions, "rope_theta": float(self.rope_theta),
                "rope_scaling": self.rope_scaling, "rms_eps": float(self.rms_eps),
                "tied_embeddings": self.tied_embeddings, "qkv_bias": self.qkv_bias,
                "sliding_window": self.sliding_window, "n_params": self.n_params()}


def preset_names():
    return list(_PRESETS)
