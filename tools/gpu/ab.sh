#!/usr/bin/env bash
# Interleaved A/B of two rooflm binaries on one host: for each scenario and round, runs A then B
# (B then A on even rounds) on the same scenario, --set overrides and calibration, so a drift of
# the machine (clocks, temperature, neighbours) hits both alike. Writes
#   OUT/ab/<scenario>/<A|B>-<round>/results.json   every run (log beside it: <A|B>-<round>.log)
#   OUT/ab/<scenario>/compare-<round>.txt           `rooflm compare` of that round (B's binary)
#   OUT/ab/summary.json, OUT/ab/summary.md          tools/gpu/ab_summary.py: per scenario, variant
#       and metric (TTFT p50, TPOT p50, decode / prefill step device time p50) the A and B medians
#       over rounds, the change in %, the A-vs-A and B-vs-B spread (range over rounds, in %) and
#       whether |B - A| exceeds that spread (beyond_noise)
# Usage: tools/gpu/ab.sh --a ROOFLM_A --b ROOFLM_B --out OUT [--rounds 3] [--calibration FILE]
#                        [--backend cuda|cpu|sim] [--set path=value]... [scenario ...]
#   scenario: a name in scenarios/ or a path (default: decode_latency prefill_sweep)
# Both binaries read this checkout's data files (ROOFLM_SOURCE_DIR). Exit: 0 done (a slowdown is
# reported, not an error), 1 a run failed, 2 bad usage.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
usage() { sed -n '2,16p' "$0"; }
bin_a="" bin_b="" out="" rounds=3 calibration=""
extra=() scenarios=()
while [ $# -gt 0 ]; do
  case "$1" in
    --a) bin_a="${2:-}"; shift 2 ;;
    --b) bin_b="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    --rounds) rounds="${2:-}"; shift 2 ;;
    --calibration) calibration="${2:-}"; shift 2 ;;
    --backend) extra+=(--backend "${2:-}"); shift 2 ;;
    --set) extra+=(--set "${2:-}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "ab: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(decode_latency prefill_sweep)
for pair in "--a:$bin_a" "--b:$bin_b"; do
  if [ ! -f "${pair#*:}" ] || [ ! -x "${pair#*:}" ]; then
    echo "ab: ${pair%%:*} \"${pair#*:}\" is not an executable rooflm" >&2
    exit 2
  fi
done
[ -n "$out" ] || { echo "ab: --out DIR is required" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ab: --rounds must be a positive integer, got \"$rounds\"" >&2; exit 2; }
if [ -n "$calibration" ]; then
  [ -f "$calibration" ] || { echo "ab: --calibration $calibration: no such file" >&2; exit 2; }
  ROOFLM_CALIBRATION="$(realpath "$calibration")"
  export ROOFLM_CALIBRATION
fi
bin_a="$(realpath "$bin_a")"; bin_b="$(realpath "$bin_b")"
export ROOFLM_SOURCE_DIR="$ROOT"
files=()
for sc in "${scenarios[@]}"; do
  if [ -f "$sc" ]; then files+=("$(realpath "$sc")")
  elif [ -f "$ROOT/scenarios/$sc.json" ]; then files+=("$ROOT/scenarios/$sc.json")
  else echo "ab: scenario \"$sc\": neither a file nor scenarios/$sc.json" >&2; exit 2
  fi
done
mkdir -p "$out/ab" || exit 2
ab="$(realpath "$out/ab")"

failed=0
for file in "${files[@]}"; do
  name="$(basename "$file" .json)"
  mkdir -p "$ab/$name"
  for ((r = 1; r <= rounds; r++)); do
    order=(A B)
    [ $((r % 2)) -eq 0 ] && order=(B A)
    for side in "${order[@]}"; do
      bin="$bin_a"; [ "$side" = B ] && bin="$bin_b"
      dir="$ab/$name/$side-$r"
      rm -rf "$dir"
      start=$(date +%s)
      if "$bin" run "$file" --out "$dir" "${extra[@]}" >"$dir.log" 2>&1 && [ -f "$dir/results.json" ]; then
        echo "ab: $name round $r $side: $(( $(date +%s) - start )) s" >&2
      else
        tail -5 "$dir.log" >&2
        echo "ab: $name round $r $side: run failed (log: $dir.log)" >&2
        failed=1
      fi
    done
    if [ -f "$ab/$name/A-$r/results.json" ] && [ -f "$ab/$name/B-$r/results.json" ]; then
      "$bin_b" compare "$ab/$name/A-$r/results.json" "$ab/$name/B-$r/results.json" >"$ab/$name/compare-$r.txt" 2>&1 ||
        echo "ab: $name round $r: rooflm compare failed (see compare-$r.txt)" >&2
    fi
  done
done
python3 "$ROOT/tools/gpu/ab_summary.py" "$ab" --rounds "$rounds" --a "$bin_a" --b "$bin_b" \
  --calibration "${ROOFLM_CALIBRATION:-}" "${files[@]}" || failed=1
exit "$failed"
