// A sentencepiece tokenizer.model (Llama-2, Mistral) through Debian's libsentencepiece
// (libsentencepiece-dev). Built without it (CMake found no library: ROOFLM_HAVE_SENTENCEPIECE
// unset), loading one is an InputError that says what to install.
#pragma once

#include <filesystem>
#include <memory>

#include "engine/tokenizer/token_counter.h"

namespace rooflm {

// True when this build links libsentencepiece.
bool sentencepiece_available();

std::unique_ptr<TokenCounter> load_sentencepiece_counter(const std::filesystem::path& file);

}  // namespace rooflm
