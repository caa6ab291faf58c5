// Child processes of the sweep runner: `scalelab train` (or torchrun) with its output in a file,
// extra environment variables, one inherited lock, and death when the runner dies.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace scalelab::sweep {

struct ChildSpec {
  std::vector<std::string> argv;                         // argv[0] is looked up in PATH
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the runner's environment
  std::string output_path;                               // stdout and stderr, truncated
  std::vector<int> inherit_fds;                          // close-on-exec fds the child keeps
};

// fork + exec. The child gets SIGTERM when the runner dies (PR_SET_PDEATHSIG), so killing a
// runner never leaves orphaned training processes holding their runs' locks.
pid_t spawn(const ChildSpec& spec);

// "exit 1", "killed by signal 9 (Killed)"; ok is true for exit status 0.
struct ExitStatus {
  bool ok = false;
  std::string text;
};
ExitStatus decode_wait_status(int status);

// The command line as a shell would read it (for error.txt and the Slurm script).
std::string shell_quote(const std::string& word);
std::string shell_join(const std::vector<std::string>& argv);

// A short command run to its end (sbatch, squeue, scancel): exit code and stdout + stderr.
struct CommandResult {
  int exit_code = -1;  // 127: could not be started
  std::string output;
};
CommandResult run_command(const std::vector<std::string>& argv);

// The full path of `name` in PATH, "" when it is not there.
std::string find_in_path(const std::string& name);

// Path of the running executable (/proc/self/exe).
std::string self_executable();

// $SCALELAB_TORCHRUN, else the torchrun beside the Python the build was configured with (the venv
// that holds the same torch as LibTorch), else "torchrun" from PATH.
std::string default_torchrun();

}  // namespace scalelab::sweep
