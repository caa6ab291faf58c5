// SweepScheduler, part two: when a run's turn comes, what its folder holds decides whether and how
// it trains. Finished: skipped, and named when it trained with other settings than the sweep's
// now (kept as trained; --rerun-changed sets its files aside and trains it again). A branch whose
// trunk lacks the checkpoint at its branch point: the trunk is regrown up to it first
// (trunk_regrow.h). Otherwise the training process starts (resumed when it has checkpoints).
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>

#include "common/checked_io.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "common/text.h"
#include "experiments/process.h"
#include "experiments/run_changes.h"
#include "experiments/scheduler.h"
#include "experiments/trunk_regrow.h"
#include "runfolder/checkpoints.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
// Takes the run's lock and starts its training process (or its trunk's regrowth), unless another
// runner holds the run or its folder says there is nothing to train.
void SweepScheduler::try_start(Slot& s) {
  const Run& r = *s.run;
  const fs::path dir = fs::path(o_.out_root) / r.name;
  std::unique_ptr<RunLock> lock;
  bool resume = false, regrow = false;
  std::string from;  // a branch's checkpoint: the trunk's, or a regrown one
  if (!ready_to_train(s, lock, &resume, &from, &regrow)) return;
  if (regrow) return start_regrow(s, std::move(lock));
  Child c;
  c.slot = size_t(&s - slots_.data());
  c.resumed = resume;
  c.lock = std::move(lock);
  c.output = (dir / "train_output.txt").string();
  c.pack = gather_pack(s);
  // With packing on, a run with no partner trains as a pack of one: a run's numbers then depend
  // only on whether packing is on, not on which runs happened to be ready when it started (a
  // run in a pack of any size equals itself in a pack of one; alone it differs by rounding).
  c.packed = !c.pack.empty() || pack_capacity(r, o_) > 1;
  c.argv = c.packed
               ? pack_command(c, from)
               : child_command(r, train_arguments(r, o_.out_root, resume, from), run_threads(r));
  launch(s, std::move(c), r, dir.string());
}

bool SweepScheduler::ready_to_train(Slot& s, std::unique_ptr<RunLock>& lock, bool* resume,
                                    std::string* from, bool* regrow) {
  const Run& r = *s.run;
  const fs::path dir = fs::path(o_.out_root) / r.name;
  lock = std::make_unique<RunLock>(dir.string());
  if (!lock->held()) {
    if (!s.told_busy)
      log::info("[sweep] " + r.name + " is being trained by another runner; waiting for it");
    s.told_busy = true;
    return false;
  }
  FolderInfo info = inspect_run_folder(dir.string());
  if (!judge_folder(s, info)) return false;
  *resume = info.state == FolderState::resumable;
  *regrow = false;
  if (!*resume && r.branch_step >= 0) {
    const auto checkpoint = branch_checkpoint(o_.out_root, r);
    if (!checkpoint) {
      *regrow = true;
      return true;
    }
    *from = *checkpoint;
  }
  fs::remove(dir / "error.txt");
  write_file_atomic((dir / "sweep_config.yaml").string(), to_yaml(r.config));
  return true;
}

// Returns whether the run trains; otherwise ends its slot. `info` is cleared when the folder's
// files are set aside (--rerun-changed).
bool SweepScheduler::judge_folder(Slot& s, FolderInfo& info) {
  const Run& r = *s.run;
  const std::string dir = (fs::path(o_.out_root) / r.name).string();
  s.outcome.final_val_loss = info.final_val_loss;
  s.outcome.wall_time_s = info.wall_time_s;
  if (info.state == FolderState::empty) return true;
  record_trained(s, dir);
  const auto changes = config_changes(r, dir);
  const std::string what = changes_text(changes);
  if (!changes.empty() && o_.rerun_changed) {
    const std::string aside = set_aside(dir);
    log::warn("[sweep] " + r.name + " changed since it trained (" + what +
              "): its files moved to " + aside + "; training it again");
    s.outcome = Outcome{};
    s.outcome.name = r.name;
    s.outcome.final_val_loss = std::nan("");
    s.outcome.note = "retrained: " + what;
    info = FolderInfo{};
    return true;
  }
  if (info.state == FolderState::finished) {
    if (changes.empty()) {
      if (auto it = trained_before_.find(r.name); it != trained_before_.end())
        s.outcome.trained_with = it->second;
      std::string note = "finished before (" + enum_name(*info.status) + ")";
      if (r.trunk() && s.outcome.trained_tokens > 0 && info.steps != r.steps)
        note += log::format(
            "; trained %ld steps, the sweep's trunk now %ld: its branches start "
            "from its checkpoints (missing ones regrown)",
            (long)info.steps, (long)r.steps);
      end_slot(s, OutcomeStatus::skipped, note);
      return false;
    }
    s.outcome.kept_changed = true;  // its children wait (changed_parent_blocks)
    log::warn(
        log::format("[sweep] %s finished with other settings than the sweep's now (%s): "
                    "kept as it trained (D %.3g); `--rerun-changed` trains it again (its "
                    "files set aside in %s/replaced/), or delete that folder",
                    r.name.c_str(), what.c_str(), s.outcome.trained_tokens, dir.c_str()));
    end_slot(s, OutcomeStatus::skipped,
             "changed since it trained (" + what + "): kept; --rerun-changed retrains it");
    return false;
  }
  if (info.state == FolderState::diverged) {
    end_slot(s, OutcomeStatus::diverged,
             changes.empty() ? "diverged before; delete the folder to run it again"
                             : "diverged before; changed since (" + what +
                                   "): --rerun-changed trains it again");
    return false;
  }
  if (!changes.empty())
    log::warn("[sweep] " + r.name + " resumes with settings changed since its checkpoint (" + what +
              "); --rerun-changed would start it over");
  return true;
}

// A run whose parent was kept although the sweep now gives it other settings would start from
// weights the sweep no longer describes: it is blocked, unless it has finished itself (then its
// own folder is judged).
bool SweepScheduler::changed_parent_blocks(const Run& r, std::string* why) const {
  bool changed = false;
  if (auto it = slot_of_.find(r.parent); it != slot_of_.end())
    changed = slots_[it->second].outcome.kept_changed;
  else if (auto p = all_runs_.find(r.parent); p != all_runs_.end())
    changed = !config_changes(*p->second, (fs::path(o_.out_root) / r.parent).string()).empty();
  if (!changed ||
      inspect_run_folder((fs::path(o_.out_root) / r.name).string()).state == FolderState::finished)
    return false;
  *why = "parent " + r.parent +
         " was kept with other settings than the sweep's now; --rerun-changed trains both";
  return true;
}

// The branch's trunk has no checkpoint at the branch point: the trunk trains again up to it, and
// the branch starts when that has ended (its slot stays unstarted until then).
void SweepScheduler::start_regrow(Slot& s, std::unique_ptr<RunLock> branch_lock) {
  const Run& r = *s.run;
  const Run& trunk = *all_runs_.at(r.parent);
  const std::string dir = regrow_dir(o_.out_root, r);
  auto lock = std::make_unique<RunLock>(dir);
  if (!lock->held()) {
    if (!s.told_busy) log::info("[sweep] " + r.name + " waits for another runner regrowing " + dir);
    s.told_busy = true;
    return;
  }
  write_file_atomic((fs::path(dir) / "sweep_config.yaml").string(), to_yaml(trunk.config));
  const RegrowPlan plan = regrow_plan(o_.out_root, trunk, r);
  log::info(log::format(
      "[sweep] %s: its trunk has no checkpoint at step %ld (%s is missing); training the trunk "
      "again up to that step in %s, %s",
      r.name.c_str(), (long)r.branch_step,
      checkpoint_path((fs::path(o_.out_root) / r.parent).string(), r.branch_step).c_str(),
      dir.c_str(), plan.how.c_str()));
  Child c;
  c.slot = size_t(&s - slots_.data());
  c.regrow = true;
  if (pack_capacity(trunk, o_) > 1) {  // the sweep packs: the trunk took the packed path
    const nlohmann::json entry =
        pack_entry(plan.start, trunk, run_threads(trunk), trains_on_cpu(trunk, o_));
    const std::string file = (fs::path(dir) / "pack.json").string();
    write_file_atomic(file, nlohmann::json({{"runs", {entry}}}).dump(2) + "\n");
    c.argv = {o_.binary, "train-packed", file, "--stop-after-step", std::to_string(plan.stop_step)};
  } else {
    c.argv = child_command(trunk, plan.args, run_threads(trunk));
  }
  c.lock = std::move(branch_lock);
  c.regrow_lock = std::move(lock);
  launch(s, std::move(c), trunk, dir);
}

void SweepScheduler::finish_regrow(Slot& s, Child& c, int wait_status) {
  const Run& r = *s.run;
  const std::string dir = regrow_dir(o_.out_root, r);
  const double took = std::chrono::duration<double>(Clock::now() - c.start).count();
  s.running = false;
  if (fs::exists(checkpoint_path(dir, r.branch_step))) {
    log::info(log::format("[sweep] regrew the trunk's checkpoint at step %ld for %s in %s",
                          (long)r.branch_step, r.name.c_str(), duration_text(took).c_str()));
    return;  // the next pass starts the branch from it
  }
  const std::string output = last_lines((fs::path(dir) / "train_output.txt").string(), 40);
  const ExitStatus exit = decode_wait_status(wait_status);
  if (relayed_signal_) {
    end_slot(s, OutcomeStatus::paused,
             "paused while regrowing its trunk's checkpoint; rerun the sweep to continue");
    log::info("[sweep] paused the regrowth for " + r.name);
  } else {
    const std::string why = exit.ok ? "ended without the checkpoint" : exit.text;
    const fs::path branch_dir = fs::path(o_.out_root) / r.name;
    write_file_atomic((branch_dir / "error.txt").string(),
                      "regrowing the trunk's checkpoint at step " + std::to_string(r.branch_step) +
                          "\ncommand: " + shell_join(c.argv) + "\nresult: " + why +
                          "\n--- last lines of " + dir + "/train_output.txt ---\n" + output);
    end_slot(s, OutcomeStatus::failed,
             "regrowing the trunk's checkpoint: " + why + ": " + last_nonempty_line(output));
    log::warn("[sweep] FAILED " + r.name + " (regrowing its trunk's checkpoint, " + why +
              "): " + last_nonempty_line(output) + "; see " + (branch_dir / "error.txt").string());
  }
  save_state();
  report_progress(true);
}

// Jobs x threads <= cores; a config asking for fewer threads keeps its number.
int SweepScheduler::run_threads(const Run& r) const {
  if (o_.threads_per_job == 0 && r.config.train.threads > 0)
    return std::min<int>(threads_, int(r.config.train.threads));
  return threads_;
}

// Starts the child (its output in dir/train_output.txt) on the GPUs it needs.
void SweepScheduler::launch(Slot& s, Child c, const Run& trains, const std::string& dir) {
  ChildSpec spec{c.argv,
                 {},
                 (fs::path(dir) / "train_output.txt").string(),
                 {(c.regrow ? c.regrow_lock : c.lock)->fd()}};
  for (const auto& m : c.pack) spec.inherit_fds.push_back(m.lock->fd());
  if (trains_on_cpu(trains, o_))
    spec.env.emplace_back("OMP_NUM_THREADS", std::to_string(run_threads(trains)));
  std::string gpus;
  if (!o_.gpus.empty()) {
    for (int i = 0; i < trains.gpus_per_run; ++i) {
      c.gpus.push_back(free_gpus_.front());
      free_gpus_.pop_front();
      gpus += (gpus.empty() ? "" : ",") + std::to_string(c.gpus.back());
    }
    spec.env.emplace_back("CUDA_VISIBLE_DEVICES", gpus);
  }
  c.start = Clock::now();
  const pid_t pid = spawn(spec);
  s.running = true;
  std::string packed;
  for (const auto& m : c.pack) {
    slots_[m.slot].running = true;
    packed += ", " + slots_[m.slot].run->name + (m.resumed ? " (resuming)" : "");
  }
  if (!c.pack.empty()) packed += log::format(" in one process (a pack of %zu)", c.pack.size() + 1);
  if (!c.regrow) {
    size_t training = 0;  // this run's place: runs ended, training, and this one
    for (const auto& [other, child] : children_)
      training += child.regrow ? 0 : 1 + child.pack.size();
    log::info(log::format("[sweep] start %s%s%s%s (%zu/%zu)", s.run->name.c_str(),
                          c.resumed ? " (resuming)" : "", packed.c_str(),
                          gpus.empty() ? "" : (" on GPU " + gpus).c_str(),
                          n_ended_ + training + 1 + c.pack.size(), slots_.size()));
  }
  children_.emplace(pid, std::move(c));
}

// `scalelab train ...` (under torchrun for runs with several GPUs).
std::vector<std::string> SweepScheduler::child_command(const Run& r,
                                                       const std::vector<std::string>& args,
                                                       int threads) const {
  std::vector<std::string> argv = {o_.binary};
  if (r.gpus_per_run > 1)
    argv = {o_.torchrun,   "--standalone", "--nproc-per-node", std::to_string(r.gpus_per_run),
            "--no-python", o_.binary};
  argv.insert(argv.end(), args.begin(), args.end());
  if (trains_on_cpu(r, o_))
    argv.insert(argv.end(), {"--set", "train.threads=" + std::to_string(threads)});
  return argv;
}

// What the folder's summary says a complete run trained (it may differ from the sweep file now).
void SweepScheduler::record_trained(Slot& s, const std::string& dir) {
  if (const auto t = read_trained(dir); t && t->complete) {
    s.outcome.trained_params = t->params_total;
    s.outcome.trained_tokens = t->tokens;
    s.outcome.tokens_per_s = t->tokens_per_s;
  }
}

}  // namespace scalelab::sweep
