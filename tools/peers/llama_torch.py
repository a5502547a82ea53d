"""torch-compile: a minimal Llama-architecture decoder in PyTorch (the gpt-fast recipe) on rooflm's
packed weights, and its runner.

Model: embedding; per layer RMSNorm (fp32 statistics), one QKV GEMM (+ Qwen2 bias), Hugging Face
rotate-half RoPE with rooflm's inverse frequencies (llama3 / linear scaling; angles in fp32),
a static KV cache [1, n_kv_heads, max_seq_len, head_dim] per layer written at input_pos, SDPA
attention (prefill: causal on the fresh K/V, sliding window by mask; decode: the cache under a
position mask, GQA by enable_gqa), o_proj, RMSNorm, one gate/up GEMM, SiLU * up, down_proj; final
RMSNorm and the LM head on the last position. fp16 weights and activations on a GPU (fp32 on a CPU).

Runner: decode is one compiled function (forward + argmax) under torch.compile(mode="max-autotune",
fullgraph=True): Inductor's GEMM autotuning and CUDA graphs (cudagraph trees), with gpt-fast's
Inductor settings (coordinate-descent tuning); prefill runs eager (cuBLAS GEMMs, SDPA flash
attention) unless --compile-prefill. Each token is read back with .item() (the host has it, as in
rooflm's engine); CUDA events around each step give its device time.
"""
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

import synthetic_weights_torch
import torch_device
from peer_measure import Trace


def rope_inv_freq(model):
    """rooflm's common/rope_table.cpp in double precision: [head_dim / 2]."""
    hd, s = model.head_dim, model.rope_scaling
    inv = [model.rope_theta ** (-2.0 * i / hd) for i in range(hd // 2)]
    if s["type"] == "linear":
        inv = [f / s["factor"] for f in inv]
    elif s["type"] == "llama3":
        old = float(s["original_max_positions"])
        low_wl, high_wl = old / s["low_freq_factor"], old / s["high_freq_factor"]
        out = []
        for f in inv:
            wavelen = 2 * math.pi / f
            if wavelen > low_wl:
                f = f / s["factor"]
            elif wavelen >= high_wl:
                smooth = (old / wavelen - s["low_freq_factor"]) / (s["high_freq_factor"] - s["low_freq_factor"])
                f = (1 - smooth) * f / s["factor"] + smooth * f
            out.append(f)
        inv = out
    return inv


def rms_norm(x, weight, eps):
    """Hugging Face LlamaRMSNorm: statistics in fp32, the normalised value cast back, times the weight."""
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)


def rotate(x, cos, sin):
    """x [1, S, heads, head_dim]; cos/sin [S, head_dim] fp32 (each angle twice: rotate-half pairs)."""
    half = x.shape[-1] // 2
    xf = x.float()
    rotated = torch.cat((-xf[..., half:], xf[..., :half]), dim=-1)
    return (xf * cos[None, :, None, :] + rotated * sin[None, :, None, :]).to(x.dtype)


class Layer(nn.Module):
    def __init__(self, model, w, prefix, max_seq_len, dtype, device):
        super().__init__()
        p = lambda name: nn.Parameter(w[prefix + name], requires_grad=False)  # noqa: E731
        self.attn_norm, self.wqkv, self.wo = p("attn_norm"), p("wqkv"), p("wo")
        self.bqkv = p("bqkv") if model.qkv_bias else None
        self.mlp_norm, self.w_gate_up, self.w_down = p("mlp_norm"), p("w_gate_up"), p("w_down")
        shape = (1, model.n_kv_heads, max_seq_len, model.head_dim)
        self.register_buffer("k_cache", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        self.register_buffer("v_cache", torch.zeros(shape, dtype=dtype, device=device), persistent=False)
        if device.type == "cuda":  # mutated in place inside the CUDA graph: fixed addresses (as HF's StaticCache)
            torch._dynamo.mark_static_address(self.k_cache)
            torch._dynamo.mark_static_address(self.v_cache)
        self.m = model

    def forward(self, x, input_pos, cos, sin, mask):
        m = self.m
        S, QD, KD = x.shape[1], m.q_dim, m.kv_dim
        h = rms_norm(x, self.attn_norm, m.rms_eps)
        qkv = F.linear(h, self.wqkv, self.bqkv)
        q = rotate(qkv[..., :QD].view(1, S, m.n_heads, m.head_dim), cos, sin).transpose(1, 2)
        k = rotate(qkv[..., QD:QD + KD].view(1, S, m.n_kv_heads, m.head_dim), cos, sin).transpose(1, 2)
        v = qkv[..., QD + KD:].view(1, S, m.n_kv_heads, m.head_dim).transpose(1, 2)
        self.k_cache.index_copy_(2, input_pos, k)
        self.v_cache.index_copy_(2, input_pos, v)
        gqa = m.n_kv_heads != m.n_heads
        if S > 1:  # prefill from position 0: the fresh K/V are the whole context
            if m.sliding_window and S > m.sliding_window:
                attn = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, :, :, :S], enable_gqa=gqa)
            else:
                attn = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
        else:
            attn = F.scaled_dot_product_attention(q, self.k_cache, self.v_cache, attn_mask=mask, enable_gqa=gqa)
        x = x + F.linear(attn.transpose(1, 2).reshape(1, S, QD), self.wo)
        h = rms_norm(x, self.mlp_norm, m.rms_eps)
        gate, up = F.linear(h, self.w_gate_up).split(m.ffn, dim=-1)
        return x + F.linear(F.silu(gate) * up, self.w_down)


class Llama(nn.Module):
    def __init__(self, model, w, max_seq_len, dtype, device):
        super().__init__()
        self.m = model
        self.embed = nn.Parameter(w["embed"], requires_grad=False)
        self.layers = nn.ModuleList(Layer(model, w, f"layers.{i}.", max_seq_len, dtype, device)
                                    for i in range(model.n_layers))
        self.final_norm = nn.Parameter(w["final_norm"], requires_grad=False)
        self.lm_head = self.embed if model.tied_embeddings else nn.Parameter(w["lm_head"], requires_grad=False)
        inv = torch.tensor(rope_inv_freq(model), dtype=torch.float64)
        angles = torch.arange(max_seq_len, dtype=torch.float64)[:, None] * inv[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        self.register_buffer("cos", angles.cos().float().to(device), persistent=False)
        self.register_buffer("sin", angles.sin().float().to(device), persistent=False)
        pos = torch.arange(max_seq_len, device=device)
        allowed = pos[None, :] <= pos[:, None]  # [query position, key position]
        if model.sliding_window:
            allowed &= pos[None, :] > pos[:, None] - model.sliding_window
        self.register_buffer("mask", allowed[None, None], persistent=False)  # [1, 1, max_seq, max_seq]

    def forward(self, tokens, input_pos):
        """tokens [1, S] int64 at positions input_pos [S] -> logits [1, 1, vocab] of the last position."""
        x = F.embedding(tokens, self.embed)
        cos, sin, mask = self.cos[input_pos], self.sin[input_pos], self.mask[:, :, input_pos]
        for layer in self.layers:
            x = layer(x, input_pos, cos, sin, mask)
        x = rms_norm(x[:, -1:], self.final_norm, self.m.rms_eps)
        return F.linear(x, self.lm_head)


def prefill_step(model, tokens, input_pos):
    return torch.argmax(model(tokens, input_pos)[:, -1], dim=-1, keepdim=True)


def decode_step(model, token, input_pos):
    return torch.argmax(model(token, input_pos)[:, -1], dim=-1, keepdim=True)


class CompiledLlamaRunner:
    config = "torch-compile"

    def __init__(self, device, compile_mode, compile_prefill, log, compile_decode=True):
        self.device, self.dtype = torch_device.pick_device(device)
        self.compile_mode, self.compile_prefill, self.log = compile_mode, compile_prefill, log
        self.compile_decode = compile_decode and self.device.type == "cuda"
        self.device_info = torch_device.device_info(self.device)
        self.device_name = self.device_info["name"] if self.device_info else None
        self.model, self.first_decode_s, self.weights_checked = None, None, 0
        self.inductor = {}
        if self.compile_decode:  # gpt-fast's Inductor settings, where this torch has them
            import torch._inductor.config as inductor
            for name, value in (("coordinate_descent_tuning", True), ("triton.unique_kernel_names", True),
                                ("fx_graph_cache", True)):
                owner, _, leaf = name.rpartition(".")
                try:
                    setattr(getattr(inductor, owner) if owner else inductor, leaf, value)
                    self.inductor[name] = value
                except (AttributeError, TypeError) as e:
                    self.inductor[name] = f"not set: {e}"

    def load(self, model, max_seq_len, seed):
        t = time.perf_counter()
        w = synthetic_weights_torch.generate(model, seed, self.device, self.dtype)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        weights_s = time.perf_counter() - t
        self.weights_checked = synthetic_weights_torch.verify(model, seed, w)
        self.model = Llama(model, w, max_seq_len, self.dtype, self.device).eval()
        del w
        self.decode = torch.compile(decode_step, mode=self.compile_mode, fullgraph=True) \
            if self.compile_decode else decode_step
        self.prefill = torch.compile(prefill_step, dynamic=False, fullgraph=True) \
            if self.compile_prefill and self.compile_decode else prefill_step
        self.timer = torch_device.StepTimer(self.device)
        self.first_decode_s = None
        return {"weights_s": weights_s, "weights_checked": self.weights_checked}

    @torch.no_grad()
    def generate(self, prompt, output_len, clock):
        trace, timer = Trace(clock.now()), self.timer
        timer.start()
        tokens = torch.tensor([prompt], dtype=torch.int64, device=self.device)
        token = self.prefill(self.model, tokens, torch.arange(len(prompt), device=self.device))
        timer.stop()
        value, now = token.item(), clock.now()
        trace.add_step(trace.first_scheduled, now, len(prompt), 0, timer.seconds())
        trace.token_times.append(now)
        trace.tokens.append(value)
        pos = torch.tensor([len(prompt)], dtype=torch.int64, device=self.device)
        for _ in range(1, output_len):
            start = clock.now()
            timer.start()
            if self.compile_decode:
                torch.compiler.cudagraph_mark_step_begin()
            out = self.decode(self.model, token, pos)
            timer.stop()
            value, now = out.item(), clock.now()
            if self.first_decode_s is None:
                self.first_decode_s = now - start
            trace.add_step(start, now, 0, 1, timer.seconds())
            trace.token_times.append(now)
            trace.tokens.append(value)
            token = out.clone()  # a CUDA-graph output is overwritten by the next replay
            pos += 1
        return trace

    def variant(self):
        mode = self.compile_mode if self.compile_decode else "eager"
        graphs = self.compile_decode and "no-cudagraphs" not in mode and mode in ("max-autotune", "reduce-overhead")
        return {"kernels": f"inductor {mode}" if self.compile_decode else "eager",
                "launch": "graph" if graphs else "eager"}

    def kernels(self):
        decode = (f"decode: torch.compile(mode={self.compile_mode!r}, fullgraph=True) forward + argmax"
                  if self.compile_decode else "decode: eager")
        prefill = ("prefill: torch.compile(dynamic=False)" if self.compile_prefill and self.compile_decode
                   else "prefill: eager (cuBLAS GEMMs, SDPA)")
        return [decode, prefill, "attention: F.scaled_dot_product_attention", "kv: static cache, index_copy_"]

    def info(self):
        return {"timing": "host clock after each token's .item() (the token on the host); steps' device_seconds "
                          "from CUDA events around each step",
                "first_decode_call_s": self.first_decode_s, "torch": torch.__version__,
                "inductor": self.inductor,
                "dtype": str(self.dtype).replace("torch.", ""), "weights_checked_elements": self.weights_checked}

    def unload(self):
        self.model = None
        if self.compile_decode:
            torch._dynamo.reset()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
