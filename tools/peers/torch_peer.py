#!/usr/bin/env python3
"""The PyTorch peer of rooflm: runs a rooflm scenario (same preset shape, same seeded synthetic
weights, same prompts and lengths, greedy, exactly output_len tokens, batch 1) on PyTorch and writes
rooflm.result files that `rooflm report`, `rooflm compare` and `rooflm gate` read beside rooflm's own.

  torch-hf       Hugging Face transformers: LlamaForCausalLM (Qwen2 / Mistral by family) built from
                 the preset, fp16, SDPA, static cache, generate() compiling the decode step
                 (torch.compile, CUDA graphs)            tools/peers/hf_torch.py
  torch-compile  a minimal Llama in PyTorch with a static KV cache, the decode step under
                 torch.compile(mode="max-autotune") with CUDA graphs (gpt-fast), eager prefill
                                                         tools/peers/llama_torch.py

Usage (the GPU machine; tools/peers/README.md):
  python3 tools/peers/torch_peer.py scenarios/decode_latency.json --out out/peer [--config torch-compile]
  python3 tools/peers/torch_peer.py SCENARIO --out DIR --dry-run       # no torch, no GPU: fake timings
  python3 tools/peers/torch_peer.py --check [--rooflm build/tools/rooflm]   # tiny model: tokens vs rooflm
Writes DIR/<config>/results.json (one run per scenario point, labelled like the rooflm variant it
pairs with, e.g. "kernels=fused launch=graph") and DIR/summary.txt. Exit 0 ok, 1 a run failed or
is invalid (stopped by --max-seconds), 2 bad input (scenario, preset, options, torch missing).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_env  # noqa: E402
import peer_measure  # noqa: E402
import result_file  # noqa: E402
from peer_scenario import ScenarioError, peer_points, read_scenario  # noqa: E402

CONFIGS = ["torch-hf", "torch-compile"]


class BadInput(Exception):
    pass


class OutOfTime(Exception):
    pass


def log(message):
    print(f"torch_peer: {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(description="rooflm's PyTorch peer: torch-hf and torch-compile on a rooflm scenario")
    ap.add_argument("scenario", nargs="?", help="rooflm scenario file (rooflm.scenario/1)")
    ap.add_argument("--out", help="output folder: <out>/<config>/results.json, <out>/summary.txt")
    ap.add_argument("--config", default=",".join(CONFIGS), help="torch-hf, torch-compile or both (comma-separated)")
    ap.add_argument("--requests", type=int, help="override workload.requests (warm-up requests are capped to it)")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                    help="override a scenario value in every point, as rooflm run --set (VALUE: JSON or a string)")
    ap.add_argument("--max-seconds", type=float, default=540.0,
                    help="wall-clock budget: no request starts after it (they are recorded failed, the run is "
                         "invalid, exit 1); at budget + 60 s the process stops (default 540)")
    ap.add_argument("--dry-run", action="store_true", help="no torch: the scenario, prompts and a results file from "
                                                            "fake timings (CI checks the writer with it)")
    ap.add_argument("--check", action="store_true", help="correctness only: the tiny presets through both configs "
                                                          "(CPU or GPU), greedy tokens vs each other and --rooflm")
    ap.add_argument("--rooflm", help="a rooflm binary: `rooflm validate` the scenario first; --check compares "
                                     "with `rooflm generate`")
    ap.add_argument("--device", default=None, help="torch device (default cuda when available)")
    ap.add_argument("--compile-mode", default="max-autotune",
                    help="torch-compile: torch.compile mode of the decode step (default max-autotune; "
                         "reduce-overhead compiles faster)")
    ap.add_argument("--compile-prefill", action="store_true",
                    help="torch-compile: also compile prefill (mode default, one graph per prompt length)")
    ap.add_argument("--hf-mode", default="generate", choices=["generate", "loop"],
                    help="torch-hf: model.generate (default; falls back to loop if it fails) or a manual "
                         "StaticCache loop with the compiled forward")
    args = ap.parse_args(argv)
    configs = [c.strip() for c in args.config.split(",") if c.strip()]
    bad = [c for c in configs if c not in CONFIGS]
    if bad or not configs:
        raise BadInput(f"--config {args.config!r}: unknown {bad} (have: {', '.join(CONFIGS)})")
    args.configs = configs
    if not args.check and (not args.scenario or not args.out):
        raise BadInput("a scenario and --out DIR are required (or --check)")
    if args.requests is not None and args.requests < 1:
        raise BadInput(f"--requests {args.requests} must be >= 1")
    if not args.max_seconds > 0:
        raise BadInput(f"--max-seconds {args.max_seconds} must be > 0")
    args.overrides = {}
    for item in args.set:
        if "=" not in item:
            raise BadInput(f"--set {item!r}: expected PATH=VALUE")
        path, text = item.split("=", 1)
        try:
            args.overrides[path] = json.loads(text)
        except json.JSONDecodeError:
            args.overrides[path] = text
    if args.requests is not None:
        args.overrides["workload.requests"] = args.requests
    return args


def load_points(args):
    if args.rooflm:
        sets = [a for item in args.set for a in ("--set", item)]
        if args.requests is not None:
            sets += ["--set", f"workload.requests={args.requests}"]
        proc = subprocess.run([args.rooflm, "validate", args.scenario, *sets], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BadInput(f"rooflm validate: {proc.stderr.strip() or proc.stdout.strip()}")
    doc = read_scenario(args.scenario)
    overrides = dict(args.overrides)
    if "workload.requests" in overrides and isinstance(overrides["workload.requests"], int):
        # warm-up replays the first requests: never more than there are
        warm = (doc.get("measure") or {}).get("warmup_requests", 0)
        if isinstance(warm, int) and warm > overrides["workload.requests"]:
            overrides["measure.warmup_requests"] = overrides["workload.requests"]
    if overrides and "sweep" in doc:  # a --set of a swept path replaces the axis, as rooflm run --set does
        doc["sweep"] = {p: v for p, v in doc["sweep"].items() if p not in overrides}
    points, refusals = peer_points(doc, args.scenario, overrides)
    for r in refusals:
        log(f"not run (rooflm variant the peer cannot run): {r}")
    return doc, points


def make_runner(config, args):
    if args.dry_run:
        return peer_measure.FakeRunner(config)
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise BadInput(f"torch is not importable ({e}): install PyTorch (and transformers for torch-hf), or use "
                       "--dry-run") from None
    if config == "torch-compile":
        import llama_torch
        return llama_torch.CompiledLlamaRunner(args.device, args.compile_mode, args.compile_prefill, log)
    import hf_torch
    return hf_torch.HfRunner(args.device, args.hf_mode, log)


def variant_json(point, runner, config):
    fields = runner.variant()
    return {"label": point.label, "backend": config, "peer": config, "kernels": fields["kernels"],
            "kv_cache": "contiguous", "kv_dtype": "fp16", "precision": "fp16", "batching": "static", "max_batch": 1,
            "launch": fields["launch"], "tensor_parallel": 1,
            "gpu": peer_env.gpu_spec_name(getattr(runner, "device_name", None)), "sweep": point.sweep_point}


def run_config(config, args, doc, points, deadline):
    runner = make_runner(config, args)
    clock = peer_measure.VirtualClock if args.dry_run else peer_measure.RealClock
    runs, loaded, load_info = [], None, {}
    try:
        for point in points:
            if loaded != (point.model.name, point.resolved["model"]["seed"], point.max_seq_len):
                runner.unload()
                t = time.perf_counter()
                load_info = runner.load(point.model, point.max_seq_len, point.resolved["model"]["seed"])
                load_info["load_s"] = time.perf_counter() - t
                loaded = (point.model.name, point.resolved["model"]["seed"], point.max_seq_len)
                log(f"{config}: {point.model.name} loaded in {load_info['load_s']:.1f} s")
            log(f"{config}: {point.label} ({len(point.requests)} requests, stands in for: "
                f"{', '.join(point.skipped) or '-'})")
            reps, peer, invalid = peer_measure.measure_point(runner, point, clock, deadline, log)
            untied_embed = 0 if point.model.tied_embeddings else point.model.vocab * point.model.hidden
            peer.update({"config": config, "stands_in_for": point.skipped, **load_info, **runner.info(),
                         "decode_weight_bytes": 2 * (point.model.n_params() - untied_embed),
                         "options": {"compile_mode": args.compile_mode, "compile_prefill": args.compile_prefill,
                                     "hf_mode": args.hf_mode, "max_seconds": args.max_seconds,
                                     "overrides": args.overrides}})
            runs.append(result_file.run_json(point, variant_json(point, runner, config), runner.kernels(), reps, peer,
                                             invalid))
        device = getattr(runner, "device_info", None)
    finally:
        runner.unload()
    env = peer_env.capture(device)
    path = os.path.join(args.out, config, "results.json")
    result_file.write_atomic(path, result_file.document(env, doc, args.scenario, points, runs))
    log(f"{config}: wrote {path}")
    return path, runs


def table(rows):
    head = ["config", "variant", "done", "TTFT p50 ms", "TPOT p50 ms", "ITL p99 ms", "decode tok/s", "out tok/s",
            "weights GB/s", "compile s", "valid"]
    body = []
    for config, run in rows:
        s = run["summary"]

        def num(v, d=2):
            return "-" if v is None else f"{v:.{d}f}"
        tpot = s["tpot_ms"]["p50"]
        body.append([config, run["variant"]["label"], f'{s["requests"]["completed"]}/{len(run["requests"])}',
                     num(s["ttft_ms"]["p50"]), num(tpot), num(s["itl_ms"]["p99"]),
                     num(1e3 / tpot if tpot else None, 1), num(s["throughput"]["output_tok_s"], 1),
                     num(run["peer"]["decode_weight_bytes"] / tpot / 1e6 if tpot else None, 0),
                     num(run["peer"].get("compile_s"), 1), "yes" if run["valid"] else "NO"])
    widths = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    lines = ["  ".join(str(c).rjust(w) if i > 1 else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [head] + body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def main(argv):
    args = parse_args(argv)
    if args.check:
        try:
            import torch  # noqa: F401
        except ImportError as e:
            raise BadInput(f"--check runs torch: {e}") from None
        import peer_check
        return peer_check.run(args, log)
    doc, points = load_points(args)
    os.makedirs(args.out, exist_ok=True)
    deadline = time.monotonic() + args.max_seconds

    def out_of_time(signum, frame):
        raise OutOfTime(f"--max-seconds {args.max_seconds} + 60 s passed")
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(args.max_seconds) + 60)
    rows, failed = [], False
    for config in args.configs:
        try:
            _, runs = run_config(config, args, doc, points, deadline)
            rows += [(config, r) for r in runs]
            failed |= not all(r["valid"] for r in runs)
        except OutOfTime as e:
            log(f"{config}: STOPPED: {e}; nothing written for it")
            failed = True
            break
        except BadInput:
            raise
        except Exception as e:  # noqa: BLE001 -- one configuration failing leaves the other's results
            import traceback
            traceback.print_exc()
            log(f"{config}: FAILED: {type(e).__name__}: {e}")
            failed = True
    signal.alarm(0)
    text = ("times in ms; TPOT = (finish - first token)/(outputs - 1) per request; ITL = every token gap;\n"
            "weights GB/s = the weights a decode step reads (embedding table excluded) / TPOT p50; "
            "compile s = the first warm-up request's excess over a measured one\n" + table(rows))
    if args.dry_run:
        text = "DRY RUN: fake timings\n" + text
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text)
    print(text, end="")
    for config, run in rows:
        for reason in run["invalid_reasons"]:
            print(f"INVALID {config} {run['variant']['label']}: {reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (BadInput, ScenarioError) as e:
        print(f"torch_peer: error: {e}", file=sys.stderr)
        sys.exit(2)
