#include "experiments/run_state.h"

#include <unistd.h>

#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace scalelab::sweep {
namespace fs = std::filesystem;

RunLock::RunLock(const std::string& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    throw std::runtime_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
  const std::string path = (fs::path(run_dir) / ".lock").string();
  // Close-on-exec: only the child that trains this run inherits it (the runner clears the flag).
  fd_ = try_lock_file(path);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string last_lines(const std::string& path, int n) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (int(lines.size()) > n) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace scalelab::sweep
