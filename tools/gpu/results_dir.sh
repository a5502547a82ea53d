# shellcheck shell=bash
# Which committed results folder belongs to the GPU of this machine (sourced by tools/gpu-gate,
# tools/gpu/device_check.sh and tools/gpu/ab.sh; not run). One table, nvidia-smi's device name ->
# results/<folder>; a GPU not in it needs an explicit folder (--results DIR).
#   rooflm_gpu_name                      the device name of the GPU runs use (CUDA_VISIBLE_DEVICES'
#                                        first entry, else GPU 0); status 1 when nvidia-smi has none
#   rooflm_results_folder_for NAME       h100 | h200 | ...; status 1 when NAME has no folder
#   rooflm_gpu_results_dir ROOT [DIR]    DIR when given, else ROOT/results/<folder of this GPU>;
#                                        prints why and returns 2 when there is none

rooflm_results_folder_for() {
  case "$1" in
    "NVIDIA H100 80GB HBM3") echo h100 ;;
    "NVIDIA H200") echo h200 ;;
    *) return 1 ;;
  esac
}
ROOFLM_KNOWN_GPUS='"NVIDIA H100 80GB HBM3" -> results/h100, "NVIDIA H200" -> results/h200'

rooflm_gpu_name() {
  command -v nvidia-smi >/dev/null 2>&1 || return 1
  local id="${CUDA_VISIBLE_DEVICES:-0}" name
  id="${id%%,*}"
  name="$(nvidia-smi --query-gpu=name --format=csv,noheader -i "${id:-0}" 2>/dev/null | head -n 1)"
  [ -n "$name" ] || name="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)"
  name="${name%"${name##*[![:space:]]}"}"  # trailing blanks
  [ -n "$name" ] && echo "$name"
}

rooflm_gpu_results_dir() {  # rooflm_gpu_results_dir ROOT [DIR]
  local root="$1" override="${2:-}" name folder
  if [ -n "$override" ]; then
    [ -d "$override" ] || { echo "results folder $override does not exist" >&2; return 2; }
    realpath "$override"
    return 0
  fi
  if ! name="$(rooflm_gpu_name)"; then
    echo "cannot read the GPU's name (nvidia-smi missing or no GPU): pass --results DIR" >&2
    return 2
  fi
  if ! folder="$(rooflm_results_folder_for "$name")"; then
    echo "GPU \"$name\" has no results folder (known: $ROOFLM_KNOWN_GPUS): pass --results DIR, or add it to tools/gpu/results_dir.sh" >&2
    return 2
  fi
  if [ ! -d "$root/results/$folder" ]; then
    echo "GPU \"$name\" maps to results/$folder, which does not exist yet: commit baselines measured on it there, or pass --results DIR" >&2
    return 2
  fi
  echo "$root/results/$folder"
}
