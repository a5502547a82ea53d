"""rooflm's synthetic weights generated in torch, vectorised on the device, bit for bit the values of
synthetic_weights.py (and of rooflm's host and GPU init): splitmix64 on int64 tensors (wrapping
multiplies, logical shifts by masking), the 12-bit level to an odd multiple of 1/4096 in float32,
the product with the float32 scale rounded, then the offset added (no FMA), then fp16 (round to
nearest even). verify() checks sampled elements of every tensor against the pure-Python formula.

    tensors = generate(model, seed, device="cuda")   # {name: fp16 tensor in rooflm's packed layout}
"""
import random

import torch

from synthetic_weights import MASK64, tensor_key, weight_plan

_GOLDEN, _M1, _M2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
CHUNK = 1 << 26  # elements per pass: a few int64 temporaries of 512 MiB


def _signed(x):
    x &= MASK64
    return x - (1 << 64) if x >= 1 << 63 else x


def _lsr(x, k):
    return (x >> k) & ((1 << (64 - k)) - 1)


def _levels(key, start, count, device):
    """(splitmix64(key ^ index) >> 52) for index in [start, start + count), as int64."""
    x = torch.arange(start, start + count, dtype=torch.int64, device=device)
    x = torch.bitwise_xor(x, _signed(key))
    x = x + _signed(_GOLDEN)
    x = torch.bitwise_xor(x, _lsr(x, 30)) * _signed(_M1)
    x = torch.bitwise_xor(x, _lsr(x, 27)) * _signed(_M2)
    x = torch.bitwise_xor(x, _lsr(x, 31))
    return _lsr(x, 52)


def fill_part(out, part, seed):
    """Fills the flat fp16 tensor `out` ([part.count]) with the part's values."""
    key = tensor_key(seed, part.tensor_id)
    scale = torch.tensor(part.scale, dtype=torch.float32, device=out.device)
    offset = torch.tensor(part.offset, dtype=torch.float32, device=out.device)
    for start in range(0, part.count, CHUNK):
        count = min(CHUNK, part.count - start)
        level = _levels(key, start, count, out.device)
        unit = (2 * level + (1 - 4096)).to(torch.float32) * (1.0 / 4096.0)  # exact: odd/4096
        value = unit * scale
        if part.offset != 0.0:
            value = value + offset
        out[start:start + count] = value.to(torch.float16)


def generate(model, seed, device, dtype=torch.float16):
    """{name: tensor [shape]} of weight_plan(model): fp16 values (held in `dtype`) on `device`."""
    out = {}
    for t in weight_plan(model):
        flat = torch.empty(t.numel(), dtype=torch.float16, device=device)
        begin = 0
        for p in t.parts:
            fill_part(flat[begin:begin + p.count], p, seed)
            begin += p.count
        out[t.name] = flat.view(t.shape).to(dtype)
    return out


def verify(model, seed, tensors, samples=16, rng_seed=0):
    """Checks `samples` elements of every tensor (its first, its last, the first of each part, random
    ones) against synthetic_weights.TensorPlan.value. Returns the number checked; raises on a mismatch."""
    rng, checked = random.Random(rng_seed), 0
    for t in weight_plan(model):
        flat = tensors[t.name].reshape(-1)
        picks, begin = {0, t.numel() - 1}, 0
        for p in t.parts:
            picks.add(begin)
            begin += p.count
        picks |= {rng.randrange(t.numel()) for _ in range(samples)}
        picks = sorted(picks)
        got = flat[torch.tensor(picks, device=flat.device)].float().cpu().tolist()
        for index, value in zip(picks, got):
            want = t.value(seed, index)
            if value != want:
                raise AssertionError(f"synthetic weight {t.name}[{index}] = {value}, rooflm's formula gives {want}")
        checked += len(picks)
    return checked
