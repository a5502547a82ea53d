#!/usr/bin/env python3
"""Copies a results.json for committing under results/<gpu>/, dropping runs[].steps (the per-step
traces; every summary, MBU/MFU and roofline figure was computed from them during the run) and saying
so in environment.note. Usage: tools/gpu/slim_results.py IN.json OUT.json"""
import json
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    counts = []
    for run in doc.get("runs", []):  # the schema requires the key: an empty list
        counts.append(len(run.get("steps", [])))
        run["steps"] = []
    if any(counts):
        doc.setdefault("environment", {})["note"] = (
            f"per-step traces (runs[].steps: {counts} steps) removed after the run to keep the repository "
            "small; every summary, MBU/MFU and roofline figure was computed from them before")
    with open(sys.argv[2], "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
