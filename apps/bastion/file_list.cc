#include "file_list.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace bastion::cli {

std::vector<std::string> CollectFiles(const std::vector<std::string>& arguments,
                                      std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& arg : arguments) {
    std::error_code ec;
    const auto status = fs::status(arg, ec);
    if (ec) {
      errors.push_back(arg + ": " + ec.message());
    } else if (fs::is_directory(status)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator
               it(arg, fs::directory_options::skip_permission_denied, ec),
           end;
           !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) found.push_back(it->path().string());
      }
      if (ec) errors.push_back(arg + ": " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(status)) {
      files.push_back(arg);
    } else {
      errors.push_back(arg + ": not a regular file or directory");
    }
  }
  return files;
}

ProgressLine::ProgressLine(std::string verb, std::uint64_t total)
    : verb_(std::move(verb)),
      total_(total),
      enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void ProgressLine::Update(std::uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done != total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::cerr << "\r" << verb_ << " " << done << "/" << total_ << " ("
            << (total_ == 0 ? 100 : done * 100 / total_) << "%)";
  if (seconds > 0.5) std::cerr << ", " << static_cast<long>(done / seconds) << " instances/s";
  std::cerr << "   " << std::flush;
}

void ProgressLine::Finish() {
  if (enabled_) std::cerr << "\n";
}

}  // namespace bastion::cli
