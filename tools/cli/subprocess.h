// Running another program from the CLI (`rooflm profile` runs ncu / nsys, which run rooflm): argv
// as given (no shell), stdout optionally into a file, stderr inherited; waits for it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rooflm {

// The exit status (128 + signal when killed). Throws std::runtime_error when it cannot be started.
int run_process(const std::vector<std::string>& argv, const std::optional<std::filesystem::path>& stdout_file = {});

// The full path of `program` on $PATH (or `program` itself when it holds a '/' and is
// executable); nullopt when there is none.
std::optional<std::filesystem::path> find_program(const std::string& program);

// `argv` as a line to paste into a POSIX shell (single-quoted where needed).
std::string shell_line(const std::vector<std::string>& argv);

// This executable (/proc/self/exe).
std::filesystem::path self_executable();

}  // namespace rooflm
