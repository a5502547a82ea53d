#!/usr/bin/env python3
"""Writes the committed seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/.

Run once after a format change (python3 tests/fuzz/make_corpus.py); tools/fuzz adds the repository's
own files at run time (scenarios/*.json, tests/fixtures/hf/*/config*.json). Every seed is small
(every list in a results file is cut to its first item), so a seed is at most some KiB.
"""
import json
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] -> the bytes of a .safetensors file."""
    header, offset, data = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, payload in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(payload)]}
        offset += len(payload)
        data += payload
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def scenarios():
    # Input: the scenario text, then NUL-separated --set overrides.
    tiny = {"schema": "rooflm.scenario/1", "name": "fuzz", "model": {"preset": "tiny"},
            "workload": {"requests": 4, "prompt_len": 8, "output_len": 4}}
    write("scenario", "overrides", json.dumps(tiny) + "\0workload.requests=2\0engine.kernels=naive"
          "\0engine.kv_cache={\"layout\": \"paged\", \"block_size\": 16}")
    hf = {"schema": "rooflm.scenario/1", "name": "hf",
          "model": {"config": "../tests/fixtures/hf/llama", "weights": "synthetic"},
          "engine": {"backend": "cpu", "precision": "fp16", "kv_cache": {"layout": "paged", "block_size": 8}},
          "workload": {"requests": 2, "prompt_len": {"dist": "normal", "mean": 8, "std": 2, "min": 1, "max": 16},
                       "output_len": {"dist": "lognormal", "mean": 4, "std": 1}}}
    write("scenario", "hf_config", json.dumps(hf, indent=1))
    trace = {"schema": "rooflm.scenario/1", "name": "trace", "model": {"preset": "tiny"},
             "workload": {"arrival": {"process": "trace", "file": "../tests/fuzz/corpus/workload_files/trace"},
                          "output_len": {"dist": "dataset", "file": "../tests/fuzz/corpus/workload_files/dataset",
                                         "field": "prompt_len"}}}
    write("scenario", "trace", json.dumps(trace))
    sweep = ('// comments are allowed\n{"schema": "rooflm.scenario/1", "name": "sweep", /* block */\n'
             ' "model": {"preset": "tiny", "seed": 3},\n'
             ' "engine": {"batching": {"policy": "continuous", "max_batch": 4, "max_batched_tokens": 64,'
             ' "chunked_prefill": true}},\n'
             ' "workload": {"requests": 8, "n": 2, "shared_prefix": {"groups": 2, "length": 8},'
             ' "arrival": {"process": "gamma", "rate": 4, "cv": 2}, "sampling": {"temperature": 0.7, "top_p": 0.9}},\n'
             ' "sweep": {"engine.kernels": ["naive", "fused"], "engine.batching.max_batch": [1, 2],'
             ' "workload.arrival": [{"process": "burst"}, {"process": "constant", "rate": 10}]},\n'
             ' "measure": {"warmup_requests": 1, "repetitions": 2},\n'
             ' "slo": {"ttft_ms": 100, "tpot_ms": 10}}\n')
    write("scenario", "sweep", sweep)


def safetensors_seeds():
    f16 = struct.pack("<4e", 1.0, -2.0, 0.5, 65504.0)
    f32 = struct.pack("<3f", 1.0, 2.5, -3.0)
    bf16 = struct.pack("<2H", 0x3F80, 0xC000)
    write("safetensors", "f16_f32", safetensors([("a.weight", "F16", [2, 2], f16), ("b", "F32", [3], f32)]))
    write("safetensors", "bf16_metadata", safetensors([("w", "BF16", [1, 2], bf16)], {"format": "pt"}))
    write("safetensors", "scalar_empty_int", safetensors(
        [("s", "F32", [], struct.pack("<f", 7.0)), ("e", "F16", [0, 4], b""), ("q", "I8", [4], b"\x01\x02\xfd\x7f"),
         ("u", "U64", [1], struct.pack("<Q", 2**64 - 1))]))
    write("safetensors", "header_only", safetensors([]))


def index_seeds():
    write("safetensors_index", "two_shards", json.dumps(
        {"metadata": {"total_size": 64}, "weight_map": {
            "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
            "model.norm.weight": "model-00002-of-00002.safetensors",
            "lm_head.weight": "model-00002-of-00002.safetensors"}}, indent=2))
    write("safetensors_index", "empty", '{"weight_map": {}}')


def workload_seeds():
    write("workload_files", "trace", '{"arrival": 0, "prompt_len": 4, "output_len": 2}\n\n'
          '{"arrival": 0.5, "prompt_len": 6, "output_len": 1}\n{"arrival": 1e-3, "prompt_len": 1, "output_len": 9}\r\n')
    write("workload_files", "dataset", '{"prompt_len": 3, "text": "x"}\n{"prompt_len": 8}\n')
    write("workload_files", "mooncake", '{"timestamp": 0, "input_length": 9, "output_length": 2, "hash_ids": [1, 2, 3]}\n'
          '{"timestamp": 250.5, "input_length": 4, "output_length": 1, "hash_ids": [1]}\n')
    write("workload_files", "sharegpt", json.dumps([
        {"id": "a", "conversations": [{"from": "human", "value": "Hello, world  12345!\n\nok it's"},
                                      {"from": "gpt", "value": "naïve café 👋 (fine)"}]},
        {"id": "b", "conversations": [{"from": "gpt", "value": "x"}]}], ensure_ascii=False))


def cut_lists(value, keep=2):
    """Every list in `value` cut to its first `keep` items (the structure stays, the bulk goes)."""
    if isinstance(value, list):
        return [cut_lists(v, keep) for v in value[:keep]]
    if isinstance(value, dict):
        return {k: cut_lists(v, keep) for k, v in value.items()}
    return value


def results_seeds():
    for name, path in [("cpu_counters", "results/baselines/cpu/cpu_scheduler_counters.json"),
                       ("sim_seed_a10", "results/baselines/sim/seed_a10.json"),
                       ("h100_decode", "results/h100/decode_latency_kernel_trace.json")]:
        doc = cut_lists(json.loads((ROOT / path).read_text()), keep=1)
        write("results", name, json.dumps(doc, separators=(",", ":")))


if __name__ == "__main__":
    scenarios()
    safetensors_seeds()
    index_seeds()
    workload_seeds()
    results_seeds()
