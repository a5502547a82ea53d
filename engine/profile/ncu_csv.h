// Nsight Compute's raw page as CSV (`ncu --import REPORT --csv --page raw --print-units base`): one
// header row of column names ("ID", "Kernel Name", ..., metric names such as
// "dram__bytes_read.sum"), one row of units ("", ..., "byte", "ns", "%"), then one row per profiled
// kernel launch. Quoted fields; numbers may carry thousands separators ("1,024"). Read into one
// record per launch with the metrics asked for, in base units.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rooflm {

struct NcuLaunch {
  int64_t id = 0;      // ncu's launch ID
  std::string kernel;  // "Kernel Name" (demangled, as ncu prints it)
  std::map<std::string, double> metrics;  // metric name -> value in base units; absent when ncu left it empty
};

// Throws InputError naming `what` (the file) and the row on a malformed CSV: no header, no "ID" or
// "Kernel Name" column, a row with a different number of fields, an ID or a metric value that is
// not a number. `metrics`: the columns to keep (the others are skipped).
std::vector<NcuLaunch> parse_ncu_raw_csv(std::string_view text, const std::vector<std::string>& metrics,
                                         const std::string& what);

// The fields of one CSV line (RFC 4180 quoting: "" inside quotes is a quote).
std::vector<std::string> split_csv_line(std::string_view line);

}  // namespace rooflm
