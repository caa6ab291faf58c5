#include "runfolder/folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/checked_io.h"
#include "runfolder/checkpoints.h"
#include "runfolder/metrics.h"

namespace scalelab {
namespace fs = std::filesystem;

FolderInfo inspect_run_folder(const std::string& run_dir) {
  FolderInfo info;
  info.has_checkpoint = newest_checkpoint(run_dir).has_value();
  if (auto head = read_summary_head(run_dir)) {
    info.status = head->status;
    info.final_val_loss = head->final_val_loss;
    info.wall_time_s = head->wall_time_s;
    info.steps = head->steps;
  }
  if (info.status && is_complete(*info.status))
    info.state = FolderState::finished;
  else if (info.status == RunStatus::diverged)
    info.state = FolderState::diverged;
  else if (info.has_checkpoint)
    info.state = FolderState::resumable;
  return info;
}

void claim_run_folder(const std::string& run_dir, const std::string& config_yaml, RunStart start,
                      bool force) {
  const fs::path dir(run_dir);
  const FolderInfo info = inspect_run_folder(run_dir);
  if (start == RunStart::fresh && force && fs::exists(dir)) {
    for (const std::string& path :
         {summary_path(run_dir), metrics_path(run_dir), (dir / "log.txt").string(),
          (dir / "config.yaml").string(), (dir / "error.txt").string()})
      fs::remove(path);
    fs::remove_all(checkpoint_dir(run_dir));
  } else if (start == RunStart::resume) {
    if (!info.has_checkpoint)
      throw std::runtime_error(run_dir + ": --resume found no checkpoint in " +
                               checkpoint_dir(run_dir));
    fs::remove(summary_path(run_dir));  // continuing: a new summary is written when it ends
  } else if (info.state == FolderState::finished) {
    throw std::runtime_error(run_dir +
                             ": holds a finished run (summary.json); pass --force to overwrite it "
                             "or choose another --out");
  } else if (info.state == FolderState::diverged) {
    throw std::runtime_error(
        run_dir +
        ": holds a diverged run (summary.json); pass --force to start it over, "
        "or --resume to continue from its last good checkpoint");
  } else if (info.has_checkpoint) {
    throw std::runtime_error(run_dir +
                             ": holds checkpoints of an unfinished run; pass --resume to continue "
                             "it or --force to start over");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
  write_file_atomic((dir / "config.yaml").string(), config_yaml);
}

int try_lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(io_error(path, "open the lock file", errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TrainFolderLock::TrainFolderLock(const std::string& run_dir) {
  if (run_dir.empty()) return;
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    throw std::runtime_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
  const std::string path = (fs::path(run_dir) / ".train.lock").string();
  fd_ = try_lock_file(path);
  if (fd_ < 0) {
    char pid[32] = {0};
    std::ifstream(path).read(pid, sizeof pid - 1);
    throw std::runtime_error(run_dir + ": another `scalelab train` is writing this run folder" +
                             (pid[0] ? " (pid " + std::string(pid) + ")" : std::string()) +
                             "; wait for it to end or choose another --out");
  }
  const std::string me = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) < 0) {
    // the pid is only a hint for the message above
  }
}

TrainFolderLock::~TrainFolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace scalelab
