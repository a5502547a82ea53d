#!/usr/bin/env bash
# Renders rooflm HTML reports in real headless Chromium (Debian's chromium package) and checks them:
# no console errors, every chart element drawn (data-rendered="true" on each [data-chart]), the
# page's own error count 0; then tests/e2e/report_dom_check.py reads the rendered DOM: no chart with
# zero marks, the headline first (with deltas), the scenario JSON folded and last, no raw JSON or
# "null" in the environment, kernel lists folded, and per case: one line per variant group, "not
# recorded" for what a run did not record, numeric legend order, p50/p99 line styles in the legend.
# Writes a screenshot per report as a test artefact. Cases: a results file with one run, a report of
# two files with many runs, the H100 static-vs-continuous Poisson sweep (with --baseline), a capacity
# search, the two-file comparison (--compare), a kernel-traced H100 run (per-kernel breakdown and
# per-op roofline points), an ncu profile (its table), and cpu runs with accuracy beside speed. Also
# checks --format md and csv, and a --baseline no file has (exit 2, no file written).
# Usage: tests/e2e/report_browser_test.sh <rooflm binary> [artefact folder, default out/test-artefacts/report]
set -euo pipefail
rooflm="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"  # absolute: one case runs in another folder
artefacts="${2:-out/test-artefacts/report}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
chromium="$(command -v chromium || true)"
[ -n "$chromium" ] || { echo "report browser test: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
mkdir -p "$artefacts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "report browser test: FAIL: $*" >&2; exit 1; }

# one run: the seed scenario without its sweep; many runs: it and its H100 variant together
sed '/"sweep"/d' "$root/scenarios/seed_a10.json" >"$work/one_run.json"
"$rooflm" run "$work/one_run.json" --backend sim --out "$work/one" >/dev/null 2>&1 || fail "rooflm run (one run)"
"$rooflm" run "$root/scenarios/seed_a10.json" --backend sim --out "$work/a10" >/dev/null 2>&1 || fail "rooflm run (a10)"
"$rooflm" run "$root/scenarios/seed_a10.json" --backend sim --gpu h100-sxm --out "$work/h100" >/dev/null 2>&1 || true  # MBU at 1 may mark it invalid
"$rooflm" report "$work/one/results.json" -o "$work/one.html" >/dev/null || fail "rooflm report (one run)"
"$rooflm" report "$work/a10/results.json" "$work/h100/results.json" -o "$work/many.html" >/dev/null || fail "rooflm report (many runs)"
[ -s "$work/one/report.html" ] || fail "rooflm run did not write report.html beside results.json"

expected_charts=(roofline cdf-ttft_ms cdf-tpot_ms cdf-itl_ms cdf-e2e_ms throughput-latency ts-n_seqs ts-kv_occupancy ts-step_ms goodput)
render() {  # render <html> <name>: dump the DOM and take a screenshot, failing on console output
  local html="$1" name="$2" profile
  profile="$(mktemp -d -p "$work")"
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
               --disable-component-update --disable-sync --user-data-dir="$profile" --virtual-time-budget=15000
               --enable-logging=stderr --v=0)
  timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$html" >"$work/$name.dom" 2>"$work/$name.log" ||
    fail "$name: chromium --dump-dom failed: $(tail -3 "$work/$name.log")"
  timeout 120 "$chromium" "${flags[@]}" --window-size=1280,4000 --screenshot="$artefacts/$name.png" "file://$html" \
    >/dev/null 2>>"$work/$name.log" || fail "$name: chromium --screenshot failed"
  [ -s "$artefacts/$name.png" ] || fail "$name: no screenshot"
  if grep -q 'CONSOLE' "$work/$name.log"; then fail "$name: console output: $(grep CONSOLE "$work/$name.log" | head -3)"; fi
  grep -q 'data-errors="0"' "$work/$name.dom" || fail "$name: page errors: $(grep -o '<pre id="errors"[^<]*' "$work/$name.dom")"
  grep -q 'data-charts-done="true"' "$work/$name.dom" || fail "$name: charts did not finish rendering"
  for chart in "${expected_charts[@]}"; do
    grep -q "data-chart=\"$chart\"[^>]*data-rendered=\"true\"[^>]*><svg" "$work/$name.dom" ||
      fail "$name: chart $chart not rendered as <svg>"
  done
  local charts drawn
  charts="$(grep -o ' data-chart="' "$work/$name.dom" | wc -l || true)"
  drawn="$(grep -o 'data-chart="[^"]*"[^>]*data-rendered="true"[^>]*><svg' "$work/$name.dom" | wc -l || true)"
  [ "$charts" = "$drawn" ] || fail "$name: $drawn of $charts charts rendered"
  for section in headline environment scenario variants roofline latency throughput-latency timeseries kernels slo; do
    grep -q "<section id=\"$section\"" "$work/$name.dom" || fail "$name: section $section missing"
  done
  python3 "$root/tests/e2e/report_dom_check.py" "$work/$name.dom" "${dom_checks[@]}" || fail "$name: rendered DOM (above)"
  echo "report browser test: $name: $drawn charts rendered, no errors, screenshot $artefacts/$name.png"
}
dom_checks=()
render "$work/one.html" one_run
dom_checks=(--headline-deltas 1 --kernel-sets 1 --kernel-once sim_roofline_fused)
render "$work/many.html" many_runs

# the H100 Poisson sweep: static and continuous batching, one line each per percentile (not one
# zig-zag), legends in numeric order, steps not recorded, the kernel list once
"$rooflm" report "$root/results/h100/batching_poisson.json" --baseline "policy=continuous rate=1" \
  -o "$work/poisson.html" >/dev/null || fail "rooflm report (batching_poisson)"
expected_charts=(roofline cdf-ttft_ms cdf-tpot_ms cdf-itl_ms cdf-e2e_ms throughput-latency goodput)
dom_checks=(--headline-deltas 20 --lines throughput-latency 4 --dash-legend throughput-latency
            --legend-order cdf-ttft_ms "policy=continuous rate=4" "policy=continuous rate=16"
            --legend-order throughput-latency policy=continuous policy=static
            --not-recorded ts-n_seqs --not-recorded ts-kv_occupancy --not-recorded ts-step_ms
            --kernel-sets 1 --kernel-once attn_decode_splitk_f16
            --text 'against the baseline "policy=continuous rate=1"' --text 'limit ')
render "$work/poisson.html" batching_poisson
if "$rooflm" report "$root/results/h100/batching_poisson.json" --baseline "no such variant" -o "$work/bad.html" 2>"$work/bad.err"; then
  fail "--baseline of an unknown label succeeded"
else
  [ $? = 2 ] || fail "--baseline of an unknown label: exit code not 2"
fi
grep -q 'no such variant' "$work/bad.err" || fail "--baseline error does not name the label: $(cat "$work/bad.err")"
[ ! -e "$work/bad.html" ] || fail "--baseline of an unknown label left a file"

# a capacity search (sim H200): capacity bars and ratios, one line per searched variant, no request samples
"$rooflm" report "$root/results/baselines/sim/capacity.json" -o "$work/capacity.html" >/dev/null || fail "rooflm report (capacity)"
expected_charts=(capacity roofline throughput-latency goodput)
dom_checks=(--chart capacity --lines throughput-latency 8 --text "continuous / static" --text "capacity (rate)"
            --not-recorded cdf-ttft_ms --not-recorded ts-step_ms --headline-deltas 3)
render "$work/capacity.html" capacity
grep -q '<section id="capacity"' "$work/capacity.dom" || fail "capacity: no capacity section"

# tensor-parallel scaling (sim H200, TP 1 / 2 / 4): TPOT per rank count beside the ideal TP=1 / N
"$rooflm" run "$root/scenarios/decode_latency.json" --backend sim --gpu h200 --set 'sweep.engine.tensor_parallel=[1,2,4]' \
  --set 'sweep.engine.kernels=["fused"]' --set 'sweep.engine.launch=["graph"]' --set workload.requests=3 \
  --out "$work/tp" >/dev/null 2>&1 || fail "rooflm run (tensor parallel)"
"$rooflm" report "$work/tp/results.json" -o "$work/tp.html" >/dev/null || fail "rooflm report (tensor parallel)"
expected_charts=(tensor-parallel roofline throughput-latency)
dom_checks=(--chart tensor-parallel --lines tensor-parallel 2 --text "TP=2 TPOT" --text "x TP=1 (ideal 0.500x)")
render "$work/tp.html" tensor_parallel
grep -q '<section id="tensor-parallel"' "$work/tensor_parallel.dom" || fail "tensor_parallel: no tensor-parallel section"

# the two-file comparison: H100 against H200, per variant side by side with B/A and significance
( cd "$work" && "$rooflm" report "$root/results/h100/batching_poisson.json" "$root/results/h200/batching_poisson.json" --compare ) \
  >"$work/compare.out" || fail "rooflm report --compare"
compare_html="$work/$(sed -n 's/^compare: //p' "$work/compare.out")"
[ -s "$compare_html" ] && [ -L "$work/out/compare/latest" ] || fail "--compare without -o: no out/compare/<timestamp>/compare.html"
expected_charts=(roofline cdf-ttft_ms throughput-latency goodput)
dom_checks=(--compare --lines throughput-latency 8 --text "Comparison: B against A" --text significant)
render "$compare_html" compare
if "$rooflm" report "$root/results/h100/batching_poisson.json" --compare -o "$work/one_compare.html" 2>"$work/compare.err"; then
  fail "--compare of one file succeeded"
fi
grep -q 'exactly two results files' "$work/compare.err" || fail "--compare of one file: $(cat "$work/compare.err")"

# an ncu profile (rooflm profile on the H200): its table
profile_results="$root/results/h200/profile_2026-12-02/run_d0a6c7a/profile_results.json"  # ops named by NVTX: ncu beside the model
if [ -f "$profile_results" ]; then
  "$rooflm" report "$profile_results" -o "$work/profile.html" >/dev/null || fail "rooflm report (profile)"
  expected_charts=(roofline cdf-ttft_ms throughput-latency goodput)
  dom_checks=(--not-recorded ts-step_ms --text "Nsight Compute profile" --text "ncu MB / call" --text "qkv_proj" --text "1.023")
  render "$work/profile.html" profile
  grep -q '<table class="profile"' "$work/profile.dom" || fail "profile: no profile table"
fi
dom_checks=()
# a kernel-traced H100 run: per-kernel bars and per-op roofline points and table
"$rooflm" report "$root/results/h100/decode_latency_kernel_trace.json" -o "$work/traced.html" >/dev/null ||
  fail "rooflm report (kernel trace)"
expected_charts=(roofline cdf-ttft_ms cdf-tpot_ms cdf-itl_ms cdf-e2e_ms throughput-latency ts-n_seqs ts-kv_occupancy ts-step_ms goodput kernels)
dom_checks=(--lines throughput-latency 8 --kernel-sets 2)  # kernels=naive/fused x launch: 4 groups of one point
render "$work/traced.html" kernel_trace
grep -q '<th>roofline / measured</th>' "$work/kernel_trace.dom" || fail "kernel_trace: no per-op table"
grep -q 'rooflm::gemv_xwt_f16_kernel' "$work/kernel_trace.dom" || fail "kernel_trace: kernel names missing"
[ "$(grep -o '<nav id="links">.*</nav>' "$work/many_runs.dom" | grep -o 'href="#run-' | wc -l)" = 4 ] ||
  fail "many_runs: expected links to 4 runs"

# accuracy beside speed: a cpu run of each precision with measure.accuracy on (the cpu has no roofline)
"$rooflm" run "$root/scenarios/quant_accuracy.json" --set workload.requests=2 --set measure.accuracy.tokens=8 \
  --out "$work/acc" >/dev/null 2>&1 || fail "rooflm run (accuracy)"
"$rooflm" report "$work/acc/results.json" -o "$work/acc.html" >/dev/null || fail "rooflm report (accuracy)"
expected_charts=(accuracy cdf-ttft_ms cdf-tpot_ms cdf-e2e_ms throughput-latency)
dom_checks=(--not-recorded roofline)
render "$work/acc.html" accuracy
grep -q '<section id="accuracy"' "$work/accuracy.dom" || fail "accuracy: no accuracy section"
[ "$(grep -o '<td>cpu fp32</td>' "$work/accuracy.dom" | wc -l)" = 4 ] || fail "accuracy: expected 4 evaluated runs (fp16, int8, w8a8, fp8)"

# the text views
"$rooflm" report "$work/a10/results.json" "$work/h100/results.json" --format md >"$work/report.md"
grep -q '^| file | variant |' "$work/report.md" || fail "md: no table header"
[ "$(grep -c '^| .*results.json | max_batch=' "$work/report.md")" = 4 ] || fail "md: expected 4 run rows"
"$rooflm" report "$work/a10/results.json" --format csv >"$work/report.csv"
[ "$(wc -l <"$work/report.csv")" = 3 ] || fail "csv: expected a header and 2 rows"
head -1 "$work/report.csv" | grep -q '^file,variant,backend,kernels,completed,ttft_p50_ms' || fail "csv: header"
echo "report browser test: PASS"
