// Workload generation: turns a WorkloadSpec into the run's requests (arrival times, random prompt
// tokens, output lengths, shared prefixes, samples), deterministically from the workload seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "common/request.h"
#include "engine/scenario/scenario.h"

namespace rooflm {

// Draws one length from `dist` (clamped to [dist.min, dist.max]).
int64_t draw_length(const LengthDist& dist, std::mt19937_64& rng);

// Requests sorted by arrival (closed loop: the first `concurrency` at 0, the rest released on
// completion); `n` samples per workload request with ids request * n + sample; prompt tokens
// uniform in [0, vocab), after the request's shared prefix when there are prefix groups (the
// prefix comes before prompt_len own tokens); a mooncake trace line's prompt is the blocks of its
// hash ids (each id's block_size tokens, the same in every line naming it), then own tokens to its
// input_length; with a ShareGPT file each request draws one pair of lengths; arrivals of a ramp
// follow engine/scenario/arrival_ramp.h. Throws InputError naming the request, its lengths and
// the limit when a request's prompt + output exceeds max_positions (lengths are never shortened),
// when the prompt tokens of all samples exceed kMaxWorkloadTokens, or an arrival lies beyond
// kMaxArrivalSeconds.
std::vector<Request> generate_workload(const WorkloadSpec& spec, int64_t vocab, int64_t max_positions);

}  // namespace rooflm
