#!/usr/bin/env bash
# Renders rooflm HTML reports in real headless Chromium (Debian's chromium package) and checks them:
# no console errors, every chart element drawn (data-rendered="true" on each [data-chart]), the
# page's own error count 0; writes a screenshot per report as a test artefact. Cases: a results
# file with one run, a report of two files with many runs, and a kernel-traced H100 run (per-kernel
# breakdown and per-op roofline points), and cpu runs with accuracy beside speed. Also checks --format
# md and csv.
# Usage: tests/e2e/report_browser_test.sh <rooflm binary> [artefact folder, default out/test-artefacts/report]
set -euo pipefail
rooflm="$1"
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
  for section in environment scenario variants roofline latency throughput-latency timeseries kernels slo; do
    grep -q "<section id=\"$section\"" "$work/$name.dom" || fail "$name: section $section missing"
  done
  echo "report browser test: $name: $drawn charts rendered, no errors, screenshot $artefacts/$name.png"
}
render "$work/one.html" one_run
render "$work/many.html" many_runs
# a kernel-traced H100 run: per-kernel bars and per-op roofline points and table
"$rooflm" report "$root/results/h100/decode_latency_kernel_trace.json" -o "$work/traced.html" >/dev/null ||
  fail "rooflm report (kernel trace)"
expected_charts+=(kernels)
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
