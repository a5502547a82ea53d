#!/usr/bin/env bash
# The torch peer (tools/peers) without torch or a GPU, against the built rooflm:
#   - its pure-Python unit tests (tests/peers/peer_unit_test.py);
#   - its synthetic weights and model layout: a pure-Python forward on them gives `rooflm generate`'s
#     greedy tokens and logits (tiny, tiny-qwen2: GQA, Q/K/V bias, tied embeddings);
#   - its requests: for tests/peers/tiny_peer.json the peer's (dry run) prompt and output lengths and
#     arrival times equal those of `rooflm run` on the cpu backend, request for request, and so do the
#     resolved scenario and the model;
#   - its results files: `rooflm report` (html, md), `rooflm compare` (rooflm vs each peer file pairs
#     "kernels=fused" with no --force; the counters agree) and `rooflm gate` (a valid pair: exit 0 or
#     1, never 2) read them; the same for a dry run of scenarios/decode_latency.json (llama2-7b);
#   - bad input (unknown preset, batch 8, torch missing) is exit 2.
# Usage: tests/e2e/torch_peer_test.sh <rooflm binary>
set -euo pipefail
rooflm="$(realpath "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peer="$root/tools/peers/torch_peer.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "torch peer test: FAIL: $*" >&2; exit 1; }
cd "$root"

python3 tests/peers/peer_unit_test.py >"$work/unit.log" 2>&1 || { cat "$work/unit.log" >&2; fail "unit tests"; }

for case in "tiny 1,2,3 3" "tiny-qwen2 5,9 2"; do
  read -r preset prompt steps <<<"$case"
  "$rooflm" generate --model "$preset" --prompt "$prompt" --steps "$steps" --backend cpu --logits "$work/$preset.json" \
    >/dev/null || fail "rooflm generate $preset"
  python3 - "$work/$preset.json" "$preset" "$prompt" "$steps" <<'EOF' || fail "reference forward vs rooflm generate ($preset)"
import json, sys
sys.path.insert(0, "tests/peers")
from reference_forward import Reference
got = json.load(open(sys.argv[1]))
tokens, logits = Reference(sys.argv[2]).greedy([int(t) for t in sys.argv[3].split(",")], int(sys.argv[4]))
assert tokens == got["tokens"], (tokens, got["tokens"])
scale = max(abs(v) for row in got["logits"] for v in row)
err = max(abs(a - b) for ra, rb in zip(logits, got["logits"]) for a, b in zip(ra, rb))
assert err <= 1e-5 * scale, f"logits differ by {err} (largest logit {scale})"
print(f"{sys.argv[2]}: tokens {tokens} = rooflm's, logits within {err / scale:.1e} of the largest")
EOF
done

"$rooflm" run tests/peers/tiny_peer.json --out "$work/rooflm" >"$work/run.log" 2>&1 || { cat "$work/run.log" >&2; fail "rooflm run"; }
python3 "$peer" tests/peers/tiny_peer.json --out "$work/peer" --dry-run >"$work/peer.log" 2>&1 ||
  { cat "$work/peer.log" >&2; fail "torch_peer --dry-run"; }
for config in torch-hf torch-compile; do
  file="$work/peer/$config/results.json"
  python3 - "$work/rooflm/results.json" "$file" "$config" <<'EOF' || fail "$config: requests, scenario or model differ from rooflm's"
import json, sys
ours, peer = (json.load(open(p)) for p in sys.argv[1:3])
config = sys.argv[3]
mine = next(r for r in ours["runs"] if r["variant"]["label"] == "kernels=fused")
(theirs,) = peer["runs"]
assert theirs["variant"]["label"] == "kernels=fused" and theirs["variant"]["backend"] == config, theirs["variant"]
key = lambda r: (r["id"], r["n_prompt"], r["n_output"], r["arrival"])
assert [key(r) for r in mine["requests"]] == [key(r) for r in theirs["requests"]], "requests"
assert mine["scenario"] == theirs["scenario"], "resolved scenario"
for section in ("workload", "model"):  # what compare checks of the files' scenario (engine: the first variant's)
    assert ours["scenario"]["resolved"][section] == peer["scenario"]["resolved"][section], section
assert mine["model"] == theirs["model"], "model"
assert mine["summary"]["counts"] == theirs["summary"]["counts"], (mine["summary"]["counts"], theirs["summary"]["counts"])
EOF
  "$rooflm" compare "$work/rooflm/results.json" "$file" >"$work/compare.txt" 2>&1 ||
    { cat "$work/compare.txt" >&2; fail "rooflm compare rooflm vs $config"; }
  grep -q "^kernels=fused .*ttft_ms" "$work/compare.txt" || { cat "$work/compare.txt" >&2; fail "compare did not pair kernels=fused"; }
  grep -q "not compared: baseline only: kernels=naive" "$work/compare.txt" || fail "compare: kernels=naive not listed unpaired"
  "$rooflm" compare --format json "$file" "$file" >/dev/null || fail "compare $config with itself"
  rc=0
  "$rooflm" gate --baseline "$file" --candidate "$work/rooflm/results.json" >"$work/gate.txt" 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { cat "$work/gate.txt" >&2; fail "gate refused the $config / rooflm pair (exit $rc)"; }
done
"$rooflm" report "$work/rooflm/results.json" "$work/peer/torch-hf/results.json" "$work/peer/torch-compile/results.json" \
  -o "$work/report.html" >/dev/null || fail "rooflm report (html)"
[ -s "$work/report.html" ] || fail "no report.html"
"$rooflm" report "$work/peer/torch-hf/results.json" "$work/peer/torch-compile/results.json" --format md >"$work/report.md" ||
  fail "rooflm report --format md"
grep -q "| kernels=fused | torch-compile |" "$work/report.md" || { cat "$work/report.md" >&2; fail "report: no torch-compile row"; }

# the GPU scenario's shape (llama2-7b): labels pair with rooflm's fused + CUDA-graph variant
python3 "$peer" scenarios/decode_latency.json --out "$work/decode" --dry-run --config torch-compile >"$work/decode.log" 2>&1 ||
  { cat "$work/decode.log" >&2; fail "dry run of decode_latency"; }
"$rooflm" report "$work/decode/torch-compile/results.json" --format csv >"$work/decode.csv" || fail "report decode_latency"
grep -q "kernels=fused launch=graph,torch-compile" "$work/decode.csv" || { cat "$work/decode.csv" >&2; fail "decode_latency label"; }

expect_2() {  # expect_2 <message part> <torch_peer args...>
  local message="$1" rc=0
  shift
  python3 "$peer" "$@" >"$work/bad.out" 2>&1 || rc=$?
  [ "$rc" = 2 ] || { cat "$work/bad.out" >&2; fail "torch_peer $*: exit $rc, expected 2"; }
  grep -qF -- "$message" "$work/bad.out" || { cat "$work/bad.out" >&2; fail "torch_peer $*: no \"$message\""; }
}
sed 's/"preset": "tiny"/"preset": "tiny-x"/' tests/peers/tiny_peer.json >"$work/unknown.json"
expect_2 "unknown model preset 'tiny-x'" "$work/unknown.json" --out "$work/bad" --dry-run
expect_2 "the peer runs batch 1" scenarios/quickstart.json --out "$work/bad" --dry-run --set engine.batching.max_batch=8
if ! python3 -c "import torch" 2>/dev/null; then
  expect_2 "torch is not importable" tests/peers/tiny_peer.json --out "$work/bad"
fi
echo "torch peer test: pass"
