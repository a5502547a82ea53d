// Subcommand registration of the rooflm CLI: each add_*_command registers one subcommand on the
// app and gives it a callback. Errors are thrown (InputError -> exit 2, others -> exit 1).
#pragma once

#include <CLI/CLI.hpp>

namespace rooflm {

void add_run_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_list_command(CLI::App& app);
void add_roofline_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);
void add_calibrate_quant_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_gate_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_profile_command(CLI::App& app);
void add_export_command(CLI::App& app);

}  // namespace rooflm
