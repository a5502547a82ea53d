// add_output_flags / add_output_file_option (see output_flags.h).
#include "tools/cli/output_flags.h"

#include <iostream>

namespace rooflm {

void add_output_flags(CLI::App* sub, OutputFlags& flags) {
  sub->add_flag("--quiet", flags.quiet, "Print only errors (stderr) and the path of the results file (stdout)");
  sub->add_flag("--no-progress", flags.no_progress, "No progress line on stderr");
}

CLI::Option* add_output_file_option(CLI::App* sub, std::string& file, const std::string& help) {
  CLI::Option* option = sub->add_option("-o,--output", file, help)->option_text("FILE");
  const std::string command = sub->get_name();
  sub->add_option_function<std::string>(
         "--out",
         [&file, command](const std::string& value) {
           std::cerr << "rooflm: warning: " << command << " --out FILE is now -o/--output FILE (--out names a folder,"
                     << " for run and profile)\n";
           file = value;
         },
         "Old spelling of -o/--output")
      ->group("");
  return option;
}

}  // namespace rooflm
