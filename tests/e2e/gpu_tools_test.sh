#!/usr/bin/env bash
# The GPU tooling's bookkeeping, without a GPU: a fake nvidia-smi on PATH names the device.
#   tools/gpu/results_dir.sh  "NVIDIA H100 80GB HBM3" -> results/h100, "NVIDIA H200" -> results/h200
#   tools/gpu-gate            exit 2 (with a message) for a GPU without a results folder, an unknown
#                             GPU, no nvidia-smi; --results overrides the detection
#   tools/gpu/ab.sh           two copies of this rooflm on quickstart (cpu, 2 rounds): every run's
#                             results.json where it belongs, A B / B A order, summary.json + .md
# Usage: tests/e2e/gpu_tools_test.sh <rooflm binary>
set -euo pipefail
rooflm="$(realpath "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "gpu tools test: FAIL: $*" >&2; exit 1; }

mkdir -p "$work/bin"
cat >"$work/bin/nvidia-smi" <<'EOF'
#!/bin/sh
[ -n "$FAKE_GPU_NAME" ] || exit 9
printf '%s\n' "$FAKE_GPU_NAME"
EOF
printf '#!/bin/sh\nexit 1\n' >"$work/bin/rooflm-fails"
chmod +x "$work/bin/nvidia-smi" "$work/bin/rooflm-fails"

# shellcheck source=../../tools/gpu/results_dir.sh
source "$root/tools/gpu/results_dir.sh"
[ "$(FAKE_GPU_NAME="NVIDIA H100 80GB HBM3" PATH="$work/bin:$PATH" rooflm_gpu_results_dir "$root")" = "$root/results/h100" ] ||
  fail "H100 does not map to results/h100"
[ "$(rooflm_results_folder_for "NVIDIA H200")" = h200 ] || fail "H200 does not map to h200"

expect_gate() {  # expect_gate <exit code> <message part> <gpu name> <gpu-gate args...>
  local want="$1" message="$2" name="$3" got=0
  shift 3
  FAKE_GPU_NAME="$name" PATH="$work/bin:$PATH" "$root/tools/gpu-gate" --rooflm "$work/bin/rooflm-fails" \
    --out "$work/gate" "$@" >"$work/gate.out" 2>&1 || got=$?
  [ "$got" = "$want" ] || { cat "$work/gate.out" >&2; fail "gpu-gate on \"$name\" $*: exit $got, expected $want"; }
  grep -qF -- "$message" "$work/gate.out" || { cat "$work/gate.out" >&2; fail "gpu-gate on \"$name\": no \"$message\""; }
}
if [ ! -d "$root/results/h200" ]; then
  expect_gate 2 "maps to results/h200, which does not exist" "NVIDIA H200"
fi
expect_gate 2 'GPU "NVIDIA A10" has no results folder' "NVIDIA A10"
expect_gate 2 "cannot read the GPU's name" ""
# an override is used as given; the fake rooflm's runs fail: exit 1, not a silent pass
expect_gate 1 "baselines from results/h100" "NVIDIA A10" --results "$root/results/h100" decode_latency

mkdir -p "$work/A" "$work/B"
cp "$rooflm" "$work/A/rooflm"
cp "$rooflm" "$work/B/rooflm"
"$root/tools/gpu/ab.sh" --a "$work/A/rooflm" --b "$work/B/rooflm" --out "$work/ab-out" --rounds 2 \
  --backend cpu --set workload.requests=4 quickstart >"$work/ab.log" 2>&1 || { rc=$?; cat "$work/ab.log" >&2; fail "ab.sh exited $rc"; }
for run in A-1 B-1 A-2 B-2; do
  [ -f "$work/ab-out/ab/quickstart/$run/results.json" ] || fail "ab.sh wrote no quickstart/$run/results.json"
done
[ -f "$work/ab-out/ab/quickstart/compare-2.txt" ] || fail "ab.sh wrote no compare-2.txt"
[ "$(grep -m1 'round 2' "$work/ab.log" | cut -d' ' -f5)" = "B:" ] || fail "round 2 did not start with B"
python3 - "$work/ab-out/ab/summary.json" <<'EOF' || fail "summary.json"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "rooflm.ab/2" and doc["order"] == ["A,B", "B,A"], doc["order"]
sc = doc["scenarios"]["quickstart"]
assert not sc["failed_runs"], sc["failed_runs"]
assert sorted(sc["variants"]) == ["max_batch=1", "max_batch=8"], list(sc["variants"])
for metrics in sc["variants"].values():
    row = metrics["tpot_ms_p50"]
    assert len(row["a_ms"]) == 2 and row["a_median"] > 0 and row["change_pct"] is not None, row
    assert isinstance(row["beyond_noise"], bool), row
EOF
grep -q "| max_batch=8 | tpot_ms_p50 |" "$work/ab-out/ab/summary.md" || fail "summary.md has no table row"
echo "gpu tools test: results folders, gpu-gate refusals and ab.sh bookkeeping as expected" >&2
