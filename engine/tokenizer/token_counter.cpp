// load_token_counter: picks the tokenizer kind by the file's extension.
#include "engine/tokenizer/token_counter.h"

#include "common/error.h"
#include "engine/tokenizer/byte_level_bpe.h"
#include "engine/tokenizer/sentencepiece_counter.h"

namespace rooflm {

std::unique_ptr<TokenCounter> load_token_counter(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file)) throw InputError("tokenizer " + file.string() + " not found (or not a file)");
  const std::string extension = file.extension().string();
  if (extension == ".json") return std::make_unique<ByteLevelBpe>(read_byte_level_bpe(file));
  if (extension == ".model") return load_sentencepiece_counter(file);
  throw InputError("tokenizer " + file.string() + ": name a Hugging Face tokenizer.json (byte-level BPE, *.json) or a "
                   "sentencepiece tokenizer.model (*.model)");
}

}  // namespace rooflm
