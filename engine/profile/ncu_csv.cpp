// Nsight Compute raw CSV reader (ncu_csv.h).
#include "engine/profile/ncu_csv.h"

#include <charconv>
#include <optional>

#include "common/error.h"

namespace rooflm {
namespace {

// Lines of `text` (\n or \r\n), skipping blank ones and ncu's "==PROF==" / "==WARNING==" notes.
std::vector<std::string_view> csv_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.substr(0, 2) != "==") lines.push_back(line);
    at = end + 1;
  }
  return lines;
}

// A number as ncu prints it: "1,024", "3.072000", "-1.5e+03"; nullopt for anything else.
std::optional<double> ncu_number(const std::string& field) {
  std::string digits;
  digits.reserve(field.size());
  for (const char c : field)
    if (c != ',') digits.push_back(c);
  double v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

std::vector<NcuLaunch> parse_ncu_raw_csv(std::string_view text, const std::vector<std::string>& metrics,
                                         const std::string& what) {
  const std::vector<std::string_view> lines = csv_lines(text);
  if (lines.empty()) throw InputError(what + ": empty (no CSV header row): not ncu's --csv --page raw output");
  const std::vector<std::string> header = split_csv_line(lines[0]);
  int id_col = -1, kernel_col = -1;
  std::vector<std::pair<int, std::string>> metric_cols;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c] == "ID") id_col = int(c);
    if (header[c] == "Kernel Name") kernel_col = int(c);
    for (const std::string& m : metrics)
      if (header[c] == m) metric_cols.emplace_back(int(c), m);
  }
  if (id_col < 0 || kernel_col < 0)
    throw InputError(what + ": the header row has no \"ID\" or no \"Kernel Name\" column: not ncu's --csv --page raw output");
  std::vector<NcuLaunch> out;
  for (size_t r = 1; r < lines.size(); ++r) {
    const std::vector<std::string> f = split_csv_line(lines[r]);
    const std::string row = what + " row " + std::to_string(r + 1);
    if (f.size() != header.size())
      throw InputError(row + ": " + std::to_string(f.size()) + " fields, the header has " + std::to_string(header.size()));
    if (f[size_t(id_col)].empty()) continue;  // the units row
    const std::optional<double> id = ncu_number(f[size_t(id_col)]);
    if (!id) throw InputError(row + ": ID \"" + f[size_t(id_col)] + "\" is not a number");
    NcuLaunch launch;
    launch.id = int64_t(*id);
    launch.kernel = f[size_t(kernel_col)];
    for (const auto& [col, name] : metric_cols) {
      const std::string& field = f[size_t(col)];
      if (field.empty() || field == "n/a") continue;
      const std::optional<double> v = ncu_number(field);
      if (!v) throw InputError(row + ": " + name + " = \"" + field + "\" is not a number");
      launch.metrics[name] = *v;
    }
    out.push_back(std::move(launch));
  }
  return out;
}

}  // namespace rooflm
