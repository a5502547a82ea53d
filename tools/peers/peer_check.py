"""torch_peer.py --check: correctness before timing. Each CI preset (tiny, tiny-qwen2, tiny-llama3,
tiny-mistral: GQA, Q/K/V bias, tied embeddings, llama3 RoPE scaling, a 16-token sliding window the
20-token prompt runs past) through both configurations on the device torch picks (fp32 on a CPU,
fp16 on a GPU, compiled as in a run), 8 greedy tokens each, against each other and, with --rooflm,
against `rooflm generate --backend cpu` on the same synthetic weights. The synthetic weights are
checked element by element (samples of every tensor) against rooflm's formula while loading.

fp32 (CPU) must give rooflm's tokens exactly; fp16 (GPU) may part from them after a near-tie, so
there only the first token must agree and later disagreements are reported. Exit 0 pass, 1 fail.
"""
import json
import os
import subprocess
import tempfile

import peer_measure
from peer_presets import ModelShape
from peer_workload import generate_workload

PRESETS = ["tiny", "tiny-qwen2", "tiny-llama3", "tiny-mistral"]
PROMPT_LEN, STEPS = 20, 8


def rooflm_tokens(rooflm, preset, prompt):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "logits.json")
        proc = subprocess.run([rooflm, "generate", "--model", preset, "--prompt", ",".join(map(str, prompt)),
                               "--steps", str(STEPS), "--backend", "cpu", "--logits", out],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"rooflm generate {preset}: {proc.stderr.strip()[-300:]}")
        with open(out) as f:
            return json.load(f)["tokens"]


def make_runner(config, args, log):
    if config == "torch-compile":
        import llama_torch
        return llama_torch.CompiledLlamaRunner(args.device, args.compile_mode, args.compile_prefill, log)
    import hf_torch
    return hf_torch.HfRunner(args.device, args.hf_mode, log)


def run(args, log):
    spec = {"requests": 1, "prompt_len": {"dist": "fixed", "value": PROMPT_LEN},
            "output_len": {"dist": "fixed", "value": STEPS}, "arrival": {"process": "burst"}, "n": 1, "seed": 0}
    ok, rows = True, []
    for preset in PRESETS:
        model = ModelShape(preset)
        prompt = generate_workload(spec, model.vocab, model.max_positions)[0].prompt
        got = {}
        for config in args.configs:
            runner = make_runner(config, args, log)
            runner.load(model, PROMPT_LEN + STEPS, 0)
            runner.generate(prompt, STEPS, peer_measure.RealClock())  # warm-up: compilation
            got[config] = runner.generate(prompt, STEPS, peer_measure.RealClock()).tokens
            fp32 = runner.dtype.is_floating_point and runner.dtype.itemsize == 4
            runner.unload()
        if args.rooflm:
            got["rooflm cpu"] = rooflm_tokens(args.rooflm, preset, prompt)
        names = list(got)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                same = sum(x == y for x, y in zip(got[a], got[b]))
                first = next((k for k, (x, y) in enumerate(zip(got[a], got[b])) if x != y), None)
                passed = same == STEPS if fp32 else got[a][0] == got[b][0]
                ok &= passed
                rows.append(f"{'PASS' if passed else 'FAIL'} {preset}: {a} vs {b}: {same}/{STEPS} tokens equal"
                            + ("" if first is None else f" (first difference at step {first})"))
                log(rows[-1])
        log(f"{preset}: " + "; ".join(f"{n} {got[n]}" for n in names))
    print("\n".join(rows))
    print(f"torch_peer --check: {'pass' if ok else 'FAIL'} ({'fp32' if fp32 else 'fp16'})")
    return 0 if ok else 1
