#!/usr/bin/env python3
"""Summary of an interleaved A/B (tools/gpu/ab.sh): reads AB/<scenario>/<A|B>-<round>/results.json
and writes AB/summary.json ("schema": "rooflm.ab/2") and AB/summary.md. Python 3 stdlib only.

Per scenario, variant (run.variant.label) and metric (TTFT p50, TPOT p50, decode and prefill step
device time p50, all in ms, from each run's summary):
  a_ms, b_ms              the value of every round (null where a run lacks it)
  a_median, b_median      medians over rounds
  change_pct              100 * (b_median - a_median) / a_median (positive: B slower)
  a_spread_pct            A-vs-A noise: (max - min) of A's rounds / a_median, in %; b_spread_pct likewise
  beyond_noise            |change_pct| > max(a_spread_pct, b_spread_pct): the A-vs-B difference
                          exceeds what re-running the same binary moves; null with one round
Usage: python3 tools/gpu/ab_summary.py AB_DIR --rounds R [--a BIN] [--b BIN] [--calibration F] scenario.json...
"""
import argparse, json, os, statistics, sys

METRICS = [  # name, path in run.summary
    ("ttft_ms_p50", ("ttft_ms", "p50")),
    ("tpot_ms_p50", ("tpot_ms", "p50")),
    ("decode_step_device_ms_p50", ("launch", "phases", "decode", "device_ms", "p50")),
    ("prefill_step_device_ms_p50", ("launch", "phases", "prefill", "device_ms", "p50")),
]


def dig(node, path):
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def load_runs(path):
    """({variant label: run}, document) of a results.json, or None when that run failed."""
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        doc = json.load(f)
    return {run["variant"].get("label", json.dumps(run["variant"], sort_keys=True)): run for run in doc["runs"]}, doc


def row(a_values, b_values):
    a = [v for v in a_values if v is not None]
    b = [v for v in b_values if v is not None]
    out = {"a_ms": a_values, "b_ms": b_values, "a_median": None, "b_median": None, "change_pct": None,
           "a_spread_pct": None, "b_spread_pct": None, "beyond_noise": None}
    am = statistics.median(a) if a else None
    bm = statistics.median(b) if b else None
    out.update(a_median=am, b_median=bm)
    if am and bm is not None:
        out["change_pct"] = 100 * (bm - am) / am
        if len(a) >= 2 and len(b) >= 2:
            out["a_spread_pct"] = 100 * (max(a) - min(a)) / am
            out["b_spread_pct"] = 100 * (max(b) - min(b)) / bm if bm > 0 else None
            if out["b_spread_pct"] is not None:
                out["beyond_noise"] = abs(out["change_pct"]) > max(out["a_spread_pct"], out["b_spread_pct"])
    return out


def summarise(ab_dir, name, rounds):
    runs = {side: [load_runs(os.path.join(ab_dir, name, f"{side}-{r}", "results.json")) for r in range(1, rounds + 1)]
            for side in ("A", "B")}
    labels = []
    for side in ("A", "B"):
        for loaded in runs[side]:
            for label in (loaded[0] if loaded else {}):
                if label not in labels:
                    labels.append(label)
    variants = {}
    for label in labels:
        metrics = {}
        for metric, path in METRICS:
            values = {side: [dig(loaded[0][label]["summary"], path) if loaded and label in loaded[0] else None
                             for loaded in runs[side]] for side in ("A", "B")}
            if any(v is not None for v in values["A"] + values["B"]):
                metrics[metric] = row(values["A"], values["B"])
        variants[label] = metrics
    commits = {side: sorted({str(l[1]["environment"].get("git_commit")) for l in runs[side] if l})
               for side in ("A", "B")}
    missing = [f"{side}-{r + 1}" for side in ("A", "B") for r, l in enumerate(runs[side]) if not l]
    return {"variants": variants, "git_commit": commits, "failed_runs": missing}


def fmt(x, digits=3, unit=""):
    return "-" if x is None else f"{x:.{digits}f}{unit}"


def markdown(doc):
    lines = [f"## rooflm A/B: A = {doc['a']}, B = {doc['b']}", "",
             f"{doc['rounds']} interleaved rounds (A B, then B A, ...); medians over rounds; change = B vs A "
             "(positive: B slower); noise = the larger of A's and B's range over rounds; "
             "beyond noise: |change| > noise.", ""]
    for name, sc in doc["scenarios"].items():
        lines += [f"### {name}", "", f"git commits: A {', '.join(sc['git_commit']['A']) or '-'}, "
                  f"B {', '.join(sc['git_commit']['B']) or '-'}"
                  + (f"; failed runs: {', '.join(sc['failed_runs'])}" if sc["failed_runs"] else ""), ""]
        if sc["variants"]:
            lines += ["| variant | metric | A median | B median | change | A-vs-A | B-vs-B | beyond noise |",
                      "|---|---|---:|---:|---:|---:|---:|---|"]
        for label, metrics in sc["variants"].items():
            for metric, r in metrics.items():
                beyond = {None: "-", True: "**yes**", False: "no"}[r["beyond_noise"]]
                lines.append(f"| {label} | {metric} | {fmt(r['a_median'])} | {fmt(r['b_median'])} | "
                             f"{fmt(r['change_pct'], 2, '%')} | {fmt(r['a_spread_pct'], 2, '%')} | "
                             f"{fmt(r['b_spread_pct'], 2, '%')} | {beyond} |")
        lines += ["", f"Per round: `rooflm compare` in {name}/compare-<round>.txt.", ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="Summarise an interleaved A/B (tools/gpu/ab.sh)")
    ap.add_argument("ab_dir")
    ap.add_argument("scenarios", nargs="+", help="scenario files (their names are the folders)")
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--a", default="A")
    ap.add_argument("--b", default="B")
    ap.add_argument("--calibration", default="")
    args = ap.parse_args()
    doc = {"schema": "rooflm.ab/2", "a": args.a, "b": args.b, "rounds": args.rounds,
           "order": ["A,B" if r % 2 else "B,A" for r in range(1, args.rounds + 1)],
           "calibration": args.calibration or None, "scenarios": {}}
    for scenario in args.scenarios:
        name = os.path.splitext(os.path.basename(scenario))[0]
        doc["scenarios"][name] = summarise(args.ab_dir, name, args.rounds)
    with open(os.path.join(args.ab_dir, "summary.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    text = markdown(doc)
    with open(os.path.join(args.ab_dir, "summary.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    failed = [n for n, sc in doc["scenarios"].items() if sc["failed_runs"]]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
