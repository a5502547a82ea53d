// trace_sharing: a pass over the lines with a map from each leading run of hash ids (a chained
// 64-bit hash of it) to the most tokens a line has had of that run's last block.
#include "engine/scenario/trace_sharing.h"

#include <algorithm>
#include <unordered_map>

namespace rooflm {
namespace {

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

TraceSharing trace_sharing(std::span<const TraceEntry> lines, int64_t block_size) {
  TraceSharing out;
  std::unordered_map<uint64_t, int64_t> seen;  // chain of leading ids -> tokens held of its last block
  for (const TraceEntry& line : lines) {
    out.prompt_tokens += line.prompt_len;
    uint64_t chain = 0;
    bool sharing = true;
    for (size_t j = 0; j < line.hash_ids.size(); ++j) {
      const int64_t tokens = std::min(block_size, line.prompt_len - int64_t(j) * block_size);
      if (tokens <= 0) break;
      chain = mix(chain ^ mix(uint64_t(line.hash_ids[j])));
      auto [it, fresh] = seen.try_emplace(chain, tokens);
      if (sharing && !fresh) {
        out.shared_tokens += std::min(tokens, it->second);
        sharing = tokens <= it->second;  // a longer block than any earlier line's ends the shared run
      } else {
        sharing = false;
      }
      it->second = std::max(it->second, tokens);
    }
  }
  return out;
}

}  // namespace rooflm
