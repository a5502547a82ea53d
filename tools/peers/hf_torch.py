"""torch-hf: Hugging Face transformers on rooflm's synthetic weights, and its runner.

The model is the family's class (LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM) built from
a config of the preset's shape (rope in the transformers-5 "rope_parameters" layout, or
rope_theta / rope_scaling for transformers 4), fp16, SDPA attention, no BOS/EOS/PAD ids (nothing
stops a generation early); rooflm's packed tensors are split into q/k/v_proj and gate/up_proj.

Generation (--hf-mode):
  generate  model.generate(greedy, max_new_tokens=output_len, cache_implementation="static"):
            transformers compiles the decode forward itself when the cache is static on a GPU
            (torch.compile, mode "reduce-overhead": CUDA graphs; its CompileConfig defaults);
            each token's time is taken when generate hands it to the streamer (after .cpu()).
  loop      prefill eager, then the forward under torch.compile(mode="reduce-overhead",
            fullgraph=True) one token at a time on a StaticCache (the transformers docs' recipe).
generate falls back to loop when its first (warm-up) call fails; run.peer.hf_mode says which ran.
Checked against transformers 5.x source as published (generation/utils.py _sample: the streamer
receives the prompt first, then each new token); the API differences this guards against are
StaticCache's constructor and the rope keys of the config.
"""
import inspect
import time

import torch
import transformers

import synthetic_weights_torch
import torch_device
from peer_measure import Trace

try:
    from transformers.generation.streamers import BaseStreamer
except ImportError:  # an older layout: any object with put() and end() serves
    BaseStreamer = object


def _major():
    return int(transformers.__version__.split(".")[0])


def hf_config(model, max_seq_len):
    """The family's transformers config for a peer_presets.ModelShape."""
    s = model.rope_scaling
    rope = {"rope_type": "default" if s["type"] == "none" else s["type"], "rope_theta": float(model.rope_theta)}
    if s["type"] == "linear":
        rope["factor"] = s["factor"]
    elif s["type"] == "llama3":
        rope.update(factor=s["factor"], low_freq_factor=s["low_freq_factor"], high_freq_factor=s["high_freq_factor"],
                    original_max_position_embeddings=s["original_max_positions"])
    kw = dict(vocab_size=model.vocab, hidden_size=model.hidden, intermediate_size=model.ffn,
              num_hidden_layers=model.n_layers, num_attention_heads=model.n_heads,
              num_key_value_heads=model.n_kv_heads, head_dim=model.head_dim,
              max_position_embeddings=model.max_positions, rms_norm_eps=model.rms_eps,
              tie_word_embeddings=model.tied_embeddings, bos_token_id=None, eos_token_id=None, pad_token_id=None,
              attn_implementation="sdpa")
    if _major() >= 5:
        kw["rope_parameters"] = rope
    else:
        kw["rope_theta"] = rope.pop("rope_theta")
        kw["rope_scaling"] = rope if rope["rope_type"] != "default" else None
    if model.family == "llama":
        return transformers.LlamaForCausalLM, transformers.LlamaConfig(**kw, attention_bias=False, mlp_bias=False)
    if model.family == "qwen2":
        return transformers.Qwen2ForCausalLM, transformers.Qwen2Config(**kw, use_sliding_window=False)
    if model.family == "mistral":
        return transformers.MistralForCausalLM, transformers.MistralConfig(**kw,
                                                                           sliding_window=model.sliding_window or None)
    raise ValueError(f"model family {model.family!r}")


def build_model(model, w, max_seq_len, device, dtype):
    cls, config = hf_config(model, max_seq_len)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            hf = cls(config)
    finally:
        torch.set_default_dtype(default)
    hf = hf.to(device=device, dtype=dtype).eval()
    QD, KD, F = model.q_dim, model.kv_dim, model.ffn
    with torch.no_grad():
        base = hf.model
        base.embed_tokens.weight.copy_(w["embed"])
        for i, layer in enumerate(base.layers):
            p = f"layers.{i}."
            q, k, v = w[p + "wqkv"].split([QD, KD, KD])
            attn, mlp = layer.self_attn, layer.mlp
            attn.q_proj.weight.copy_(q)
            attn.k_proj.weight.copy_(k)
            attn.v_proj.weight.copy_(v)
            if model.qkv_bias:
                bq, bk, bv = w[p + "bqkv"].split([QD, KD, KD])
                attn.q_proj.bias.copy_(bq)
                attn.k_proj.bias.copy_(bk)
                attn.v_proj.bias.copy_(bv)
            attn.o_proj.weight.copy_(w[p + "wo"])
            gate, up = w[p + "w_gate_up"].split([F, F])
            mlp.gate_proj.weight.copy_(gate)
            mlp.up_proj.weight.copy_(up)
            mlp.down_proj.weight.copy_(w[p + "w_down"])
            layer.input_layernorm.weight.copy_(w[p + "attn_norm"])
            layer.post_attention_layernorm.weight.copy_(w[p + "mlp_norm"])
        base.norm.weight.copy_(w["final_norm"])
        if model.tied_embeddings:
            if hf.lm_head.weight.data_ptr() != base.embed_tokens.weight.data_ptr():
                hf.lm_head.weight.copy_(w["embed"])  # not tied by this transformers: the same values
        else:
            hf.lm_head.weight.copy_(w["lm_head"])
    return hf


def static_cache(hf, max_cache_len, device, dtype):
    """A StaticCache of one sequence across constructor versions (4.4x: batch size, device, dtype;
    5.x: config and max_cache_len, allocated lazily)."""
    params = inspect.signature(transformers.StaticCache.__init__).parameters
    kw = {"config": hf.config, "max_cache_len": max_cache_len}
    for name, value in (("max_batch_size", 1), ("batch_size", 1), ("device", device), ("dtype", dtype)):
        if name in params:
            kw[name] = value
    return transformers.StaticCache(**kw)


class TokenTimes(BaseStreamer):
    """generate()'s streamer: the prompt first, then each new token (already on the host)."""

    def __init__(self, clock):
        self.clock, self.times, self.tokens, self.seen_prompt = clock, [], [], False

    def put(self, value):
        if not self.seen_prompt:
            self.seen_prompt = True
            return
        now = self.clock.now()
        for token in value.reshape(-1).tolist():
            self.times.append(now)
            self.tokens.append(int(token))

    def end(self):
        pass


class HfRunner:
    config = "torch-hf"

    def __init__(self, device, mode, log):
        self.device, self.dtype = torch_device.pick_device(device)
        self.mode, self.requested_mode, self.log = mode, mode, log
        self.device_info = torch_device.device_info(self.device)
        self.device_name = self.device_info["name"] if self.device_info else None
        self.hf, self.calls, self.fallback = None, 0, None
        self.compile = self.device.type == "cuda"

    def load(self, model, max_seq_len, seed):
        t = time.perf_counter()
        w = synthetic_weights_torch.generate(model, seed, self.device, self.dtype)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        weights_s = time.perf_counter() - t
        checked = synthetic_weights_torch.verify(model, seed, w)
        self.hf = build_model(model, w, max_seq_len, self.device, self.dtype)
        del w
        self.max_seq_len, self.cache, self.forward = max_seq_len, None, None
        return {"weights_s": weights_s, "weights_checked_elements": checked,
                "attn_implementation": getattr(self.hf.config, "_attn_implementation", None)}

    def generate(self, prompt, output_len, clock):
        self.calls += 1
        if self.mode == "generate":
            try:
                return self._generate(prompt, output_len, clock)
            except Exception as e:  # noqa: BLE001 -- an API difference: the manual loop instead
                if self.calls > 1:
                    raise
                self.fallback = f"{type(e).__name__}: {e}"[:500]
                self.log(f"torch-hf: generate() failed ({self.fallback}); using the StaticCache loop")
                self.mode = "loop"
        return self._loop(prompt, output_len, clock)

    @torch.no_grad()
    def _generate(self, prompt, output_len, clock):
        cfg = transformers.GenerationConfig(max_new_tokens=output_len, do_sample=False, num_beams=1, use_cache=True,
                                            cache_implementation="static", eos_token_id=None, pad_token_id=0,
                                            bos_token_id=None)
        if not self.compile:
            cfg.disable_compile = True
        ids = torch.tensor([prompt], dtype=torch.int64, device=self.device)
        streamer = TokenTimes(clock)
        trace = Trace(clock.now())
        self.hf.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=cfg,
                         streamer=streamer)
        trace.token_times, trace.tokens = streamer.times, streamer.tokens
        self._steps_from_times(trace, len(prompt))
        return trace

    @torch.no_grad()
    def _loop(self, prompt, output_len, clock):
        if self.cache is None:
            self.cache = static_cache(self.hf, self.max_seq_len, self.device, self.dtype)
            self.forward = torch.compile(self.hf.forward, mode="reduce-overhead", fullgraph=True) \
                if self.compile else self.hf.forward
            # positions as this forward takes them: cache_position (4.x, 5.x) and/or position_ids
            params = inspect.signature(self.hf.forward).parameters
            self.position_keys = [k for k in ("cache_position", "position_ids") if k in params] or ["position_ids"]
        trace = Trace(clock.now())
        self.cache.reset()
        ids = torch.tensor([prompt], dtype=torch.int64, device=self.device)
        out = self.hf(input_ids=ids, past_key_values=self.cache, use_cache=True,
                      **self._positions(torch.arange(len(prompt), device=self.device)))
        token = torch.argmax(out.logits[:, -1], dim=-1, keepdim=True)
        trace.tokens.append(token.item())
        trace.token_times.append(clock.now())
        for i in range(1, output_len):
            if self.compile:
                torch.compiler.cudagraph_mark_step_begin()
            position = torch.tensor([len(prompt) + i - 1], device=self.device)
            out = self.forward(input_ids=token, past_key_values=self.cache, use_cache=True, **self._positions(position))
            token = torch.argmax(out.logits[:, -1], dim=-1, keepdim=True)
            trace.tokens.append(token.item())
            trace.token_times.append(clock.now())
        self._steps_from_times(trace, len(prompt))
        return trace

    def _positions(self, positions):
        return {k: positions if k == "cache_position" else positions[None] for k in self.position_keys}

    @staticmethod
    def _steps_from_times(trace, n_prompt):
        """Steps are the gaps between tokens on the host (no device timing through generate())."""
        begin = trace.first_scheduled
        for i, t in enumerate(trace.token_times):
            trace.add_step(begin, t, n_prompt if i == 0 else 0, 0 if i == 0 else 1)
            begin = t

    def variant(self):
        return {"kernels": f"transformers {transformers.__version__} sdpa",
                "launch": "graph" if self.compile else "eager"}

    def kernels(self):
        how = ("model.generate(cache_implementation='static'), transformers' own decode compile"
               if self.mode == "generate" else "StaticCache loop, forward under torch.compile(mode='reduce-overhead')")
        return [f"torch-hf: {how}", "attention: transformers sdpa", "prefill: eager"]

    def info(self):
        compiled = getattr(self.hf, "_compiled_call", None) is not None if self.hf is not None else None
        return {"timing": "host clock when each token reaches the host (generate's streamer / .item()); steps are "
                          "the gaps between tokens (no device timing)",
                "transformers": transformers.__version__, "torch": torch.__version__, "hf_mode": self.mode,
                "hf_mode_requested": self.requested_mode, "hf_generate_failed": self.fallback,
                "hf_generate_compiled": compiled if self.mode == "generate" else None,
                "dtype": str(self.dtype).replace("torch.", "")}

    def unload(self):
        self.hf = self.cache = self.forward = None
        if self.compile:
            torch._dynamo.reset()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
