// Structural check of a JSON document against a JSON Schema (the subset results/schema/*.json
// use: type, required, properties, patternProperties, additionalProperties, items, $ref to "#/$defs/<name>", enum,
// pattern, minimum, maximum, minItems, if/then/else). Used by the results reader
// (engine/results/results_reader.h) to validate results files against result.schema.json.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rooflm {

// Strings longer than this are not matched against a "pattern" (std::regex recurses per character):
// a longer string is a violation; a longer key matches no "patternProperties" pattern.
inline constexpr size_t kMaxPatternSubjectLength = 1024;

// Violations as "<JSON path>: <what>", e.g. "runs[0].summary.ttft_ms: missing required key \"p99\"";
// at most `max_violations` of them, in document order of the schema's keywords. Empty when `doc`
// conforms. Throws InputError for a schema keyword outside the subset (so a schema change cannot be
// silently ignored).
std::vector<std::string> json_schema_violations(const nlohmann::json& doc, const nlohmann::json& schema,
                                                size_t max_violations = 20);

}  // namespace rooflm
