// The local sweep's scheduler: which run starts next, on which slot (CPU job or GPUs), when its
// parent is ready, what each ended training process means, the progress line, and the relay of a
// stop signal. What a run's folder holds when its turn comes (finished, changed since, a branch
// whose trunk lacks its checkpoint) is decided in scheduler_folders.cpp. One object per sweep
// invocation; run() drives it to the end. runner.h's run_all is its entry point.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/run_state.h"
#include "experiments/runner.h"

namespace scalelab {
class StopSignals;
}

namespace scalelab::sweep {

// One run's entry of a pack file (`scalelab train-packed`): the start, `r`'s tags, and on the CPU
// its threads (scheduler_pack.cpp).
nlohmann::json pack_entry(const TrainStart& t, const Run& r, int threads, bool cpu);

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
  // A run trained in another run's process (a pack, core/packing.h).
  struct PackMember {
    size_t slot = 0;
    std::unique_ptr<RunLock> lock;
    bool resumed = false;
    std::string branch_from;  // a branch's checkpoint
  };
  struct Child {
    size_t slot = 0;
    std::vector<PackMember> pack;  // the other runs of its pack
    bool packed = false;           // trained by `train-packed` (a pack of 1 + pack.size())
    std::unique_ptr<RunLock> lock;
    std::unique_ptr<RunLock> regrow_lock;  // a regrowth's own folder (trunk_regrow.h)
    std::vector<int> gpus;
    std::vector<std::string> argv;
    bool resumed = false;
    bool regrow = false;  // regrows the trunk's checkpoint this branch starts from
    std::string output;   // the process's stdout and stderr
    Clock::time_point start;
  };
  enum class Ready { yes, wait, blocked };

  void start_ready_runs(const StopSignals& signals);
  Ready parent_ready(const Run& run, std::string* why) const;
  bool has_room(const Run& run) const;
  // scheduler_folders.cpp: the run's folder decides whether and how it trains.
  void try_start(Slot& slot);
  // The folder's verdict for a run about to train: false when it does not train (its slot ended,
  // or another runner holds it); else its lock, whether it resumes and a branch's checkpoint
  // ("" and *regrow when the trunk's is missing).
  bool ready_to_train(Slot& slot, std::unique_ptr<RunLock>& lock, bool* resume, std::string* from,
                      bool* regrow);
  // Other runs that may train in one process with `first` (scheduler_pack.cpp).
  std::vector<PackMember> gather_pack(const Slot& first);
  // The most runs one pack may take now: the ready runs spread over the free job slots (GPUs).
  int64_t pack_share() const;
  std::vector<std::string> pack_command(const Child& child, const std::string& from) const;
  void finish_run(Slot& slot, const Child& child, bool resumed, int wait_status);
  bool judge_folder(Slot& slot, FolderInfo& info);
  bool changed_parent_blocks(const Run& run, std::string* why) const;
  void start_regrow(Slot& slot, std::unique_ptr<RunLock> branch_lock);
  void finish_regrow(Slot& slot, Child& child, int wait_status);
  int run_threads(const Run& run) const;
  void launch(Slot& slot, Child child, const Run& trains, const std::string& dir);
  std::vector<std::string> child_command(const Run& run, const std::vector<std::string>& args,
                                         int run_threads) const;
  void reap_one();
  void finish(pid_t pid, int wait_status);
  void record_trained(Slot& slot, const std::string& dir);
  void end_slot(Slot& slot, OutcomeStatus status, const std::string& note);
  void report_progress(bool run_ended);
  void save_state() const;

  const RunnerOptions& o_;
  std::map<std::string, const Run*> all_runs_;  // every run of the sweep, selected or not
  std::vector<Slot> slots_;
  std::map<std::string, size_t> slot_of_;
  std::vector<size_t> order_;  // parents before children, longest first within a level
  int threads_ = 1;
  std::deque<int> free_gpus_;
  std::map<pid_t, Child> children_;
  size_t n_ended_ = 0;
  int relayed_signal_ = 0;
  Clock::time_point last_progress_;
  nlohmann::json estimate_check_;  // the dry run's estimate against this sweep's time
  std::map<std::string, nlohmann::json> trained_before_;  // sweep_state.json's trained_with
};

}  // namespace scalelab::sweep
