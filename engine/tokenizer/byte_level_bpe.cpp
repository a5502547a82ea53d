// Byte-level BPE: reading tokenizer.json, the byte-to-unicode map, and the merge loop.
#include "engine/tokenizer/byte_level_bpe.h"

#include <array>
#include <limits>

#include "common/error.h"
#include "common/json_text.h"

namespace rooflm {
namespace {

using json = nlohmann::json;

// A tokenizer.json is a few MiB (Llama-3's: 9 MiB); 64 MiB bounds it.
constexpr int64_t kMaxTokenizerFileBytes = int64_t(64) << 20;
// Distinct pre-tokens whose counts are remembered before the cache starts over.
constexpr size_t kMaxCachedPretokens = size_t(1) << 20;

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | (c >> 6));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xE0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
  return out;
}

std::array<std::string, 256> build_byte_level_chars() {
  std::array<std::string, 256> chars;
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    chars[size_t(b)] = utf8(printable ? char32_t(b) : next++);
  }
  return chars;
}

// Walks the pre_tokenizer (a single one or a Sequence): whether ByteLevel is there, its
// add_prefix_space, and whether a Split regex groups digits by 1 to 3 (the llama3 pattern).
void read_pretokenizer(const json& node, const std::string& path, bool& byte_level, bool& prefix_space, bool& llama3) {
  if (!node.is_object()) return;
  const std::string type = node.value("type", "");
  if (type == "Sequence") {
    const auto list = node.find("pretokenizers");
    if (list == node.end() || !list->is_array()) return;
    for (size_t i = 0; i < list->size(); ++i)
      read_pretokenizer((*list)[i], path + ".pretokenizers[" + std::to_string(i) + "]", byte_level, prefix_space, llama3);
  } else if (type == "ByteLevel") {
    byte_level = true;
    const auto add = node.find("add_prefix_space");
    if (add != node.end() && add->is_boolean()) prefix_space = add->get<bool>();
  } else if (type == "Split") {
    const auto pattern = node.find("pattern");
    if (pattern != node.end() && pattern->is_object() && pattern->contains("Regex") && pattern->at("Regex").is_string())
      llama3 = llama3 || pattern->at("Regex").get<std::string>().find("\\p{N}{1,3}") != std::string::npos;
  }
}

}  // namespace

const std::string& byte_level_char(uint8_t byte) {
  static const std::array<std::string, 256> chars = build_byte_level_chars();
  return chars[byte];
}

ByteLevelBpe::Config parse_byte_level_bpe(const json& tokenizer, const std::string& origin) {
  const std::string where = "tokenizer " + origin + ": ";
  if (!tokenizer.is_object()) throw InputError(where + "a tokenizer.json is a JSON object, got " + tokenizer.type_name());
  const auto model = tokenizer.find("model");
  if (model == tokenizer.end() || !model->is_object()) throw InputError(where + "missing object \"model\"");
  const std::string type = model->value("type", "");
  if (type != "BPE")
    throw InputError(where + "model.type is \"" + type + "\", but only \"BPE\" (byte-level) tokenizer.json files are read");
  ByteLevelBpe::Config config;
  bool byte_level = false, llama3 = false;
  if (const auto pre = tokenizer.find("pre_tokenizer"); pre != tokenizer.end())
    read_pretokenizer(*pre, "pre_tokenizer", byte_level, config.add_prefix_space, llama3);
  if (!byte_level)
    throw InputError(where + "its pre_tokenizer has no ByteLevel step, so it is not a byte-level BPE (for a sentencepiece "
                     "model such as Llama-2's, give its tokenizer.model)");
  config.style = llama3 ? PretokenizeStyle::llama3 : PretokenizeStyle::gpt2;
  if (const auto ignore = model->find("ignore_merges"); ignore != model->end() && ignore->is_boolean())
    config.ignore_merges = ignore->get<bool>();

  const auto vocab = model->find("vocab");
  if (vocab == model->end() || !vocab->is_object()) throw InputError(where + "model.vocab must be an object of token -> id");
  for (const auto& [token, id] : vocab->items()) {
    if (!id.is_number_integer())
      throw InputError(where + "model.vocab[" + json(token).dump() + "] must be an integer id, got " + id.dump());
    config.vocab.emplace(token, id.get<int64_t>());
  }
  const auto merges = model->find("merges");
  if (merges == model->end() || !merges->is_array()) throw InputError(where + "model.merges must be an array");
  for (size_t rank = 0; rank < merges->size(); ++rank) {
    const json& merge = (*merges)[rank];
    std::string key;
    if (merge.is_string()) {
      key = merge.get<std::string>();
      const size_t space = key.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == key.size() || key.find(' ', space + 1) != std::string::npos)
        key.clear();
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string() &&
               !merge[0].get<std::string>().empty() && !merge[1].get<std::string>().empty()) {
      key = merge[0].get<std::string>() + " " + merge[1].get<std::string>();
    }
    if (key.empty())
      throw InputError(where + "model.merges[" + std::to_string(rank) + "] must be \"a b\" or [\"a\", \"b\"], got " +
                       merge.dump());
    config.ranks.emplace(std::move(key), int64_t(rank));  // a repeated merge keeps its first (lowest) rank
  }
  return config;
}

ByteLevelBpe::Config read_byte_level_bpe(const std::filesystem::path& file) {
  return parse_byte_level_bpe(read_json_file(file, kMaxTokenizerFileBytes, "tokenizer file"), file.string());
}

std::vector<std::string> ByteLevelBpe::encode_pretoken(std::string_view pretoken) const {
  std::vector<std::string> symbols;
  std::string whole;
  for (const char c : pretoken) {
    symbols.push_back(byte_level_char(static_cast<uint8_t>(c)));
    whole += symbols.back();
  }
  if (config_.ignore_merges && config_.vocab.contains(whole)) return {whole};
  std::string pair;
  while (symbols.size() > 1) {
    int64_t best = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      pair.assign(symbols[i]).append(" ").append(symbols[i + 1]);
      if (const auto it = config_.ranks.find(pair); it != config_.ranks.end() && it->second < best) best = it->second;
    }
    if (best == std::numeric_limits<int64_t>::max()) break;
    // Merge every occurrence of the best pair, left to right.
    std::vector<std::string> merged;
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size()) {
        pair.assign(symbols[i]).append(" ").append(symbols[i + 1]);
        const auto it = config_.ranks.find(pair);
        if (it != config_.ranks.end() && it->second == best) {
          merged.push_back(symbols[i] + symbols[i + 1]);
          ++i;
          continue;
        }
      }
      merged.push_back(std::move(symbols[i]));
    }
    symbols = std::move(merged);
  }
  return symbols;
}

int64_t ByteLevelBpe::count_tokens(std::string_view text) {
  std::string prefixed;
  if (config_.add_prefix_space && !text.empty() && text.front() != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
  int64_t count = 0;
  for (const std::string_view pretoken : pretokenize(text, config_.style)) {
    const std::string key(pretoken);
    if (const auto it = cache_.find(key); it != cache_.end()) {
      count += it->second;
      continue;
    }
    const int64_t tokens = int64_t(encode_pretoken(pretoken).size());
    if (cache_.size() >= kMaxCachedPretokens) cache_.clear();
    cache_.emplace(key, tokens);
    count += tokens;
  }
  return count;
}

}  // namespace rooflm
