#include "experiments/run_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace scalelab::sweep {
namespace fs = std::filesystem;

FolderInfo inspect_run_folder(const std::string& run_dir) {
  FolderInfo info;
  info.final_val_loss = std::nan("");
  const fs::path dir(run_dir);
  std::ifstream in(dir / "summary.json");
  if (in) {
    auto s = nlohmann::json::parse(in, nullptr, false);
    if (!s.is_discarded()) {
      info.status = s.value("status", "finished");
      info.state = info.status == "diverged" ? FolderState::diverged : FolderState::finished;
      if (s.contains("final_val_loss") && s["final_val_loss"].is_number())
        info.final_val_loss = s["final_val_loss"].get<double>();
      info.wall_time_s = s.value("wall_time_s", 0.0);
      return info;
    }
  }
  // Complete checkpoints only (checkpoints/step_<N>.pt; an interrupted write leaves a .tmp).
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "checkpoints", ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind("step_", 0) == 0 && e.path().extension() == ".pt") {
      info.state = FolderState::resumable;
      break;
    }
  }
  return info;
}

RunLock::RunLock(const std::string& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    throw std::runtime_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
  const std::string path = (fs::path(run_dir) / ".lock").string();
  // Close-on-exec: only the child that trains this run inherits it (the runner clears the flag).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(path + ": cannot open the run's lock file");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
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
