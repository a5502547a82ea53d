"""The "environment" of a peer's results file, with the keys rooflm's capture_environment writes
(gpu, driver, cuda, clocks as NVML's max/current MHz, host, os, cpu, git_commit, git_dirty,
timestamp) plus the peer's software (python, torch, transformers, triton). The commit is
$ROOFLM_GIT_COMMIT when set (a copy of the tree without .git), else `git rev-parse HEAD`. The
GPU's rooflm spec name ("h200" for "NVIDIA H200") comes from engine/roofline/gpus/*.json, so the
peer's variant.gpu equals rooflm's.
"""
import datetime
import glob
import json
import os
import platform
import socket
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def _run(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_commit():
    pinned = os.environ.get("ROOFLM_GIT_COMMIT")
    if pinned:
        return pinned, None
    head = _run(["git", "-C", ROOT, "rev-parse", "HEAD"])
    if head is None:
        return None, None
    status = _run(["git", "-C", ROOT, "status", "--porcelain"])
    return head, None if status is None else bool(status)


def _normalised(name):
    name = name.strip().lower()
    return name[len("nvidia "):] if name.startswith("nvidia ") else name


def gpu_spec_name(device_name):
    """The spec whose "match" list holds the device name (whole names, a leading "NVIDIA " ignored)."""
    if not device_name:
        return None
    for path in sorted(glob.glob(os.path.join(ROOT, "engine", "roofline", "gpus", "*.json"))):
        with open(path) as f:
            spec = json.load(f)
        if any(_normalised(m) == _normalised(device_name) for m in spec.get("match", [])):
            return spec["name"]
    return None


def nvidia_smi(index=0):
    """{name, driver, clocks} of GPU `index` from nvidia-smi, or {} without it."""
    fields = "name,driver_version,clocks.max.sm,clocks.max.mem,clocks.sm,clocks.mem"
    out = _run(["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader,nounits", "-i", str(index)])
    if not out:
        return {}
    parts = [p.strip() for p in out.splitlines()[0].split(",")]
    if len(parts) != 6:
        return {}

    def mhz(text):
        try:
            return int(float(text))
        except ValueError:
            return None
    return {"name": parts[0], "driver": parts[1],
            "clocks": {"max_sm_mhz": mhz(parts[2]), "max_mem_mhz": mhz(parts[3]), "sm_mhz": mhz(parts[4]),
                       "mem_mhz": mhz(parts[5])}}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def versions():
    """Versions of the peer's software that is importable (nothing is imported that is not)."""
    out = {"python": platform.python_version()}
    for module in ("torch", "transformers", "triton"):
        mod = sys.modules.get(module)
        out[module] = getattr(mod, "__version__", None) if mod else None
    return out


def capture(device=None):
    """device: {"name", "compute_capability", "memory_bytes", "sm_count", "cuda"} of the GPU the run
    used (torch_device_info), or None (dry run, CPU)."""
    commit, dirty = git_commit()
    smi = nvidia_smi() if device else {}
    env = {"gpu": device["name"] if device else None, "driver": smi.get("driver"),
           "cuda": device.get("cuda") if device else None, "clocks": smi.get("clocks"),
           "host": socket.gethostname(), "os": f"{platform.system()} {platform.release()}",
           "cpu": {"model": cpu_model(), "logical_cores": os.cpu_count()},
           "git_commit": commit, "git_dirty": dirty,
           "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "peer": "tools/peers/torch_peer.py", **versions()}
    if device:
        env["device"] = {"kind": "cuda", "compute_capability": device.get("compute_capability"),
                         "memory_bytes": device.get("memory_bytes"), "sm_count": device.get("sm_count")}
    return env
