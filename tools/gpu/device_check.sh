#!/usr/bin/env bash
# One device session: GPU tests, compute-sanitizer (memcheck, initcheck, racecheck, synccheck),
# calibration, the GPU scenarios and the Hugging Face parity check, with prebuilt binaries (built
# elsewhere with -gencode arch=compute_90a,code=sm_90a).
# Usage: tools/gpu/device_check.sh BUILD_DIR OUT_DIR [steps...]
#   steps: tests sanitize calibrate decode prefill hf   (default: all of these)
#          precision  scenarios/precision.json and precision_prefill.json (issue 12's targets), after the
#                     tiny model's accuracy sweep on the GPU (quant_accuracy.json) dynamic, and static
#                     with calibrated SmoothQuant scales (calibrate-quant)
#          precision_static  Llama-2-7B W8A8 / FP8 with static activation scales: calibrate-quant of
#                     scenarios/precision.json (cpu backend, 1 sequence of 32 tokens), then its sweep
#                     (fp16 in it too: the ratios' denominator from the same run)
#          precision_trace  the same (8 requests) with measure.kernel_trace
#          kv_precision  scenarios/kv_precision.json (fp16 / int8 / fp8 KV, batch 32 after 4096 tokens)
#          quant_linear  kbench's quantised linear layers (gemv / mma / cuBLASLt paths beside fp16 cuBLASLt,
#                     repetitions randomly interleaved), then tools/kbench/quant_linear_table.py
#          kbench     every kbench case (each checked against the CPU reference first), 3 repetitions
#                     randomly interleaved, ceilings from the session's calibration; then summarize.py
#          fuzz_start:T:W:S  (e.g. fuzz_start:scenario,results:6:500) the carried libFuzzer targets
#                     (build-sanitize/tests/fuzz/) in the background, W workers each, S seconds, into
#                     $OUT/fuzz_<targets>.txt; fuzz_wait waits for every one started
#          trace  decode_latency and prefill_sweep with measure.kernel_trace (CUPTI per-kernel times)
#          ncu    a traced run under ncu: CUPTI is taken, the run must go on untraced and say why
#          gate   tools/gpu-gate with this build against this GPU's results folder
#          ab     tools/gpu/ab.sh: interleaved A/B of $ROOFLM_OLD (A) against this build (B)
# The GPU's committed results folder (results/h100, results/h200: tools/gpu/results_dir.sh), or
# ROOFLM_SANITIZE_TIMEOUT=S stops each compute-sanitizer run after S seconds (rc 124);
# ROOFLM_SANITIZE_TOOLS="initcheck racecheck" runs only those of the four.
# $ROOFLM_RESULTS_DIR, gives the calibration when this session did not run `calibrate`, and the
# gate's baselines.
set -uo pipefail
BUILD="$1"; OUT="$2"; shift 2
STEPS="${*:-tests sanitize calibrate decode prefill hf}"
export ROOFLM_SOURCE_DIR="$PWD"
source "$(dirname "$0")/results_dir.sh"
RESULTS_DIR="$(rooflm_gpu_results_dir "$PWD" "${ROOFLM_RESULTS_DIR:-}")" || RESULTS_DIR=""
# Results record environment.git_commit as compiled into the binaries (engine/results/build_info.h:
# their build's git HEAD, or ROOFLM_GIT_COMMIT at build time); the kbench outputs below take it from
# the environment. Whatever .git the device's copy of the tree carries is never asked.
"$BUILD/tools/rooflm" --version || true
ROOFLM="$BUILD/tools/rooflm"
TESTS="$BUILD/tests/gpu/rooflm_gpu_tests"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$OUT/nvidia_smi.csv"
summary=()
fuzz_pids=()
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
    sanitize) rc=0  # memcheck + initcheck on the kernels and whole models; racecheck + synccheck on shared-memory kernels
           kernels="*Attention*:*Gemv*:*Norm*:*Quant*:*SiluMul*:*DequantizeWeight*"
           models="*CudaBackendVsCpu*tiny_fused_eager*:*CudaBackendQuantisedVsCpu*"
           # initcheck: not the readers of cuBLASLt's int8 / fp8 GEMM outputs (its Hopper kernels write
           # them in a way initcheck does not see: every value read back matches the reference, yet it
           # reports each as uninitialised), nor the sliding-window shapes (slow under initcheck)
           shared="*AttentionDecode*:*AttentionPrefill*hd128_group4*:QuantLinear.*:*SiluMulQuant*:*RmsnormQuant*:*QuantizeRows*:*QuantizeWeight*"
           [ -n "${ROOFLM_SANITIZE_TOOLS:-}" ] || ROOFLM_SANITIZE_TOOLS="memcheck initcheck racecheck synccheck"
           for tool_filter in "memcheck $kernels:$models" "initcheck $kernels:$models-*W8A8Int8*:*Fp8*:*w8a8*:*fp8*:*AttentionWindow*" \
                              "racecheck $shared" "synccheck $shared"; do
             tool="${tool_filter%% *}"
             [[ " $ROOFLM_SANITIZE_TOOLS " == *" $tool "* ]] || continue
             ${ROOFLM_SANITIZE_TIMEOUT:+timeout "$ROOFLM_SANITIZE_TIMEOUT"} \
               compute-sanitizer --tool "$tool" --error-exitcode 3 "$TESTS" --gtest_filter="${tool_filter#* }" \
               > "$OUT/$tool.log" 2>&1 || rc=$?
             tail -3 "$OUT/$tool.log"
           done ;;
    calibrate) "$ROOFLM" calibrate -o "$OUT/calibration.json"; rc=$? ;;
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
    precision) rc=0  # the tiny model's accuracy sweep on the GPU first (seconds), then Llama-2-7B
           "$ROOFLM" run scenarios/quant_accuracy.json --backend cuda --out "$OUT/quant_accuracy_cuda" \
             > "$OUT/quant_accuracy_cuda.log" 2>&1 || rc=$?
           tail -7 "$OUT/quant_accuracy_cuda.log"
           # SmoothQuant on the GPU: calibrated smoothing + static per-tensor activation scales (w8a8, fp8)
           "$ROOFLM" calibrate-quant scenarios/quant_accuracy.json -o "$OUT/quant_scales.json" \
             > "$OUT/quant_scales.log" 2>&1 || rc=$?
           "$ROOFLM" run scenarios/quant_accuracy.json --backend cuda --set "quant.scales=$OUT/quant_scales.json" \
             --set engine.activation_scales=static \
             --out "$OUT/quant_accuracy_cuda_static" > "$OUT/quant_accuracy_cuda_static.log" 2>&1 || rc=$?
           tail -5 "$OUT/quant_accuracy_cuda_static.log"
           for sc in precision precision_prefill; do
             ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/$sc.json --out "$OUT/$sc" > "$OUT/$sc.log" 2>&1 || rc=$?
             tail -13 "$OUT/$sc.log"
           done ;;
    precision_static) rc=0
           "$ROOFLM" calibrate-quant scenarios/precision.json --sequences 1 --tokens 32 -o "$OUT/precision_scales.json" \
             > "$OUT/precision_scales.log" 2>&1 || rc=$?
           tail -3 "$OUT/precision_scales.log"
           [ $rc -eq 0 ] && { ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/precision.json \
             --set 'sweep.engine.precision=["fp16","w8a8","fp8"]' --set engine.activation_scales=static \
             --set "quant.scales=$OUT/precision_scales.json" --out "$OUT/precision_static" \
             > "$OUT/precision_static.log" 2>&1 || rc=$?; tail -14 "$OUT/precision_static.log"; } ;;
    precision_trace) rc=0  # the same with CUPTI per-kernel times (per-op breakdown and roofline points)
           for sc in precision precision_prefill; do
             ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/$sc.json --set measure.kernel_trace=true \
               --set measure.accuracy.mode=off --set workload.requests=8 --out "$OUT/${sc}_kernel_trace" \
               > "$OUT/${sc}_kernel_trace.log" 2>&1 || rc=$?
             tail -6 "$OUT/${sc}_kernel_trace.log"
           done ;;
    kv_precision) ROOFLM_CALIBRATION="$(cal)" "$ROOFLM" run scenarios/kv_precision.json --out "$OUT/kv_precision" \
             > "$OUT/kv_precision.log" 2>&1; rc=$?
           tail -8 "$OUT/kv_precision.log" ;;
    kbench) c="$(cal)"
           "$BUILD/tools/kbench/rooflm_kbench" ${ROOFLM_KBENCH_FILTER:+--benchmark_filter="$ROOFLM_KBENCH_FILTER"} \
             ${c:+--calibration "$c"} --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true \
             --benchmark_out="$OUT/kbench.json" --benchmark_out_format=json \
             --benchmark_context=git_commit="${ROOFLM_GIT_COMMIT:-unknown}" > "$OUT/kbench.txt" 2>&1; rc=$?
           tail -2 "$OUT/kbench.txt"
           python3 tools/kbench/summarize.py "$OUT/kbench.json" --out "$OUT/kbench_summary.json" > "$OUT/kbench_table.txt" 2>&1
           tail -40 "$OUT/kbench_table.txt" ;;
    quant_linear) "$BUILD/tools/kbench/rooflm_kbench" --benchmark_filter='^(f16|w8a16|w8a8|fp8)_(cublaslt|gemv|mma)/' \
             --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
             --benchmark_out="$OUT/kbench_quant_linear.json" --benchmark_out_format=json \
             --benchmark_context=git_commit="${ROOFLM_GIT_COMMIT:-unknown}" > "$OUT/kbench_quant_linear.txt" 2>&1; rc=$?
           python3 tools/kbench/quant_linear_table.py "$OUT/kbench_quant_linear.json" --out "$OUT/quant_linear.json" \
             | tee "$OUT/quant_linear_table.txt" | tail -70 ;;
    fuzz_start:*) IFS=: read -r _ targets workers seconds <<<"$step"
           tools/fuzz --no-build --seconds "$seconds" --jobs 8 --workers "$workers" ${targets//,/ } \
             > "$OUT/fuzz_${targets//,/_}.txt" 2>&1 &
           fuzz_pids+=($!); rc=0 ;;
    fuzz_wait) rc=0
           for pid in "${fuzz_pids[@]}"; do wait "$pid" || rc=$?; done
           tail -n 4 "$OUT"/fuzz_*.txt ;;
    hf) PYTHONUNBUFFERED=1 python3 tests/gpu/hf_parity.py "$ROOFLM" --out "$OUT/hf_parity.json"; rc=$? ;;
    *) echo "unknown step $step"; rc=2 ;;
  esac
  summary+=("$(printf '%-10s rc=%-3s %4ss' "$step" "$rc" "$(( $(date +%s) - start ))")")
done
echo "==== summary"
printf '%s\n' "${summary[@]}"
