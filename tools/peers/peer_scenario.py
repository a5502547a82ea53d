"""A rooflm scenario as the torch peer reads it: JSON with comments (rooflm.scenario/1), the sweep
expanded in rooflm's order (file order of the axes, the last varying fastest), each point resolved
the way engine/scenario/scenario_resolved.cpp writes it (so `rooflm compare` finds the peer's
workload and model equal to rooflm's), and the points the peer runs chosen:

  - the peer runs fp16 weights with an fp16 KV cache, batch 1, tensor_parallel 1, greedy;
  - sweep axes of the engine (kernels, launch, kv_cache.layout, precision, ...) are rooflm's
    variants: of the points that differ only there, the peer runs one and labels it like rooflm's
    best fp16 point (kernels fused > naive, launch graph > eager, kv contiguous > paged), so its
    run pairs with rooflm's fused + CUDA-graph run in `rooflm compare`;
  - every other axis (workload.prompt_len, model, ...) gives a peer run per value.

Anything else is a ScenarioError (exit 2) naming the key. `rooflm validate` is the full check
(torch_peer.py --rooflm BIN runs it first).
"""
import copy
import json
import math
import re

from peer_presets import ModelShape, UnknownPreset
from peer_workload import WorkloadError, generate_workload

SCENARIO_SCHEMA = "rooflm.scenario/1"
SECTIONS = ["schema", "name", "description", "model", "engine", "workload", "sweep", "measure", "slo", "quant"]
MAX_REQUESTS = 1_000_000
MAX_TOKEN_LENGTH = 1 << 27

ENGINE_DEFAULTS = {
    "backend": "auto", "kernels": "fused", "precision": "fp16", "weight_scales": "channel", "weight_group_size": 128,
    "activation_scales": "dynamic", "launch": "eager", "tensor_parallel": 1, "gpu": "", "threads": 0,
    "kv_cache": {"layout": "contiguous", "block_size": 16, "dtype": "fp16", "max_seq_len": 0,
                 "memory_fraction": 0.9, "memory_bytes": 0},
    "batching": {"policy": "static", "max_batch": 8, "max_wait_ms": 0.0, "max_batched_tokens": 8192,
                 "chunked_prefill": False},
}
DEFAULT_PERCENTILES = [50.0, 90.0, 95.0, 99.0]  # the keys peer_metrics.stats() writes
MEASURE_DEFAULTS = {"warmup_requests": 0, "repetitions": 1, "record_requests": True, "record_steps": True,
                    "percentiles": DEFAULT_PERCENTILES,
                    "kernel_trace": False, "accuracy": {"mode": "auto", "tokens": 256, "sequences": 1, "seed": 0}}
QUANT_DEFAULTS = {"alpha": 0.5, "calibration": {"sequences": 8, "tokens": 128, "seed": 0}}
# Preference among rooflm's engine variants for the label a peer run takes (higher first).
PREFERRED = {"kernels": ["fused", "naive"], "launch": ["graph", "eager"], "kv_cache.layout": ["contiguous", "paged"]}


class ScenarioError(ValueError):
    """Bad input: exit 2 with this message."""


def strip_comments(text):
    """JSON with // and /* */ comments -> JSON (strings kept as they are)."""
    out, i, n, in_string = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise ScenarioError("unterminated /* comment")
            out.append(" " * (end + 2 - i))  # keeps line and column numbers of what follows
            i = end + 2
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ScenarioError(f'duplicate key "{key}"')
        obj[key] = value
    return obj


def parse_scenario_text(text, origin):
    try:
        doc = json.loads(strip_comments(text), object_pairs_hook=_no_duplicates)
    except ScenarioError as e:
        raise ScenarioError(f"{origin}: {e}") from None
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{origin}:{e.lineno}:{e.colno}: JSON syntax error: {e.msg}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{origin}: a scenario must be a JSON object")
    if doc.get("schema") != SCENARIO_SCHEMA:
        raise ScenarioError(f'{origin}: "schema" must be "{SCENARIO_SCHEMA}", got {json.dumps(doc.get("schema"))}')
    unknown = [k for k in doc if k not in SECTIONS]
    if unknown:
        raise ScenarioError(f'{origin}: unknown key "{unknown[0]}" (have: {", ".join(SECTIONS)})')
    name = doc.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}", name):
        raise ScenarioError(f'{origin}: "name" = {json.dumps(name)} cannot name the results folder: use letters, '
                            "digits, '.', '_' and '-' (not first: '.', '-'), at most 100 characters")
    if "model" not in doc:
        raise ScenarioError(f'{origin}: missing required key "model"')
    return doc


def read_scenario(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(16 << 20 + 1)
    except OSError as e:
        raise ScenarioError(f"scenario file {path}: {e.strerror}") from None
    if len(text) > 16 << 20:
        raise ScenarioError(f"scenario file {path} is larger than 16777216 bytes (the limit for a scenario file)")
    return parse_scenario_text(text, str(path))


def set_at_path(doc, path, value):
    node, keys = doc, path.split(".")
    for i, key in enumerate(keys[:-1]):
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ScenarioError(f'cannot apply sweep["{path}"]: {".".join(keys[:i + 1])} is not an object')
    node[keys[-1]] = value


def get_at_path(doc, path, default=None):
    node = doc
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def value_text(value):
    """nlohmann::json::dump() of a sweep value; strings as they are (variant_label)."""
    return value if isinstance(value, str) else json.dumps(value)


def variant_label(sweep_point):
    """rooflm's variant_label: "kernels=fused launch=graph" (keys sorted, the last path component)."""
    if not sweep_point:
        return "default"
    return " ".join(f"{p.rsplit('.', 1)[-1]}={value_text(sweep_point[p])}" for p in sorted(sweep_point))


def _merged(defaults, given, where):
    out = copy.deepcopy(defaults)
    if given is None:
        return out
    if not isinstance(given, dict):
        raise ScenarioError(f'"{where}" must be an object')
    for key, value in given.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = _merged(out[key], value, f"{where}.{key}")
        else:
            out[key] = value
    return out


def _integer(value, where, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not lo <= value <= hi:
        raise ScenarioError(f'"{where}" must be an integer in [{lo}, {hi}], got {json.dumps(value)}')
    return int(value)


def resolve_length(value, where, fallback=128):
    if value is None:
        return {"dist": "fixed", "value": fallback}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": _integer(value, where, 1, MAX_TOKEN_LENGTH)}
    if not isinstance(value, dict) or "dist" not in value:
        raise ScenarioError(f'"{where}" must be an integer or an object with "dist"')
    kind = value["dist"]
    if kind == "fixed":
        return {"dist": "fixed", "value": _integer(value.get("value"), where + ".value", 1, MAX_TOKEN_LENGTH)}
    if kind == "uniform":
        lo = _integer(value.get("min"), where + ".min", 1, MAX_TOKEN_LENGTH)
        return {"dist": "uniform", "min": lo, "max": _integer(value.get("max"), where + ".max", lo, MAX_TOKEN_LENGTH)}
    if kind in ("normal", "lognormal"):
        lo = _integer(value.get("min", 1), where + ".min", 1, MAX_TOKEN_LENGTH)
        hi = _integer(value.get("max", max(1 << 20, lo)), where + ".max", lo, MAX_TOKEN_LENGTH)
        return {"dist": kind, "mean": float(value["mean"]), "std": float(value["std"]), "min": lo, "max": hi}
    raise ScenarioError(f'"{where}.dist" = {json.dumps(kind)} is not run by the torch peer '
                        "(have: fixed, uniform, normal, lognormal)")


def resolve_workload(given):
    w = given or {}
    arrival = dict(w.get("arrival") or {})
    process = arrival.get("process", "burst")
    if process == "burst":
        arrival = {"process": "burst"}
    elif process in ("constant", "poisson"):
        rate = arrival.get("rate")
        if not isinstance(rate, (int, float)) or not rate > 0:
            raise ScenarioError(f'"workload.arrival.rate" must be a number > 0, got {json.dumps(rate)}')
        arrival = {"process": process, "rate": float(rate)}
    elif process == "gamma":
        arrival = {"process": "gamma", "rate": float(arrival["rate"]), "cv": float(arrival["cv"])}
    else:
        raise ScenarioError(f'"workload.arrival.process" = {json.dumps(process)} is not run by the torch peer '
                            "(have: burst, constant, poisson, gamma)")
    out = {"requests": _integer(w.get("requests", 16), "workload.requests", 1, MAX_REQUESTS),
           "prompt_len": resolve_length(w.get("prompt_len"), "workload.prompt_len"),
           "output_len": resolve_length(w.get("output_len"), "workload.output_len"),
           "arrival": arrival}
    shared = w.get("shared_prefix")
    if shared:
        out["shared_prefix"] = {"groups": _integer(shared.get("groups"), "workload.shared_prefix.groups", 1, MAX_REQUESTS),
                                "length": _integer(shared.get("length"), "workload.shared_prefix.length", 1,
                                                   MAX_TOKEN_LENGTH)}
    out["n"] = _integer(w.get("n", 1), "workload.n", 1, 256)
    sampling = _merged({"temperature": 0.0, "top_k": 0, "top_p": 1.0}, w.get("sampling"), "workload.sampling")
    sampling["temperature"], sampling["top_p"] = float(sampling["temperature"]), float(sampling["top_p"])
    out["sampling"] = sampling
    out["seed"] = _integer(w.get("seed", 0), "workload.seed", 0, (1 << 64) - 1)
    return out


class PeerPoint:
    """One run of the peer: a resolved scenario point, its label, model and requests."""

    def __init__(self, label, sweep_point, resolved, model, requests, warmup, max_seq_len, skipped):
        self.label, self.sweep_point, self.resolved = label, sweep_point, resolved
        self.model, self.requests, self.warmup, self.max_seq_len = model, requests, warmup, max_seq_len
        self.skipped = skipped  # labels of rooflm variants this run stands in for, or that it cannot run


def resolve_point(doc, origin):
    """One sweep point's document -> rooflm's resolved scenario JSON (the keys the peer reads checked)."""
    model = doc["model"]
    if not isinstance(model, dict) or "preset" not in model or "config" in model:
        raise ScenarioError(f'{origin}: "model" needs a "preset": the torch peer runs presets (rooflm list models)')
    if model.get("weights", "synthetic") != "synthetic":
        raise ScenarioError(f'{origin}: "model.weights" must be "synthetic" for the torch peer')
    if "synthetic_outliers" in model:
        raise ScenarioError(f'{origin}: "model.synthetic_outliers" is not run by the torch peer')
    measure = _merged(MEASURE_DEFAULTS, doc.get("measure"), "measure")
    engine = _merged(ENGINE_DEFAULTS, doc.get("engine"), "engine")
    resolved = {
        "schema": SCENARIO_SCHEMA, "name": doc["name"], "description": doc.get("description", ""),
        "model": {"preset": model["preset"], "weights": "synthetic",
                  "seed": _integer(model.get("seed", 0), "model.seed", 0, (1 << 64) - 1)},
        "engine": engine, "workload": resolve_workload(doc.get("workload")), "measure": measure,
        "slo": {k: float(v) for k, v in (doc.get("slo") or {}).items()},
        "quant": _merged(QUANT_DEFAULTS, doc.get("quant"), "quant"),
    }
    w = resolved["workload"]
    _integer(measure["warmup_requests"], "measure.warmup_requests", 0, w["requests"])
    _integer(measure["repetitions"], "measure.repetitions", 1, 1000)
    if not isinstance(measure["percentiles"], list) or \
            sorted(float(p) for p in measure["percentiles"]) != DEFAULT_PERCENTILES:
        raise ScenarioError(f"measure.percentiles = {measure['percentiles']}: the peer reports only rooflm's "
                            f"default {DEFAULT_PERCENTILES} (drop the field to run the peer)")
    measure["percentiles"] = list(DEFAULT_PERCENTILES)
    return resolved


def peer_blockers(resolved):
    """Why the peer cannot run this point (empty: it can)."""
    e, w = resolved["engine"], resolved["workload"]
    reasons = []
    if e["precision"] != "fp16":
        reasons.append(f'engine.precision "{e["precision"]}" (the peer runs fp16)')
    if e["kv_cache"]["dtype"] != "fp16":
        reasons.append(f'engine.kv_cache.dtype "{e["kv_cache"]["dtype"]}" (the peer runs fp16)')
    if e["batching"]["max_batch"] != 1:
        reasons.append(f'engine.batching.max_batch {e["batching"]["max_batch"]} (the peer runs batch 1; '
                       "rooflm's default is 8)")
    if e["tensor_parallel"] != 1:
        reasons.append(f'engine.tensor_parallel {e["tensor_parallel"]} (the peer runs 1)')
    if w["sampling"]["temperature"] != 0:
        reasons.append(f'workload.sampling.temperature {w["sampling"]["temperature"]} (the peer is greedy)')
    return reasons


def _preference(resolved):
    e = resolved["engine"]
    score = []
    for path, order in PREFERRED.items():
        value = get_at_path(e, path)
        score.append(order.index(value) if value in order else len(order))
    return tuple(score)


def expand(doc, origin, overrides=None):
    """(axes, [(sweep_point, point_doc)]) in rooflm's order; overrides: {path: value} applied to every point."""
    sweep = doc.get("sweep") or {}
    if not isinstance(sweep, dict):
        raise ScenarioError(f'{origin}: "sweep" must be an object')
    axes = list(sweep.items())
    for path, values in axes:
        if not isinstance(values, list) or not values:
            raise ScenarioError(f'{origin}: sweep["{path}"] must be a non-empty array of values')
    base = {k: v for k, v in doc.items() if k != "sweep"}
    points, index = [], [0] * len(axes)
    count = math.prod(len(v) for _, v in axes) if axes else 1
    for _ in range(count):
        point_doc, sweep_point = copy.deepcopy(base), {}
        for (path, values), i in zip(axes, index):
            set_at_path(point_doc, path, values[i])
            sweep_point[path] = values[i]
        for path, value in (overrides or {}).items():
            set_at_path(point_doc, path, value)
        points.append((sweep_point, point_doc))
        for a in reversed(range(len(axes))):  # odometer: the last axis fastest
            index[a] += 1
            if index[a] < len(axes[a][1]):
                break
            index[a] = 0
    return [p for p, _ in axes], points


def peer_points(doc, origin, overrides=None):
    """The runs of the peer, in rooflm's order. Raises ScenarioError when it can run none."""
    axes, points = expand(doc, origin, overrides)
    groups = {}  # the non-engine sweep values -> [(sweep_point, resolved)]
    for sweep_point, point_doc in points:
        resolved = resolve_point(point_doc, origin)
        key = json.dumps({p: v for p, v in sweep_point.items() if not p.startswith("engine.")}, sort_keys=True)
        groups.setdefault(key, []).append((sweep_point, resolved))
    runs, refusals = [], []
    for members in groups.values():
        runnable = [(sp, r) for sp, r in members if not peer_blockers(r)]
        for sp, r in members:
            if peer_blockers(r):
                refusals.append(f"{variant_label(sp)}: {'; '.join(peer_blockers(r))}")
        if not runnable:
            continue
        sweep_point, resolved = min(runnable, key=lambda m: _preference(m[1]))
        try:
            model = ModelShape(resolved["model"]["preset"])
        except UnknownPreset as e:
            raise ScenarioError(f"{origin}: model.preset: {e}") from None
        try:
            requests = generate_workload(resolved["workload"], model.vocab, model.max_positions)
        except WorkloadError as e:
            raise ScenarioError(f"{origin}: model '{model.name}': {e}") from None
        warmup = requests[:resolved["measure"]["warmup_requests"]]
        max_seq_len = resolved["engine"]["kv_cache"]["max_seq_len"] or max(r.total_len() for r in requests)
        others = [variant_label(sp) for sp, _ in members if sp is not sweep_point]
        runs.append(PeerPoint(variant_label(sweep_point), sweep_point, resolved, model, requests, warmup,
                              max_seq_len, others))
    if not runs:
        raise ScenarioError(f"{origin}: no point the torch peer can run: " + "; ".join(refusals))
    return runs, refusals
