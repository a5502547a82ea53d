// The flags that mean the same on every command that has them:
//   --quiet        only errors (stderr) and the final path line (stdout): no table, no progress
//   --no-progress  no progress line on stderr; everything else as usual
//   --out DIR      a folder (run, profile); a single-file output is always -o/--output FILE
// A command whose file option used to be spelled --out (calibrate, calibrate-quant, report) still
// takes it, with a warning naming -o/--output (output_file_option).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace rooflm {

struct OutputFlags {
  bool quiet = false;
  bool no_progress = false;
  bool progress() const { return !quiet && !no_progress; }
};

// Adds --quiet and --no-progress to `sub`.
void add_output_flags(CLI::App* sub, OutputFlags& flags);

// Adds -o/--output FILE (`help` says what the file is), and the old spelling --out FILE, hidden,
// which sets the same string and warns on stderr that it is now -o/--output.
CLI::Option* add_output_file_option(CLI::App* sub, std::string& file, const std::string& help);

}  // namespace rooflm
