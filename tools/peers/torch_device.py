"""What both torch runners share: the device and dtype they run on (fp16 on a GPU, fp32 on a CPU for
--check), the device's description for the results' environment, and the greedy-token timer.
"""
import torch


def pick_device(name):
    device = torch.device(name or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: torch sees no CUDA device")
    return device, torch.float16 if device.type == "cuda" else torch.float32


def device_info(device):
    """{name, compute_capability, memory_bytes, sm_count, cuda} of a CUDA device, or None."""
    if device.type != "cuda":
        return None
    p = torch.cuda.get_device_properties(device)
    return {"name": p.name, "compute_capability": f"{p.major}.{p.minor}", "memory_bytes": int(p.total_memory),
            "sm_count": int(p.multi_processor_count), "cuda": torch.version.cuda}


class StepTimer:
    """Device time of a step from a pair of CUDA events (None on a CPU); read after the sync that
    brings the step's token to the host, so reading it never waits."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"
        if self.cuda:
            self.begin, self.end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

    def start(self):
        if self.cuda:
            self.begin.record()

    def stop(self):
        if self.cuda:
            self.end.record()

    def seconds(self):
        return self.begin.elapsed_time(self.end) / 1e3 if self.cuda else None
