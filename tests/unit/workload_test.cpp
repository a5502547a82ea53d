// Unit tests of workload generation (engine/scenario/workload.cpp): determinism, length
// distributions, clamping, arrival processes.
// Run: build/tests/rooflm_unit_tests --gtest_filter='Workload*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "engine/model/model_config.h"
#include "engine/scenario/workload.h"
#include "engine/scenario/workload_files.h"
#include "tests/unit/input_error_message.h"
#include "tests/unit/test_tmpdir.h"

namespace rooflm {
namespace {

constexpr int64_t kVocab = 1000;
constexpr int64_t kMaxPositions = 4096;

LengthDist fixed(int64_t value) {
  LengthDist dist;
  dist.value = double(value);
  return dist;
}

LengthDist uniform(int64_t min, int64_t max) {
  LengthDist dist;
  dist.kind = LengthDist::Kind::uniform;
  dist.min = min;
  dist.max = max;
  return dist;
}

LengthDist shaped(LengthDist::Kind kind, double mean, double std) {
  LengthDist dist;
  dist.kind = kind;
  dist.mean = mean;
  dist.std = std;
  return dist;
}

WorkloadSpec spec_with(int64_t requests, uint64_t seed) {
  WorkloadSpec spec;
  spec.requests = requests;
  spec.prompt_len = uniform(1, 50);
  spec.output_len = uniform(1, 20);
  spec.arrival.process = ArrivalSpec::Process::poisson;
  spec.arrival.rate = 10;
  spec.seed = seed;
  return spec;
}

struct SampleMoments {
  double mean = 0, std = 0;
};

SampleMoments moments(const std::vector<double>& xs) {
  SampleMoments m;
  for (double x : xs) m.mean += x;
  m.mean /= double(xs.size());
  for (double x : xs) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / double(xs.size() - 1));
  return m;
}

std::vector<double> draws(const LengthDist& dist, int n, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::vector<double> xs;
  for (int i = 0; i < n; ++i) xs.push_back(double(draw_length(dist, rng)));
  return xs;
}

TEST(Workload, SameSeedSameRequests) {
  const std::vector<Request> a = generate_workload(spec_with(64, 42), kVocab, kMaxPositions);
  const std::vector<Request> b = generate_workload(spec_with(64, 42), kVocab, kMaxPositions);
  const std::vector<Request> c = generate_workload(spec_with(64, 43), kVocab, kMaxPositions);
  ASSERT_EQ(a.size(), 64u);
  bool any_difference = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrival, b[i].arrival);
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    EXPECT_EQ(a[i].max_output, b[i].max_output);
    EXPECT_EQ(a[i].seed, b[i].seed);
    any_difference |= a[i].prompt != c[i].prompt || a[i].arrival != c[i].arrival;
  }
  EXPECT_TRUE(any_difference) << "another seed must give other requests";
}

TEST(Workload, RequestContentsDoNotDependOnArrivalsOrCount) {
  WorkloadSpec burst = spec_with(16, 5);
  burst.arrival.process = ArrivalSpec::Process::burst;
  const std::vector<Request> poisson = generate_workload(spec_with(32, 5), kVocab, kMaxPositions);
  const std::vector<Request> fewer_burst = generate_workload(burst, kVocab, kMaxPositions);
  for (size_t i = 0; i < fewer_burst.size(); ++i) {
    EXPECT_EQ(fewer_burst[i].prompt, poisson[i].prompt);
    EXPECT_EQ(fewer_burst[i].max_output, poisson[i].max_output);
    EXPECT_EQ(fewer_burst[i].seed, poisson[i].seed);
  }
}

TEST(Workload, RequestFields) {
  WorkloadSpec spec = spec_with(200, 1);
  spec.sampling.temperature = 0.5f;
  spec.sampling.top_k = 7;
  const std::vector<Request> requests = generate_workload(spec, kVocab, kMaxPositions);
  std::set<uint64_t> seeds;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    EXPECT_EQ(r.id, int64_t(i));
    EXPECT_EQ(r.state, RequestState::pending);
    EXPECT_TRUE(r.output.empty());
    EXPECT_EQ(r.sampling.temperature, 0.5f);
    EXPECT_EQ(r.sampling.top_k, 7);
    for (int32_t token : r.prompt) {
      EXPECT_GE(token, 0);
      EXPECT_LT(token, kVocab);
    }
    if (i > 0) {
      EXPECT_GE(r.arrival, requests[i - 1].arrival);
    }
    seeds.insert(r.seed);
  }
  EXPECT_EQ(seeds.size(), requests.size()) << "each request gets its own sampling seed";
}

TEST(Workload, PromptTokensCoverTheVocabulary) {
  WorkloadSpec spec = spec_with(1, 3);
  spec.prompt_len = fixed(4000);
  const std::vector<Request> requests = generate_workload(spec, 10, kMaxPositions);
  std::vector<int> counts(10, 0);
  for (int32_t token : requests[0].prompt) ++counts[size_t(token)];
  for (int count : counts) EXPECT_NEAR(count, 400, 80);  // 4000 draws over 10 ids
}

TEST(Workload, FixedLengthIsExact) {
  for (double x : draws(fixed(37), 100)) EXPECT_EQ(x, 37);
}

TEST(Workload, UniformStaysWithinBoundsAndReachesThem) {
  const std::vector<double> xs = draws(uniform(3, 7), 20000);
  std::vector<int> counts(8, 0);
  for (double x : xs) {
    ASSERT_GE(x, 3);
    ASSERT_LE(x, 7);
    ++counts[size_t(x)];
  }
  for (int value = 3; value <= 7; ++value) EXPECT_NEAR(counts[size_t(value)], 4000, 300) << value;
  for (double x : draws(uniform(5, 5), 10)) EXPECT_EQ(x, 5);
}

TEST(Workload, NormalHasTheAskedMeanAndStd) {
  const SampleMoments m = moments(draws(shaped(LengthDist::Kind::normal, 200, 20), 20000));
  EXPECT_NEAR(m.mean, 200, 1.0);
  EXPECT_NEAR(m.std, 20, 1.0);
}

TEST(Workload, LognormalMeanAndStdAreOfTheLengths) {
  // mean/std describe the lengths, not the underlying normal: mu = ln(200) - sigma^2/2,
  // sigma^2 = ln(1 + (150/200)^2) = ln(1.5625).
  const SampleMoments m = moments(draws(shaped(LengthDist::Kind::lognormal, 200, 150), 20000));
  EXPECT_NEAR(m.mean, 200, 20);
  EXPECT_NEAR(m.std, 150, 30);
  // Skewed as a lognormal must be: the median exp(mu) = 200 / sqrt(1.5625) = 160 is below the mean.
  std::vector<double> xs = draws(shaped(LengthDist::Kind::lognormal, 200, 150), 20001);
  std::nth_element(xs.begin(), xs.begin() + 10000, xs.end());
  EXPECT_NEAR(xs[10000], 160, 8);
}

TEST(Workload, DrawsAreClampedToMinMax) {
  LengthDist dist = shaped(LengthDist::Kind::normal, 100, 50);
  dist.min = 80;
  dist.max = 120;
  int at_min = 0, at_max = 0;
  for (double x : draws(dist, 5000)) {
    ASSERT_GE(x, 80);
    ASSERT_LE(x, 120);
    at_min += x == 80;
    at_max += x == 120;
  }
  // P(N(100, 50) <= 80.5) ~ 0.35, P(>= 119.5) ~ 0.35.
  EXPECT_NEAR(at_min, 1750, 200);
  EXPECT_NEAR(at_max, 1750, 200);
}

// Lengths are never shortened: a request beyond max_positions is an error naming it and both numbers.
TEST(Workload, PromptPlusOutputBeyondMaxPositionsIsAnError) {
  WorkloadSpec spec = spec_with(3, 0);
  spec.prompt_len = fixed(100);
  spec.output_len = fixed(20);
  for (const Request& r : generate_workload(spec, kVocab, 120)) {
    EXPECT_EQ(r.prompt.size(), 100u);
    EXPECT_EQ(r.max_output, 20);
  }
  spec.output_len = fixed(21);
  EXPECT_EQ(test::input_error_message([&] { generate_workload(spec, kVocab, 120); }),
            "workload request 0: prompt 100 + output_len 21 = 121 tokens exceed the model's max_positions 120 "
            "(lengths are not shortened: lower them, or their \"max\")");
  spec.output_len = fixed(10);
  spec.shared_prefix = {1, 15};
  EXPECT_EQ(test::input_error_message([&] { generate_workload(spec, kVocab, 120); }),
            "workload request 0: prompt 115 (workload.shared_prefix.length 15 + prompt_len 100) + output_len 10 = 125 "
            "tokens exceed the model's max_positions 120 (lengths are not shortened: lower them, or their \"max\")");
  spec.shared_prefix = {1, 119};
  EXPECT_NE(test::input_error_message([&] { generate_workload(spec, kVocab, 120); })
                .find("workload.shared_prefix.length = 119 leaves no room"),
            std::string::npos);
}

TEST(Workload, ArrivalsBeyondADayAndOversizedWorkloadsAreErrors) {
  WorkloadSpec spec = spec_with(3, 0);
  spec.arrival.process = ArrivalSpec::Process::constant;
  spec.arrival.rate = 1.0 / 50000;  // request 2 at 100000 s
  EXPECT_EQ(test::input_error_message([&] { generate_workload(spec, kVocab, kMaxPositions); }).rfind(
                "workload request 2 arrives at 100000", 0),
            0u);
  spec = spec_with(3, 0);
  spec.prompt_len = fixed((1 << 20) + 1);
  spec.prompt_len.max = 1 << 21;
  spec.output_len = fixed(1);
  spec.n = 256;  // request 0 alone: 256 samples x (2^20 + 1) tokens > 2^28, refused before any is built
  EXPECT_EQ(test::input_error_message([&] { generate_workload(spec, kVocab, kMaxModelPositions); }),
            "workload: the prompts up to request 0 (x n = 256 samples) hold more than 268435456 tokens, the limit of "
            "one workload: lower workload.requests, n or the prompt lengths");
}

TEST(Workload, PoissonGapsAverageOneOverRate) {
  WorkloadSpec spec = spec_with(20001, 11);
  spec.prompt_len = fixed(1);
  spec.output_len = fixed(1);
  spec.arrival.rate = 40;
  const std::vector<Request> requests = generate_workload(spec, kVocab, kMaxPositions);
  EXPECT_EQ(requests.front().arrival, 0.0);
  std::vector<double> gaps;
  for (size_t i = 1; i < requests.size(); ++i) gaps.push_back(requests[i].arrival - requests[i - 1].arrival);
  const SampleMoments m = moments(gaps);
  EXPECT_NEAR(m.mean, 1.0 / 40, 0.05 / 40);
  EXPECT_NEAR(m.std, 1.0 / 40, 0.05 / 40);  // exponential: std equals mean
}

TEST(Workload, BurstArrivesAllAtZero) {
  WorkloadSpec spec = spec_with(50, 2);
  spec.arrival.process = ArrivalSpec::Process::burst;
  for (const Request& r : generate_workload(spec, kVocab, kMaxPositions)) EXPECT_EQ(r.arrival, 0.0);
}

TEST(Workload, ConstantArrivalsAreEvenlySpaced) {
  WorkloadSpec spec = spec_with(5, 2);
  spec.arrival.process = ArrivalSpec::Process::constant;
  spec.arrival.rate = 4.0;
  const auto requests = generate_workload(spec, kVocab, kMaxPositions);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_DOUBLE_EQ(requests[i].arrival, 0.25 * double(i));
}

TEST(Workload, GammaGapsHaveTheAskedMeanAndCv) {
  for (double cv : {0.5, 2.0}) {
    WorkloadSpec spec = spec_with(20001, 13);
    spec.prompt_len = fixed(1);
    spec.output_len = fixed(1);
    spec.arrival.process = ArrivalSpec::Process::gamma;
    spec.arrival.rate = 40;
    spec.arrival.cv = cv;
    const std::vector<Request> requests = generate_workload(spec, kVocab, kMaxPositions);
    std::vector<double> gaps;
    for (size_t i = 1; i < requests.size(); ++i) gaps.push_back(requests[i].arrival - requests[i - 1].arrival);
    const SampleMoments m = moments(gaps);
    EXPECT_NEAR(m.mean, 1.0 / 40, 0.05 / 40) << "cv " << cv;
    EXPECT_NEAR(m.std / m.mean, cv, 0.08 * cv) << "cv " << cv;
  }
}

TEST(Workload, ClosedLoopStartsConcurrencyRequestsAndHoldsTheRest) {
  WorkloadSpec spec = spec_with(6, 2);
  spec.arrival.process = ArrivalSpec::Process::closed_loop;
  spec.arrival.concurrency = 2;
  const auto requests = generate_workload(spec, kVocab, kMaxPositions);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].arrives_on_finish, i >= 2) << i;
    if (i < 2) EXPECT_EQ(requests[i].arrival, 0.0);
  }
}

TEST(Workload, TraceSetsArrivalsAndLengths) {
  WorkloadSpec spec = spec_with(2, 2);
  spec.arrival.process = ArrivalSpec::Process::trace;
  spec.arrival.trace = {{0.5, 7, 3}, {1.25, 2, 9}, {4.0, 1, 1}};
  const auto requests = generate_workload(spec, kVocab, kMaxPositions);
  ASSERT_EQ(requests.size(), 2u) << "requests takes the trace's first lines";
  EXPECT_EQ(requests[0].arrival, 0.5);
  EXPECT_EQ(requests[0].prompt.size(), 7u);
  EXPECT_EQ(requests[0].max_output, 3);
  EXPECT_EQ(requests[1].arrival, 1.25);
  EXPECT_EQ(requests[1].prompt.size(), 2u);
  EXPECT_EQ(requests[1].max_output, 9);
}

TEST(Workload, DatasetLengthsDrawOnlyTheFilesValues) {
  LengthDist dist;
  dist.kind = LengthDist::Kind::dataset;
  dist.values = {5, 9, 9000};
  dist.max = 100;  // the clamp applies to dataset values too
  const std::vector<double> xs = draws(dist, 300);
  const std::set<double> seen(xs.begin(), xs.end());
  EXPECT_EQ(seen, (std::set<double>{5, 9, 100}));
}

TEST(Workload, SharedPrefixGroupsShareTheirFirstTokens) {
  WorkloadSpec spec = spec_with(6, 4);
  spec.prompt_len = fixed(5);
  spec.shared_prefix.groups = 3;
  spec.shared_prefix.length = 10;
  const auto requests = generate_workload(spec, kVocab, kMaxPositions);
  auto prefix = [&](size_t i) { return std::vector<int32_t>(requests[i].prompt.begin(), requests[i].prompt.begin() + 10); };
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].prompt.size(), 15u) << "prefix (10) + own prompt_len (5)";
    EXPECT_EQ(prefix(i), prefix(i % 3)) << "request " << i << " is in group " << i % 3;
  }
  EXPECT_NE(prefix(0), prefix(1));
  EXPECT_NE(prefix(1), prefix(2));
  EXPECT_NE(requests[0].prompt, requests[3].prompt) << "own tokens differ after the prefix";
}

TEST(Workload, SamplesShareThePromptWithConsecutiveIdsAndOwnSeeds) {
  WorkloadSpec spec = spec_with(3, 4);
  spec.n = 4;
  const auto requests = generate_workload(spec, kVocab, kMaxPositions);
  ASSERT_EQ(requests.size(), 12u);
  std::set<uint64_t> seeds;
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    EXPECT_EQ(r.id, int64_t(i));
    EXPECT_EQ(r.group, int64_t(i) / 4);
    EXPECT_EQ(r.sample_index, int64_t(i) % 4);
    EXPECT_EQ(r.n_samples, 4);
    EXPECT_EQ(r.prompt, requests[size_t(r.primary_id())].prompt);
    EXPECT_EQ(r.arrival, requests[size_t(r.primary_id())].arrival);
    seeds.insert(r.seed);
  }
  EXPECT_EQ(seeds.size(), 12u);
}

std::string workload_scenario(const std::string& workload) {
  return R"({"schema": "rooflm.scenario/1", "name": "w", "model": {"preset": "tiny"}, "workload": )" +
         workload + "}";
}

TEST(WorkloadFiles, TraceAndDatasetFilesLoadRelativeToTheScenario) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "trace.jsonl",
                        "{\"arrival\": 0, \"prompt_len\": 4, \"output_len\": 2}\n\n"
                        "{\"arrival\": 0.5, \"prompt_len\": 6, \"output_len\": 1}\n");
  test::write_text_file(dir.path() / "lengths.jsonl", "{\"out\": 3}\n{\"out\": 8}\n");
  const std::string origin = (dir.path() / "s.json").string();
  const Scenario traced = parse_scenario(workload_scenario(R"({"arrival": {"process": "trace", "file": "trace.jsonl"}})"), origin)[0];
  EXPECT_EQ(traced.workload.requests, 2) << "a trace alone sets the request count";
  ASSERT_EQ(traced.workload.arrival.trace.size(), 2u);
  EXPECT_EQ(traced.workload.arrival.trace[1].arrival, 0.5);
  EXPECT_EQ(traced.workload.arrival.trace[1].prompt_len, 6);
  const Scenario dataset = parse_scenario(
      workload_scenario(R"({"output_len": {"dist": "dataset", "file": "lengths.jsonl", "field": "out"}, "n": 2,
                            "shared_prefix": {"groups": 2, "length": 16},
                            "arrival": {"process": "gamma", "rate": 4, "cv": 3}})"), origin)[0];
  EXPECT_EQ(dataset.workload.output_len.values, (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(dataset.workload.n, 2);
  EXPECT_EQ(dataset.workload.shared_prefix.length, 16);
  EXPECT_EQ(dataset.workload.arrival.cv, 3);
  EXPECT_EQ(dataset.resolved["workload"]["arrival"]["cv"], 3);
}

TEST(WorkloadFiles, BadLinesNameTheFileLineAndField) {
  test::TempDir dir;
  test::write_text_file(dir.path() / "trace.jsonl",
                        "{\"arrival\": 1, \"prompt_len\": 4, \"output_len\": 2}\n"
                        "{\"arrival\": 2, \"prompt_len\": 0, \"output_len\": 2}\n");
  const std::string origin = (dir.path() / "s.json").string();
  try {
    parse_scenario(workload_scenario(R"({"arrival": {"process": "trace", "file": "trace.jsonl"}})"), origin);
    FAIL() << "a prompt_len of 0 must be rejected";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("workload.arrival.file"), std::string::npos) << message;
    EXPECT_NE(message.find("trace.jsonl:2"), std::string::npos) << message;
    EXPECT_NE(message.find("\"prompt_len\" must be an integer in [1, 134217728], got 0"), std::string::npos) << message;
  }
  EXPECT_THROW(parse_scenario(workload_scenario(R"({"arrival": {"process": "trace", "file": "missing.jsonl"}})"), origin),
               InputError);
  EXPECT_THROW(parse_scenario(workload_scenario(R"({"arrival": {"process": "gamma", "rate": 4}})"), origin), InputError)
      << "gamma needs cv";
}

TEST(WorkloadFiles, TextReadersNameTheirOrigin) {
  const std::vector<TraceEntry> trace =
      parse_arrival_trace("{\"arrival\": 0.25, \"prompt_len\": 3, \"output_len\": 5}\r\n\n", "t.jsonl");
  ASSERT_EQ(trace.size(), 1u);
  EXPECT_EQ(trace[0].arrival, 0.25);
  EXPECT_EQ(trace[0].prompt_len, 3);
  EXPECT_EQ(trace[0].output_len, 5);
  EXPECT_EQ(parse_length_dataset("{\"n\": 2}\n{\"n\": 7}", "d.jsonl", "n"), (std::vector<int64_t>{2, 7}));
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {" \n\t\n", "t.jsonl: no lines"},
           {"{\"n\": 1}\n[1]\n", "t.jsonl:2: each line must be a JSON object"},
           {"{\"n\": 0}", "t.jsonl:1: \"n\" must be an integer in [1, 134217728], got 0"},
           // found by the workload_files fuzz target: escaped as nlohmann's out_of_range
           {"{\"n\": 1}\n{\"n\": 1E+999}", "t.jsonl:2:7: number 1E+999 does not fit a double"}}) {
    try {
      parse_length_dataset(text, "t.jsonl", "n");
      ADD_FAILURE() << "accepted " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace rooflm
