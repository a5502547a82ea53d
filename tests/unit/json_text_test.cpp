// Unit tests of parse_json_text / read_text_file (common/json_text.h): the limits every JSON input
// gets (nesting depth, numbers beyond a double, duplicate keys, file size) and where their errors
// point (origin:line:column).
// Run: build/tests/rooflm_unit_tests --gtest_filter='JsonText*'
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/json_text.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

// The message and kind of the JsonTextError `text` raises.
std::pair<JsonTextError::Kind, std::string> error_of(const std::string& text, const JsonTextOptions& options = {}) {
  try {
    parse_ordered_json_text(text, "x.json", options);
  } catch (const JsonTextError& error) {
    return {error.kind(), error.what()};
  }
  ADD_FAILURE() << "no error for " << text.substr(0, 80);
  return {};
}

TEST(JsonText, ParsesLikeNlohmannKeepingKeyOrder) {
  const std::string text = R"({"b": 2, "a": [1, -2, 3.5, true, null, "s"], "c": {"z": {}, "y": []}, "u": 18446744073709551615})";
  const nlohmann::ordered_json parsed = parse_ordered_json_text(text, "x.json");
  EXPECT_EQ(parsed.dump(), nlohmann::ordered_json::parse(text).dump());
  EXPECT_EQ(parsed.begin().key(), "b");
  EXPECT_EQ(parse_json_text(text, "x.json"), nlohmann::json::parse(text));
  EXPECT_TRUE(parse_json_text("7", "x.json").is_number_integer());
}

TEST(JsonText, NestingUpToTheLimitParsesDeeperIsRefusedWithItsPlace) {
  const auto nested = [](int depth) { return std::string(size_t(depth), '[') + std::string(size_t(depth), ']'); };
  EXPECT_NO_THROW(parse_json_text(nested(kMaxJsonDepth), "x.json"));
  const auto [kind, message] = error_of(nested(kMaxJsonDepth + 1));
  EXPECT_EQ(kind, JsonTextError::Kind::depth);
  EXPECT_EQ(message.rfind("x.json:1:65: JSON nested deeper than 64 levels (the limit) at \"[0][0]", 0), 0u) << message;
  // Brackets in strings and comments do not count; the path names where it happened.
  const std::string text = "// [[[[\n{\"s\": \"[[[[\", /* { */ \"sweep\": {\"k\": " + nested(100) + "}}";
  const auto [kind2, message2] = error_of(text, {.comments = true});
  EXPECT_EQ(kind2, JsonTextError::Kind::depth);
  EXPECT_EQ(message2.rfind("x.json:2:100: JSON nested deeper than 64 levels (the limit) at \"sweep.k[0][0]", 0), 0u)
      << message2;
}

TEST(JsonText, NumberBeyondADoubleNamesLineColumnAndLiteral) {
  EXPECT_EQ(error_of("{\"a\": 1,\n  \"b\": [1, -1e400]}"),
            std::pair(JsonTextError::Kind::number, std::string("x.json:2:12: number -1e400 does not fit a double (|x| <= 1.8e308)")));
  EXPECT_EQ(error_of("123e999").second, "x.json:1:1: number 123e999 does not fit a double (|x| <= 1.8e308)");
  EXPECT_EQ(parse_json_text("1e-400", "x.json"), 0.0);  // underflow is zero, as strtod has it
}

TEST(JsonText, FirstLineShiftsTheLineNumbers) {
  EXPECT_EQ(error_of("{\"a\": 1e400}", {.first_line = 7}).second,
            "x.json:7:7: number 1e400 does not fit a double (|x| <= 1.8e308)");
}

TEST(JsonText, SyntaxErrorNamesLineAndColumn) {
  const auto [kind, message] = error_of("{\n  \"schema\": \"s\",\n  \"name\": ,\n}");
  EXPECT_EQ(kind, JsonTextError::Kind::syntax);
  EXPECT_EQ(message.rfind("x.json:3:11: JSON syntax error: ", 0), 0u) << message;
  EXPECT_EQ(error_of("{} x").first, JsonTextError::Kind::syntax);
  EXPECT_EQ(error_of("").first, JsonTextError::Kind::syntax);
  EXPECT_EQ(error_of("{\"a\": 1} // no comments here").first, JsonTextError::Kind::syntax);
  // nlohmann alone would stop at the NUL and ignore the rest.
  EXPECT_EQ(error_of(std::string("{\"a\": 1}\n\0{\"b\"", 14)).second,
            "x.json:2:1: JSON syntax error: a NUL byte (JSON text cannot hold one)");
}

TEST(JsonText, DuplicateKeyNamesItsPath) {
  EXPECT_EQ(error_of(R"({"a": {"b": [0, {"c": 1, "c": 2}]}})"),
            std::pair(JsonTextError::Kind::duplicate_key, std::string("x.json: duplicate key \"a.b[1].c\"")));
  EXPECT_EQ(error_of(R"({"k": 1, "k": 1})").second, "x.json: duplicate key \"k\"");
  EXPECT_NO_THROW(parse_json_text(R"({"a": {"k": 1}, "b": {"k": 1}})", "x.json"));
}

TEST(JsonText, ManyKeysParseInLinearTime) {
  std::string text = "{";
  for (int i = 0; i < 200000; ++i) text += "\"k" + std::to_string(i) + "\": 0, ";
  text += "\"end\": 1}";
  EXPECT_EQ(parse_ordered_json_text(text, "x.json").size(), 200001u);  // quadratic would take minutes
}

TEST(JsonText, ReadTextFileRefusesFoldersMissingAndOversizedFiles) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "a.json", "{\"a\": 1}");
  EXPECT_EQ(read_json_file(dir.path() / "a.json", 100, "scenario file"), nlohmann::json({{"a", 1}}));
  const auto message = [](const std::function<void()>& action) {
    try {
      action();
    } catch (const JsonTextError& error) {
      EXPECT_EQ(error.kind(), JsonTextError::Kind::file);
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { read_text_file(dir.path() / "a.json", 7, "scenario file"); }),
            "scenario file " + (dir.path() / "a.json").string() + " is larger than 7 bytes (the limit for a scenario file)");
  EXPECT_EQ(message([&] { read_text_file(dir.path(), 7, "scenario file"); }),
            "scenario file " + dir.path().string() + " is a folder, not a file");
  EXPECT_EQ(message([&] { read_text_file(dir.path() / "no.json", 7, "scenario file"); }),
            "scenario file not found: " + (dir.path() / "no.json").string());
  // A device without an end: only max_bytes + 1 bytes are read.
  EXPECT_EQ(message([&] { read_text_file("/dev/zero", 1000, "trace"); }),
            "trace /dev/zero is larger than 1000 bytes (the limit for a trace)");
}

}  // namespace
}  // namespace rooflm
