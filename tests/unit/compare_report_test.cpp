// Report views of results (engine/report): the condensed data (samples, phases on the roofline,
// thinned series), the Markdown and CSV tables, and the self-contained HTML page.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/error.h"
#include "engine/report/report_data.h"
#include "engine/report/report_html.h"
#include "engine/report/report_text.h"
#include "tests/unit/compare_synthetic_results.h"

namespace rooflm {
namespace {

nlohmann::json results_with_roofline() {
  test::SyntheticRunSpec spec;
  spec.n_steps = 3 * int64_t(kMaxReportPoints);  // more than the report keeps
  nlohmann::json doc = test::synthetic_results(spec);
  auto& run = doc["runs"][0];
  // decode phase: 2e12 FLOP in 4 s -> 0.5 TFLOP/s at intensity 1.5
  run["roofline"]["phases"] = {{"decode", {{"arithmetic_intensity", 1.5}, {"flops", 2e12}, {"measured_s", 4.0}, {"bound", "memory"}}}};
  run["roofline"]["ceilings"] = {{"datasheet", {{"bandwidth_bytes_per_s", 3.35e12}, {"flops_per_s", 9.894e14}}}, {"calibrated", nullptr}};
  run["kernels"] = {"gemv_f16", "attn_decode_splitk_f16"};
  run["summary"] = {{"ttft_ms", {{"p50", 100.0}, {"p99", 103.5}}}, {"tpot_ms", {{"p50", 20.0}, {"p99", 21.0}}},
                    {"itl_ms", {{"p99", 21.2}}}, {"e2e_ms", {{"p50", 160.0}, {"p99", 170.0}}},
                    {"throughput", {{"output_tok_s", 1234.5}, {"req_s", 2.0}}}, {"goodput_req_s", 1.5},
                    {"requests", {{"completed", 40}, {"failed", 0}}},
                    {"mbu", {{"decode", {{"datasheet", 0.71}}}}}, {"mfu", {{"prefill", {{"datasheet", 0.55}}}}}};
  run["variant"]["label"] = "kernels=fused, \"graph\"";  // a label CSV must quote
  return doc;
}

TEST(CompareReport, DataHasPhasesSamplesAndThinnedSteps) {
  const nlohmann::json data = report_data({{"a.json", results_with_roofline()}});
  const auto& run = data["files"][0]["runs"][0];
  ASSERT_EQ(run["phases"].size(), 1u);
  EXPECT_EQ(run["phases"][0]["phase"], "decode");
  EXPECT_DOUBLE_EQ(run["phases"][0]["achieved_flops_per_s"].get<double>(), 0.5e12);
  EXPECT_EQ(run["steps"].size(), kMaxReportPoints);
  EXPECT_EQ(run["samples"]["ttft_ms"].size(), 40u);
  const auto& ttft = run["samples"]["ttft_ms"];
  EXPECT_TRUE(std::is_sorted(ttft.begin(), ttft.end()));
  EXPECT_EQ(data["files"][0]["name"], "a.json");
}

TEST(CompareReport, MarkdownAndCsvRows) {
  const nlohmann::json data = report_data({{"a.json", results_with_roofline()}, {"b.json", results_with_roofline()}});
  const std::string md = render_report_markdown(data);
  EXPECT_NE(md.find("| file | variant | backend |"), std::string::npos);
  // the environment for people: no JSON quotes, an absent value said so
  EXPECT_NE(md.find("GPU NVIDIA H100 80GB HBM3, driver not recorded, CUDA not recorded, commit "), std::string::npos) << md;
  EXPECT_EQ(md.find("GPU \""), std::string::npos) << md;
  EXPECT_EQ(md.find("null"), std::string::npos) << md;
  EXPECT_NE(md.find("| a.json | kernels=fused, \"graph\" | sim | gemv_f16 attn_decode_splitk_f16 | 40 | 100.000 | 103.500 |"),
            std::string::npos) << md;
  const std::string csv = render_report_csv(data);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header + 2 runs
  EXPECT_NE(csv.find("a.json,\"kernels=fused, \"\"graph\"\"\",sim,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",1234.50,2.000,1.500,,,,,,0.710,0.550,,,yes\n"), std::string::npos) << csv;  // no accuracy, no energy
}

TEST(CompareReport, EnergyAndThrottledTelemetry) {
  nlohmann::json doc = results_with_roofline();
  doc["runs"][0]["summary"]["energy_j"] = 12.5;
  doc["runs"][0]["summary"]["tokens_per_j"] = 3.2;
  doc["runs"][0]["valid"] = false;
  doc["runs"][0]["invalid_reasons"] = {"GPU clocks throttled during the measured repetitions: sw_power_cap in 1 of 5 telemetry samples"};
  doc["runs"][0]["telemetry"] = {{"status", "sampled"}, {"throttled", true}, {"samples", {{"t", {0.0}}}}};
  const nlohmann::json data = report_data({{"a.json", doc}});
  const nlohmann::json& run = data["files"][0]["runs"][0];
  EXPECT_EQ(run["telemetry"], (nlohmann::json{{"status", "sampled"}, {"throttled", true}}));  // no series
  const std::string csv = render_report_csv(data);
  EXPECT_NE(csv.find(",0.710,0.550,12.500,3.200,no\n"), std::string::npos) << csv;
  EXPECT_NE(render_report_markdown(data).find("**INVALID** " + run.value("label", "") + ": GPU clocks throttled"), std::string::npos);
}

TEST(CompareReport, AccuracySitsBesideTheSpeed) {
  nlohmann::json doc = results_with_roofline();
  doc["runs"][0]["accuracy"] = {{"reference", "cpu fp32"}, {"tokens", 256}, {"sequences", 1},
                                {"logit_nmse", 1.25e-4}, {"top1_agreement", 0.984375}, {"kl_mean", 3.5e-5},
                                {"perplexity", 2100.5}, {"perplexity_reference", 2098.25}};
  const nlohmann::json data = report_data({{"a.json", doc}});
  EXPECT_EQ(data["files"][0]["runs"][0]["accuracy"], doc["runs"][0]["accuracy"]);
  const std::string csv = render_report_csv(data);
  EXPECT_NE(csv.find("goodput_req_s,logit_nmse,top1_agreement,kl_mean,perplexity,perplexity_reference,mbu_decode"),
            std::string::npos) << csv;
  EXPECT_NE(csv.find(",1.500,1.250e-04,0.9844,3.500e-05,2100.500,2098.250,0.710,"), std::string::npos) << csv;
}

TEST(CompareReport, HtmlInlinesEverythingAndKeepsScriptsClosedOnlyWhereMeant) {
  ReportAssets assets{"var vega = '</script>';", "var vegaLite = 1;", "var vegaEmbed = 2;", "/* page */", "body{}"};
  nlohmann::json doc = results_with_roofline();
  doc["scenario"]["name"] = "x</SCRIPT><b>";
  const std::string html = render_report_html(report_data({{"a.json", doc}}), assets, "rooflm report: <x>");
  EXPECT_NE(html.find("var vega = '<\\/script>';"), std::string::npos);
  EXPECT_NE(html.find("x<\\/SCRIPT><b>"), std::string::npos);
  EXPECT_NE(html.find("<title>rooflm report: &lt;x&gt;</title>"), std::string::npos);
  EXPECT_EQ(html.find("src=\""), std::string::npos);   // nothing loaded from elsewhere
  EXPECT_EQ(html.find("http://"), std::string::npos);
  size_t opened = 0, closed = 0;
  for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) ++opened;
  for (size_t at = html.find("</script>"); at != std::string::npos; at = html.find("</script>", at + 1)) ++closed;
  EXPECT_EQ(opened, 5u);  // three libraries, the data, the page code
  EXPECT_EQ(closed, 5u);
}

TEST(CompareReport, MissingAssetsNameTheFileAndTheInstallCommand) {
  try {
    load_report_assets("/nonexistent/web");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/web/node_modules/vega/build/vega.min.js"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("npm ci"), std::string::npos);
  }
}

}  // namespace
}  // namespace rooflm
