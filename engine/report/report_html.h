// Self-contained HTML report (`rooflm report a.json [b.json ...] -o report.html [--baseline LABEL]
// [--compare]`): one file that
// renders offline, with Vega, Vega-Lite and vega-embed (pinned in reports/web/package.json and
// package-lock.json, installed by `npm ci` there) and reports/web/report.{js,css} inlined.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/report/report_data.h"

namespace rooflm {

struct ReportAssets {
  std::string vega_js, vega_lite_js, vega_embed_js;  // minified libraries from node_modules
  std::string report_js, report_css;                 // the page's own code and style
};

// Reads the assets from `web_dir` (default: <source dir>/reports/web); throws InputError naming the
// missing file and the command that installs it (`npm ci` in reports/web).
ReportAssets load_report_assets(const std::filesystem::path& web_dir);
ReportAssets load_report_assets();

// The page: `data` is report_data(...); `title` goes to <title> and <h1>.
std::string render_report_html(const nlohmann::json& data, const ReportAssets& assets, const std::string& title);

// Reads the results files (results_reader.h: each validated first), renders the page and writes it
// to `out` atomically (creating its folder): a failure leaves no file.
// `options` as report_data's.
void write_html_report(const std::vector<std::filesystem::path>& results_files, const std::filesystem::path& out,
                       const ReportOptions& options = {});

// For `rooflm run`: writes report.html beside `results_json`. A missing asset (npm ci not run) or
// any other failure is only reported on `log`: the run's results stand without their report.
void write_report_beside(const std::filesystem::path& results_json, std::ostream& log);

}  // namespace rooflm
