# Shared set-up for tools/rooflm and tools/test (sourced, not run): installs what is missing with
# apt-get, then configures the CMake build folder (build/, or $ROOFLM_BUILD_DIR) once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ROOFLM_BUILD_DIR:-$ROOT/build}"
# clang, -fsanitize=address,undefined, CPU only: the sanitizer test suite and the fuzz targets.
SANITIZE_BUILD_DIR="${ROOFLM_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}"

rooflm_log() { echo "rooflm: $*" >&2; }

# Installs the Debian packages among "$@" that are missing.
rooflm_apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    rooflm_log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
  fi
}

rooflm_install_deps() {
  # libsentencepiece-dev: tokenizer.model files (ShareGPT workloads); sentencepiece: spm_train for its tests
  rooflm_apt_install cmake g++ make nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev \
    libsentencepiece-dev sentencepiece
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

# Debian's clang and its sanitizer / libFuzzer runtimes (libclang-rt-dev), for $SANITIZE_BUILD_DIR.
rooflm_install_sanitize_deps() {
  rooflm_apt_install cmake make clang libclang-rt-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev \
    libsentencepiece-dev sentencepiece
}

# $SANITIZE_BUILD_DIR: every CPU target (tests included) and the fuzz targets, built by clang with
# -fsanitize=address,undefined (common/ and engine/ also with libFuzzer's coverage) at -O2 with
# debug info and assertions on (no NDEBUG). Configured once.
rooflm_configure_sanitize() {
  if [ ! -f "$SANITIZE_BUILD_DIR/CMakeCache.txt" ]; then
    rooflm_log "configuring $SANITIZE_BUILD_DIR (clang, address + undefined sanitizers, fuzz targets)"
    cmake -S "$ROOT" -B "$SANITIZE_BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DROOFLM_CUDA=OFF -DROOFLM_BUILD_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" >&2
  fi
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
