// results.json assembly: the document layout (the reader is results_reader.cpp).
#include "engine/results/results.h"

namespace rooflm {

nlohmann::json make_results(const nlohmann::json& environment, const nlohmann::json& scenario,
                            const std::vector<nlohmann::json>& runs) {
  return {{"schema", kResultSchema},
          {"environment", environment},
          {"scenario", scenario},
          {"runs", nlohmann::json(runs)}};
}

}  // namespace rooflm
