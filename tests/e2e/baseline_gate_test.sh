#!/usr/bin/env bash
# Regression gate against the baselines committed in results/baselines/, on scenarios whose results
# do not depend on the machine:
#   sim/<scenario>.json  sim backend (a virtual clock): every latency metric gated with the default
#                        policy. An unchanged run must pass (exit 0), an injected 10% slowdown must
#                        fail (exit 1), a run on another GPU must be refused (exit 2).
#   cpu/<scenario>.json  CPU backend, burst arrivals: its counters (steps, tokens, preemptions, prefix
#                        hits, peak batch) gated exactly with cpu_counters_policy.json; timings are not
#                        gated (noisy on CI). An unchanged run must pass, a run with another token
#                        budget per step (a scheduler change) must fail (exit 1).
# Usage: tests/e2e/baseline_gate_test.sh <rooflm binary>
# After an intended change: ROOFLM_UPDATE_BASELINES=1 tests/e2e/baseline_gate_test.sh <rooflm> rewrites them.
set -euo pipefail
rooflm="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
baselines="$root/results/baselines"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log() { echo "baseline gate: $*" >&2; }

expect_gate() {  # expect_gate <exit code> <what> <gate args...>
  local want="$1" what="$2" got=0
  shift 2
  "$rooflm" gate "$@" --markdown "$work/gate.md" >/dev/null 2>"$work/gate.err" || got=$?
  if [ "$got" != "$want" ]; then
    cat "$work/gate.md" "$work/gate.err" >&2 || true
    log "FAIL: $what: exit $got, expected $want"
    exit 1
  fi
  log "$what: exit $got as expected"
}
run_scenario() {  # run_scenario <scenario> <out folder> <extra run args...>
  local scenario="$1" out="$2"
  shift 2
  "$rooflm" run "$scenario" --out "$out" "$@" >"$out.log" 2>&1 || { cat "$out.log" >&2; log "FAIL: rooflm run $scenario"; exit 1; }
}
update_or_gate() {  # update_or_gate <baseline> <fresh results>: 0 when the baseline was rewritten
  [ "${ROOFLM_UPDATE_BASELINES:-0}" = 1 ] || return 1
  cp "$2" "$1"
  log "rewrote $1"
}

# --- sim: efficiencies (calibrations) 0.9 of the roofline for the baseline (keeps MBU clear of 1),
# and 0.9/1.1 for a candidate whose every step is 10% slower: tests/fixtures/results/sim_efficiency.json
# (a results file the reader accepts) with its placeholder efficiency replaced.
write_calibration() {  # write_calibration <file> <efficiency>
  sed "s/0\.123456789/$2/g" "$root/tests/fixtures/results/sim_efficiency.json" >"$1"
}
write_calibration "$work/efficiency_0.9.json" 0.9
write_calibration "$work/slowdown_10pct.json" 0.8181818181818181
for baseline in "$baselines"/sim/*.json; do
  name="$(basename "$baseline" .json)"
  scenario="$root/scenarios/$name.json"
  run_scenario "$scenario" "$work/$name" --backend sim --calibrate-from "$work/efficiency_0.9.json"
  update_or_gate "$baseline" "$work/$name/results.json" && continue
  expect_gate 0 "sim $name unchanged" --baseline "$baseline" --candidate "$work/$name/results.json"
  run_scenario "$scenario" "$work/$name-slow" --backend sim --calibrate-from "$work/slowdown_10pct.json"
  expect_gate 1 "sim $name with an injected 10% slowdown" --baseline "$baseline" \
    --candidate "$work/$name-slow/results.json"
  run_scenario "$scenario" "$work/$name-h100" --backend sim --calibrate-from "$work/efficiency_0.9.json" --gpu h100-sxm
  expect_gate 2 "sim $name against another GPU" --baseline "$baseline" --candidate "$work/$name-h100/results.json"
done

# --- cpu: counters only; requests and steps are not recorded (keeps the committed baseline small).
policy="$baselines/cpu_counters_policy.json"
for baseline in "$baselines"/cpu/*.json; do
  name="$(basename "$baseline" .json)"
  scenario="$root/scenarios/$name.json"
  lean=(--backend cpu --set measure.record_requests=false --set measure.record_steps=false)
  run_scenario "$scenario" "$work/$name" "${lean[@]}"
  update_or_gate "$baseline" "$work/$name/results.json" && continue
  expect_gate 0 "cpu $name counters unchanged" --baseline "$baseline" --candidate "$work/$name/results.json" \
    --policy "$policy"
  run_scenario "$scenario" "$work/$name-budget" "${lean[@]}" --set engine.batching.max_batched_tokens=64
  expect_gate 1 "cpu $name with another token budget per step" --baseline "$baseline" \
    --candidate "$work/$name-budget/results.json" --policy "$policy"
done
log "PASS"
