// Tests of engine/metrics: percentiles, stats, request/step JSON and summarize() against
// hand-computed values. Run: build/tests/rooflm_unit_tests --gtest_filter='Metrics*'
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "engine/metrics/percentiles.h"
#include "engine/metrics/summary.h"
#include "engine/metrics/timeline.h"

namespace rooflm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTol = 1e-9;

RequestTimeline timeline(int64_t id, int64_t n_prompt, double arrival, double first_scheduled,
                         std::vector<double> token_times, double finish) {
  RequestTimeline request;
  request.id = id;
  request.n_prompt = n_prompt;
  request.n_output = int64_t(token_times.size());
  request.arrival = arrival;
  request.first_scheduled = first_scheduled;
  request.token_times = std::move(token_times);
  request.finish = finish;
  return request;
}

void expect_stats(const Stats& stats, int64_t count, double mean, double std, double min, double p50,
                  double p90, double p95, double p99, double max) {
  EXPECT_EQ(stats.count, count);
  EXPECT_NEAR(stats.mean, mean, kTol);
  EXPECT_NEAR(stats.std, std, kTol);
  EXPECT_NEAR(stats.min, min, kTol);
  EXPECT_NEAR(stats.percentile(50), p50, kTol);
  EXPECT_NEAR(stats.percentile(90), p90, kTol);
  EXPECT_NEAR(stats.percentile(95), p95, kTol);
  EXPECT_NEAR(stats.percentile(99), p99, kTol);
  EXPECT_NEAR(stats.max, max, kTol);
}

// Three requests, times in seconds (multiples of 1/8, exact in binary):
//   A: prompt 10, arrival 0,    scheduled 0.125, tokens 0.25 0.375 0.625,    finish 0.625
//   B: prompt 20, arrival 0.25, scheduled 0.25,  tokens 0.5 0.75,            finish 0.75
//   C: prompt 30, arrival 0.5,  scheduled 0.75,  tokens 1.0 1.125 1.25 1.75, finish 1.75
std::vector<RequestTimeline> three_requests() {
  return {timeline(0, 10, 0.0, 0.125, {0.25, 0.375, 0.625}, 0.625),
          timeline(1, 20, 0.25, 0.25, {0.5, 0.75}, 0.75),
          timeline(2, 30, 0.5, 0.75, {1.0, 1.125, 1.25, 1.75}, 1.75)};
}

TEST(MetricsStats, PercentilesOfOneToFour) {
  const std::vector<double> sorted = {1, 2, 3, 4};
  // rank = p/100 * (n-1) = p/100 * 3
  EXPECT_NEAR(percentile_sorted(sorted, 0), 1.0, kTol);
  EXPECT_NEAR(percentile_sorted(sorted, 50), 2.5, kTol);   // rank 1.5  -> 2 + 0.5*1
  EXPECT_NEAR(percentile_sorted(sorted, 90), 3.7, kTol);   // rank 2.7  -> 3 + 0.7*1
  EXPECT_NEAR(percentile_sorted(sorted, 99), 3.97, kTol);  // rank 2.97 -> 3 + 0.97*1
  EXPECT_NEAR(percentile_sorted(sorted, 100), 4.0, kTol);
}

TEST(MetricsStats, StatsOfOneToFourUnsorted) {
  // mean 2.5; deviations -1.5 -0.5 0.5 1.5 -> squares 2.25 0.25 0.25 2.25, sum 5, /4 = 1.25
  // population std = sqrt(1.25); p95: rank 2.85 -> 3.85
  const Stats stats = compute_stats({4, 1, 3, 2});
  expect_stats(stats, 4, 2.5, std::sqrt(1.25), 1, 2.5, 3.7, 3.85, 3.97, 4);
}

TEST(MetricsStats, SingleValue) {
  // one sample: every percentile is the sample, std 0
  expect_stats(compute_stats({7.5}), 1, 7.5, 0, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5);
  EXPECT_NEAR(percentile_sorted(std::vector<double>{7.5}, 90), 7.5, kTol);
}

TEST(MetricsStats, EmptyIsCountZeroAndNullJson) {
  const nlohmann::json json = compute_stats({}).to_json();
  EXPECT_EQ(json["count"], 0);
  for (const char* key : {"mean", "std", "min", "p50", "p90", "p95", "p99", "max"})
    EXPECT_TRUE(json.at(key).is_null()) << key;
}

TEST(MetricsStats, JsonHasEveryValue) {
  const nlohmann::json json = compute_stats({1, 2, 3, 4}).to_json();
  EXPECT_EQ(json["count"], 4);
  EXPECT_DOUBLE_EQ(json["mean"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(json["min"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(json["max"].get<double>(), 4.0);
  EXPECT_NEAR(json["p90"].get<double>(), 3.7, kTol);
  EXPECT_EQ(json.size(), 9u);
}

TEST(MetricsSummary, ThreeRequestsEveryStat) {
  const std::vector<RequestTimeline> requests = three_requests();
  const Summary summary = summarize(requests, SloSpec{});

  // TTFT ms: A 250, B 250, C 500. mean 1000/3; deviations -250/3 -250/3 500/3 ->
  // var = (2*62500/9 + 250000/9)/3 = 125000/9. p50 rank 1 -> 250; p90 rank 1.8 -> 250+0.8*250 = 450;
  // p95 rank 1.9 -> 475; p99 rank 1.98 -> 495.
  expect_stats(summary.ttft_ms, 3, 1000.0 / 3, std::sqrt(125000.0 / 9), 250, 250, 450, 475, 495, 500);
  // queue ms: A 125, B 0, C 250 -> sorted 0 125 250. mean 125; var (125^2+0+125^2)/3 = 31250/3;
  // p90 rank 1.8 -> 125+0.8*125 = 225; p95 -> 237.5; p99 -> 247.5.
  expect_stats(summary.queue_ms, 3, 125, std::sqrt(31250.0 / 3), 0, 125, 225, 237.5, 247.5, 250);
  // prefill ms: A 125, B 250, C 250. mean 625/3; deviations -250/3 125/3 125/3 ->
  // var = (62500 + 2*15625)/9/3 = 31250/9; every percentile >= p50 is 250.
  expect_stats(summary.prefill_ms, 3, 625.0 / 3, std::sqrt(31250.0 / 9), 125, 250, 250, 250, 250, 250);
  // E2E ms: A 625, B 500, C 1250 -> sorted 500 625 1250. mean 2375/3; deviations -875/3 -500/3
  // 1375/3 -> var = (765625 + 250000 + 1890625)/9/3 = 968750/9; p90 rank 1.8 -> 625+0.8*625 = 1125;
  // p95 -> 625+0.9*625 = 1187.5; p99 -> 625+0.98*625 = 1237.5.
  expect_stats(summary.e2e_ms, 3, 2375.0 / 3, std::sqrt(968750.0 / 9), 500, 625, 1125, 1187.5, 1237.5,
               1250);
  // TPOT ms: A (0.625-0.25)/2 = 187.5, B (0.75-0.5)/1 = 250, C (1.75-1.0)/3 = 250. mean 687.5/3;
  // deviations -125/3 62.5/3 62.5/3 -> var = (15625 + 2*3906.25)/9/3 = 7812.5/9.
  expect_stats(summary.tpot_ms, 3, 687.5 / 3, std::sqrt(7812.5 / 9), 187.5, 250, 250, 250, 250, 250);
  // ITL ms pooled: A 125 250, B 250, C 125 125 500 -> sorted 125 125 125 250 250 500 (n 6).
  // mean 1375/6; deviations -625/6 x3, 125/6 x2, 1625/6 -> var = (3*390625 + 2*15625 + 2640625)/36/6
  // = 3843750/216. rank = p/100*5: p50 2.5 -> 125+0.5*125 = 187.5; p90 4.5 -> 250+0.5*250 = 375;
  // p95 4.75 -> 437.5; p99 4.95 -> 487.5.
  expect_stats(summary.itl_ms, 6, 1375.0 / 6, std::sqrt(3843750.0 / 216), 125, 187.5, 375, 437.5, 487.5,
               500);

  // window: first arrival 0 -> last finish 1.75 = 1.75 s; output tokens 3+2+4 = 9;
  // total tokens 10+20+30 + 9 = 69.
  EXPECT_NEAR(summary.duration_s, 1.75, kTol);
  EXPECT_NEAR(summary.throughput.output_tok_s, 9 / 1.75, kTol);
  EXPECT_NEAR(summary.throughput.total_tok_s, 69 / 1.75, kTol);
  EXPECT_NEAR(summary.throughput.req_s, 3 / 1.75, kTol);
  EXPECT_EQ(summary.completed, 3);
  EXPECT_EQ(summary.failed, 0);
  // no SLO: every completed request meets it, goodput == req_s
  EXPECT_EQ(summary.slo_met, 3);
  EXPECT_NEAR(summary.goodput_req_s, summary.throughput.req_s, kTol);
}

TEST(MetricsSummary, GoodputAgainstTtftAndTpotSlo) {
  SloSpec slo;
  slo.ttft_ms = 300;
  slo.tpot_ms = 200;
  // A: TTFT 250 <= 300, TPOT 187.5 <= 200 -> met. B: TPOT 250 > 200. C: TTFT 500 > 300.
  const Summary summary = summarize(three_requests(), slo);
  EXPECT_EQ(summary.slo_met, 1);
  EXPECT_NEAR(summary.goodput_req_s, 1 / 1.75, kTol);
  EXPECT_NEAR(summary.throughput.req_s, 3 / 1.75, kTol);  // throughput ignores SLOs
  // token goodput: A's 3 output tokens over the same window
  EXPECT_EQ(summary.slo_met_output_tokens, 3);
  EXPECT_NEAR(summary.goodput_tok_s, 3 / 1.75, kTol);
  EXPECT_NEAR(summary.to_json()["goodput_tok_s"].get<double>(), 3 / 1.75, kTol);
}

TEST(MetricsSummary, SloFlagsPerLimit) {
  SloSpec slo;
  slo.ttft_ms = 300;
  slo.tpot_ms = 200;
  const std::vector<RequestTimeline> r = three_requests();
  const SloFlags b = slo_flags(r[1], slo);  // TTFT 250 met, TPOT 250 missed, no E2E limit
  EXPECT_EQ(b.ttft, std::optional<bool>(true));
  EXPECT_EQ(b.tpot, std::optional<bool>(false));
  EXPECT_FALSE(b.e2e.has_value());
  EXPECT_FALSE(b.all());
  EXPECT_TRUE(slo_flags(r[0], slo).all());
  const SloFlags none = slo_flags(r[2], SloSpec{});
  EXPECT_FALSE(none.ttft || none.tpot || none.e2e);
  EXPECT_TRUE(none.all());
}

TEST(MetricsSummary, ChosenPercentilesAreTheKeys) {
  const std::vector<double> chosen = {50, 99.9};
  const Summary summary = summarize(three_requests(), SloSpec{}, chosen);
  // TTFT samples 250, 250, 500: p99.9 at rank 1.998 -> 250 + 0.998 * 250
  EXPECT_NEAR(summary.ttft_ms.percentile(99.9), 499.5, kTol);
  EXPECT_NEAR(summary.ttft_ms.percentile(50), 250, kTol);
  EXPECT_THROW(summary.ttft_ms.percentile(99), std::logic_error);
  const nlohmann::json ttft = summary.to_json()["ttft_ms"];
  EXPECT_NEAR(ttft["p99.9"].get<double>(), 499.5, kTol);
  EXPECT_TRUE(ttft.contains("p50"));
  EXPECT_FALSE(ttft.contains("p90"));
  EXPECT_FALSE(ttft.contains("p99"));
}

TEST(MetricsPercentiles, NamesAndListProblems) {
  EXPECT_EQ(percentile_name(50), "p50");
  EXPECT_EQ(percentile_name(99.9), "p99.9");
  EXPECT_EQ(percentile_name(99.999), "p99.999");
  EXPECT_EQ(percentile_name(0.5), "p0.5");
  const auto problem = [](std::vector<double> v) { return percentile_list_problem(v); };
  EXPECT_EQ(problem({50, 90, 95, 99, 99.9}), "");
  EXPECT_NE(problem({}).find("is empty"), std::string::npos);
  EXPECT_NE(problem({50, 100}).find("holds 100, outside (0, 100)"), std::string::npos);
  EXPECT_NE(problem({0, 50}).find("holds 0, outside (0, 100)"), std::string::npos);
  EXPECT_NE(problem({50, 50}).find("holds 50 twice"), std::string::npos);
  EXPECT_NE(problem({99.9999}).find("more than 3 decimals"), std::string::npos);
  EXPECT_NE(problem(std::vector<double>(33, 1.0)).find("more than the limit of 32"), std::string::npos);
}

TEST(MetricsSummary, GoodputAgainstE2eSloIsInclusive) {
  SloSpec slo;
  slo.e2e_ms = 625;
  // E2E: A 625 (== limit, met), B 500 (met), C 1250 (missed) -> 2 / 1.75 s
  const Summary summary = summarize(three_requests(), slo);
  EXPECT_EQ(summary.slo_met, 2);
  EXPECT_NEAR(summary.goodput_req_s, 2 / 1.75, kTol);
}

TEST(MetricsSummary, OneOutputTokenHasNoTpotNorItl) {
  // prompt 8, arrival 0, scheduled 0.125, one token at 0.5, finish 0.5
  const std::vector<RequestTimeline> requests = {timeline(0, 8, 0.0, 0.125, {0.5}, 0.5)};
  SloSpec slo;
  slo.tpot_ms = 1;  // no TPOT: met vacuously
  const Summary summary = summarize(requests, slo);
  EXPECT_EQ(summary.tpot_ms.count, 0);
  EXPECT_EQ(summary.itl_ms.count, 0);
  expect_stats(summary.ttft_ms, 1, 500, 0, 500, 500, 500, 500, 500, 500);       // 0.5 - 0
  expect_stats(summary.queue_ms, 1, 125, 0, 125, 125, 125, 125, 125, 125);      // 0.125 - 0
  expect_stats(summary.prefill_ms, 1, 375, 0, 375, 375, 375, 375, 375, 375);    // 0.5 - 0.125
  EXPECT_EQ(summary.slo_met, 1);
  EXPECT_NEAR(summary.goodput_req_s, 1 / 0.5, kTol);  // window 0 -> 0.5
  EXPECT_NEAR(summary.throughput.total_tok_s, 9 / 0.5, kTol);  // 8 prompt + 1 output
}

TEST(MetricsSummary, ItlIsPooledPerToken) {
  // 5 tokens -> 4 gaps of 0.25 s; a second request with one token adds none.
  const std::vector<RequestTimeline> requests = {
      timeline(0, 4, 0.0, 0.0, {0.25, 0.5, 0.75, 1.0, 1.25}, 1.25),
      timeline(1, 4, 0.0, 0.0, {0.5}, 0.5)};
  const Summary summary = summarize(requests, SloSpec{});
  EXPECT_EQ(summary.itl_ms.count, 4);
  EXPECT_NEAR(summary.itl_ms.mean, 250, kTol);
  EXPECT_EQ(summary.tpot_ms.count, 1);  // (1.25 - 0.25) / 4 = 0.25 s
  EXPECT_NEAR(summary.tpot_ms.mean, 250, kTol);
}

TEST(MetricsSummary, FailedRequestCountedNotMeasured) {
  std::vector<RequestTimeline> requests = three_requests();
  RequestTimeline failed = timeline(3, 40, 0.0, 0.0, {4.0, 4.5}, 5.0);
  failed.failed = true;
  requests.push_back(failed);
  const Summary summary = summarize(requests, SloSpec{});
  EXPECT_EQ(summary.completed, 3);
  EXPECT_EQ(summary.failed, 1);
  EXPECT_EQ(summary.ttft_ms.count, 3);
  EXPECT_NEAR(summary.ttft_ms.max, 500, kTol);   // the failed one's 4000 ms is not there
  EXPECT_EQ(summary.itl_ms.count, 6);            // nor its 500 ms gap
  EXPECT_NEAR(summary.duration_s, 1.75, kTol);   // nor its finish at 5.0 in the window
  EXPECT_NEAR(summary.throughput.output_tok_s, 9 / 1.75, kTol);
  EXPECT_EQ(summary.to_json()["requests"]["failed"], 1);
}

TEST(MetricsSummary, ZeroCompletedIsEmptyAndValidJson) {
  RequestTimeline unfinished = timeline(0, 4, 0.0, kNaN, {}, kNaN);
  RequestTimeline failed = timeline(1, 4, 0.0, 0.25, {0.5}, kNaN);
  failed.failed = true;
  const std::vector<RequestTimeline> requests = {unfinished, failed};
  const Summary summary = summarize(requests, SloSpec{});
  EXPECT_EQ(summary.completed, 0);
  EXPECT_EQ(summary.failed, 1);
  EXPECT_EQ(summary.duration_s, 0);
  EXPECT_EQ(summary.throughput.output_tok_s, 0);
  EXPECT_EQ(summary.throughput.total_tok_s, 0);
  EXPECT_EQ(summary.throughput.req_s, 0);
  EXPECT_EQ(summary.goodput_req_s, 0);

  const nlohmann::json json = summary.to_json();
  for (const char* metric : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "queue_ms", "prefill_ms"}) {
    EXPECT_EQ(json[metric]["count"], 0) << metric;
    EXPECT_TRUE(json[metric]["p50"].is_null()) << metric;
  }
  const std::string text = json.dump();
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_EQ(text.find("nan"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text), json);  // round-trips as valid JSON
}

TEST(MetricsSummary, JsonHasContractKeys) {
  SloSpec slo;
  slo.ttft_ms = 300;
  const nlohmann::json json = summarize(three_requests(), slo).to_json();
  for (const char* key : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "queue_ms", "prefill_ms",
                          "throughput", "goodput_req_s", "duration_s", "requests"})
    EXPECT_TRUE(json.contains(key)) << key;
  EXPECT_NEAR(json["throughput"]["output_tok_s"].get<double>(), 9 / 1.75, kTol);
  EXPECT_NEAR(json["throughput"]["total_tok_s"].get<double>(), 69 / 1.75, kTol);
  EXPECT_NEAR(json["throughput"]["req_s"].get<double>(), 3 / 1.75, kTol);
  EXPECT_NEAR(json["goodput_req_s"].get<double>(), 2 / 1.75, kTol);  // A and B have TTFT 250 <= 300
  EXPECT_EQ(json["requests"]["completed"], 3);
  EXPECT_EQ(json["requests"]["failed"], 0);
  EXPECT_EQ(json["requests"]["slo_met"], 2);
  EXPECT_NEAR(json["ttft_ms"]["p90"].get<double>(), 450, kTol);
}

TEST(MetricsTimeline, RequestJsonWritesNaNAsNull) {
  RequestTimeline request = timeline(7, 12, 0.5, kNaN, {}, kNaN);
  request.failed = true;
  request.preemptions = 2;
  const nlohmann::json json = request.to_json();
  EXPECT_EQ(json["id"], 7);
  EXPECT_EQ(json["n_prompt"], 12);
  EXPECT_EQ(json["n_output"], 0);
  EXPECT_DOUBLE_EQ(json["arrival"].get<double>(), 0.5);
  EXPECT_TRUE(json["first_scheduled"].is_null());
  EXPECT_TRUE(json["first_token"].is_null());
  EXPECT_TRUE(json["finish"].is_null());
  EXPECT_TRUE(json["token_times"].is_array());
  EXPECT_TRUE(json["token_times"].empty());
  EXPECT_EQ(json["failed"], true);
  EXPECT_EQ(json["preemptions"], 2);
  EXPECT_EQ(json.dump().find("NaN"), std::string::npos);
}

TEST(MetricsTimeline, RequestJsonOfFinishedRequest) {
  const nlohmann::json json = three_requests()[2].to_json();
  EXPECT_DOUBLE_EQ(json["first_scheduled"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(json["first_token"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(json["finish"].get<double>(), 1.75);
  EXPECT_EQ(json["token_times"], nlohmann::json({1.0, 1.125, 1.25, 1.75}));
  EXPECT_EQ(json["failed"], false);
  EXPECT_EQ(json.size(), 10u);
}

TEST(MetricsTimeline, StepJsonHasEveryFieldAndSeconds) {
  StepRecord step;
  step.index = 3;
  step.start = 1.25;
  step.end = 1.75;
  step.n_seqs = 4;
  step.n_prefill_tokens = 100;
  step.n_decode_tokens = 3;
  step.idle_slots = 1;
  step.kv_used_tokens = 500;
  step.kv_reserved_tokens = 600;
  step.kv_capacity_tokens = 1024;
  step.context_tokens = 700;
  const nlohmann::json json = step.to_json();
  EXPECT_EQ(json["index"], 3);
  EXPECT_DOUBLE_EQ(json["start"].get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(json["end"].get<double>(), 1.75);
  EXPECT_DOUBLE_EQ(json["seconds"].get<double>(), 0.5);  // 1.75 - 1.25
  EXPECT_EQ(json["n_seqs"], 4);
  EXPECT_EQ(json["n_prefill_tokens"], 100);
  EXPECT_EQ(json["n_decode_tokens"], 3);
  EXPECT_EQ(json["idle_slots"], 1);
  EXPECT_EQ(json["kv_used_tokens"], 500);
  EXPECT_EQ(json["kv_reserved_tokens"], 600);
  EXPECT_EQ(json["kv_capacity_tokens"], 1024);
  EXPECT_EQ(json["context_tokens"], 700);
  EXPECT_EQ(json["live_seqs"], 0);
  EXPECT_EQ(json["prefix_query_tokens"], 0);
  EXPECT_EQ(json["prefix_hit_tokens"], 0);
  EXPECT_TRUE(json["device_seconds"].is_null()) << "not measured on this step";
  EXPECT_TRUE(json["host_overhead_seconds"].is_null());
  step.device_seconds = 0.375;
  EXPECT_DOUBLE_EQ(step.to_json()["host_overhead_seconds"].get<double>(), 0.125);  // 0.5 - 0.375
  EXPECT_EQ(json.size(), 17u);
}

}  // namespace
}  // namespace rooflm
