#!/usr/bin/env bash
# One device session: GPU tests, compute-sanitizer (memcheck, initcheck, racecheck, synccheck),
# calibration, the GPU scenarios and the Hugging Face parity check, with prebuilt binaries (built
# elsewhere with -gencode arch=compute_90a,code=sm_90a).
# Usage: tools/gpu/device_check.sh BUILD_DIR OUT_DIR [steps...]
#   steps: tests sanitize calibrate decode prefill hf   (default: all of these)
#          trace  decode_latency and prefill_sweep with measure.kernel_trace (CUPTI per-kernel times)
#          ncu    a traced run under ncu: CUPTI is taken, the run must go on untraced and say why
#          gate   tools/gpu-gate with this build against this GPU's results folder
#          ab     tools/gpu/ab.sh: interleaved A/B of $ROOFLM_OLD (A) against this build (B)
# The GPU's committed results folder (results/h100, results/h200: tools/gpu/results_dir.sh), or
# $ROOFLM_RESULTS_DIR, gives the calibration when this session did not run `calibrate`, and the
# gate's baselines.
set -uo pipefail
BUILD="$1"; OUT="$2"; shift 2
STEPS="${*:-tests sanitize calibrate decode prefill hf}"
export ROOFLM_SOURCE_DIR="$PWD"
source "$(dirname "$0")/results_dir.sh"
RESULTS_DIR="$(rooflm_gpu_results_dir "$PWD" "${ROOFLM_RESULTS_DIR:-}")" || RESULTS_DIR=""
# Results record environment.git_commit; the device's copy of the tree may carry a stale .git, so
# name the commit the binaries were built at.
[ -n "${ROOFLM_GIT_COMMIT:-}" ] || echo "device_check: ROOFLM_GIT_COMMIT is not set: results will record this tree's git HEAD, which need not be the binaries' commit" >&2
ROOFLM="$BUILD/tools/rooflm"
TESTS="$BUILD/tests/gpu/rooflm_gpu_tests"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$OUT/nvidia_smi.csv"
summary=()
cal() {  # the calibration of this session when it ran, else this GPU's committed one, else none
  if [ -f "$OUT/calibration.json" ]; then echo "$OUT/calibration.json"
  elif [ -n "$RESULTS_DIR" ] && [ -f "$RESULTS_DIR/calibration.json" ]; then echo "$RESULTS_DIR/calibration.json"
  else echo "device_check: no calibration (run the calibrate step first): MBU/MFU only against the datasheet" >&2
  fi
}
for step in $STEPS; do
  start=$(date +%s)
  case "$step" in
    tests) "$TESTS" --gtest_output=json:"$OUT/gpu_tests.json" > "$OUT/gpu_tests.log" 2>&1; rc=$?
           grep -E "^\[  (FAILED|PASSED|SKIPPED) " "$OUT/gpu_tests.log" | tail -25 ;;
    sanitize) rc=0  # memcheck + initcheck on the kernels and one whole model; racecheck + synccheck on shared-memory kernels
           for tool_filter in "memcheck *Attention*:*Gemv*:*Norm*:*CudaBackendVsCpu*fused*eager*" \
                              "initcheck *Attention*:*Gemv*:*Norm*:*CudaBackendVsCpu*fused*eager*" \
                              "racecheck *Attention*Flash*:*Attention*Decode*" \
                              "synccheck *Attention*Flash*:*Attention*Decode*"; do
             tool="${tool_filter%% *}"
             compute-sanitizer --tool "$tool" --error-exitcode 3 "$TESTS" --gtest_filter="${tool_filter#* }" \
               > "$OUT/$tool.log" 2>&1 || rc=3
             tail -3 "$OUT/$tool.log"
           done ;;
    calibrate) "$ROOFLM" calibrate --out "$OUT/calibration.json"; rc=$? ;;
    decode) ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/decode_latency.json --out "$OUT/decode_latency"; rc=$? ;;
    prefill) ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/prefill_sweep.json --out "$OUT/prefill_sweep"; rc=$? ;;
    trace) for sc in decode_latency prefill_sweep; do
             ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/$sc.json --set measure.kernel_trace=true \
               --out "$OUT/${sc}_kernel_trace" > "$OUT/${sc}_kernel_trace.log" 2>&1; rc=$?; tail -12 "$OUT/${sc}_kernel_trace.log"
             [ $rc -ne 0 ] && break
           done ;;
    ncu) ncu --launch-count 1 "$ROOFLM" run scenarios/quickstart.json --backend cuda --set measure.kernel_trace=true \
           --set workload.requests=4 --out "$OUT/ncu_trace" > "$OUT/ncu_trace.log" 2>&1; rc=$?
         tail -5 "$OUT/ncu_trace.log"
         grep -o '"kernel_trace": "[^"]*"' "$OUT/ncu_trace/results.json" | sort | uniq -c ;;
    gate) "$(dirname "$0")/../gpu-gate" --rooflm "$ROOFLM" --out "$OUT/gpu-gate" ${ROOFLM_RESULTS_DIR:+--results "$ROOFLM_RESULTS_DIR"}; rc=$? ;;
    ab) if [ -z "${ROOFLM_OLD:-}" ]; then echo "ab: set ROOFLM_OLD to the rooflm binary to compare against (A)"; rc=2
        else "$(dirname "$0")/ab.sh" --a "$ROOFLM_OLD" --b "$ROOFLM" --out "$OUT" --calibration "$(cal)"; rc=$?
        fi ;;
    hf) PYTHONUNBUFFERED=1 python3 tests/gpu/hf_parity.py "$ROOFLM" --out "$OUT/hf_parity.json"; rc=$? ;;
    *) echo "unknown step $step"; rc=2 ;;
  esac
  summary+=("$(printf '%-10s rc=%-3s %4ss' "$step" "$rc" "$(( $(date +%s) - start ))")")
done
echo "==== summary"
printf '%s\n' "${summary[@]}"
