// Atomic output files: every file rooflm writes (results.json, calibration, reports, gate
// summaries, logits) goes through a temporary file in the same folder, fsync and a rename, so a
// reader sees the old file or the whole new one, and a failure leaves no partial or empty file.
#pragma once

#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rooflm {

// Writes `text` to `path` through `<path>.tmp.<pid>`; creates the folder. Throws
// std::runtime_error naming the path on failure (the temporary file is removed).
void write_text_atomic(const std::filesystem::path& path, std::string_view text);

// write_text_atomic of `doc` pretty-printed with a 2-space indent and a final newline.
void write_json_atomic(const std::filesystem::path& path, const nlohmann::json& doc);

}  // namespace rooflm
