// SIGINT, SIGTERM and SIGUSR1 (Slurm's warning before a time limit, `--signal`) end a training
// session cleanly: the handler only records the signal; the loop finishes its step, writes a
// checkpoint and returns a paused summary; the CLI exits 128 + the signal's number.
#pragma once

#include <csignal>
#include <string>

namespace scalelab {

class StopSignals {
 public:
  StopSignals();   // installs the handlers
  ~StopSignals();  // restores the previous ones
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The first signal received since construction, or 0.
  int received() const;

 private:
  struct sigaction previous_[3];
};

// "SIGTERM" for 15, ...
std::string signal_name(int signal_number);

}  // namespace scalelab
