// `rooflm calibrate-quant <scenario> -o/--output scales.json [--alpha A] [--sequences N] [--tokens N]
//  [--seed S] [--set path=value]...`: SmoothQuant calibration of the scenario's model on the cpu
// reference (engine/runtime/quant_calibration.h), written atomically as a rooflm.quant_scales/1
// file (engine/model/quant_scales.h) that a scenario's quant.scales names. The flags are the
// scenario's quant.alpha and quant.calibration.{sequences, tokens, seed} (checked with the same
// bounds). A sweep may vary anything but the model and engine.kernels (one file serves them all).
// Exit 0; 2 for bad input (nothing written); 130 / 143 when interrupted (nothing written).
#include <algorithm>
#include <iostream>

#include "common/error.h"
#include "engine/results/atomic_write.h"
#include "engine/runtime/interrupt.h"
#include "engine/runtime/quant_calibration.h"
#include "engine/scenario/scenario.h"
#include "tools/cli/commands.h"
#include "tools/cli/output_flags.h"
#include "tools/cli/output_path.h"

namespace rooflm {
namespace {

struct CalibrateQuantArgs {
  std::string scenario, out, alpha, sequences, tokens, seed;
  std::vector<std::string> sets;
};

void calibrate_quant_command(const CalibrateQuantArgs& a) {
  if (a.out.empty()) throw InputError("calibrate-quant: -o/--output FILE is required (the scales file to write)");
  std::vector<std::string> overrides = a.sets;
  const std::pair<const std::string*, const char*> flags[] = {{&a.alpha, "quant.alpha"},
                                                              {&a.sequences, "quant.calibration.sequences"},
                                                              {&a.tokens, "quant.calibration.tokens"},
                                                              {&a.seed, "quant.calibration.seed"}};
  for (const auto& [value, path] : flags)
    if (!value->empty()) overrides.push_back(std::string(path) + "=" + *value);
  const std::vector<Scenario> points = load_scenario(a.scenario, overrides);
  const Scenario& first = points.front();
  for (const Scenario& p : points)
    if (p.resolved["model"] != first.resolved["model"] || p.engine.kernels != first.engine.kernels ||
        p.quant.alpha != first.quant.alpha)
      throw InputError(a.scenario + ": the sweep varies the model, engine.kernels or quant.alpha (point \"" +
                       p.sweep_point.dump() + "\"): one scales file is for one model, kernel set and alpha");
  require_writable_file(a.out, "--output");  // before the calibration, not after it

  const InterruptScope interrupt_scope;
  std::cerr << "calibrating: " << first.quant.calibration.sequences << " sequences x " << first.quant.calibration.tokens
            << " tokens on the cpu reference\n";
  const QuantScales scales = calibrate_quant(first);
  throw_if_interrupted();
  write_text_atomic(a.out, scales.to_json().dump() + "\n");
  double largest = 0;
  for (const OpQuantScales& op : scales.ops) largest = std::max(largest, op.smoothed_absmax);
  std::cout << "calibrated model '" << scales.model.at("name").get<std::string>() << "' (kernels "
            << name(scales.kernels) << ", alpha " << scales.alpha << ") on " << scales.sequences << " x "
            << scales.tokens << " tokens: " << scales.ops.size() << " linear ops, largest smoothed input absmax "
            << largest << "\nscales: " << a.out << "\n";
}

}  // namespace

void add_calibrate_quant_command(CLI::App& app) {
  auto a = std::make_shared<CalibrateQuantArgs>();
  CLI::App* sub = app.add_subcommand(
      "calibrate-quant",
      "SmoothQuant calibration on the cpu reference: smoothing factors and static activation scales");
  sub->add_option("scenario", a->scenario, "Scenario file (its model, engine.kernels and quant section)")->required();
  add_output_file_option(sub, a->out, "Scales file to write (rooflm.quant_scales/1); required");
  sub->add_option("--alpha", a->alpha, "Migration strength in [0, 1] (quant.alpha, default 0.5)");
  sub->add_option("--sequences", a->sequences, "Calibration sequences (quant.calibration.sequences, default 8)");
  sub->add_option("--tokens", a->tokens, "Tokens per sequence (quant.calibration.tokens, default 128)");
  sub->add_option("--seed", a->seed, "Seed of the sequences (quant.calibration.seed, default 0)");
  sub->add_option("--set", a->sets, "Override a scenario value: path=value (JSON value or string)");
  sub->callback([a] { calibrate_quant_command(*a); });
}

}  // namespace rooflm
