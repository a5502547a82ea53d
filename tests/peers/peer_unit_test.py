#!/usr/bin/env python3
"""Unit tests of the torch peer's pure-Python parts (no torch, no rooflm binary): the RNG and the
synthetic-weight formula, scenario reading and sweep points, rooflm's metric definitions, the
results writer (checked against results/schema/result.schema.json by tests/peers/schema_check.py).
The comparisons with a built rooflm are in tests/e2e/torch_peer_test.sh, which runs this first.

    python3 tests/peers/peer_unit_test.py
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "peers"))
sys.path.insert(0, HERE)

import peer_metrics  # noqa: E402
import peer_scenario  # noqa: E402
import schema_check  # noqa: E402
import synthetic_weights as sw  # noqa: E402
from peer_presets import ModelShape  # noqa: E402
from peer_workload import MT19937_64, generate_workload, splitmix64, uniform_int  # noqa: E402


def load_json(path):
    with open(path) as f:
        return json.load(f)


class Rng(unittest.TestCase):
    def test_mt19937_64_is_the_standard_engine(self):
        rng = MT19937_64(5489)  # the C++ standard: the 10000th draw of a default-seeded mt19937_64
        for _ in range(9999):
            rng()
        self.assertEqual(rng(), 9981545732273789042)

    def test_splitmix64(self):
        self.assertEqual(splitmix64(0), 0xE220A8397B1DCDAF)  # the reference sequence's first output from 0

    def test_uniform_int_range(self):
        rng = MT19937_64(1)
        draws = [uniform_int(rng, 3, 5) for _ in range(300)]
        self.assertEqual(set(draws), {3, 4, 5})


class SyntheticWeights(unittest.TestCase):
    def test_formula_by_hand(self):
        # embed[0] of seed 0: level = splitmix64(splitmix64(splitmix64(0) ^ 0) ^ 0) >> 52
        level = splitmix64(splitmix64(splitmix64(0) ^ 0) ^ 0) >> 52
        self.assertEqual(sw.synthetic_value(0, 0, 0, 1.0), sw.f16((2 * level + 1 - 4096) / 4096))
        self.assertEqual(sw.synthetic_value(0, 0, 0, 1.0), -0.72265625)

    def test_values_stay_as_rooflm_made_them(self):
        # values of this implementation once it matched `rooflm generate` on every tiny preset
        # (tests/e2e/torch_peer_test.sh re-checks that end to end): a regression guard
        plan = {t.name: t for t in sw.weight_plan(ModelShape("llama2-7b"))}
        for name, index, want in [("embed", 131071999, 0.276123046875), ("layers.0.attn_norm", 17, 1.021484375),
                                  ("layers.0.wqkv", 4096 * 4096 + 5, -0.013427734375),
                                  ("layers.31.w_down", 12345, 0.0037021636962890625),
                                  ("lm_head", 999, -0.01531982421875), ("final_norm", 4095, 0.939453125)]:
            self.assertEqual(plan[name].value(0, index), want, name)
        qwen = {t.name: t for t in sw.weight_plan(ModelShape("tiny-qwen2"))}
        self.assertEqual(qwen["layers.2.bqkv"].value(3, 200), 0.041046142578125)

    def test_plan_covers_every_parameter(self):
        for preset in ("llama2-7b", "llama3.2-1b", "qwen2.5-0.5b", "tiny-qwen2", "mistral-7b"):
            model = ModelShape(preset)
            self.assertEqual(sum(t.numel() for t in sw.weight_plan(model)), model.n_params(), preset)

    def test_fp16_rounding_is_round_to_nearest_even(self):
        self.assertEqual(sw.f16(1 + 2 ** -11), 1.0)  # a tie: to even
        self.assertEqual(sw.f16(1 + 3 * 2 ** -11), 1 + 2 ** -9)
        self.assertEqual(sw.f16(2 ** -25 * 1.5), 2 ** -24)  # subnormal


class Scenarios(unittest.TestCase):
    def read(self, name):
        return peer_scenario.read_scenario(os.path.join(ROOT, "scenarios", name))

    def test_comments_outside_strings_only(self):
        doc = peer_scenario.parse_scenario_text(
            '// head\n{"schema": "rooflm.scenario/1", /* c */ "name": "a", "description": "x // y /* z */",'
            ' "model": {"preset": "tiny"}}', "t")
        self.assertEqual(doc["description"], "x // y /* z */")

    def test_duplicate_key_is_bad_input(self):
        with self.assertRaises(peer_scenario.ScenarioError):
            peer_scenario.parse_scenario_text('{"schema": "rooflm.scenario/1", "name": "a", "name": "b"}', "t")

    def test_decode_latency_pairs_with_fused_graph(self):
        runs, refusals = peer_scenario.peer_points(self.read("decode_latency.json"), "decode_latency")
        self.assertEqual([r.label for r in runs], ["kernels=fused launch=graph"])
        self.assertEqual(refusals, [])
        self.assertEqual(len(runs[0].requests), 6)
        self.assertEqual(runs[0].max_seq_len, 478)
        self.assertEqual({len(r.prompt) for r in runs[0].requests}, {350})

    def test_precision_prefill_runs_fp16_only(self):
        runs, refusals = peer_scenario.peer_points(self.read("precision_prefill.json"), "p")
        self.assertEqual([r.label for r in runs], ["precision=fp16"])
        self.assertEqual(len(refusals), 3)

    def test_workload_axis_gives_a_run_per_value(self):
        doc = self.read("decode_latency.json")
        doc["sweep"]["workload.prompt_len"] = [16, 32]
        runs, _ = peer_scenario.peer_points(doc, "d")
        self.assertEqual([r.label for r in runs], ["kernels=fused launch=graph prompt_len=16",
                                                   "kernels=fused launch=graph prompt_len=32"])

    def test_batch_8_is_refused(self):
        with self.assertRaises(peer_scenario.ScenarioError) as e:
            peer_scenario.peer_points(self.read("quickstart.json"), "q", {"engine.batching.max_batch": 8})
        self.assertIn("batch 1", str(e.exception))

    def test_prompts_are_in_vocab_and_deterministic(self):
        spec = peer_scenario.resolve_workload({"requests": 3, "prompt_len": 50, "output_len": 4, "seed": 9})
        a, b = generate_workload(spec, 2048, 2048), generate_workload(spec, 2048, 2048)
        self.assertEqual([r.prompt for r in a], [r.prompt for r in b])
        self.assertTrue(all(0 <= t < 2048 for r in a for t in r.prompt))
        self.assertNotEqual(a[0].prompt, a[1].prompt)


class Metrics(unittest.TestCase):
    def test_definitions(self):
        # as tests/unit/compare_results_test.cpp: arrival 1.0, tokens at 1.2, 1.25, 1.35 s
        req = {"id": 0, "n_prompt": 4, "n_output": 3, "arrival": 1.0, "first_scheduled": 1.1, "first_token": 1.2,
               "finish": 1.35, "token_times": [1.2, 1.25, 1.35], "failed": False}
        s = peer_metrics.summarize([req], {"ttft_ms": 150})
        self.assertAlmostEqual(s["ttft_ms"]["p50"], 200)
        self.assertAlmostEqual(s["tpot_ms"]["p50"], 75)
        self.assertAlmostEqual(s["itl_ms"]["max"], 100)
        self.assertAlmostEqual(s["prefill_ms"]["p50"], 100)
        self.assertEqual(s["requests"]["slo_met"], 0)
        self.assertAlmostEqual(s["throughput"]["output_tok_s"], 3 / 0.35)

    def test_stats_numpy_linear_and_population_std(self):
        st = peer_metrics.stats([4.0, 1.0, 3.0, 2.0])
        self.assertEqual((st["p50"], st["p90"], st["min"], st["max"]), (2.5, 3.7, 1.0, 4.0))
        self.assertAlmostEqual(st["std"], 1.118033988749895)
        self.assertIsNone(peer_metrics.stats([])["p50"])


class Writer(unittest.TestCase):
    def test_dry_run_file_conforms_to_the_schema(self):
        schema = load_json(os.path.join(ROOT, "results", "schema", "result.schema.json"))
        with tempfile.TemporaryDirectory() as out:
            proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "peers", "torch_peer.py"),
                                   os.path.join(ROOT, "scenarios", "decode_latency.json"), "--out", out,
                                   "--dry-run"], capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("DRY RUN", proc.stdout)
            for config in ("torch-hf", "torch-compile"):
                doc = load_json(os.path.join(out, config, "results.json"))
                schema_check.check(doc, schema, schema)
                run = doc["runs"][0]
                self.assertEqual(run["variant"]["backend"], config)
                self.assertEqual(run["variant"]["label"], "kernels=fused launch=graph")
                self.assertEqual(run["summary"]["counts"]["steps"], 6 * 128)
                self.assertEqual(run["model"]["n_params"], 6738415616)
                self.assertEqual([len(r["token_times"]) for r in run["requests"]], [128] * 6)
                bad = json.loads(json.dumps(doc))
                bad["runs"][0]["variant"]["backend"] = "tpu"
                with self.assertRaises(ValueError):
                    schema_check.check(bad, schema, schema)

    def test_bad_input_exits_2(self):
        with tempfile.TemporaryDirectory() as out:
            bad = os.path.join(out, "s.json")
            with open(bad, "w") as f:
                f.write('{"schema": "rooflm.scenario/1", "name": "x", "model": {"preset": "nope"}}')
            for argv in ([bad, "--out", out, "--dry-run"], [bad, "--out", out, "--dry-run", "--config", "tf"],
                         [bad, "--out", out, "--dry-run", "--requests", "0"]):
                proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "peers", "torch_peer.py"), *argv],
                                      capture_output=True, text=True)
                self.assertEqual(proc.returncode, 2, (argv, proc.stderr))
                self.assertIn("error", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
