// SentencePieceProcessor::Encode of the text; the ids' count is the token count.
#include "engine/tokenizer/sentencepiece_counter.h"

#include <string>
#include <vector>

#include "common/error.h"

#if ROOFLM_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

namespace rooflm {

#if ROOFLM_HAVE_SENTENCEPIECE

namespace {

class SentencePieceCounter : public TokenCounter {
 public:
  explicit SentencePieceCounter(const std::filesystem::path& file) : file_(file.string()) {
    const auto status = processor_.Load(file_);
    if (!status.ok()) throw InputError("tokenizer " + file_ + ": not a sentencepiece model: " + status.ToString());
  }

  int64_t count_tokens(std::string_view text) override {
    ids_.clear();
    const auto status = processor_.Encode(std::string(text), &ids_);
    if (!status.ok()) throw InputError("tokenizer " + file_ + ": cannot encode a text: " + status.ToString());
    return int64_t(ids_.size());
  }

 private:
  std::string file_;
  sentencepiece::SentencePieceProcessor processor_;
  std::vector<int> ids_;
};

}  // namespace

bool sentencepiece_available() { return true; }

std::unique_ptr<TokenCounter> load_sentencepiece_counter(const std::filesystem::path& file) {
  return std::make_unique<SentencePieceCounter>(file);
}

#else

bool sentencepiece_available() { return false; }

std::unique_ptr<TokenCounter> load_sentencepiece_counter(const std::filesystem::path& file) {
  throw InputError("tokenizer " + file.string() + ": a sentencepiece tokenizer.model needs libsentencepiece, which this "
                   "build was configured without: install Debian's libsentencepiece-dev (tools/setup.sh "
                   "rooflm_install_deps does) and configure again (rm build/CMakeCache.txt)");
}

#endif

}  // namespace rooflm
