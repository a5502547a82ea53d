#!/usr/bin/env bash
# tools/setup.sh's rooflm_build_showing_progress (what tools/rooflm builds with): the build's
# "Building" / "Linking" lines reach stderr while it runs, prefixed "rooflm: build: "; the rest of
# its output only when it fails, with the build's exit code. The build is a stub here (a real
# first build takes minutes). Run: tests/e2e/wrapper_progress_test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/tools/setup.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# A build that prints progress, a warning and an up-to-date target, then exits with $STUB_STATUS.
rooflm_build() {
  echo "[ 10%] Building CXX object engine/a.cpp.o" >&2
  echo "warning: unused variable" >&2
  echo "[ 20%] Built target rooflm_common" >&2
  echo "[100%] Linking CXX executable tools/rooflm" >&2
  return "${STUB_STATUS:-0}"
}

err="$(STUB_STATUS=0 rooflm_build_showing_progress 2>&1 >/dev/null)" || fail "a good build failed"
grep -q "^rooflm: build: \[ 10%\] Building CXX object engine/a.cpp.o$" <<<"$err" || fail "no progress line: $err"
grep -q "^rooflm: build: \[100%\] Linking CXX executable tools/rooflm$" <<<"$err" || fail "no link line: $err"
! grep -q "warning\|Built target" <<<"$err" || fail "a good build's noise was shown: $err"

status=0
err="$(STUB_STATUS=3 rooflm_build_showing_progress 2>&1 >/dev/null)" || status=$?
[ "$status" -eq 3 ] || fail "a failed build returned $status, not its own 3"
grep -q "^warning: unused variable$" <<<"$err" || fail "a failed build's log was not shown: $err"

grep -q "rooflm_build_showing_progress" "$root/tools/rooflm" || fail "tools/rooflm does not build with progress"
echo "wrapper_progress_test: ok"
