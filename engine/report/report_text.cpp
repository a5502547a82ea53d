// Markdown and CSV views of the report data: the variant comparison table of the HTML report.
#include "engine/report/report_text.h"

#include <cstdio>
#include <sstream>
#include <vector>

namespace rooflm {

namespace {

std::string number(const nlohmann::json& v, int decimals) {
  if (!v.is_number()) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v.get<double>());
  return buf;
}

// Scientific notation for values spanning decades (NMSE, KL): 3 significant decimals.
std::string scientific(const nlohmann::json& v) {
  if (!v.is_number()) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3e", v.get<double>());
  return buf;
}

// runs[i].accuracy's `key`, or null (runs without an accuracy evaluation).
const nlohmann::json& accuracy(const nlohmann::json& run, const char* key) {
  static const nlohmann::json null_value;
  if (!run.contains("accuracy") || !run["accuracy"].is_object() || !run["accuracy"].contains(key)) return null_value;
  return run["accuracy"][key];
}

const nlohmann::json& stat(const nlohmann::json& summary, const char* metric, const char* key) {
  static const nlohmann::json null_value;
  if (!summary.contains(metric) || !summary[metric].is_object() || !summary[metric].contains(key)) return null_value;
  return summary[metric][key];
}

// Datasheet MBU/MFU of one phase, or null.
const nlohmann::json& utilization(const nlohmann::json& summary, const char* kind, const char* phase) {
  static const nlohmann::json null_value;
  const auto& u = summary.value(kind, nlohmann::json());
  if (!u.is_object() || !u.contains(phase) || !u[phase].contains("datasheet")) return null_value;
  return summary[kind][phase]["datasheet"];
}

struct Column {
  std::string header;
  std::string (*value)(const nlohmann::json& file, const nlohmann::json& run);
};

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

const std::vector<Column>& columns() {
  static const std::vector<Column> cols = {
      {"file", [](const nlohmann::json& f, const nlohmann::json&) { return f.value("name", ""); }},
      {"variant", [](const nlohmann::json&, const nlohmann::json& r) { return r.value("label", ""); }},
      {"backend", [](const nlohmann::json&, const nlohmann::json& r) { return r["variant"].value("backend", ""); }},
      {"kernels", [](const nlohmann::json&, const nlohmann::json& r) {
         std::string out;
         for (const auto& k : r["kernels"]) out += (out.empty() ? "" : " ") + k.get<std::string>();
         return out;
       }},
      {"completed", [](const nlohmann::json&, const nlohmann::json& r) { return r["summary"]["requests"]["completed"].dump(); }},
      {"ttft_p50_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "ttft_ms", "p50"), 3); }},
      {"ttft_p99_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "ttft_ms", "p99"), 3); }},
      {"tpot_p50_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "tpot_ms", "p50"), 3); }},
      {"tpot_p99_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "tpot_ms", "p99"), 3); }},
      {"itl_p99_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "itl_ms", "p99"), 3); }},
      {"e2e_p50_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "e2e_ms", "p50"), 3); }},
      {"e2e_p99_ms", [](const nlohmann::json&, const nlohmann::json& r) { return number(stat(r["summary"], "e2e_ms", "p99"), 3); }},
      {"output_tok_s", [](const nlohmann::json&, const nlohmann::json& r) { return number(r["summary"]["throughput"]["output_tok_s"], 2); }},
      {"req_s", [](const nlohmann::json&, const nlohmann::json& r) { return number(r["summary"]["throughput"]["req_s"], 3); }},
      {"goodput_req_s", [](const nlohmann::json&, const nlohmann::json& r) { return number(r["summary"]["goodput_req_s"], 3); }},
      {"logit_nmse", [](const nlohmann::json&, const nlohmann::json& r) { return scientific(accuracy(r, "logit_nmse")); }},
      {"top1_agreement", [](const nlohmann::json&, const nlohmann::json& r) { return number(accuracy(r, "top1_agreement"), 4); }},
      {"kl_mean", [](const nlohmann::json&, const nlohmann::json& r) { return scientific(accuracy(r, "kl_mean")); }},
      {"perplexity", [](const nlohmann::json&, const nlohmann::json& r) { return number(accuracy(r, "perplexity"), 3); }},
      {"perplexity_reference", [](const nlohmann::json&, const nlohmann::json& r) { return number(accuracy(r, "perplexity_reference"), 3); }},
      {"mbu_decode", [](const nlohmann::json&, const nlohmann::json& r) { return number(utilization(r["summary"], "mbu", "decode"), 3); }},
      {"mfu_prefill", [](const nlohmann::json&, const nlohmann::json& r) { return number(utilization(r["summary"], "mfu", "prefill"), 3); }},
      {"energy_j", [](const nlohmann::json&, const nlohmann::json& r) { return number(r["summary"].value("energy_j", nlohmann::json()), 3); }},
      {"tokens_per_j", [](const nlohmann::json&, const nlohmann::json& r) { return number(r["summary"].value("tokens_per_j", nlohmann::json()), 3); }},
      {"valid", [](const nlohmann::json&, const nlohmann::json& r) { return std::string(r.value("valid", true) ? "yes" : "no"); }},
  };
  return cols;
}


// An environment value for people: a string as it is, a number as text, absent or null "not recorded".
std::string env_text(const nlohmann::json& environment, const char* key) {
  const nlohmann::json value = environment.is_object() ? environment.value(key, nlohmann::json()) : nlohmann::json();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "not recorded";
  return value.dump();
}

// "bdf7e4bcdb9b", "bdf7e4bcdb9b (with uncommitted changes)", or "not recorded".
std::string commit_text(const nlohmann::json& environment) {
  std::string commit = env_text(environment, "git_commit");
  if (commit.size() == 40) commit.resize(12);
  if (environment.is_object() && environment.value("git_dirty", false)) commit += " (with uncommitted changes)";
  return commit;
}

}  // namespace

std::string render_report_markdown(const nlohmann::json& data) {
  std::ostringstream md;
  md << "## rooflm report\n\n";
  for (const auto& f : data["files"]) {
    const nlohmann::json& env = f["environment"];
    md << "- `" << f.value("name", "") << "`: scenario **" << f["scenario"].value("name", "") << "**, GPU "
       << env_text(env, "gpu") << ", driver " << env_text(env, "driver") << ", CUDA " << env_text(env, "cuda")
       << ", commit " << commit_text(env) << "\n";
  }
  md << "\nTimes in ms; MBU/MFU against the datasheet peak; accuracy (logit NMSE, top-1 agreement, mean KL in nats, "
        "perplexity) against each run's reference precision, blank where not evaluated; energy (J) and output tokens per "
        "joule from GPU telemetry, blank where not measured.\n\n|";
  for (const auto& c : columns()) md << " " << c.header << " |";
  md << "\n|";
  for (size_t i = 0; i < columns().size(); ++i) md << (i < 4 ? "---|" : "---:|");
  md << "\n";
  for (const auto& f : data["files"])
    for (const auto& r : f["runs"]) {
      md << "|";
      for (const auto& c : columns()) md << " " << c.value(f, r) << " |";
      md << "\n";
    }
  for (const auto& f : data["files"])
    for (const auto& r : f["runs"])
      for (const auto& reason : r["invalid_reasons"])
        md << "\n**INVALID** " << r.value("label", "") << ": " << reason.get<std::string>() << "\n";
  return md.str();
}

std::string render_report_csv(const nlohmann::json& data) {
  std::ostringstream csv;
  for (size_t i = 0; i < columns().size(); ++i) csv << (i ? "," : "") << columns()[i].header;
  csv << "\n";
  for (const auto& f : data["files"])
    for (const auto& r : f["runs"]) {
      for (size_t i = 0; i < columns().size(); ++i) csv << (i ? "," : "") << csv_field(columns()[i].value(f, r));
      csv << "\n";
    }
  return csv.str();
}

}  // namespace rooflm
