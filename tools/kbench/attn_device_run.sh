#!/usr/bin/env bash
# One device-machine session for the attention kernels: GPU tests, SASS check (HGMMA present in the
# flash prefill), benchmark, then compute-sanitizer memcheck of the tests; the benchmark table last.
# Binaries are built on the host first (see tools/kbench/attn_bench.cu for the benchmark build):
#   tools/kbench/attn_device_run.sh build-attn <git-commit>      (writes logs and JSON under $OUT)
set -uo pipefail
build=${1:-build-attn}
commit=${2:-unknown}
out=${OUT:-/tmp/attn_out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$out/gpu.txt"
echo "== tests"
"$build/attn_tests" 2>&1 | tee "$out/tests.log" | grep -E "FAILED|PASSED|Failure|elements off|rror" | head -60
echo "== sass: HGMMA instructions in the test binary: $(cuobjdump -sass "$build/attn_tests" | grep -c HGMMA)"
cuobjdump -sass "$build/attn_tests" > "$out/attn_kernels.sass" 2>&1
echo "== bench"
"$build/attn_bench" --out "$out/attn_bench.json" --commit "$commit" > "$out/bench.log" 2>&1
echo "bench rc=$?"
echo "== memcheck"
timeout 200 compute-sanitizer --tool memcheck --error-exitcode 3 "$build/attn_tests" > "$out/memcheck.log" 2>&1
echo "memcheck rc=$? (0 clean, 3 errors found, 124 timed out)"
grep -E "ERROR SUMMARY|PASSED|FAILED" "$out/memcheck.log" | head -5
cat "$out/bench.log"
