"""The measurement loop of the peer, the same for every configuration (torch-hf, torch-compile, the
dry run's fake runner), following rooflm's engine (engine/runtime/variant_run.cpp):

  warm-up:  the scenario's first measure.warmup_requests requests (at least one: compilation,
            autotuning and CUDA-graph capture happen here), back to back, not recorded;
  measured: every request of the workload, measure.repetitions times; a request is started at its
            arrival (time from the start of the repetition; an idle peer waits for it), one at a
            time (batch 1, static batching); repetitions follow each other in the pooled timelines.

A runner's generate(prompt, output_len, clock) returns a Trace: first_scheduled (when its prefill
started), token_times (when each token was on the host: after .item(), i.e. after a device sync,
as rooflm's engine reads each token back) and its steps (a prefill step, then one decode step per
further token, with CUDA-event device time where the runner has it). Times are the clock's
(seconds from the repetition's start).
"""
import gc
import statistics
import time

from result_file import request_json, step_json


class RealClock:
    def __init__(self):
        self.t0 = time.perf_counter()

    def now(self):
        return time.perf_counter() - self.t0

    def wait_until(self, t):
        while True:
            left = t - self.now()
            if left <= 0:
                return
            if left > 0.002:
                time.sleep(left - 0.001)


class VirtualClock:
    """The dry run's clock: waiting and work advance it, nothing sleeps."""

    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def wait_until(self, t):
        self.t = max(self.t, t)

    def advance(self, seconds):
        self.t += seconds


class Trace:
    def __init__(self, first_scheduled):
        self.first_scheduled = first_scheduled
        self.token_times, self.tokens, self.steps = [], [], []

    def add_step(self, start, end, n_prefill, n_decode, device_seconds=None):
        self.steps.append((start, end, n_prefill, n_decode, device_seconds))


class FakeRunner:
    """--dry-run: no torch, no GPU. Napkin timings (weights streamed at 3 TB/s per decode step,
    prefill at 400 TFLOP/s) on a virtual clock, and made-up tokens: the writer and the reader are
    what is tested, not a GPU."""
    config = "dry-run"

    def __init__(self, config):
        self.config = config

    def load(self, model, max_seq_len, seed=0):
        self.model = model
        return {"weights_s": 0.0}

    def generate(self, prompt, output_len, clock):
        n = self.model.n_params()
        decode_s, trace = 2.0 * n / 3e12 + 30e-6, Trace(clock.now())
        for i in range(output_len):
            start = clock.now()
            clock.advance(2.0 * n * len(prompt) / 4e14 + decode_s if i == 0 else decode_s)
            trace.add_step(start, clock.now(), len(prompt) if i == 0 else 0, 0 if i == 0 else 1)
            trace.token_times.append(clock.now())
            trace.tokens.append((prompt[-1] * 31 + 7 * i) % self.model.vocab)
        return trace

    def variant(self):
        return {"kernels": "dry-run", "launch": "graph"}

    def kernels(self):
        return ["dry run: nothing ran (fake timings)"]

    def info(self):
        return {"timing": "fake: --dry-run (napkin durations on a virtual clock, made-up tokens)"}

    def unload(self):
        pass


def _timelines(point, rep, traces, requests, failed_from):
    """Request and step JSON of one repetition (ids offset by rep x workload size, as rooflm does)."""
    reqs, steps, base = [], [], rep * len(point.requests)
    for i, req in enumerate(requests):
        if i >= failed_from:
            reqs.append(request_json(base + req.id, len(req.prompt), req.arrival, failed=True))
            continue
        tr = traces[i]
        reqs.append(request_json(base + req.id, len(req.prompt), req.arrival, tr.first_scheduled, tr.token_times,
                                 tr.tokens))
        for k, (start, end, n_prefill, n_decode, device_s) in enumerate(tr.steps):
            # the prefill step holds the prompt; decode step k adds the k-th generated token
            steps.append(step_json(len(steps), start, end, n_prefill, n_decode, len(req.prompt) + k,
                                   point.max_seq_len, device_s))
    return reqs, steps


def _shift(reqs, steps, dt):
    for r in reqs:
        for key in ("arrival", "first_scheduled", "first_token", "finish"):
            if r[key] is not None:
                r[key] += dt
        r["token_times"] = [t + dt for t in r["token_times"]]
    for s in steps:
        s["start"] += dt
        s["end"] += dt


def measure_point(runner, point, clock_factory, deadline, log):
    """Warm-up, then the measured repetitions. Returns (repetitions [(requests, steps)], peer info,
    invalid reasons). `deadline`: time.monotonic() after which no request is started (the rest
    are recorded as failed and the run is invalid)."""
    warm = point.warmup or point.requests[:1]
    warmup_s = []
    for req in warm:
        t = time.perf_counter()
        trace = runner.generate(req.prompt, req.output_len, clock_factory())
        warmup_s.append(time.perf_counter() - t)
        if len(trace.token_times) != req.output_len:
            raise RuntimeError(f"{runner.config}: warm-up request {req.id} made {len(trace.token_times)} tokens, "
                               f"not output_len {req.output_len}")
        log(f"  warm-up request {req.id}: {warmup_s[-1]:.2f} s")

    repetitions, invalid, offset = [], [], 0.0
    gc.collect()
    gc.disable()  # no collector pauses inside the timed requests
    try:
        for rep in range(point.resolved["measure"]["repetitions"]):
            clock, traces = clock_factory(), []
            stopped = len(point.requests)
            for i, req in enumerate(point.requests):
                if time.monotonic() > deadline:
                    stopped = i
                    invalid.append(f"stopped by --max-seconds before request {req.id} of repetition {rep}: "
                                   f"{len(point.requests) - i} requests not run (failed)")
                    break
                clock.wait_until(req.arrival)
                traces.append(runner.generate(req.prompt, req.output_len, clock))
                if len(traces[-1].token_times) != req.output_len:
                    raise RuntimeError(f"{runner.config}: request {req.id} made {len(traces[-1].token_times)} "
                                       f"tokens, not output_len {req.output_len}")
            reqs, steps = _timelines(point, rep, traces, point.requests, stopped)
            _shift(reqs, steps, offset)
            offset = max([offset] + [r["finish"] for r in reqs if r["finish"] is not None])
            repetitions.append((reqs, steps))
            if stopped < len(point.requests):
                break
    finally:
        gc.enable()
    busy = [r["finish"] - r["first_scheduled"] for reqs, _ in repetitions for r in reqs if r["finish"] is not None]
    peer = {"warmup_requests_run": len(warm), "warmup_s": warmup_s,
            # the first warm-up request's excess over a measured one: compilation, autotuning, graph capture
            "compile_s": max(0.0, warmup_s[0] - statistics.median(busy)) if busy and warmup_s else None}
    return repetitions, peer, invalid
