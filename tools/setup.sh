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
