#!/usr/bin/env python3
"""Table of the quantised linear benchmarks (kbench_quant_linear.cpp) from a rooflm_kbench JSON run
with --benchmark_repetitions=N (medians): per shape and token count, the fp16 cuBLASLt GEMM and each
precision's paths (gemv, mma, cublaslt) in microseconds, the fastest path, and the speed-up over
fp16 of the path the registry picks (kernels/registry.h: gemv, then mma up to the precision's
bounds, cuBLASLt above).
Usage: python3 tools/kbench/quant_linear_table.py kbench.json [--out table.json]
"""
import argparse
import json
import re
import statistics
from collections import defaultdict

GEMV_MAX = {"w8a16": 1, "w8a8": 2, "fp8": 1}  # kGemvW8A16MaxTokens, kGemvW8A8MaxTokens, kGemvFp8MaxTokens
MMA_MAX = {"w8a16": 64, "w8a8": 16, "fp8": 32}  # kMmaW8A16MaxTokens, kMmaW8A8MaxTokens, kMmaFp8MaxTokens
NAME = re.compile(r"^(f16|w8a16|w8a8|fp8)_(cublaslt|gemv|mma)/n:(\d+)/in:(\d+)/out:(\d+)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kbench_json")
    ap.add_argument("--out")
    args = ap.parse_args()
    with open(args.kbench_json) as f:
        doc = json.load(f)
    samples = defaultdict(list)
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        m = NAME.match(b["run_name"])
        if m:
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
            samples[m.groups()].append(b["real_time"] * scale)
    median = {k: statistics.median(v) for k, v in samples.items()}
    rows = []
    shapes = sorted({(int(k[2]), int(k[3]), int(k[4])) for k in median})
    for n, i, o in sorted(shapes, key=lambda s: (s[1], s[2], s[0])):
        f16 = median.get(("f16", "cublaslt", str(n), str(i), str(o)))
        for prec in ("w8a16", "w8a8", "fp8"):
            paths = {p: median[(prec, p, str(n), str(i), str(o))] for p in ("gemv", "mma", "cublaslt")
                     if (prec, p, str(n), str(i), str(o)) in median}
            if not paths:
                continue
            chosen = "gemv" if n <= GEMV_MAX[prec] else "mma" if n <= MMA_MAX[prec] else "cublaslt"
            rows.append({"precision": prec, "n": n, "in": i, "out": o, "f16_cublaslt_us": f16, "paths_us": paths,
                         "fastest": min(paths, key=paths.get), "registry": chosen,
                         "speedup_vs_f16": (f16 / paths[chosen]) if f16 and chosen in paths else None,
                         "samples": {p: len(samples[(prec, p, str(n), str(i), str(o))]) for p in paths}})
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"schema": "rooflm.kbench_quant_linear/1", "context": doc.get("context", {}),
                       "gemv_max_tokens": GEMV_MAX, "mma_max_tokens": MMA_MAX, "rows": rows}, f, indent=1)
    print(f"{'prec':6} {'in x out':>12} {'n':>4} {'f16':>8} {'gemv':>8} {'mma':>8} {'cublaslt':>8}  fastest   x f16")
    for r in rows:
        p = r["paths_us"]
        cell = lambda k: f"{p[k]:8.1f}" if k in p else f"{'-':>8}"
        sp = f"{r['speedup_vs_f16']:.2f}" if r["speedup_vs_f16"] else "-"
        print(f"{r['precision']:6} {str(r['in']) + 'x' + str(r['out']):>12} {r['n']:4d} {r['f16_cublaslt_us'] or 0:8.1f} "
              f"{cell('gemv')} {cell('mma')} {cell('cublaslt')}  {r['fastest']:8} {sp:>6}")


if __name__ == "__main__":
    main()
