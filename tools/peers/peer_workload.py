"""The requests of a rooflm workload, bit for bit as engine/scenario/workload.cpp makes them: the
same std::mt19937_64 streams (keyed by splitmix64 hashes of the workload seed, the stream and the
request index), the same transforms (uniform integers by rejection, Box-Muller normals, -ln(U)/rate
gaps, Marsaglia-Tsang gamma gaps), so a prompt here is the token list rooflm feeds its engine.
Pure Python (no torch): tests/peers/peer_unit_test.py checks it.

    from peer_workload import generate_workload
    requests = generate_workload(workload_spec, vocab=32000, max_positions=4096)
"""
import math

MASK64 = (1 << 64) - 1
ARRIVAL_STREAM, REQUEST_STREAM, SAMPLING_SEED_STREAM, PREFIX_STREAM = 1, 2, 3, 4
MAX_WORKLOAD_TOKENS = 1 << 28
MAX_ARRIVAL_SECONDS = 86400.0


class WorkloadError(ValueError):
    """A workload rooflm would refuse (exit 2), or one the peer does not run."""


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def hash_seed(seed, stream, index):
    return splitmix64(splitmix64((seed ^ splitmix64(stream)) & MASK64) ^ index)


class MT19937_64:
    """std::mt19937_64: the 64-bit Mersenne Twister with the standard's seeding (f = 6364136223846793005)."""
    N, M = 312, 156

    def __init__(self, seed):
        mt = [seed & MASK64]
        for i in range(1, self.N):
            prev = mt[-1]
            mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.mt, self.index = mt, self.N

    def _twist(self):
        mt, n, m = self.mt, self.N, self.M
        for i in range(n):
            y = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % n] & 0x7FFFFFFF)
            mt[i] = mt[(i + m) % n] ^ (y >> 1) ^ (0xB5026F5AA96619E9 if y & 1 else 0)
        self.index = 0

    def __call__(self):
        if self.index >= self.N:
            self._twist()
        x = self.mt[self.index]
        self.index += 1
        x ^= (x >> 29) & 0x5555555555555555
        x ^= (x << 17) & 0x71D67FFFEDA60000
        x ^= (x << 37) & 0xFFF7EEE000000000
        x ^= x >> 43
        return x & MASK64


def uniform_open_closed(rng):
    """Uniform in (0, 1]: ((rng() >> 11) + 1) * 2^-53."""
    return float((rng() >> 11) + 1) * 2.0 ** -53


def uniform_int(rng, lo, hi):
    """Uniform integer in [lo, hi] by rejection of the top partial block of 2^64."""
    span = hi - lo + 1
    limit = MASK64 - ((MASK64 % span + 1) % span)
    draw = rng()
    while draw > limit:
        draw = rng()
    return lo + draw % span


def standard_normal(rng):
    radius = math.sqrt(-2.0 * math.log(uniform_open_closed(rng)))
    return radius * math.cos(2.0 * math.pi * uniform_open_closed(rng))


def standard_gamma(shape, rng):
    if shape < 1:
        return standard_gamma(shape + 1, rng) * math.pow(uniform_open_closed(rng), 1.0 / shape)
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = standard_normal(rng)
        v = math.pow(1.0 + c * x, 3)
        if v <= 0:
            continue
        if math.log(uniform_open_closed(rng)) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v


def round_and_clamp(x, lo, hi):
    x = min(max(x, float(lo)), float(hi))
    return int(math.floor(x + 0.5))  # std::llround of a value >= 1: half away from zero


def draw_length(dist, rng):
    """dist: {"dist": fixed|uniform|normal|lognormal, value|min|max|mean|std} as the resolved scenario writes it."""
    kind, lo, hi = dist["dist"], dist.get("min", 1), dist.get("max", 1 << 20)
    if kind == "fixed":
        return round_and_clamp(float(dist["value"]), lo, hi)
    if kind == "uniform":
        return uniform_int(rng, lo, hi)
    if kind == "normal":
        return round_and_clamp(dist["mean"] + dist["std"] * standard_normal(rng), lo, hi)
    if kind == "lognormal":
        sigma2 = math.log1p((dist["std"] * dist["std"]) / (dist["mean"] * dist["mean"]))
        mu = math.log(dist["mean"]) - sigma2 / 2
        return round_and_clamp(math.exp(mu + math.sqrt(sigma2) * standard_normal(rng)), lo, hi)
    raise WorkloadError(f'length dist "{kind}" is not run by the torch peer (have: fixed, uniform, normal, lognormal)')


def arrival_gap(arrival, rng):
    process = arrival["process"]
    if process == "poisson":
        return -math.log(uniform_open_closed(rng)) / arrival["rate"]
    if process == "gamma":
        shape = 1.0 / (arrival["cv"] * arrival["cv"])
        return standard_gamma(shape, rng) / (arrival["rate"] * shape)
    return 0.0


class Request:
    """One sequence of the workload: id = request * n + sample, as rooflm numbers it."""
    __slots__ = ("id", "index", "sample", "arrival", "prompt", "output_len")

    def __init__(self, id, index, sample, arrival, prompt, output_len):
        self.id, self.index, self.sample = id, index, sample
        self.arrival, self.prompt, self.output_len = arrival, prompt, output_len

    def total_len(self):
        return len(self.prompt) + self.output_len


def generate_workload(spec, vocab, max_positions):
    """spec: the resolved workload section (requests, prompt_len, output_len, arrival, n, seed,
    optional shared_prefix). Returns [Request] in arrival order."""
    arrival_spec = spec["arrival"]
    process = arrival_spec["process"]
    if process not in ("burst", "constant", "poisson", "gamma"):
        raise WorkloadError(f'workload.arrival.process "{process}" is not run by the torch peer '
                            "(have: burst, constant, poisson, gamma)")
    seed, n, count = spec.get("seed", 0), spec.get("n", 1), spec["requests"]
    shared = spec.get("shared_prefix") or {"groups": 0, "length": 0}
    groups, prefix_len = shared["groups"], shared["length"]
    if groups > 0 and prefix_len + 2 > max_positions:
        raise WorkloadError(f"workload.shared_prefix.length = {prefix_len} leaves no room for a prompt and an output "
                            f"token in the model's max_positions {max_positions}")
    prefixes = []
    for g in range(groups):
        rng = MT19937_64(hash_seed(seed, PREFIX_STREAM, g))
        prefixes.append([uniform_int(rng, 0, vocab - 1) for _ in range(prefix_len)])
    workload_tokens = groups * prefix_len

    arrival_rng = MT19937_64(hash_seed(seed, ARRIVAL_STREAM, 0))
    requests, arrival = [], 0.0
    for index in range(count):
        if process == "constant":
            arrival = index / arrival_spec["rate"]
        elif index > 0:
            arrival += arrival_gap(arrival_spec, arrival_rng)
        if arrival > MAX_ARRIVAL_SECONDS:
            raise WorkloadError(f"workload request {index} arrives at {arrival} s, beyond the limit of 86400 s (a day)")
        rng = MT19937_64(hash_seed(seed, REQUEST_STREAM, index))
        prefix = prefixes[index % len(prefixes)] if prefixes else []
        own_len = draw_length(spec["prompt_len"], rng)
        output_len = draw_length(spec["output_len"], rng)
        prompt_len = len(prefix) + own_len
        if prompt_len + output_len > max_positions:
            raise WorkloadError(f"workload request {index}: prompt {prompt_len} + output_len {output_len} = "
                                f"{prompt_len + output_len} tokens exceed the model's max_positions {max_positions}")
        workload_tokens += prompt_len * n
        if workload_tokens > MAX_WORKLOAD_TOKENS:
            raise WorkloadError(f"workload: the prompts up to request {index} hold more than {MAX_WORKLOAD_TOKENS} tokens")
        prompt = list(prefix)
        while len(prompt) < prompt_len:
            prompt.append(uniform_int(rng, 0, vocab - 1))
        for sample in range(n):
            requests.append(Request(index * n + sample, index, sample, arrival, prompt, output_len))
    return requests
