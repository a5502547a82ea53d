#!/usr/bin/env python3
"""Summarise a rooflm_kbench Google Benchmark JSON (run with --benchmark_repetitions=N).

Writes a results JSON (schema rooflm.kbench/1: environment, the ceilings kbench read from the
calibration file, per-kernel median / spread / raw samples with GB/s, TFLOP/s and % of roofline and
its check against the CPU reference, the cases that did not match (not timed), the GEMV-vs-cuBLASLt
crossover per decode shape and the paged / contiguous decode-attention time ratios), then prints a
short table. Usage:
    python3 tools/kbench/summarize.py kbench.json --out results/h100/kernels/linear.json
"""
import argparse
import json
import re
import statistics
import sys
from collections import defaultdict


def run_name(b):
    return re.sub(r"(/iterations:\d+)?(/manual_time)?(/repeats:\d+)?$", "", b["run_name"])


def load_runs(path):
    with open(path) as f:
        doc = json.load(f)
    samples = defaultdict(list)
    errors = {}
    for b in doc["benchmarks"]:
        if b.get("error_occurred"):
            errors[run_name(b)] = b.get("error_message", "")
            continue
        if b.get("run_type") != "iteration":
            continue
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
        samples[run_name(b)].append({
            "us": b["real_time"] * scale,
            "gbps": b.get("GB/s", 0.0),
            "tflops": b.get("TFLOP/s", 0.0),
            "roof_pct": b.get("roof_pct", 0.0),
            "roof_us": b.get("roof_us", 0.0),
            "checked": b.get("checked", 0),
            "max_abs_err": b.get("max_abs_err", 0.0),
        })
    return doc["context"], samples, errors


def summarise(samples):
    kernels = {}
    for name, runs in samples.items():
        times = [r["us"] for r in runs]
        median = statistics.median(times)
        roof_us = runs[0]["roof_us"]
        gbps_per_us = runs[0]["gbps"] * runs[0]["us"]  # GB/s * us is the same for every run
        tflops_per_us = runs[0]["tflops"] * runs[0]["us"]
        kernels[name] = {
            "median_us": median,
            "min_us": min(times),
            "max_us": max(times),
            "samples_us": times,
            "gb_per_s": gbps_per_us / median,
            "tflop_per_s": tflops_per_us / median,
            "roofline_us": roof_us,
            "pct_of_roofline": 100.0 * roof_us / median,
            "checked_elements": runs[0]["checked"],
            "max_abs_err": runs[0]["max_abs_err"],
        }
    return kernels


ATTN_DECODE = re.compile(r"^attn_decode_splitk_f16/kv:(\w+)/layout:(\w+)/(kv_heads:\d+/batch:\d+/ctx:\d+)$")


def paged_vs_contiguous(kernels):
    """Decode attention: each paged layout's median time / the contiguous one's at the same shape."""
    contiguous, rows = {}, []
    for name, k in kernels.items():
        m = ATTN_DECODE.match(name)
        if m and m.group(2) == "contiguous":
            contiguous[(m.group(1), m.group(3))] = k["median_us"]
    for name, k in kernels.items():
        m = ATTN_DECODE.match(name)
        if m and m.group(2) != "contiguous" and (m.group(1), m.group(3)) in contiguous:
            rows.append({"kv": m.group(1), "layout": m.group(2), "shape": m.group(3),
                         "paged_over_contiguous": k["median_us"] / contiguous[(m.group(1), m.group(3))]})
    return rows


DECODE = re.compile(r"^(gemv_xwt_f16|gemm_xwt_f16_cublaslt)/n:(\d+)/in:(\d+)/out:(\d+)(?:/rows:(\d+))?$")


def crossover(kernels):
    """Per decode shape and n: best GEMV variant vs cuBLASLt, and the first n where cuBLASLt wins."""
    table = defaultdict(dict)  # (in, out) -> n -> {"gemv": (us, rows), "cublaslt": us}
    for name, k in kernels.items():
        m = DECODE.match(name)
        if not m:
            continue
        kernel, n, k_in, k_out, rows = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)), m.group(5)
        if n > 16:
            continue
        entry = table[(k_in, k_out)].setdefault(n, {})
        if kernel == "gemv_xwt_f16":
            if "gemv" not in entry or k["median_us"] < entry["gemv"][0]:
                entry["gemv"] = (k["median_us"], int(rows), k["pct_of_roofline"])
        else:
            entry["cublaslt"] = (k["median_us"], k["pct_of_roofline"])
    rows_out, first_cublas = [], {}
    for (k_in, k_out), by_n in sorted(table.items()):
        for n, e in sorted(by_n.items()):
            if "gemv" not in e or "cublaslt" not in e:
                continue
            winner = "gemv" if e["gemv"][0] <= e["cublaslt"][0] else "cublaslt"
            rows_out.append({"in": k_in, "out": k_out, "n": n, "gemv_us": e["gemv"][0], "gemv_rows": e["gemv"][1],
                             "gemv_pct_of_roofline": e["gemv"][2], "cublaslt_us": e["cublaslt"][0],
                             "cublaslt_pct_of_roofline": e["cublaslt"][1], "faster": winner})
            key = f"in:{k_in}/out:{k_out}"
            if winner == "cublaslt" and key not in first_cublas:
                first_cublas[key] = n
    return rows_out, first_cublas


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kbench_json")
    parser.add_argument("--out", help="results JSON to write")
    args = parser.parse_args()
    context, samples, errors = load_runs(args.kbench_json)
    if not samples and not errors:
        sys.exit("no benchmark runs in " + args.kbench_json)
    kernels = summarise(samples)
    cross, first_cublas = crossover(kernels)
    paged = paged_vs_contiguous(kernels)
    result = {
        "schema": "rooflm.kbench/1",
        "environment": {key: context.get(key) for key in
                        ("date", "host_name", "gpu", "gpu_sms", "gpu_l2_bytes", "cuda_driver", "cuda_runtime",
                         "nvidia_driver", "git_commit", "clocks")},
        "clocks_format": "SM MHz / memory MHz / max SM MHz / power / temperature C, read just before the run",
        "ceilings": {"read_bandwidth_bytes_per_s": float(context.get("read_bandwidth_bytes_per_s") or 0),
                     "fp16_gemm_flop_per_s": float(context.get("fp16_gemm_flops_per_s") or 0),
                     "source": context.get("ceilings")},
        "checks": {"cases_timed": len(kernels), "cases_not_matching_reference": errors},
        "kernels": kernels,
        "gemv_vs_cublaslt": cross,
        "first_n_where_cublaslt_wins": first_cublas,
        "attn_decode_paged_over_contiguous": paged,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")

    print(f"{'kernel':<62} {'median_us':>10} {'GB/s':>8} {'TFLOP/s':>8} {'%roof':>6}")
    for name, k in kernels.items():
        if name.startswith("gemv_xwt_f16") or (name.startswith("gemm_xwt_f16_cublaslt/n:") and
                                               int(name.split("/")[1][2:]) <= 16):
            continue  # decode linear rows go into the crossover table below
        print(f"{name:<62} {k['median_us']:>10.2f} {k['gb_per_s']:>8.0f} {k['tflop_per_s']:>8.1f} "
              f"{k['pct_of_roofline']:>6.1f}")
    print(f"\n{'decode shape':<22} {'n':>3} {'gemv_us':>8} {'rows':>4} {'%roof':>6} {'cublas_us':>9} {'%roof':>6} faster")
    for r in cross:
        print(f"in:{r['in']}/out:{r['out']:<10} {r['n']:>3} {r['gemv_us']:>8.2f} {r['gemv_rows']:>4} "
              f"{r['gemv_pct_of_roofline']:>6.1f} {r['cublaslt_us']:>9.2f} {r['cublaslt_pct_of_roofline']:>6.1f} "
              f"{r['faster']}")
    print("first n where cuBLASLt wins:", first_cublas or "none up to 16")
    if paged:
        worst = max(paged, key=lambda r: r["paged_over_contiguous"])
        print(f"decode attention paged / contiguous: worst {worst['paged_over_contiguous']:.3f} "
              f"({worst['kv']} {worst['layout']} {worst['shape']}) over {len(paged)} pairs")
    print(f"{len(kernels)} cases timed; {len(errors)} did not match the CPU reference"
          + "".join(f"\n  {n}: {m}" for n, m in errors.items()))


if __name__ == "__main__":
    main()
