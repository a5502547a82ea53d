#!/usr/bin/env bash
# One GPU session for the linear-layer kernels: GPU tests, kbench (5 repetitions), compute-sanitizer
# memcheck on the tests, then the summary table (printed last) and results JSON.
# Usage, from the repo root on a GPU machine:
#   tools/kbench/device_run.sh GPU_TEST_BINARY KBENCH_BINARY OUT_DIR GIT_COMMIT [KBENCH_FILTER]
# A carried libbenchmark (.carry/lib) is found through LD_LIBRARY_PATH.
set -uo pipefail
tests=$1 kbench=$2 out=$3 commit=$4 filter=${5:-.}
export LD_LIBRARY_PATH="$PWD/.carry/lib:/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}"
suites='GemmCublasLt*:GemvXwtF16*:RmsnormF16*:RopeF16*:ActivationF16*:EmbeddingF16*:SamplingF16*'
driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)
clocks=$(nvidia-smi --query-gpu=clocks.sm,clocks.mem,clocks.max.sm,power.draw,temperature.gpu --format=csv,noheader | tr -d ' ' | tr ',' '/')
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,power.draw --format=csv >"$out/nvidia_smi.csv"

"$tests" --gtest_filter="$suites" >"$out/gtest.log" 2>&1
echo "gtest rc=$? ($(grep -cE '^\[       OK' "$out/gtest.log") ok, $(grep -cE '^\[  FAILED' "$out/gtest.log") failed lines)"
grep -E "FAILED|Failure|elements off|seed=" "$out/gtest.log" | head -20

"$kbench" --benchmark_filter="$filter" --benchmark_repetitions=5 --benchmark_display_aggregates_only=true \
  --benchmark_out="$out/kbench.json" --benchmark_out_format=json \
  --benchmark_context=git_commit="$commit" --benchmark_context=clocks="$clocks" \
  --benchmark_context=nvidia_driver="$driver" >"$out/kbench.txt" 2>&1
echo "kbench rc=$?"
tail -3 "$out/kbench.txt"
timeout "${MEMCHECK_TIMEOUT_S:-150}" compute-sanitizer --tool memcheck --error-exitcode 9 "$tests" --gtest_filter="$suites" \
  >"$out/memcheck.log" 2>&1
echo "memcheck rc=$? $(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -1)"

python3 tools/kbench/summarize.py "$out/kbench.json" --out "$out/linear.json"
