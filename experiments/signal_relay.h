// SIGINT, SIGTERM and SIGUSR1 reaching a sweep runner (Ctrl-C, `scancel`, `scontrol requeue`, or
// Slurm's time-limit warning, which `--signal=B:USR1@N` sends to the batch shell only): recorded so
// the runner passes them on to its training processes, which checkpoint and stop, and starts
// nothing new. The previous handlers come back when the object goes.
#pragma once

#include <csignal>

namespace scalelab::sweep {

class SignalRelay {
 public:
  SignalRelay();
  ~SignalRelay();
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;
  int received() const;  // the first signal's number, 0 while none came

 private:
  struct sigaction previous_[3];
};

}  // namespace scalelab::sweep
