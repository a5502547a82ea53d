// `rooflm validate <scenario> [--set path=value]...`: parses and validates a scenario file and
// lists the variants its sweep expands to. Exit 0 when valid, 2 with the offending path otherwise.
#include <iostream>

#include "common/error.h"
#include "engine/backend/backend_factory.h"
#include "engine/model/step_program.h"
#include "engine/model/weights.h"
#include "engine/runtime/variant_run.h"
#include "engine/scenario/scenario.h"
#include "engine/scenario/workload_source.h"
#include "tools/cli/commands.h"

namespace rooflm {

void add_validate_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("validate", "Check a scenario file and list its variants");
  sub->add_option("scenario", *file, "Scenario file")->required();
  sub->add_option("--set", *sets, "Override a scenario value: path=value");
  sub->callback([file, sets] {
    const std::vector<Scenario> points = load_scenario(*file, *sets);
    // Each point against its model: unknown preset, bad config.json, lengths beyond max_positions, a
    // variant its recipe cannot build (a weight group size that does not divide a layer), planted
    // outliers beyond half the model's hidden channels -> exit 2.
    for (const Scenario& point : points) {
      const ModelConfig config = resolve_model_config(point.model);
      workload_for_model(point, config);
      synthetic_outlier_channels(config, point.model.seed, point.model.outliers);
      try {
        build_step_program(config, requested_variant(point.engine, point.engine.backend.value_or(BackendKind::cpu)));
      } catch (const InputError& e) {
        throw InputError(point.source.string() + ": model '" + config.name + "': " + e.what());
      }
    }
    std::cout << *file << ": ok, scenario \"" << points.front().name << "\", " << points.size()
              << " variant" << (points.size() == 1 ? "" : "s") << "\n";
    for (const auto& p : points) std::cout << "  " << variant_label(p.sweep_point) << "\n";
    if (const std::string source = workload_source_line(points.front().workload); !source.empty())
      std::cout << "workload: " << source << "\n";
  });
}

}  // namespace rooflm
