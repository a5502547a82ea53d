// Unit tests of the tokenizers that turn conversation text into lengths (engine/tokenizer/) and of
// the ShareGPT reader (engine/scenario/sharegpt_file.h). The byte-level BPE runs on the committed
// fixture tests/fixtures/workload/tiny_bpe_tokenizer.json: the 256 byte characters plus 14 merges,
// in rank order: "h e", "l l", "he ll", "hell o", "Ġ w", "o r", "l d", "Ġw or", "Ġwor ld", "1 2",
// "12 3", "4 5", "3 4", "Ã ©". The sentencepiece counter runs on a model spm_train (Debian's
// sentencepiece) trains at test time, against spm_encode's ids.
// Run: build/tests/rooflm_unit_tests --gtest_filter='Tokenizer*:ShareGpt*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json_text.h"
#include "engine/scenario/sharegpt_file.h"
#include "engine/scenario/workload.h"
#include "engine/scenario/workload_source.h"
#include "engine/tokenizer/byte_level_bpe.h"
#include "engine/tokenizer/pretokenize.h"
#include "engine/tokenizer/sentencepiece_counter.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path fixture(const std::string& name) { return fs::path(ROOFLM_SOURCE_DIR) / "tests/fixtures/workload" / name; }

json fixture_tokenizer() { return read_json_file(fixture("tiny_bpe_tokenizer.json"), int64_t(1) << 20, "tokenizer"); }

std::vector<std::string> strings(const std::vector<std::string_view>& views) { return {views.begin(), views.end()}; }

TEST(Tokenizer, ByteLevelMapIsGpt2s) {
  EXPECT_EQ(byte_level_char('a'), "a");
  EXPECT_EQ(byte_level_char('!'), "!");
  EXPECT_EQ(byte_level_char(' '), "\u0120");   // Ġ: the 33rd byte outside the printable ranges (0..32 first)
  EXPECT_EQ(byte_level_char('\n'), "\u010A");  // Ċ
  EXPECT_EQ(byte_level_char(0), "\u0100");
  EXPECT_EQ(byte_level_char(0x7F), "\u0121");  // after 0..32
  EXPECT_EQ(byte_level_char(0xAD), "\u0143");  // the soft hyphen, the last byte mapped away
  EXPECT_EQ(byte_level_char(0xC3), "\u00C3");  // Ã
  EXPECT_EQ(byte_level_char(0xA9), "\u00A9");  // ©
}

TEST(Tokenizer, Gpt2PretokenizationFollowsItsRegex) {
  EXPECT_EQ(strings(pretokenize("Hello, world  42!", PretokenizeStyle::gpt2)),
            (std::vector<std::string>{"Hello", ",", " world", " ", " 42", "!"}));
  EXPECT_EQ(strings(pretokenize("it's IT'S", PretokenizeStyle::gpt2)),
            (std::vector<std::string>{"it", "'s", " IT", "'", "S"}));
  EXPECT_EQ(strings(pretokenize("hi\n\nthere  ", PretokenizeStyle::gpt2)),
            (std::vector<std::string>{"hi", "\n", "\n", "there", "  "}));
  EXPECT_EQ(strings(pretokenize("naïve café 👋", PretokenizeStyle::gpt2)),
            (std::vector<std::string>{"naïve", " café", " 👋"}));
  EXPECT_TRUE(pretokenize("", PretokenizeStyle::gpt2).empty());
  // An invalid UTF-8 byte is one symbol; the pre-tokens still cover the text.
  EXPECT_EQ(strings(pretokenize("a\xff" "b", PretokenizeStyle::gpt2)), (std::vector<std::string>{"a", "\xff", "b"}));
}

TEST(Tokenizer, Llama3PretokenizationFollowsItsRegex) {
  EXPECT_EQ(strings(pretokenize("Hello, world  12345!\n\nok", PretokenizeStyle::llama3)),
            (std::vector<std::string>{"Hello", ",", " world", " ", " ", "123", "45", "!\n\n", "ok"}));
  EXPECT_EQ(strings(pretokenize("IT'S (fine)", PretokenizeStyle::llama3)),
            (std::vector<std::string>{"IT", "'S", " (", "fine", ")"}));
  EXPECT_EQ(strings(pretokenize("(fine", PretokenizeStyle::llama3)), (std::vector<std::string>{"(fine"}))
      << "one non-letter may lead a word";
  EXPECT_EQ(strings(pretokenize("a \n\n b", PretokenizeStyle::llama3)), (std::vector<std::string>{"a", " \n\n", " b"}));
}

TEST(Tokenizer, ByteLevelBpeCountsOfTheFixtureWorkedOutByHand) {
  ByteLevelBpe bpe(parse_byte_level_bpe(fixture_tokenizer(), "tiny"));
  // "hello": h e l l o -> (h e) he l l o -> (l l) he ll o -> (he ll) hell o -> (hell o) hello.
  EXPECT_EQ(bpe.encode_pretoken("hello"), (std::vector<std::string>{"hello"}));
  // " world": Ġ w o r l d -> Ġw o r l d -> Ġw or l d -> Ġw or ld -> Ġwor ld -> Ġworld.
  EXPECT_EQ(bpe.encode_pretoken(" world"), (std::vector<std::string>{"\u0120world"}));
  EXPECT_EQ(bpe.encode_pretoken(" hello"), (std::vector<std::string>{"\u0120", "hello"})) << "no merge \"Ġ h\"";
  EXPECT_EQ(bpe.encode_pretoken("yell"), (std::vector<std::string>{"y", "e", "ll"}));
  EXPECT_EQ(bpe.encode_pretoken("é"), (std::vector<std::string>{"\u00C3\u00A9"})) << "bytes C3 A9 -> Ã ©, merged to Ã©";
  EXPECT_EQ(bpe.count_tokens("hello world!"), 3);               // hello | Ġworld | !
  EXPECT_EQ(bpe.count_tokens("hello hello"), 3);                // hello | Ġ hello
  EXPECT_EQ(bpe.count_tokens("hello world! hello world!"), 7);  // 1 + 1 + 1 + 2 + 1 + 1
  EXPECT_EQ(bpe.count_tokens("it's"), 4);                       // i t | ' s
  EXPECT_EQ(bpe.count_tokens("a  b"), 4);                       // a | Ġ | Ġ b
  EXPECT_EQ(bpe.count_tokens("hi\n\nthere"), 8);                // h i | Ċ | Ċ | t he r e
  // "3412" is one gpt2 pre-token: 3 4 1 2 -> (1 2) 3 4 12 -> (3 4) 34 12: 2 tokens.
  EXPECT_EQ(bpe.count_tokens("3412"), 2);
  EXPECT_EQ(bpe.count_tokens(""), 0);
  EXPECT_EQ(bpe.count_tokens("hello world!"), 3) << "the cached pre-tokens count the same";
}

TEST(Tokenizer, ByteLevelBpeReadsTheLlama3SplitAndIgnoreMerges) {
  json tokenizer = fixture_tokenizer();
  tokenizer["pre_tokenizer"] = json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]})");
  ByteLevelBpe llama3(parse_byte_level_bpe(tokenizer, "llama3-like"));
  // "3412" splits into "341" | "2": 3 4 1 -> (3 4) 34 1, then 2: 3 tokens.
  EXPECT_EQ(llama3.count_tokens("3412"), 3);
  EXPECT_EQ(llama3.count_tokens("hello world!"), 3);
  // ignore_merges: a pre-token that is a whole vocab entry is one token, whatever the merges say.
  tokenizer["model"]["vocab"]["yell"] = 9999;
  tokenizer["model"]["ignore_merges"] = true;
  EXPECT_EQ(ByteLevelBpe(parse_byte_level_bpe(tokenizer, "t")).count_tokens("yell"), 1);
  // add_prefix_space: "hello" is read as " hello".
  json prefixed = fixture_tokenizer();
  prefixed["pre_tokenizer"]["add_prefix_space"] = true;
  EXPECT_EQ(ByteLevelBpe(parse_byte_level_bpe(prefixed, "t")).count_tokens("hello"), 2);
  // Merges as ["a", "b"] pairs (newer tokenizer.json files) read the same.
  json pairs = fixture_tokenizer();
  for (json& merge : pairs["model"]["merges"]) {
    const std::string text = merge.get<std::string>();
    merge = json::array({text.substr(0, text.find(' ')), text.substr(text.find(' ') + 1)});
  }
  EXPECT_EQ(ByteLevelBpe(parse_byte_level_bpe(pairs, "t")).count_tokens("hello world! hello world!"), 7);
}

TEST(Tokenizer, BadTokenizerFilesNameTheFileAndTheProblem) {
  auto error = [](const json& tokenizer) {
    return test::input_error_message([&] { parse_byte_level_bpe(tokenizer, "x.json"); });
  };
  json t = fixture_tokenizer();
  t["model"]["type"] = "WordPiece";
  EXPECT_EQ(error(t), "tokenizer x.json: model.type is \"WordPiece\", but only \"BPE\" (byte-level) tokenizer.json files are read");
  t = fixture_tokenizer();
  t["pre_tokenizer"] = json::parse(R"({"type": "Metaspace", "replacement": "▁"})");
  EXPECT_NE(error(t).find("no ByteLevel step, so it is not a byte-level BPE (for a sentencepiece model"), std::string::npos);
  t = fixture_tokenizer();
  t["model"]["merges"][3] = "hello";
  EXPECT_EQ(error(t), "tokenizer x.json: model.merges[3] must be \"a b\" or [\"a\", \"b\"], got \"hello\"");
  t = fixture_tokenizer();
  t["model"]["vocab"]["h"] = "one";
  EXPECT_EQ(error(t), "tokenizer x.json: model.vocab[\"h\"] must be an integer id, got \"one\"");
  EXPECT_EQ(error(json::array()), "tokenizer x.json: a tokenizer.json is a JSON object, got array");
  test::TempDir dir;
  test::write_text_file(dir.path() / "vocab.txt", "a\n");
  EXPECT_NE(test::input_error_message([&] { load_token_counter(dir.path() / "vocab.txt"); })
                .find("name a Hugging Face tokenizer.json (byte-level BPE, *.json) or a sentencepiece tokenizer.model"),
            std::string::npos);
  EXPECT_NE(test::input_error_message([&] { load_token_counter(dir.path() / "missing.json"); }).find("not found"),
            std::string::npos);
  test::write_text_file(dir.path() / "broken.json", "{\"model\": ");
  EXPECT_NE(test::input_error_message([&] { load_token_counter(dir.path() / "broken.json"); }).find("broken.json:1:"),
            std::string::npos);
}

// --- sentencepiece ---

// The lines of `file` as numbers of space-separated ids (spm_encode --output_format=id).
std::vector<int64_t> id_counts(const fs::path& file) {
  std::ifstream in(file);
  std::vector<int64_t> counts;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ids(line);
    int64_t n = 0;
    for (std::string id; ids >> id;) ++n;
    counts.push_back(n);
  }
  return counts;
}

const std::vector<std::string> kSentences = {
    "the quick brown fox jumps over the lazy dog",
    "a tokenizer turns text into pieces, and pieces into ids",
    "prefill is compute bound; decode is bandwidth bound",
    "hello world! hello again, world.",
};

// Trains a small sentencepiece BPE model on kSentences (repeated) in `dir`; false when spm_train is
// not installed.
bool train_sentencepiece(const fs::path& dir) {
  if (std::system("command -v spm_train >/dev/null 2>&1") != 0) return false;
  std::ofstream corpus(dir / "corpus.txt");
  for (int i = 0; i < 20; ++i)
    for (const std::string& s : kSentences) corpus << s << "\n";
  corpus.close();
  const std::string cmd = "spm_train --input=" + (dir / "corpus.txt").string() + " --model_prefix=" + (dir / "m").string() +
                          " --vocab_size=80 --model_type=bpe --character_coverage=1.0 > " + (dir / "train.log").string() +
                          " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "spm_train failed: see " << dir / "train.log";
  return fs::exists(dir / "m.model");
}

TEST(Tokenizer, SentencepieceCountsMatchSpmEncode) {
  if (!sentencepiece_available()) GTEST_SKIP() << "built without libsentencepiece (Debian: libsentencepiece-dev)";
  test::TempDir dir;
  if (!train_sentencepiece(dir.path())) GTEST_SKIP() << "spm_train not installed (Debian: sentencepiece)";
  const std::vector<std::string> texts = {kSentences[0], kSentences[2], "unseen words: zebra quartz", "x"};
  {
    std::ofstream in(dir.path() / "texts.txt");
    for (const std::string& t : texts) in << t << "\n";
  }
  const std::string encode = "spm_encode --model=" + (dir.path() / "m.model").string() + " --output_format=id < " +
                             (dir.path() / "texts.txt").string() + " > " + (dir.path() / "ids.txt").string();
  ASSERT_EQ(std::system(encode.c_str()), 0);
  const std::vector<int64_t> expected = id_counts(dir.path() / "ids.txt");
  ASSERT_EQ(expected.size(), texts.size());
  const std::unique_ptr<TokenCounter> counter = load_token_counter(dir.path() / "m.model");
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(counter->count_tokens(texts[i]), expected[i]) << texts[i];
    EXPECT_GT(expected[i], 0);
  }
  EXPECT_LT(expected[0], int64_t(kSentences[0].size())) << "trained merges make fewer tokens than characters";
  test::write_text_file(dir.path() / "junk.model", "not a model");
  EXPECT_NE(test::input_error_message([&] { load_token_counter(dir.path() / "junk.model"); })
                .find("junk.model: not a sentencepiece model"),
            std::string::npos);
}

TEST(Tokenizer, SentencepieceWithoutTheLibraryIsAClearError) {
  if (sentencepiece_available()) GTEST_SKIP() << "this build links libsentencepiece";
  EXPECT_NE(test::input_error_message([] { load_sentencepiece_counter("tokenizer.model"); })
                .find("needs libsentencepiece, which this build was configured without: install Debian's libsentencepiece-dev"),
            std::string::npos);
}

// --- ShareGPT ---

TEST(ShareGpt, PairsAreTheFirstHumanAndGptTurnsCountedByTheTokenizer) {
  ByteLevelBpe bpe(parse_byte_level_bpe(fixture_tokenizer(), "tiny"));
  ShareGptSpec spec;
  const std::string text = read_text_file(fixture("sharegpt_small.json"), kMaxConversationFileBytes, "conversation file");
  const auto parse = [&] { parse_sharegpt(text, "sharegpt_small.json", bpe, spec); };
  parse();
  // a: "hello world!" 3 / "hello hello" 3; b: "hello" 1 / "hello world! hello world!" 7; e: "3412" 2 /
  // "é" 1. Skipped: c (one turn), d (gpt first), f (an empty prompt: 0 tokens).
  ASSERT_EQ(spec.pairs.size(), 3u);
  EXPECT_EQ(spec.pairs[0].prompt_len, 3);
  EXPECT_EQ(spec.pairs[0].output_len, 3);
  EXPECT_EQ(spec.pairs[1].prompt_len, 1);
  EXPECT_EQ(spec.pairs[1].output_len, 7);
  EXPECT_EQ(spec.pairs[2].prompt_len, 2);
  EXPECT_EQ(spec.pairs[2].output_len, 1);
  EXPECT_EQ(spec.conversations, 6);
  EXPECT_EQ(spec.skipped, 3);
  spec.max_len = 5;  // a (6) and b (8) are longer
  parse();
  ASSERT_EQ(spec.pairs.size(), 1u);
  EXPECT_EQ(spec.pairs[0].prompt_len, 2);
  EXPECT_EQ(spec.skipped, 5);
  spec.max_len = 2;
  EXPECT_NE(test::input_error_message(parse)
                .find("none of its 6 entries has a usable pair (a \"human\" turn, then a \"gpt\" turn, both of at least "
                      "one token, together at most max_len 2 tokens)"),
            std::string::npos);
}

TEST(ShareGpt, MalformedEntriesNameTheFileAndTheEntry) {
  ByteLevelBpe bpe(parse_byte_level_bpe(fixture_tokenizer(), "tiny"));
  const std::string good = R"({"id": "a", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]})";
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{}", "c.json: a ShareGPT file is a JSON array of conversations, got object"},
           {"[" + good + ", 3]", "c.json: [1] must be an object, got number"},
           {"[" + good + ", {\"id\": 1}]", "c.json: [1]: missing field \"conversations\""},
           {"[" + good + ", {\"conversations\": {}}]", "c.json: [1].conversations must be an array of turns, got object"},
           {"[" + good + ", {\"conversations\": [\"hi\"]}]", "c.json: [1].conversations[0] must be an object, got string"},
           {"[" + good + R"(, {"conversations": [{"value": "hi"}]}])", "c.json: [1].conversations[0]: missing field \"from\""},
           {"[" + good + R"(, {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": 7}]}])",
            "c.json: [1].conversations[1].value must be a string, got number"},
           {"[" + good + ",\n {\"conversations\": [}]", "c.json:2:"}}) {
    ShareGptSpec spec;
    const std::string& file = text;  // lambdas cannot capture a structured binding (clang < 16)
    const std::string message = test::input_error_message([&] { parse_sharegpt(file, "c.json", bpe, spec); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

TEST(ShareGpt, ScenarioSectionSetsTheLengthsOfEveryRequest) {
  test::TempDir dir;
  const std::string origin = (dir.path() / "s.json").string();
  const std::string section = R"("sharegpt": {"file": ")" + fixture("sharegpt_small.json").string() + R"(", "tokenizer": ")" +
                              fixture("tiny_bpe_tokenizer.json").string() + "\"}";
  const Scenario s = parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "g", "model": {"preset": "tiny"},
      "workload": {"requests": 30, )" + section + "}}", origin)[0];
  ASSERT_TRUE(s.workload.sharegpt);
  EXPECT_EQ(s.workload.sharegpt->pairs.size(), 3u);
  EXPECT_FALSE(s.resolved["workload"].contains("prompt_len"));
  EXPECT_EQ(s.resolved["workload"]["sharegpt"]["max_len"], 0);
  EXPECT_EQ(workload_source_json(s.workload)["pairs"], 3);
  const std::vector<Request> requests = generate_workload(s.workload, 2048, 2048);
  std::set<std::pair<size_t, int64_t>> seen;
  for (const Request& r : requests) seen.insert({r.prompt.size(), r.max_output});
  EXPECT_EQ(seen, (std::set<std::pair<size_t, int64_t>>{{3, 3}, {1, 7}, {2, 1}})) << "each request draws one pair";
  // prompt_len / output_len cannot be set beside it; nor can a trace.
  auto error = [&](const std::string& more) {
    return test::input_error_message([&] {
      parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "g", "model": {"preset": "tiny"}, "workload": {)" +
                         section + ", " + more + "}}", origin);
    });
  };
  EXPECT_NE(error(R"("prompt_len": 4)").find("\"workload.prompt_len\" cannot be set with workload.sharegpt"),
            std::string::npos);
  test::write_text_file(dir.path() / "t.jsonl", "{\"arrival\": 0, \"prompt_len\": 4, \"output_len\": 2}\n");
  EXPECT_NE(error(R"("arrival": {"process": "trace", "file": "t.jsonl"})")
                .find("\"workload.sharegpt\" cannot be set with arrival process \"trace\""),
            std::string::npos);
  const std::string missing = test::input_error_message([&] {
    parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "g", "model": {"preset": "tiny"}, "workload": {"sharegpt":
        {"file": "nope.json", "tokenizer": ")" + fixture("tiny_bpe_tokenizer.json").string() + "\"}}}", origin);
  });
  EXPECT_NE(missing.find("\"workload.sharegpt.file\""), std::string::npos) << missing;
  EXPECT_NE(missing.find("nope.json"), std::string::npos) << missing;
  const std::string no_tokenizer = test::input_error_message([&] {
    parse_scenario(R"({"schema": "rooflm.scenario/1", "name": "g", "model": {"preset": "tiny"}, "workload": {"sharegpt":
        {"file": "x.json"}}})", origin);
  });
  EXPECT_NE(no_tokenizer.find("missing required key \"workload.sharegpt.tokenizer\""), std::string::npos) << no_tokenizer;
}

}  // namespace
}  // namespace rooflm
