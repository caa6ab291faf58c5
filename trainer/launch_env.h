// Where this process sits in a data-parallel launch, read from the launcher's environment:
// torchrun (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_*) or Slurm's srun
// (SLURM_PROCID, SLURM_LOCALID, SLURM_STEP_NUM_TASKS, with MASTER_ADDR/MASTER_PORT exported by the
// job script). scalelab is a worker under these launchers, never a launcher itself.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace scalelab {

struct LaunchEnv {
  int rank = 0;
  int local_rank = 0;  // picks the GPU on a node
  int world_size = 1;
  std::string master_addr;
  int master_port = 0;
  // torchrun's agent already hosts the TCPStore at MASTER_ADDR:MASTER_PORT
  // (TORCHELASTIC_USE_AGENT_STORE); every rank is then a client under
  // /worker/attempt_<restart_count>.
  bool agent_store = false;
  int restart_count = 0;  // TORCHELASTIC_RESTART_COUNT
  std::string launcher;   // "torchrun", "env" (variables set by hand) or "srun"
};

// Returns the value of an environment variable or null (std::getenv in production).
using EnvLookup = std::function<const char*(const char*)>;

// nullopt when the process was not launched as part of a group: no WORLD_SIZE, and not an srun step
// of more than one task (a one-task srun step is an ordinary single run). Throws
// std::runtime_error naming the variable that is missing or malformed, e.g. WORLD_SIZE without
// MASTER_ADDR.
std::optional<LaunchEnv> read_launch_env(const EnvLookup& lookup);
std::optional<LaunchEnv> read_launch_env();  // from the process environment

}  // namespace scalelab
