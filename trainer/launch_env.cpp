#include "trainer/launch_env.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace scalelab {
namespace {

// A variable that must be present and hold an integer in [lo, hi]; `why` says who expects it.
int required_int(const EnvLookup& env, const char* name, long lo, long hi, const std::string& why) {
  const char* text = env(name);
  if (!text || !*text) throw std::runtime_error(std::string(name) + " is not set; " + why);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < lo || value > hi)
    throw std::runtime_error(std::string(name) + "=" + text + ": expected an integer in [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(value);
}

int optional_int(const EnvLookup& env, const char* name, int fallback, long lo, long hi) {
  const char* text = env(name);
  if (!text || !*text) return fallback;
  return required_int(env, name, lo, hi, "");
}

std::string required_string(const EnvLookup& env, const char* name, const std::string& why) {
  const char* text = env(name);
  if (!text || !*text) throw std::runtime_error(std::string(name) + " is not set; " + why);
  return text;
}

}  // namespace

std::optional<LaunchEnv> read_launch_env(const EnvLookup& env) {
  LaunchEnv e;
  std::string why;
  if (env("WORLD_SIZE")) {
    // torchrun always sets TORCHELASTIC_RUN_ID; without it someone exported the variables by hand.
    e.launcher = env("TORCHELASTIC_RUN_ID") ? "torchrun" : "env";
    why =
        "WORLD_SIZE is set, so this is one rank of a data-parallel group and needs it (torchrun "
        "sets it)";
    e.world_size = required_int(env, "WORLD_SIZE", 1, INT_MAX, why);
    e.rank = required_int(env, "RANK", 0, e.world_size - 1, why);
    e.local_rank = optional_int(env, "LOCAL_RANK", 0, 0, e.world_size - 1);
  } else if (env("SLURM_STEP_NUM_TASKS")) {
    // Set by srun for the tasks of a job step, not in the batch script itself, so a plain
    // `scalelab train` inside an allocation stays a single run.
    e.launcher = "srun";
    why =
        "under srun with several tasks, export it in the job script, e.g. "
        "MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n1) "
        "MASTER_PORT=29500";
    e.world_size = required_int(env, "SLURM_STEP_NUM_TASKS", 1, INT_MAX, why);
    if (e.world_size == 1) return std::nullopt;
    e.rank = required_int(env, "SLURM_PROCID", 0, e.world_size - 1, why);
    e.local_rank = optional_int(env, "SLURM_LOCALID", 0, 0, e.world_size - 1);
  } else {
    return std::nullopt;
  }
  e.master_addr = required_string(env, "MASTER_ADDR", why);
  e.master_port = required_int(env, "MASTER_PORT", 1, 65535, why);
  // torch.distributed compares with the string "True" (rendezvous.py,
  // _torchelastic_use_agent_store).
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && std::string(agent) == "True";
  e.restart_count = optional_int(env, "TORCHELASTIC_RESTART_COUNT", 0, 0, INT_MAX);
  return e;
}

std::optional<LaunchEnv> read_launch_env() {
  return read_launch_env(
      [](const char* name) { return static_cast<const char*>(std::getenv(name)); });
}

}  // namespace scalelab
