// Plain-text table for terminal output: first column left-aligned, the others right-aligned.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rooflm {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& os) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Fixed-point number, or "-" for NaN / missing.
std::string fmt_num(double v, int decimals);

}  // namespace rooflm
