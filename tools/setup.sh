# Shared set-up for tools/rooflm and tools/test (sourced, not run): installs what is missing with
# apt-get, then configures the CMake build folder (build/, or $ROOFLM_BUILD_DIR) once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ROOFLM_BUILD_DIR:-$ROOT/build}"

rooflm_log() { echo "rooflm: $*" >&2; }

rooflm_install_deps() {
  local pkgs=(cmake g++ make nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    rooflm_log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
  fi
  # reports need their chart libraries; everything else works without them
  rooflm_install_web_deps || rooflm_log "report assets not installed: rooflm report / report.html will fail"
}

# Report assets: Vega/Vega-Lite/vega-embed from the npm registry, exactly as package-lock.json pins
# them (npm ci), into reports/web/node_modules; skipped when that install is newer than the lock.
# With "browser", also Debian's chromium for the report-in-browser test (tools/test).
rooflm_install_web_deps() {
  local web="$ROOT/reports/web" pkgs=()
  command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
  [ "${1:-}" = browser ] && ! command -v chromium >/dev/null 2>&1 && pkgs+=(chromium)
  if [ ${#pkgs[@]} -gt 0 ]; then
    rooflm_log "installing ${pkgs[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${pkgs[@]}" >&2
  fi
  if [ ! "$web/node_modules/.package-lock.json" -nt "$web/package-lock.json" ]; then
    rooflm_log "installing report assets (npm ci in reports/web)"
    (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  fi
}

rooflm_configure() {
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    rooflm_log "configuring $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >&2
  fi
}

rooflm_build() {
  cmake --build "$BUILD_DIR" --parallel "$(nproc)" "$@" >&2
}

# rooflm_build with the build's progress ("rooflm: build: [ 42%] Building CXX object ...") on
# stderr as it goes, so that a first build (minutes) is never silent; the rest of its output
# (warnings, an up-to-date build's "Built target" lines) only when it fails.
rooflm_build_showing_progress() {
  local log status=0
  log="$(mktemp)"
  rooflm_build "$@" 2>&1 | tee "$log" | { grep --line-buffered -E 'Building|Linking' || true; } |
    sed -u 's/^/rooflm: build: /' >&2 || status=$?
  [ "$status" -eq 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}
