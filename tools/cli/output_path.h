// Checks that an output path can be written BEFORE a command does its work, so that a typo in
// --out costs an exit 2 at once rather than a finished measurement thrown away. Nothing is left
// behind: a folder that does not exist yet is not created (its nearest existing ancestor is probed).
#pragma once

#include <filesystem>
#include <string>

namespace rooflm {

// `folder` (or, when it does not exist yet, its nearest existing ancestor) must be a folder in
// which a file can be created. Throws InputError "<option> <folder>: <why>".
void require_writable_folder(const std::filesystem::path& folder, const std::string& option);

// The folder of `file` as above, and `file` itself must not be a folder.
void require_writable_file(const std::filesystem::path& file, const std::string& option);

}  // namespace rooflm
