"""The rooflm.result document of a peer: the layout of `rooflm run`'s results.json (engine/results,
results/schema/result.schema.json) with a peer's run per scenario point, so `rooflm report`,
`rooflm compare` and `rooflm gate` read it like any results file. A peer's run differs from
rooflm's in what it cannot know: no cost model (roofline has a status, mbu / mfu are null), no NVML
telemetry; `run.peer` says what ran (config, versions, compile time, options).
Written atomically (a temporary file in the same folder, then renamed).
"""
import json
import os
import tempfile

import peer_metrics

RESULT_SCHEMA = "rooflm.result/1.4"  # 1.4: peer runs (variant.backend torch-hf / torch-compile, run.peer)


def request_json(req_id, n_prompt, arrival, first_scheduled=None, token_times=(), tokens=None, failed=False):
    """A request timeline as RequestTimeline::to_json writes it (seconds from the first arrival)."""
    times = list(token_times)
    out = {"id": req_id, "n_prompt": n_prompt, "n_output": len(times), "arrival": arrival,
           "first_scheduled": first_scheduled, "first_token": times[0] if times else None,
           "finish": times[-1] if times and not failed else None, "token_times": times, "failed": failed,
           "preemptions": 0}
    if tokens is not None:
        out["tokens"] = list(tokens)  # the peer's greedy tokens (rooflm does not record its own)
    return out


def step_json(index, start, end, n_prefill, n_decode, context, max_seq_len, device_seconds=None):
    """A step as StepRecord::to_json writes it (one sequence, a static cache of max_seq_len tokens)."""
    return {"index": index, "start": start, "end": end, "seconds": max(end - start, 0.0), "n_seqs": 1,
            "n_prefill_tokens": n_prefill, "n_decode_tokens": n_decode, "idle_slots": 0,
            "kv_used_tokens": context, "kv_reserved_tokens": max_seq_len, "kv_capacity_tokens": max_seq_len,
            "context_tokens": context, "live_seqs": 1, "prefix_query_tokens": 0, "prefix_hit_tokens": 0,
            "device_seconds": device_seconds,
            "host_overhead_seconds": None if device_seconds is None else max(end - start, 0.0) - device_seconds}


def run_json(point, variant, kernels, repetitions, peer, invalid_reasons=()):
    """One run: `repetitions` = [(requests, steps)] of the measured repetitions, times already
    shifted so that they follow each other (as rooflm pools them)."""
    requests = [r for reqs, _ in repetitions for r in reqs]
    steps = [s for _, st in repetitions for s in st]
    slo = point.resolved["slo"]
    summary = peer_metrics.summarize(requests, slo)
    summary["kv"] = peer_metrics.kv_summary(point.model, point.max_seq_len, steps)
    summary["peak_concurrent_seqs"] = summary["kv"]["peak_concurrent_seqs"]
    summary["counts"] = peer_metrics.counts(requests, steps)
    summary["energy_j"] = summary["tokens_per_j"] = summary["total_tokens_per_j"] = None
    summary["launch"] = peer_metrics.launch_summary(variant["launch"], steps)
    summary["mbu"] = summary["mfu"] = None
    measure = point.resolved["measure"]
    return {"variant": variant, "model": point.model.to_json(), "kernels": list(kernels), "summary": summary,
            "repetitions": [peer_metrics.summarize(reqs, slo) for reqs, _ in repetitions],
            "roofline": {"status": "a peer run (tools/peers): rooflm's cost model is not applied to it; set it "
                                   "beside the rooflm run of the same scenario (rooflm compare / report)"},
            "valid": not invalid_reasons, "invalid_reasons": list(invalid_reasons),
            "telemetry": {"status": "not sampled: the torch peer reads no NVML telemetry", "throttled": False},
            "requests": requests if measure.get("record_requests", True) else [],
            "steps": steps if measure.get("record_steps", True) else [],
            "scenario": point.resolved, "peer": peer}


def document(environment, scenario_doc, source, points, runs):
    return {"schema": RESULT_SCHEMA, "environment": environment,
            "scenario": {"name": scenario_doc["name"], "description": scenario_doc.get("description", ""),
                         "source": str(source), "variants": len(runs), "resolved": points[0].resolved},
            "runs": runs}


def write_atomic(path, doc):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
