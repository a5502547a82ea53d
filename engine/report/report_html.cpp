// HTML assembly of the report: inlined libraries, page code, style and data (see report_html.h).
#include "engine/report/report_html.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/source_dir.h"
#include "engine/report/report_data.h"
#include "engine/results/atomic_write.h"
#include "engine/results/results_reader.h"

namespace rooflm {

namespace {

std::string read_asset(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError("report asset '" + path.string() + "' is missing: run `npm ci` in " +
                     path.parent_path().string() + " (or tools/setup.sh's rooflm_install_web_deps)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Inside <script>, only "</script" (any case) ends the element early; "<\/script" means the same
// to JS (in strings, templates and regular expressions) and to JSON strings.
std::string script_safe(const std::string& code) {
  static const std::string closing = "</script";
  std::string out;
  out.reserve(code.size());
  for (size_t i = 0; i < code.size(); ++i) {
    bool closes = code.size() - i >= closing.size();
    for (size_t k = 0; closes && k < closing.size(); ++k)
      closes = std::tolower(static_cast<unsigned char>(code[i + k])) == closing[k];
    out += code[i];
    if (closes) out += '\\';
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

ReportAssets load_report_assets(const std::filesystem::path& web_dir) {
  const auto modules = web_dir / "node_modules";
  ReportAssets assets;
  assets.vega_js = read_asset(modules / "vega/build/vega.min.js");
  assets.vega_lite_js = read_asset(modules / "vega-lite/build/vega-lite.min.js");
  assets.vega_embed_js = read_asset(modules / "vega-embed/build/vega-embed.min.js");
  assets.report_js = read_asset(web_dir / "report.js");
  assets.report_css = read_asset(web_dir / "report.css");
  return assets;
}

ReportAssets load_report_assets() { return load_report_assets(source_dir() / "reports" / "web"); }

std::string render_report_html(const nlohmann::json& data, const ReportAssets& assets, const std::string& title) {
  std::ostringstream html;
  html << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title)
       << "</title>\n<style>\n" << assets.report_css << "</style>\n"
       << "<script>\n" << script_safe(assets.vega_js) << "\n</script>\n"
       << "<script>\n" << script_safe(assets.vega_lite_js) << "\n</script>\n"
       << "<script>\n" << script_safe(assets.vega_embed_js) << "\n</script>\n"
       << "</head>\n<body data-errors=\"0\">\n<h1>" << html_escape(title) << "</h1>\n"
       << "<nav id=\"links\"></nav>\n<pre id=\"errors\" hidden></pre>\n<div id=\"sections\"></div>\n"
       << "<script type=\"application/json\" id=\"rooflm-data\">" << script_safe(data.dump()) << "</script>\n"
       << "<script>\n" << script_safe(assets.report_js) << "\n</script>\n</body>\n</html>\n";
  return html.str();
}

void write_html_report(const std::vector<std::filesystem::path>& results_files, const std::filesystem::path& out,
                       const ReportOptions& options) {
  std::vector<NamedResults> files;
  std::string title = options.compare ? "rooflm comparison:" : "rooflm report:";
  for (const auto& path : results_files) {
    files.push_back({path.string(), read_results(path)});
    title += (options.compare && files.size() == 2 ? " vs " : " ") +
             files.back().doc.at("scenario").value("name", path.stem().string());
  }
  const nlohmann::json data = report_data(files, options);
  const ReportAssets assets = load_report_assets();
  write_text_atomic(out, render_report_html(data, assets, title));
}

void write_report_beside(const std::filesystem::path& results_json, std::ostream& log) {
  const auto out = results_json.parent_path() / "report.html";
  try {
    write_html_report({results_json}, out);
    log << "report: " << out.string() << "\n";
  } catch (const std::exception& e) {
    log << "report not written: " << e.what() << "\n";
  }
}

}  // namespace rooflm
