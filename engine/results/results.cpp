// results.json assembly: the document layout (the reader is results_reader.cpp).
#include "engine/results/results.h"

namespace rooflm {

nlohmann::json make_results(const nlohmann::json& environment, const nlohmann::json& scenario,
                            const std::vector<nlohmann::json>& runs,
                            const std::vector<nlohmann::json>& capacity) {
  nlohmann::json doc = {{"schema", kResultSchema},
                        {"environment", environment},
                        {"scenario", scenario},
                        {"runs", nlohmann::json(runs)}};
  if (!capacity.empty()) doc["capacity"] = nlohmann::json(capacity);
  return doc;
}

}  // namespace rooflm
