// SIGINT (Ctrl-C), SIGTERM (kill, scancel, `scontrol requeue`) and SIGUSR1 (Slurm's time-limit
// warning, `--signal`): the one handler of every command that stops cleanly. The handler only
// records the first signal; the code that polls received() acts on it: a trainer finishes its
// step, checkpoints and returns a paused summary; a command that runs children (sweep, tune)
// passes it on to them, starts nothing new and waits for them. Such a command exits
// 128 + the signal's number (130, 143, 138), as `scalelab train` does.
#pragma once

#include <csignal>
#include <string>

namespace scalelab {

class StopSignals {
 public:
  // Installs the handlers. Nested objects (a sweep inside `tune`) share the outermost's record:
  // only the outermost clears it and, when it goes, restores the previous handlers, or ignores
  // these signals from then on when one was received (the program is stopping on the first).
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The first signal received since the outermost object was made, or 0.
  int received() const;

 private:
  bool outermost_ = false;
  struct sigaction previous_[3];
};

// "SIGTERM" for 15, ...
std::string signal_name(int signal_number);

}  // namespace scalelab
