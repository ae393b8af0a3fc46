// Command-line inputs FILES|DIRS expanded to regular files (directories recursively, sorted,
// symbolic links not followed into directories), and a progress line for long operations.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bastion::cli {

// Files named or found under the arguments; unreadable arguments are listed in `errors`.
std::vector<std::string> CollectFiles(const std::vector<std::string>& arguments,
                                      std::vector<std::string>& errors);

// "\rstored 120/2000 (6%), 210 instances/s" on standard error when it is a terminal, redrawn at
// most ten times a second; nothing otherwise (logs and CI stay clean).
class ProgressLine {
 public:
  ProgressLine(std::string verb, std::uint64_t total);
  void Update(std::uint64_t done);
  void Finish();

 private:
  std::string verb_;
  std::uint64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace bastion::cli
