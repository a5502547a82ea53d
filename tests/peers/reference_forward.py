"""A pure-Python (double precision, no numpy) greedy forward of a small rooflm preset on the peer's
synthetic weights (tools/peers/synthetic_weights.py), the same math tools/peers/llama_torch.py runs:
RMSNorm, packed QKV (+ Qwen2 bias), Hugging Face rotate-half RoPE with rooflm's inverse
frequencies (llama3 / linear scaling), causal GQA attention (sliding window), SwiGLU, LM head (tied
or not). peer_unit_test.py checks its greedy tokens and logits against `rooflm generate`: that pins
the weight formula, the tensor numbering and packing, and the model's layout to rooflm's.

    python3 tests/peers/reference_forward.py tiny 1,2,3 4    # prints the greedy tokens
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "peers"))
from peer_presets import ModelShape  # noqa: E402
from synthetic_weights import host_weights  # noqa: E402


def rope_inv_freq(model):
    hd, theta, s = model.head_dim, model.rope_theta, model.rope_scaling
    inv = [theta ** (-2.0 * i / hd) for i in range(hd // 2)]
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


def matvec(w, rows, cols, x, bias=None):
    out = []
    for r in range(rows):
        row = w[r * cols:(r + 1) * cols]
        out.append(sum(a * b for a, b in zip(row, x)) + (bias[r] if bias else 0.0))
    return out


def rmsnorm(x, w, eps):
    inv = 1.0 / math.sqrt(sum(v * v for v in x) / len(x) + eps)
    return [v * inv * g for v, g in zip(x, w)]


class Reference:
    def __init__(self, preset, seed=0):
        self.m = ModelShape(preset)
        self.w = host_weights(self.m, seed)
        self.inv_freq = rope_inv_freq(self.m)
        self.k = [[] for _ in range(self.m.n_layers)]  # per layer: [position][kv head] -> [head_dim]
        self.v = [[] for _ in range(self.m.n_layers)]

    def rope(self, head, pos):
        half = len(head) // 2
        out = list(head)
        for i in range(half):
            a = pos * self.inv_freq[i]
            c, s = math.cos(a), math.sin(a)
            x1, x2 = head[i], head[i + half]
            out[i], out[i + half] = x1 * c - x2 * s, x2 * c + x1 * s
        return out

    def step(self, token):
        """Feeds one token at the next position; returns the logits [vocab]."""
        m, w = self.m, self.w
        H, hd, QD, KD, F = m.hidden, m.head_dim, m.q_dim, m.kv_dim, m.ffn
        pos = len(self.k[0])
        x = w["embed"][token * H:(token + 1) * H]
        for layer in range(m.n_layers):
            p = f"layers.{layer}."
            h = rmsnorm(x, w[p + "attn_norm"], m.rms_eps)
            qkv = matvec(w[p + "wqkv"], QD + 2 * KD, H, h, w.get(p + "bqkv"))
            q = [self.rope(qkv[i * hd:(i + 1) * hd], pos) for i in range(m.n_heads)]
            k = [self.rope(qkv[QD + i * hd:QD + (i + 1) * hd], pos) for i in range(m.n_kv_heads)]
            v = [qkv[QD + KD + i * hd:QD + KD + (i + 1) * hd] for i in range(m.n_kv_heads)]
            self.k[layer].append(k)
            self.v[layer].append(v)
            first = max(0, pos - m.sliding_window + 1) if m.sliding_window else 0
            attn = []
            for head in range(m.n_heads):
                kv = head // (m.n_heads // m.n_kv_heads)
                scores = [sum(a * b for a, b in zip(q[head], self.k[layer][t][kv])) / math.sqrt(hd)
                          for t in range(first, pos + 1)]
                top = max(scores)
                e = [math.exp(s - top) for s in scores]
                total = sum(e)
                out = [0.0] * hd
                for weight, t in zip(e, range(first, pos + 1)):
                    vt = self.v[layer][t][kv]
                    for d in range(hd):
                        out[d] += weight / total * vt[d]
                attn += out
            o = matvec(w[p + "wo"], H, QD, attn)
            x = [a + b for a, b in zip(x, o)]
            h = rmsnorm(x, w[p + "mlp_norm"], m.rms_eps)
            gu = matvec(w[p + "w_gate_up"], 2 * F, H, h)
            act = [g / (1 + math.exp(-g)) * u for g, u in zip(gu[:F], gu[F:])]
            down = matvec(w[p + "w_down"], H, F, act)
            x = [a + b for a, b in zip(x, down)]
        x = rmsnorm(x, w["final_norm"], m.rms_eps)
        head = w["embed"] if m.tied_embeddings else w["lm_head"]
        return matvec(head, m.vocab, H, x)

    def greedy(self, prompt, steps):
        """(tokens, logits per step) as `rooflm generate --steps N --logits` reports them."""
        for t in prompt[:-1]:
            self.step(t)
        token, tokens, all_logits = prompt[-1], [], []
        for _ in range(steps):
            logits = self.step(token)
            token = max(range(len(logits)), key=lambda i: logits[i])
            tokens.append(token)
            all_logits.append(logits)
        return tokens, all_logits


if __name__ == "__main__":
    preset, prompt, steps = sys.argv[1], [int(t) for t in sys.argv[2].split(",")], int(sys.argv[3])
    print(",".join(map(str, Reference(preset).greedy(prompt, steps)[0])))
