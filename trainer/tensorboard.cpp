#include "trainer/tensorboard.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "common/checked_io.h"
#include "common/log.h"

extern char** environ;

namespace scalelab {

namespace {

// Reads metrics lines on stdin and writes them with tensorboard's EventFileWriter (the writer
// torch.utils.tensorboard uses, without importing torch): scalars train/* and val/loss.
constexpr const char* kWriterScript = R"PY(
import json, sys, time
try:
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as e:
    sys.stderr.write("missing: %s\n" % e)
    sys.exit(3)
import os, threading
# The writer's own thread re-raises its error in the next add_event: silence its traceback.
threading.excepthook = lambda args: None
log_dir = sys.argv[1]
def open_writer(name, purge):
    writer = EventFileWriter(os.path.join(log_dir, name))
    if purge > 0:
        # As torch's SummaryWriter(purge_step=...): TensorBoard discards the events of earlier
        # sessions from this step on.
        writer.add_event(Event(step=purge, file_version="brain.Event:2"))
        writer.add_event(Event(step=purge, session_log=SessionLog(status=SessionLog.START)))
    return writer
try:
    # Two runs for TensorBoard, because a purge applies to every tag of an event file: the same
    # scalars against the step and against the tokens trained.
    by_step = open_writer("by_step", int(sys.argv[2]))
    by_tokens = open_writer("by_tokens", int(sys.argv[3]))
    TRAIN = {"loss": "train/loss", "lr": "train/lr", "grad_norm": "train/grad_norm",
             "tokens_per_s": "train/tokens_per_s", "mfu": "train/mfu"}
    EVAL = {"val_loss": "val/loss"}
    def scalars(writer, tags, line, step):
        values = [Summary.Value(tag=tag, simple_value=float(line[key]))
                  for key, tag in tags.items() if line.get(key) is not None]
        writer.add_event(Event(wall_time=time.time(), step=step, summary=Summary(value=values)))
    for text in sys.stdin:
        line = json.loads(text)
        tags = TRAIN if line["kind"] == "train" else EVAL
        scalars(by_step, tags, line, line["step"])
        scalars(by_tokens, tags, line, int(line["tokens"]))
        by_step.flush()
        by_tokens.flush()
    by_step.close()
    by_tokens.close()
except Exception as e:
    # One line for the trainer to report (a full disk, a removed folder), not a traceback.
    sys.stderr.write("cannot write the event files in %s (%s)\n"
                     % (log_dir, getattr(e, "strerror", None) or e))
    sys.stderr.flush()
    os._exit(4)  # the writer threads would raise again at exit
)PY";

std::string missing_package_message(const std::string& python) {
  return "log.tensorboard: the tensorboard Python package is not importable by " + python +
         " (install it with `" + python +
         " -m pip install tensorboard`, or set SCALELAB_PYTHON to a Python that has it)";
}

}  // namespace

std::string tensorboard_python() {
  const char* env = std::getenv("SCALELAB_PYTHON");
  return env && *env ? env : SCALELAB_PYTHON;
}

TensorBoardWriter::TensorBoardWriter(const std::string& run_dir, int64_t purge_step,
                                     int64_t purge_tokens) {
  const std::string python = tensorboard_python();
  // A quick import check first, so a missing package is one clear error before training starts.
  const std::string probe =
      "'" + python + "' -c 'import tensorboard.summary.writer.event_file_writer' >/dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) throw std::runtime_error(missing_package_message(python));

  const std::string log_dir = (std::filesystem::path(run_dir) / "tensorboard").string();
  make_directories(log_dir);
  int in[2], err[2];
  // Close-on-exec on every end: no other child inherits them (the writer's are dup2'd).
  if (pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("log.tensorboard: cannot create a pipe");
  if (pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw std::runtime_error("log.tensorboard: cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  // Its stderr comes back here: a failure is reported once, in the run's log, as one line.
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // Its own process group: Ctrl-C in the terminal pauses training (a checkpoint, then exit) and
  // must not kill the writer before the last lines are written.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const std::string steps = std::to_string(purge_step), tokens = std::to_string(purge_tokens);
  const char* argv[] = {python.c_str(), "-c",           kWriterScript, log_dir.c_str(),
                        steps.c_str(),  tokens.c_str(), nullptr};
  const int rc = posix_spawnp(&child_, python.c_str(), &actions, &attributes,
                              const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(in[0]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(err[0]);
    child_ = -1;
    throw std::runtime_error("log.tensorboard: cannot start " + python);
  }
  pipe_fd_ = in[1];
  error_fd_ = err[0];
  // A writer that dies must not kill training with SIGPIPE: write() then fails with EPIPE.
  std::signal(SIGPIPE, SIG_IGN);
}

TensorBoardWriter::~TensorBoardWriter() {
  close();
}

void TensorBoardWriter::write(const nlohmann::json& line) {
  if (pipe_fd_ < 0) return;
  drain_errors();
  const std::string text = line.dump() + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(pipe_fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close();  // the writer stopped; close() says why, once
      return;
    }
    done += static_cast<size_t>(n);
  }
}

void TensorBoardWriter::drain_errors() {
  char buf[4096];
  while (error_fd_ >= 0) {
    const ssize_t n = ::read(error_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nothing more now (EAGAIN), or the writer has closed it
    errors_.append(buf, size_t(n));
    if (errors_.size() > 4096) errors_.erase(0, errors_.size() - 4096);  // keep the last lines
  }
}

void TensorBoardWriter::close() {
  if (pipe_fd_ >= 0) ::close(pipe_fd_);
  pipe_fd_ = -1;
  if (child_ > 0) {
    int status = 0;
    while (waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
    drain_errors();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      // The writer's last line says why (its script prints one line, never a traceback).
      std::string why = errors_;
      while (!why.empty() && why.back() == '\n') why.pop_back();
      why = why.substr(why.rfind('\n') == std::string::npos ? 0 : why.rfind('\n') + 1);
      if (why.empty())
        why = WIFEXITED(status)
                  ? "the event writer exited with code " + std::to_string(WEXITSTATUS(status))
                  : "the event writer was killed by signal " + std::to_string(WTERMSIG(status));
      log::warn("[tensorboard] " + why +
                "; TensorBoard files stop here, training goes on and metrics.jsonl keeps every "
                "line");
    }
  }
  child_ = -1;
  if (error_fd_ >= 0) ::close(error_fd_);
  error_fd_ = -1;
}

}  // namespace scalelab
