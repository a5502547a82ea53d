#!/usr/bin/env bash
# One device session: GPU tests, compute-sanitizer, calibration, the GPU scenarios and the Hugging
# Face parity check, with prebuilt binaries (built elsewhere with -gencode arch=compute_90a,code=sm_90a).
# Usage: tools/gpu/device_check.sh BUILD_DIR OUT_DIR [steps...]   steps: tests sanitize calibrate decode prefill hf
set -uo pipefail
BUILD="$1"; OUT="$2"; shift 2
STEPS="${*:-tests sanitize calibrate decode prefill hf}"
export ROOFLM_SOURCE_DIR="$PWD"
ROOFLM="$BUILD/tools/rooflm"
TESTS="$BUILD/tests/gpu/rooflm_gpu_tests"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$OUT/nvidia_smi.csv"
summary=()
for step in $STEPS; do
  start=$(date +%s)
  case "$step" in
    tests) "$TESTS" --gtest_output=json:"$OUT/gpu_tests.json" > "$OUT/gpu_tests.log" 2>&1; rc=$?
           grep -E "^\[  (FAILED|PASSED|SKIPPED) " "$OUT/gpu_tests.log" | tail -25 ;;
    sanitize) compute-sanitizer --tool memcheck --error-exitcode 3 "$TESTS" --gtest_filter='*Attention*:*Gemv*:*Norm*:*CudaBackendVsCpu*fused*eager*' > "$OUT/memcheck.log" 2>&1; rc=$?
           tail -3 "$OUT/memcheck.log"
           compute-sanitizer --tool racecheck --error-exitcode 3 "$TESTS" --gtest_filter='*Attention*Flash*:*Attention*Decode*' > "$OUT/racecheck.log" 2>&1; rc2=$?
           tail -3 "$OUT/racecheck.log"; [ $rc -eq 0 ] && rc=$rc2 ;;
    calibrate) "$ROOFLM" calibrate --out "$OUT/calibration.json"; rc=$? ;;
    decode) ROOFLM_CALIBRATION="$OUT/calibration.json" "$ROOFLM" run scenarios/decode_latency.json --out "$OUT/decode_latency"; rc=$? ;;
    prefill) ROOFLM_CALIBRATION="$OUT/calibration.json" "$ROOFLM" run scenarios/prefill_sweep.json --out "$OUT/prefill_sweep"; rc=$? ;;
    hf) PYTHONUNBUFFERED=1 python3 tests/gpu/hf_parity.py "$ROOFLM" --out "$OUT/hf_parity.json"; rc=$? ;;
    *) echo "unknown step $step"; rc=2 ;;
  esac
  summary+=("$(printf '%-10s rc=%-3s %4ss' "$step" "$rc" "$(( $(date +%s) - start ))")")
done
echo "==== summary"
printf '%s\n' "${summary[@]}"
