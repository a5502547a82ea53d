// rooflm command-line tool. `rooflm --help` lists the subcommands; `rooflm <cmd> --help` each one;
// `rooflm --version` the version, the commit compiled in and the build type.
// Exit codes: 0 success; 1 the run failed (gate: a regression); 2 bad input (usage, scenario, model,
// weights or results file; gate: also a pair it cannot compare); 3 gate itself failed (an internal
// error); 130 / 143 a run stopped by SIGINT / SIGTERM (nothing written).
#include <iostream>

#include "common/error.h"
#include "engine/results/build_info.h"
#include "engine/runtime/interrupt.h"
#include "tools/cli/commands.h"
#if ROOFLM_HAVE_CUDA
#include "engine/backend/cuda/cuda_register.h"
#endif

int main(int argc, char** argv) {
#if ROOFLM_HAVE_CUDA
  rooflm::use_cuda_backend();
#endif
  CLI::App app{"rooflm: LLM inference benchmarking against the roofline"};
  app.set_version_flag("--version", rooflm::version_text(), "Print the version, the commit compiled in and the build type");
  app.require_subcommand(0, 1);  // none: only with --version (CLI11 checks a required one before the flag)
  rooflm::add_run_command(app);
  rooflm::add_validate_command(app);
  rooflm::add_list_command(app);
  rooflm::add_roofline_command(app);
  rooflm::add_calibrate_command(app);
  rooflm::add_calibrate_quant_command(app);
  rooflm::add_generate_command(app);
  rooflm::add_compare_command(app);
  rooflm::add_gate_command(app);
  rooflm::add_report_command(app);
  rooflm::add_profile_command(app);
  rooflm::add_export_command(app);
  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) throw CLI::RequiredError("A subcommand");
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return rooflm::kExitBadInput;
  } catch (const rooflm::Interrupted& e) {
    std::cerr << "\nrooflm: " << e.what() << "\n";
    return e.exit_code();
  } catch (const rooflm::InputError& e) {
    std::cerr << "rooflm: error: " << e.what() << "\n";
    return rooflm::kExitBadInput;
  } catch (const rooflm::ToolFailure& e) {
    std::cerr << "rooflm: internal error: " << e.what() << "\n";
    return rooflm::kExitToolFailed;
  } catch (const std::exception& e) {
    std::cerr << "rooflm: run failed: " << e.what() << "\n";
    return rooflm::kExitRunFailed;
  }
  return rooflm::kExitOk;
}
