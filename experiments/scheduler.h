// The local sweep's scheduler: which run starts next, on which slot (CPU job or GPUs), when its
// parent is ready, what each ended training process means, and the relay of a stop signal. One
// object per sweep invocation; run() drives it to the end. runner.h's run_all is its entry point.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "experiments/run_state.h"
#include "experiments/runner.h"

namespace scalelab {
class StopSignals;
}

namespace scalelab::sweep {

class SweepScheduler {
 public:
  // Selects the runs (options.only) and orders them; throws before anything starts when the
  // options cannot serve the sweep (an unknown --only name, a run needing more GPUs than listed).
  SweepScheduler(const std::vector<Run>& runs, const RunnerOptions& options);
  // Trains every selected run; returns one outcome per run; *stopped_by_signal gets the stop
  // signal's number (0 when none came).
  std::vector<Outcome> run(int* stopped_by_signal);

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    const Run* run = nullptr;
    bool ended = false, running = false, told_busy = false;
    Outcome outcome;
  };
  struct Child {
    size_t slot = 0;
    std::unique_ptr<RunLock> lock;
    std::vector<int> gpus;
    std::vector<std::string> argv;
    bool resumed = false;
    Clock::time_point start;
  };
  enum class Ready { yes, wait, blocked };

  void start_ready_runs(const StopSignals& signals);
  Ready parent_ready(const Run& run, std::string* why) const;
  bool has_room(const Run& run) const;
  void try_start(Slot& slot);
  std::vector<std::string> child_command(const Run& run, bool resume, int run_threads) const;
  void reap_one();
  void finish(pid_t pid, int wait_status);
  void end_slot(Slot& slot, OutcomeStatus status, const std::string& note);
  void save_state() const;

  const RunnerOptions& o_;
  std::vector<Slot> slots_;
  std::map<std::string, size_t> slot_of_;
  std::vector<size_t> order_;  // parents before children, longest first within a level
  int threads_ = 1;
  std::deque<int> free_gpus_;
  std::map<pid_t, Child> children_;
  size_t n_ended_ = 0;
  int relayed_signal_ = 0;
};

}  // namespace scalelab::sweep
