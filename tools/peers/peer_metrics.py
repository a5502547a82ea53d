"""rooflm's metric summaries (engine/metrics/summary.cpp, stats.cpp, run_counts.cpp) in Python, so a
peer's summary is computed exactly as rooflm computes its own from the same timelines:
  TTFT = first_token - arrival (queue = first_scheduled - arrival, prefill = first_token - first_scheduled)
  TPOT = (finish - first_token) / (n_output - 1), only when n_output >= 2; ITL = every token gap
  E2E = finish - arrival; throughput over first arrival -> last finish; goodput = req/s meeting every SLO
Stats: count, mean, population std, min, numpy-"linear" percentiles, max (nulls without samples).
Times in seconds in, milliseconds out.
"""
import math


def percentile_sorted(s, p):
    rank = p / 100.0 * (len(s) - 1)
    below = int(math.floor(rank))
    above = min(below + 1, len(s) - 1)
    return s[below] + (rank - below) * (s[above] - s[below])


def stats(samples):
    if not samples:
        return {"count": 0, **{k: None for k in ("mean", "std", "min", "p50", "p90", "p95", "p99", "max")}}
    s = sorted(samples)
    n = float(len(s))
    total = 0.0
    for v in s:  # summed in ascending order, as rooflm sums
        total += v
    mean = total / n
    squared = 0.0
    for v in s:
        squared += (v - mean) * (v - mean)
    return {"count": len(s), "mean": mean, "std": math.sqrt(squared / n), "min": s[0],
            "p50": percentile_sorted(s, 50), "p90": percentile_sorted(s, 90), "p95": percentile_sorted(s, 95),
            "p99": percentile_sorted(s, 99), "max": s[-1]}


def completed(r):
    return not r["failed"] and r["finish"] is not None


def meets_slo(r, slo):
    ttft = (r["token_times"][0] - r["arrival"]) * 1e3
    e2e = (r["finish"] - r["arrival"]) * 1e3
    if "ttft_ms" in slo and ttft > slo["ttft_ms"]:
        return False
    if "tpot_ms" in slo and r["n_output"] >= 2 and tpot_ms(r) > slo["tpot_ms"]:
        return False
    return not ("e2e_ms" in slo and e2e > slo["e2e_ms"])


def tpot_ms(r):
    return (r["finish"] - r["token_times"][0]) / (r["n_output"] - 1) * 1e3


def summarize(requests, slo):
    """Summary::to_json of these request timelines (dicts as result_file.request_json writes them)."""
    ttft, tpot, itl, e2e, queue, prefill = [], [], [], [], [], []
    done = failed = slo_met = out_tokens = total_tokens = 0
    first_arrival, last_finish = math.inf, -math.inf
    for r in requests:
        if r["failed"]:
            failed += 1
        if not completed(r):
            continue
        done += 1
        first_arrival, last_finish = min(first_arrival, r["arrival"]), max(last_finish, r["finish"])
        out_tokens += r["n_output"]
        total_tokens += r["n_prompt"] + r["n_output"]
        e2e.append((r["finish"] - r["arrival"]) * 1e3)
        queue.append((r["first_scheduled"] - r["arrival"]) * 1e3)
        times = r["token_times"]
        if times:
            ttft.append((times[0] - r["arrival"]) * 1e3)
            prefill.append((times[0] - r["first_scheduled"]) * 1e3)
        if r["n_output"] >= 2:
            tpot.append(tpot_ms(r))
        itl += [(b - a) * 1e3 for a, b in zip(times, times[1:])]
        slo_met += meets_slo(r, slo)
    duration = last_finish - first_arrival if done else 0.0
    rate = (lambda x: x / duration) if duration > 0 else (lambda x: 0.0)
    return {"ttft_ms": stats(ttft), "tpot_ms": stats(tpot), "itl_ms": stats(itl), "e2e_ms": stats(e2e),
            "queue_ms": stats(queue), "prefill_ms": stats(prefill),
            "throughput": {"output_tok_s": rate(out_tokens), "total_tok_s": rate(total_tokens), "req_s": rate(done)},
            "goodput_req_s": rate(slo_met), "duration_s": max(duration, 0.0), "preemptions": 0,
            "requests": {"completed": done, "failed": failed, "slo_met": slo_met}}


def counts(requests, steps):
    """RunCounts::to_json."""
    done = [r for r in requests if completed(r)]
    return {"steps": len(steps), "prefill_tokens": sum(s["n_prefill_tokens"] for s in steps),
            "decode_tokens": sum(s["n_decode_tokens"] for s in steps),
            "prompt_tokens": sum(r["n_prompt"] for r in done), "output_tokens": sum(r["n_output"] for r in done),
            "preemptions": 0, "prefix_hit_tokens": 0}


def launch_summary(mode, steps):
    """Per phase, the GPU time of a step (CUDA events) and the host overhead around it; null without events."""
    phases = {}
    for s in steps:
        if s.get("device_seconds") is None:
            continue
        phase = "prefill" if s["n_decode_tokens"] == 0 else "decode" if s["n_prefill_tokens"] == 0 else "mixed"
        device, host = phases.setdefault(phase, ([], []))
        device.append(1e3 * s["device_seconds"])
        host.append(1e3 * (s["seconds"] - s["device_seconds"]))
    return {"mode": mode, "phases": {p: {"device_ms": stats(d), "host_overhead_ms": stats(h)}
                                     for p, (d, h) in phases.items()} or None}


def kv_summary(model, max_seq_len, steps):
    """A contiguous static cache of one sequence: max_seq_len tokens reserved, the context used."""
    per_token = model.kv_bytes_per_token()
    reserved = used = 0.0
    peak_used = 0
    for s in steps:
        reserved += max_seq_len * s["seconds"]
        used += s["kv_used_tokens"] * s["seconds"]
        peak_used = max(peak_used, s["kv_used_tokens"])
    return {"layout": "contiguous", "block_size": max_seq_len, "capacity_tokens": max_seq_len,
            "bytes_per_token": per_token, "pool_bytes": max_seq_len * per_token,
            "peak_reserved_tokens": max_seq_len if steps else 0, "peak_used_tokens": peak_used,
            "peak_reserved_bytes": (max_seq_len if steps else 0) * per_token, "peak_used_bytes": peak_used * per_token,
            "waste_pct": 100.0 * (1.0 - used / reserved) if reserved > 0 else 0.0,
            "peak_concurrent_seqs": 1 if steps else 0, "prefix_query_tokens": 0, "prefix_hit_tokens": 0,
            "prefix_hit_rate": None}
