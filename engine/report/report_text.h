// Text views of the report data (report_data.h): Markdown for PR comments (`rooflm report
// --format md`) and CSV, one row per run (`--format csv`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rooflm {

std::string render_report_markdown(const nlohmann::json& data);
std::string render_report_csv(const nlohmann::json& data);

}  // namespace rooflm
