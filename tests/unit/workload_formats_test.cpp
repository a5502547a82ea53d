// Unit tests of the workload formats others use: Mooncake / vLLM traces (hash-id blocks as shared
// prompt tokens, the shared-prefix fraction, speed-up), vLLM's gamma `burstiness` beside `cv`, and
// rate ramps (linear, exponential).
// Run: build/tests/rooflm_unit_tests --gtest_filter='WorkloadFormats*'
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_digest.h"
#include "engine/scenario/arrival_ramp.h"
#include "engine/scenario/trace_sharing.h"
#include "engine/scenario/workload.h"
#include "engine/scenario/workload_files.h"
#include "engine/scenario/workload_source.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

constexpr int64_t kVocab = 1000;
constexpr int64_t kMaxPositions = 4096;

std::string scenario_with(const std::string& workload) {
  return R"({"schema": "rooflm.scenario/1", "name": "w", "model": {"preset": "tiny"}, "workload": )" + workload + "}";
}

std::string error_of(const std::string& text, const std::string& origin = "s.json") {
  return test::input_error_message([&] { parse_scenario(text, origin); });
}

double mean_of(const std::vector<double>& xs) {
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / double(xs.size());
}

double cv_of(const std::vector<double>& xs) {
  const double mean = mean_of(xs);
  double var = 0;
  for (double x : xs) var += (x - mean) * (x - mean);
  return std::sqrt(var / double(xs.size() - 1)) / mean;
}

std::vector<double> gaps_of(const std::vector<Request>& requests) {
  std::vector<double> gaps;
  for (size_t i = 1; i < requests.size(); ++i) gaps.push_back(requests[i].arrival - requests[i - 1].arrival);
  return gaps;
}

// --- Mooncake traces ---

const char* kTrace =
    R"({"timestamp": 1000, "input_length": 10, "output_length": 3, "hash_ids": [7, 8, 9]})" "\n"
    R"({"timestamp": 1500, "input_length": 9, "output_length": 2, "hash_ids": [7, 8, 5], "extra": "ignored"})" "\n"
    "\n"
    R"({"timestamp": 3000, "input_length": 6, "output_length": 1, "hash_ids": [7]})" "\n";

TEST(WorkloadFormats, MooncakeLinesGiveArrivalsFromTheFirstTimestampAndLengths) {
  const std::vector<TraceEntry> lines = parse_mooncake_trace(kTrace, "t.jsonl", 4);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].arrival, 0.0);
  EXPECT_EQ(lines[1].arrival, 0.5);
  EXPECT_EQ(lines[2].arrival, 2.0);
  EXPECT_EQ(lines[0].prompt_len, 10);
  EXPECT_EQ(lines[1].output_len, 2);
  EXPECT_EQ(lines[1].hash_ids, (std::vector<int64_t>{7, 8, 5}));
}

TEST(WorkloadFormats, SharedLeadingHashIdsAreSharedPromptTokens) {
  WorkloadSpec spec;
  spec.arrival.process = ArrivalSpec::Process::trace;
  spec.arrival.format = TraceFormat::mooncake;
  spec.arrival.block_size = 4;
  spec.arrival.trace = parse_mooncake_trace(kTrace, "t.jsonl", 4);
  spec.requests = 3;
  const std::vector<Request> requests = generate_workload(spec, kVocab, kMaxPositions);
  ASSERT_EQ(requests.size(), 3u);
  const auto& a = requests[0].prompt;
  const auto& b = requests[1].prompt;
  const auto& c = requests[2].prompt;
  ASSERT_EQ(a.size(), 10u);
  ASSERT_EQ(b.size(), 9u);
  ASSERT_EQ(c.size(), 6u);
  // ids 7, 8 lead both a and b: their first 8 tokens are the same; block 3 (id 9 vs 5) differs.
  EXPECT_EQ(std::vector<int32_t>(a.begin(), a.begin() + 8), std::vector<int32_t>(b.begin(), b.begin() + 8));
  EXPECT_NE(a[8], b[8]) << "block 3: id 9 in a, id 5 in b";
  // c names id 7 only (4 tokens) and has 2 own tokens after it.
  EXPECT_EQ(std::vector<int32_t>(c.begin(), c.begin() + 4), std::vector<int32_t>(a.begin(), a.begin() + 4));
  EXPECT_NE(std::vector<int32_t>(c.begin() + 4, c.end()), std::vector<int32_t>(a.begin() + 4, a.begin() + 6));
  EXPECT_EQ(requests[2].arrival, 2.0);
  // Another seed: other tokens, the same sharing.
  spec.seed = 9;
  const std::vector<Request> other = generate_workload(spec, kVocab, kMaxPositions);
  EXPECT_NE(other[0].prompt, a);
  EXPECT_EQ(std::vector<int32_t>(other[0].prompt.begin(), other[0].prompt.begin() + 8),
            std::vector<int32_t>(other[1].prompt.begin(), other[1].prompt.begin() + 8));
}

TEST(WorkloadFormats, SharedPrefixFractionCountsLeadingBlocksAnEarlierLineHas) {
  const std::vector<TraceEntry> lines = parse_mooncake_trace(kTrace, "t.jsonl", 4);
  // Line 1: nothing seen. Line 2: ids 7, 8 (4 + 4 tokens) seen, 5 not. Line 3: id 7 (4 tokens) seen.
  const TraceSharing sharing = trace_sharing(lines, 4);
  EXPECT_EQ(sharing.prompt_tokens, 10 + 9 + 6);
  EXPECT_EQ(sharing.shared_tokens, 8 + 4);
  EXPECT_DOUBLE_EQ(sharing.fraction(), 12.0 / 25.0);
  // A partial block is shared only up to what the earlier line held of it: [1] of 6 tokens (2 in
  // block 1), then [1] of 8 (4 in block 1): 4 + 2 shared.
  const std::vector<TraceEntry> partial = parse_mooncake_trace(
      R"({"timestamp": 0, "input_length": 6, "output_length": 1, "hash_ids": [3, 1]})" "\n"
      R"({"timestamp": 0, "input_length": 8, "output_length": 1, "hash_ids": [3, 1]})" "\n"
      R"({"timestamp": 0, "input_length": 8, "output_length": 1, "hash_ids": [1, 3]})" "\n", "p.jsonl", 4);
  const TraceSharing p = trace_sharing(partial, 4);
  EXPECT_EQ(p.prompt_tokens, 22);
  EXPECT_EQ(p.shared_tokens, 6) << "ids [1, 3] lead with another id than [3, 1]: nothing shared";
}

TEST(WorkloadFormats, MalformedMooncakeLinesNameTheFileLineAndField) {
  const std::string ok = R"({"timestamp": 0, "input_length": 4, "output_length": 1, "hash_ids": [1]})" "\n";
  for (const auto& [line, expected] : std::vector<std::pair<std::string, std::string>>{
           {R"({"input_length": 4, "output_length": 1, "hash_ids": [1]})", "t.jsonl:2: missing field \"timestamp\""},
           {R"({"timestamp": -1, "input_length": 4, "output_length": 1, "hash_ids": [1]})",
            "t.jsonl:2: \"timestamp\" must be a number of milliseconds >= 0, got -1"},
           {R"({"timestamp": 0, "input_length": 0, "output_length": 1, "hash_ids": [1]})",
            "t.jsonl:2: \"input_length\" must be an integer in [1, 134217728], got 0"},
           {R"({"timestamp": 0, "input_length": 4, "hash_ids": [1]})", "t.jsonl:2: missing field \"output_length\""},
           {R"({"timestamp": 0, "input_length": 4, "output_length": 1})", "t.jsonl:2: missing field \"hash_ids\""},
           {R"({"timestamp": 0, "input_length": 4, "output_length": 1, "hash_ids": "1"})",
            "t.jsonl:2: \"hash_ids\" must be an array of integers, got \"1\""},
           {R"({"timestamp": 0, "input_length": 4, "output_length": 1, "hash_ids": [1, -2]})",
            "t.jsonl:2: \"hash_ids\"[1] must be an integer in [0, 2^63), got -2"},
           {R"({"timestamp": 0, "input_length": 4, "output_length": 1, "hash_ids": [1, 2.5]})",
            "t.jsonl:2: \"hash_ids\"[1] must be an integer in [0, 2^63), got 2.5"},
           {R"({"timestamp": 0, "input_length": 4, "output_length": 1, "hash_ids": [1, 2]})",
            "t.jsonl:2: 2 hash_ids of 4 tokens (workload.arrival.block_size) need an input_length above 4, got 4"},
           {R"({"timestamp": 0, "input_length": 4, "output_length": 1, "hash_ids": [1])", "t.jsonl:2:"},
           {"[1]", "t.jsonl:2: each line must be a JSON object"},
           {R"({"timestamp": 100000000, "input_length": 4, "output_length": 1, "hash_ids": [1]})",
            "beyond the limit of 86400 s (a day)"}}) {
    const std::string text = ok + line + "\n";  // lambdas cannot capture a structured binding (clang < 16)
    const std::string message = test::input_error_message([&] { parse_mooncake_trace(text, "t.jsonl", 4); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
  EXPECT_NE(test::input_error_message([&] {
              parse_mooncake_trace(R"({"timestamp": 5, "input_length": 4, "output_length": 1, "hash_ids": []})" "\n" + ok,
                                   "t.jsonl", 4);
            }).find("t.jsonl:2: \"timestamp\" 0 is earlier than the previous line's 5.0"),
            std::string::npos);
  EXPECT_NE(test::input_error_message([&] { parse_mooncake_trace("\n", "t.jsonl", 4); }).find("t.jsonl: no lines"),
            std::string::npos);
}

TEST(WorkloadFormats, MooncakeScenarioReadsFormatBlockSizeAndSpeedup) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "trace.jsonl", kTrace);
  const std::string origin = (dir.path() / "s.json").string();
  const Scenario s = parse_scenario(scenario_with(R"({"requests": 2, "arrival": {"process": "trace", "file": "trace.jsonl",
      "format": "mooncake", "block_size": 4, "speedup": 2}})"), origin)[0];
  EXPECT_EQ(s.workload.requests, 2);
  EXPECT_EQ(s.workload.arrival.format, TraceFormat::mooncake);
  EXPECT_EQ(s.workload.arrival.trace[1].arrival, 0.25) << "0.5 s at 2x";
  EXPECT_EQ(s.workload.arrival.sharing.prompt_tokens, 19) << "over the 2 requests taken";
  EXPECT_EQ(s.workload.arrival.sharing.shared_tokens, 8);
  EXPECT_EQ(s.resolved["workload"]["arrival"]["format"], "mooncake");
  EXPECT_EQ(s.resolved["workload"]["arrival"]["block_size"], 4);
  EXPECT_EQ(s.resolved["workload"]["arrival"]["speedup"], 2.0);
  const nlohmann::json source = workload_source_json(s.workload);
  EXPECT_EQ(source["format"], "mooncake");
  EXPECT_EQ(source["lines"], 2);
  EXPECT_DOUBLE_EQ(source["shared_prefix_fraction"].get<double>(), 8.0 / 19.0);
  // The default block size is Mooncake's 512: id 8 of line 1 would then name no token.
  const std::string message = error_of(scenario_with(R"({"arrival": {"process": "trace", "file": "trace.jsonl",
      "format": "mooncake"}})"), origin);
  EXPECT_NE(message.find("\"workload.arrival.file\""), std::string::npos) << message;
  EXPECT_NE(message.find("trace.jsonl:1: 3 hash_ids of 512 tokens"), std::string::npos) << message;
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "trace", "file": "trace.jsonl", "block_size": 4}})"), origin)
                .find("\"workload.arrival.block_size\" is for format \"mooncake\""),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "trace", "file": "trace.jsonl", "format": "mooncake",
      "block_size": 4, "speedup": 0}})"), origin).find("\"workload.arrival.speedup\" must be in [0.001, 1000]"),
            std::string::npos);
  // A rooflm trace slowed down beyond a day.
  test::write_text_file(dir.path() / "slow.jsonl", "{\"arrival\": 80000, \"prompt_len\": 4, \"output_len\": 2}\n");
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "trace", "file": "slow.jsonl", "speedup": 0.5}})"), origin)
                .find("\"workload.arrival.speedup\" = 0.5 puts the last line of"),
            std::string::npos);
}

// The resolved scenario records the trace's content digest beside its path; a scenario that pins a
// digest runs only on that content (a resolved scenario re-run after its trace changed is refused).
TEST(WorkloadFormats, TraceDigestIsRecordedAndAPinnedDigestMustMatch) {
  EXPECT_EQ(content_digest(""), "fnv1a64:cbf29ce484222325");  // FNV-1a 64's offset basis
  EXPECT_EQ(content_digest("a"), "fnv1a64:af63dc4c8601ec8c");
  test::TempDir dir;
  test::write_text_file(dir.path() / "trace.jsonl", kTrace);
  const std::string origin = (dir.path() / "s.json").string();
  const Scenario s = parse_scenario(scenario_with(R"({"requests": 2, "arrival": {"process": "trace", "file": "trace.jsonl",
      "format": "mooncake", "block_size": 4}})"), origin)[0];
  const std::string digest = content_digest(kTrace);
  EXPECT_EQ(s.resolved["workload"]["arrival"]["file_digest"], digest);
  EXPECT_EQ(file_digest(dir.path() / "trace.jsonl"), digest);
  nlohmann::json rerun = {{"schema", "rooflm.scenario/1"}, {"name", "w"}, {"model", {{"preset", "tiny"}}},
                          {"workload", s.resolved["workload"]}};
  EXPECT_EQ(parse_scenario(rerun.dump(), "resolved.json")[0].workload.arrival.file_digest, digest);
  rerun["workload"]["arrival"]["file_digest"] = "fnv1a64:0000000000000000";
  const std::string message = error_of(rerun.dump(), "resolved.json");
  EXPECT_NE(message.find("\"workload.arrival.file_digest\" is fnv1a64:0000000000000000, but"), std::string::npos) << message;
  EXPECT_NE(message.find("is now " + digest + ": the file changed"), std::string::npos) << message;
}

// --- burstiness ---

TEST(WorkloadFormats, BurstinessIsTheGammaShapeWithMeanGapOneOverRate) {
  // vLLM: gaps ~ Gamma(shape = burstiness, scale = 1 / (rate * burstiness)): mean 1/rate, cv 1/sqrt(b).
  for (double burstiness : {0.25, 1.0, 4.0}) {
    WorkloadSpec spec;
    spec.requests = 20001;
    spec.prompt_len.value = 1;
    spec.output_len.value = 1;
    spec.seed = 21;
    spec.arrival.process = ArrivalSpec::Process::gamma;
    spec.arrival.rate = 40;
    spec.arrival.burstiness = burstiness;
    const std::vector<double> gaps = gaps_of(generate_workload(spec, kVocab, kMaxPositions));
    EXPECT_NEAR(mean_of(gaps), 1.0 / 40, 0.05 / 40) << burstiness;
    EXPECT_NEAR(cv_of(gaps), 1 / std::sqrt(burstiness), 0.05 / std::sqrt(burstiness)) << burstiness;
  }
}

TEST(WorkloadFormats, BurstinessAndCvAreOneOrTheOther) {
  const Scenario s = parse_scenario(scenario_with(R"({"arrival": {"process": "gamma", "rate": 4, "burstiness": 0.25}})"),
                                    "s.json")[0];
  EXPECT_EQ(*s.workload.arrival.burstiness, 0.25);
  EXPECT_DOUBLE_EQ(s.workload.arrival.cv, 2.0);
  EXPECT_EQ(s.workload.arrival.gamma_shape(), 0.25);
  EXPECT_EQ(s.resolved["workload"]["arrival"]["burstiness"], 0.25);
  EXPECT_FALSE(s.resolved["workload"]["arrival"].contains("cv"));
  EXPECT_EQ(error_of(scenario_with(R"({"arrival": {"process": "gamma", "rate": 4, "cv": 2, "burstiness": 0.25}})")),
            "s.json: \"workload.arrival.cv\" and \"workload.arrival.burstiness\" are both set: they say the same "
            "(cv = 1/sqrt(burstiness)); keep one");
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "gamma", "rate": 4}})")).find("needs \"cv\" or \"burstiness\""),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "gamma", "rate": 4, "burstiness": 0}})"))
                .find("\"workload.arrival.burstiness\" must be in [0.0001, 10000], got 0"),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "poisson", "rate": 4, "burstiness": 2}})"))
                .find("burstiness"),
            std::string::npos);
}

// --- ramps ---

RampSpec ramp(double from, double to, double duration_s, RampStrategy strategy) {
  RampSpec r;
  r.from = from;
  r.to = to;
  r.duration_s = duration_s;
  r.strategy = strategy;
  return r;
}

TEST(WorkloadFormats, RampExpectedArrivalsAndTheirInverse) {
  // Linear 2 -> 10 over 4 s: Λ(t) = 2t + t^2 (t <= 4), Λ(4) = 24, then 10 per second.
  const RampSpec linear = ramp(2, 10, 4, RampStrategy::linear);
  EXPECT_DOUBLE_EQ(ramp_expected_arrivals(linear, 1), 3);
  EXPECT_DOUBLE_EQ(ramp_expected_arrivals(linear, 4), 24);
  EXPECT_DOUBLE_EQ(ramp_expected_arrivals(linear, 6), 44);
  // Exponential 1 -> 8 over 3 s: r(t) = 2^t, Λ(t) = (2^t - 1) / ln 2, Λ(3) = 7 / ln 2.
  const RampSpec exponential = ramp(1, 8, 3, RampStrategy::exponential);
  EXPECT_NEAR(ramp_expected_arrivals(exponential, 1), 1 / std::log(2.0), 1e-12);
  EXPECT_NEAR(ramp_expected_arrivals(exponential, 5), 7 / std::log(2.0) + 16, 1e-9);
  for (const RampSpec& r : {linear, exponential, ramp(0, 5, 2, RampStrategy::linear), ramp(10, 2, 4, RampStrategy::linear),
                            ramp(8, 1, 3, RampStrategy::exponential), ramp(3, 3, 5, RampStrategy::exponential)})
    for (double t : {0.0, 0.01, 0.5, 1.0, 2.9, 3.0, 4.0, 7.5, 100.0})
      EXPECT_NEAR(ramp_arrival_time(r, ramp_expected_arrivals(r, t)), t, 1e-9 * (1 + t)) << r.from << "->" << r.to;
}

WorkloadSpec ramped(ArrivalSpec::Process process, const RampSpec& r, int64_t requests, uint64_t seed) {
  WorkloadSpec spec;
  spec.requests = requests;
  spec.prompt_len.value = 1;
  spec.output_len.value = 1;
  spec.seed = seed;
  spec.arrival.process = process;
  spec.arrival.ramp = r;
  return spec;
}

TEST(WorkloadFormats, ConstantRampPlacesRequestIAtTheInverseOfI) {
  const RampSpec r = ramp(2, 10, 4, RampStrategy::linear);
  const std::vector<Request> requests = generate_workload(ramped(ArrivalSpec::Process::constant, r, 40, 0), kVocab, kMaxPositions);
  EXPECT_EQ(requests[0].arrival, 0.0);
  EXPECT_DOUBLE_EQ(requests[3].arrival, 1.0) << "2t + t^2 = 3";
  EXPECT_DOUBLE_EQ(requests[24].arrival, 4.0) << "the end of the ramp";
  EXPECT_DOUBLE_EQ(requests[34].arrival, 5.0) << "10 per second after it";
  // The gaps shrink during the ramp and stay 0.1 s after it.
  EXPECT_GT(requests[1].arrival - requests[0].arrival, requests[20].arrival - requests[19].arrival);
  EXPECT_NEAR(requests[39].arrival - requests[38].arrival, 0.1, 1e-12);
}

TEST(WorkloadFormats, PoissonRampCountsFollowTheExpectedArrivals) {
  // An exponential ramp 5 -> 80 over 10 s (k = ln 16 / 10): over many seeds the mean count of
  // arrivals in [0, 5) is Λ(5) = 5 (e^(5k) - 1) / k = 150 / ln 16 ~ 54.1 and in [5, 10) it is
  // Λ(10) - Λ(5) = 600 / ln 16 ~ 216.4.
  const RampSpec r = ramp(5, 80, 10, RampStrategy::exponential);
  const double first_half = ramp_expected_arrivals(r, 5), second_half = ramp_expected_arrivals(r, 10) - first_half;
  double counted_first = 0, counted_second = 0;
  constexpr int kSeeds = 200;
  for (int seed = 0; seed < kSeeds; ++seed) {
    for (const Request& q : generate_workload(ramped(ArrivalSpec::Process::poisson, r, 400, uint64_t(seed)), kVocab, kMaxPositions)) {
      counted_first += q.arrival < 5;
      counted_second += q.arrival >= 5 && q.arrival < 10;
    }
  }
  EXPECT_NEAR(first_half, 150 / std::log(16.0), 1e-9);
  ASSERT_LT(ramp_expected_arrivals(r, 10), 400 - 50) << "400 requests reach past 10 s";
  // Poisson counts: the mean of `kSeeds` has sd sqrt(Λ / kSeeds).
  EXPECT_NEAR(counted_first / kSeeds, first_half, 4 * std::sqrt(first_half / kSeeds)) << first_half;
  EXPECT_NEAR(counted_second / kSeeds, second_half, 4 * std::sqrt(second_half / kSeeds)) << second_half;
}

TEST(WorkloadFormats, RampScenarioFieldsAndErrors) {
  const Scenario s = parse_scenario(scenario_with(R"({"requests": 8, "arrival": {"process": "gamma", "cv": 2,
      "ramp": {"from": 1, "to": 4, "duration_s": 10, "strategy": "exponential"}}})"), "s.json")[0];
  ASSERT_TRUE(s.workload.arrival.ramp);
  EXPECT_EQ(s.workload.arrival.ramp->strategy, RampStrategy::exponential);
  EXPECT_EQ(s.resolved["workload"]["arrival"]["ramp"]["to"], 4.0);
  EXPECT_FALSE(s.resolved["workload"]["arrival"].contains("rate"));
  const Scenario linear = parse_scenario(scenario_with(R"({"arrival": {"process": "poisson",
      "ramp": {"from": 0, "to": 4, "duration_s": 10}}})"), "s.json")[0];
  EXPECT_EQ(linear.workload.arrival.ramp->strategy, RampStrategy::linear) << "the default";
  EXPECT_EQ(error_of(scenario_with(R"({"arrival": {"process": "poisson", "rate": 2, "ramp": {"from": 1, "to": 4, "duration_s": 10}}})")),
            "s.json: \"workload.arrival.rate\" and \"workload.arrival.ramp\" are both set: a ramp sets the rate "
            "(ramp.to after ramp.duration_s); keep one");
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "poisson", "ramp": {"from": 0, "to": 4, "duration_s": 10,
      "strategy": "exponential"}}})")).find("\"workload.arrival.ramp.from\" must be > 0 with strategy \"exponential\""),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "constant", "ramp": {"from": 1, "duration_s": 10}}})"))
                .find("missing required key \"workload.arrival.ramp.to\""),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "constant", "ramp": {"from": 1, "to": 0, "duration_s": 10}}})"))
                .find("\"workload.arrival.ramp.to\" must be > 0"),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "closed_loop", "concurrency": 2,
      "ramp": {"from": 1, "to": 2, "duration_s": 1}}})")).find("ramp"),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"requests": 1000000, "arrival": {"process": "constant",
      "ramp": {"from": 0.001, "to": 1, "duration_s": 86400}}})")).find("beyond the limit of 86400 s (a day)"),
            std::string::npos);
  EXPECT_NE(error_of(scenario_with(R"({"arrival": {"process": "poisson", "ramp": {"from": 1, "to": 4, "duration_s": 10}}},
      "slo": {"ttft_ms": 100}, "search": {"path": "workload.arrival.rate", "lo": 1, "hi": 8})"))
                .find("workload.arrival.ramp sets the rates"),
            std::string::npos);
}

}  // namespace
}  // namespace rooflm
