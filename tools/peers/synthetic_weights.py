"""rooflm's seeded synthetic weights (common/synthetic_init.h, engine/model/weights.cpp) in pure
Python: the tensor plan (names, shapes, tensor ids, scales) shared with the torch generator
(synthetic_weights_torch.py), and the per-element formula, bit for bit:

    bits  = splitmix64(splitmix64(splitmix64(seed) ^ tensor_id) ^ index)
    level = bits >> 52                                    # 12 bits
    unit  = float32(2 * level + 1 - 4096) / 4096          # odd/4096, exact
    value = fp16(float32(offset + float32(unit * scale)))  # product rounded, then the add (no FMA)

scale: 1 for the embedding, float32(1/sqrt(in_features)) for projections (computed in double),
0.1 for norms (offset 1) and Q/K/V biases. The packed tensors (wqkv = [wq; wk; wv], w_gate_up =
[w_gate; w_up], bqkv) fill each part with its own id and element index counted from 0.
"""
import math
import struct

from peer_workload import MASK64, splitmix64

NORM_SPREAD = 0.1
BIAS_SPREAD = 0.1
TENSORS_PER_LAYER = 9
LAYER_TENSOR = {"attn_norm": 0, "wq": 1, "wk": 2, "wv": 3, "wo": 4, "mlp_norm": 5, "w_gate": 6, "w_up": 7, "w_down": 8}
BIAS_TENSOR = {"bq": 0, "bk": 1, "bv": 2}


def f32(x):
    """x rounded to float32 (round to nearest even), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f16(x):
    """x rounded to fp16 (round to nearest even, subnormals included), as a Python float."""
    return struct.unpack("<e", struct.pack("<e", x))[0]


def projection_scale(in_features):
    return f32(1.0 / math.sqrt(float(in_features)))


def layer_tensor_id(layer, tensor):
    return 1 + TENSORS_PER_LAYER * layer + LAYER_TENSOR[tensor]


def final_norm_id(n_layers):
    return 1 + TENSORS_PER_LAYER * n_layers


def lm_head_id(n_layers):
    return 2 + TENSORS_PER_LAYER * n_layers


def bias_id(n_layers, layer, bias):
    return 3 + TENSORS_PER_LAYER * n_layers + 3 * layer + BIAS_TENSOR[bias]


def tensor_key(seed, tensor_id):
    """splitmix64(splitmix64(seed) ^ tensor_id): the per-tensor constant the element index is mixed into."""
    return splitmix64(splitmix64(seed & MASK64) ^ tensor_id)


def level_of(key, index):
    return splitmix64(key ^ index) >> 52


def synthetic_value(seed, tensor_id, index, scale, offset=0.0):
    """One element, fp16-rounded (a Python float holding the fp16 value)."""
    unit = float(2 * level_of(tensor_key(seed, tensor_id), index) + 1 - 4096) * (1.0 / 4096.0)
    return f16(f32(offset + f32(unit * scale)))


class Part:
    """`count` elements of one tensor id, filled from element index 0."""
    __slots__ = ("tensor_id", "count", "scale", "offset")

    def __init__(self, tensor_id, count, scale, offset=0.0):
        self.tensor_id, self.count, self.scale, self.offset = tensor_id, count, f32(scale), offset


class TensorPlan:
    """A packed tensor rooflm holds: its name (engine/model/weights.h), row-major shape, and parts."""
    __slots__ = ("name", "shape", "parts")

    def __init__(self, name, shape, parts):
        self.name, self.shape, self.parts = name, tuple(shape), parts
        numel = 1
        for d in shape:
            numel *= d
        assert sum(p.count for p in parts) == numel, (name, shape)

    def numel(self):
        return sum(p.count for p in self.parts)

    def value(self, seed, flat_index):
        """Element `flat_index` of the packed tensor (pure Python; for checks)."""
        for p in self.parts:
            if flat_index < p.count:
                return synthetic_value(seed, p.tensor_id, flat_index, p.scale, p.offset)
            flat_index -= p.count
        raise IndexError(flat_index)


def weight_plan(model):
    """The tensors of `model` (peer_presets.ModelShape) in rooflm's packed layout, in load order:
    embed; per layer attn_norm, wqkv, [bqkv], wo, mlp_norm, w_gate_up, w_down (names "layers.N.x");
    final_norm; lm_head unless tied."""
    H, QD, KD, F, L = model.hidden, model.q_dim, model.kv_dim, model.ffn, model.n_layers
    hidden_scale = projection_scale(H)
    plan = [TensorPlan("embed", (model.vocab, H), [Part(0, model.vocab * H, 1.0)])]
    for layer in range(L):
        tid = lambda t: layer_tensor_id(layer, t)  # noqa: E731
        p = f"layers.{layer}."
        plan.append(TensorPlan(p + "attn_norm", (H,), [Part(tid("attn_norm"), H, NORM_SPREAD, 1.0)]))
        plan.append(TensorPlan(p + "wqkv", (QD + 2 * KD, H), [Part(tid("wq"), QD * H, hidden_scale),
                                                              Part(tid("wk"), KD * H, hidden_scale),
                                                              Part(tid("wv"), KD * H, hidden_scale)]))
        if model.qkv_bias:
            plan.append(TensorPlan(p + "bqkv", (QD + 2 * KD,), [Part(bias_id(L, layer, "bq"), QD, BIAS_SPREAD),
                                                                Part(bias_id(L, layer, "bk"), KD, BIAS_SPREAD),
                                                                Part(bias_id(L, layer, "bv"), KD, BIAS_SPREAD)]))
        plan.append(TensorPlan(p + "wo", (H, QD), [Part(tid("wo"), H * QD, projection_scale(QD))]))
        plan.append(TensorPlan(p + "mlp_norm", (H,), [Part(tid("mlp_norm"), H, NORM_SPREAD, 1.0)]))
        plan.append(TensorPlan(p + "w_gate_up", (2 * F, H), [Part(tid("w_gate"), F * H, hidden_scale),
                                                             Part(tid("w_up"), F * H, hidden_scale)]))
        plan.append(TensorPlan(p + "w_down", (H, F), [Part(tid("w_down"), H * F, projection_scale(F))]))
    plan.append(TensorPlan("final_norm", (H,), [Part(final_norm_id(L), H, NORM_SPREAD, 1.0)]))
    if not model.tied_embeddings:
        plan.append(TensorPlan("lm_head", (model.vocab, H), [Part(lm_head_id(L), model.vocab * H, hidden_scale)]))
    return plan


def host_weights(model, seed):
    """{name: flat list of fp16-rounded floats}: the whole model in pure Python (small presets only)."""
    out = {}
    for t in weight_plan(model):
        values = []
        for p in t.parts:
            key = tensor_key(seed, p.tensor_id)
            for index in range(p.count):
                unit = float(2 * (splitmix64(key ^ index) >> 52) + 1 - 4096) * (1.0 / 4096.0)
                values.append(f16(f32(p.offset + f32(unit * p.scale))))
        out[t.name] = values
    return out
