#include "experiments/scheduler.h"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "common/checked_io.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "common/text.h"
#include "configs/config.h"
#include "experiments/dry_run.h"
#include "experiments/process.h"
#include "experiments/sweep_progress.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;

SweepScheduler::SweepScheduler(const std::vector<Run>& runs, const RunnerOptions& options)
    : o_(options), threads_(threads_per_job(options)) {
  for (const auto& r : runs) all_runs_[r.name] = &r;
  for (const auto& r : runs) {
    if (!o_.only.empty() && std::find(o_.only.begin(), o_.only.end(), r.name) == o_.only.end())
      continue;
    slot_of_[r.name] = slots_.size();
    Slot s;
    s.run = &r;
    s.outcome.name = r.name;
    s.outcome.final_val_loss = std::nan("");
    slots_.push_back(s);
  }
  // Longest first within a dependency level (parents still before children): with several jobs
  // the last run to start is a short one, so the sweep ends sooner.
  auto cost = [](const Slot& s) {
    return s.run->tokens *
           training_flops_per_token(s.run->config.model, FlopConvention::chinchilla);
  };
  order_.resize(slots_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
    const Slot &x = slots_[a], &y = slots_[b];
    return x.run->level != y.run->level ? x.run->level < y.run->level : cost(x) > cost(y);
  });
  for (const auto& name : o_.only)
    if (!slot_of_.count(name))
      throw std::runtime_error("--only " + name + ": no run of the sweep has that name");
  for (const auto& s : slots_)
    if (!o_.gpus.empty() && s.run->gpus_per_run > int(o_.gpus.size()))
      throw std::runtime_error(
          "run " + s.run->name + " needs " + std::to_string(s.run->gpus_per_run) +
          " GPUs (sweep.gpus_per_run) but --gpus lists " + std::to_string(o_.gpus.size()));
  free_gpus_.assign(o_.gpus.begin(), o_.gpus.end());
  // What an earlier runner recorded of how each run trained: kept while the run is skipped.
  std::ifstream in(fs::path(o_.out_root) / "sweep_state.json");
  const auto before = nlohmann::json::parse(in, nullptr, false);
  if (before.is_object() && before.contains("runs") && before["runs"].is_array())
    for (const auto& r : before["runs"])
      if (r.is_object() && r.contains("trained_with") && r["trained_with"].is_object())
        trained_before_[r.value("name", "")] = r["trained_with"];
}

std::vector<Outcome> SweepScheduler::run(int* stopped_by_signal) {
  make_directories(o_.out_root);
  const auto sweep_start = Clock::now();
  log::info(log::format(
      "[sweep] %zu runs into %s; %s", slots_.size(), o_.out_root.c_str(),
      o_.gpus.empty() ? log::format("%d at a time, %d thread(s) each", o_.jobs, threads_).c_str()
                      : log::format("one per GPU on %zu GPUs", o_.gpus.size()).c_str()));
  save_state();
  last_progress_ = Clock::now();
  const StopSignals signals;
  while (n_ended_ < slots_.size()) {
    if (signals.received() && !relayed_signal_) {
      // Each training process checkpoints its step and stops; nothing new starts.
      relayed_signal_ = signals.received();
      log::info(log::format("[sweep] got %s: passing it to %zu training process(es)",
                            signal_name(relayed_signal_).c_str(), children_.size()));
      for (const auto& [pid, child] : children_) ::kill(pid, relayed_signal_);
    }
    if (relayed_signal_ && children_.empty()) break;
    if (!relayed_signal_) start_ready_runs(signals);
    if (n_ended_ == slots_.size()) break;
    if (children_.empty()) {  // only runs held by another runner (or their dependents) are left
      std::this_thread::sleep_for(std::chrono::duration<double>(o_.poll_s));
      continue;
    }
    reap_one();
    report_progress(false);
  }
  if (stopped_by_signal) *stopped_by_signal = relayed_signal_;
  const double took = std::chrono::duration<double>(Clock::now() - sweep_start).count();
  std::vector<std::string> trained;  // the runs this invocation trained to their end
  for (const auto& s : slots_)
    if (s.outcome.status == OutcomeStatus::done) trained.push_back(s.run->name);
  const std::string check = estimate_check(o_.out_root, trained, took, &estimate_check_);
  save_state();
  log::info("[sweep] finished in " + duration_text(took) + (check.empty() ? "" : "; " + check));
  std::vector<Outcome> out;
  for (const auto& s : slots_) out.push_back(s.outcome);
  return out;
}

// One pass over the runs in order: blocked ones end, ready ones start while there is room.
void SweepScheduler::start_ready_runs(const StopSignals& signals) {
  for (size_t i : order_) {
    if (signals.received()) return;  // the main loop relays it first
    Slot& s = slots_[i];
    if (s.ended || s.running) continue;
    std::string why;
    const Ready ready = parent_ready(*s.run, &why);
    if (ready == Ready::blocked) {
      end_slot(s, OutcomeStatus::blocked, why);
      log::warn("[sweep] skipping " + s.run->name + ": " + why);
      save_state();
      continue;
    }
    if (ready == Ready::yes && has_room(*s.run)) try_start(s);
  }
}

SweepScheduler::Ready SweepScheduler::parent_ready(const Run& r, std::string* why) const {
  if (r.parent.empty()) return Ready::yes;
  if (auto it = slot_of_.find(r.parent); it != slot_of_.end()) {
    const Slot& p = slots_[it->second];
    if (!p.ended) return Ready::wait;
    if (p.outcome.status == OutcomeStatus::done || p.outcome.status == OutcomeStatus::skipped)
      return changed_parent_blocks(r, why) ? Ready::blocked : Ready::yes;
    *why = "parent " + r.parent + " " + enum_name(p.outcome.status);
    return Ready::blocked;
  }
  if (inspect_run_folder((fs::path(o_.out_root) / r.parent).string()).state ==
      FolderState::finished)
    return changed_parent_blocks(r, why) ? Ready::blocked : Ready::yes;
  *why = "parent " + r.parent + " has not finished (train it first)";
  return Ready::blocked;
}

bool SweepScheduler::has_room(const Run& run) const {
  return o_.gpus.empty() ? int(children_.size()) < std::max(1, o_.jobs)
                         : int(free_gpus_.size()) >= run.gpus_per_run;
}

// Polled, so that a signal arriving just before the wait is still passed on at once.
void SweepScheduler::reap_one() {
  int status = 0;
  const pid_t pid = ::waitpid(-1, &status, WNOHANG);
  if (pid > 0 && children_.count(pid))
    finish(pid, status);
  else if (pid == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void SweepScheduler::finish(pid_t pid, int wait_status) {
  Child c = std::move(children_.at(pid));
  children_.erase(pid);
  for (int g : c.gpus) free_gpus_.push_back(g);
  Slot& s = slots_[c.slot];
  if (c.regrow) return finish_regrow(s, c, wait_status);
  finish_run(s, c, c.resumed, wait_status);
  for (const auto& m : c.pack) finish_run(slots_[m.slot], c, m.resumed, wait_status);
  c.lock.reset();
  c.pack.clear();
  save_state();
  report_progress(true);
}

// What the ended process means for one of the runs it trained, from that run's folder.
void SweepScheduler::finish_run(Slot& s, const Child& c, bool resumed, int wait_status) {
  const fs::path dir = fs::path(o_.out_root) / s.run->name;
  const FolderInfo info = inspect_run_folder(dir.string());
  const ExitStatus exit = decode_wait_status(wait_status);
  const double took = std::chrono::duration<double>(Clock::now() - c.start).count();
  s.outcome.final_val_loss = info.final_val_loss;
  s.outcome.wall_time_s = info.wall_time_s > 0 ? info.wall_time_s : took;
  record_trained(s, dir.string());
  // A run stopped by a signal checkpointed and says so in its summary: paused, whatever its exit.
  // One that the relayed signal ended while it was starting (before its handler was installed)
  // had trained nothing since its last checkpoint: it too continues when the sweep is rerun.
  const bool paused = info.status == RunStatus::paused;
  const bool stopped_starting =
      relayed_signal_ && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == relayed_signal_;
  // A pack's process exits 1 when one of its runs diverged; the others finished all the same.
  const bool ended_normally = exit.ok || (c.packed && WIFEXITED(wait_status));
  if (ended_normally && info.state == FolderState::finished) {
    // A whole run's process time (a pack's shared by its runs): D over it is the rate the
    // estimates of later sweeps use.
    if (!resumed) {
      const double per_run = took / double(1 + c.pack.size());
      s.outcome.process_s = per_run;
      s.outcome.trained_with = {{"process_s", per_run},
                                {"pack", 1 + c.pack.size()},
                                {"host", host_name()},
                                {"jobs", o_.gpus.empty() ? o_.jobs : int(o_.gpus.size())},
                                {"threads_per_job", o_.gpus.empty() ? threads_ : 0}};
    }
    end_slot(s, OutcomeStatus::done,
             (resumed ? std::string("resumed") : s.outcome.note) +
                 (c.pack.empty() ? "" : std::string(resumed ? ", " : "") + "packed"));
    log::info(log::format("[sweep] done  %s: val_loss %.4f in %s", s.run->name.c_str(),
                          s.outcome.final_val_loss, duration_text(took).c_str()));
  } else if (paused) {
    end_slot(s, OutcomeStatus::paused,
             "paused at step " + std::to_string(info.steps) + "; rerun the sweep to continue");
    log::info("[sweep] paused " + s.run->name + " at step " + std::to_string(info.steps));
  } else if (stopped_starting) {
    end_slot(s, OutcomeStatus::paused,
             "stopped by " + signal_name(relayed_signal_) +
                 " while starting; rerun the sweep to continue");
    log::info("[sweep] stopped " + s.run->name + " while it was starting");
  } else {
    const std::string output = last_lines(c.output, 40);
    const std::string why = exit.ok ? "exited without writing summary.json" : exit.text;
    write_file_atomic((dir / "error.txt").string(),
                      "command: " + shell_join(c.argv) + "\nresult: " + why +
                          "\n--- last lines of " + c.output + " ---\n" + output);
    const bool diverged = info.state == FolderState::diverged;
    end_slot(s, diverged ? OutcomeStatus::diverged : OutcomeStatus::failed,
             why + ": " + last_nonempty_line(output));
    log::warn("[sweep] " + std::string(diverged ? "DIVERGED " : "FAILED ") + s.run->name + " (" +
              why + "): " + last_nonempty_line(output) + "; see " + (dir / "error.txt").string());
  }
}

void SweepScheduler::end_slot(Slot& s, OutcomeStatus status, const std::string& note) {
  s.ended = true;
  s.running = false;
  s.outcome.status = status;
  s.outcome.note = note;
  ++n_ended_;
}

// After each run ends, and every progress_every_s while runs train.
void SweepScheduler::report_progress(bool run_ended) {
  const auto now = Clock::now();
  const double since = std::chrono::duration<double>(now - last_progress_).count();
  if (!run_ended && (o_.progress_every_s <= 0 || since < o_.progress_every_s)) return;
  last_progress_ = now;
  std::map<std::string, size_t> running;  // run name -> its child's slot
  for (const auto& [pid, c] : children_) {
    if (c.regrow) continue;
    running[slots_[c.slot].run->name] = c.slot;
    for (const auto& m : c.pack) running[slots_[m.slot].run->name] = m.slot;
  }
  std::vector<RunProgress> runs;
  std::map<std::string, int> index;
  for (size_t i : order_) {
    const Slot& s = slots_[i];
    RunProgress p;
    p.run = s.run;
    if (s.ended) {
      p.phase = RunProgress::Phase::ended;
      p.failed = s.outcome.status == OutcomeStatus::failed ||
                 s.outcome.status == OutcomeStatus::diverged ||
                 s.outcome.status == OutcomeStatus::blocked;
      // This runner's time for the run, else an earlier runner's (a skipped run).
      const auto& before = s.outcome.trained_with;
      const double process_s = s.outcome.process_s > 0 ? s.outcome.process_s
                               : before.is_object()    ? before.value("process_s", 0.0)
                                                       : 0.0;
      p.trained_here = s.outcome.process_s > 0;
      if (process_s > 0) {  // a branch trains from its branch point
        const Run& r = *s.run;
        const double own = r.steps > 0 ? r.tokens * double(r.own_steps()) / double(r.steps) : 0;
        p.tokens_per_s = own / process_s;
      }
    } else if (running.count(s.run->name)) {
      p.phase = RunProgress::Phase::running;
      if (const auto last = last_metrics((fs::path(o_.out_root) / s.run->name).string())) {
        p.tokens_done = last->tokens;
        p.tokens_per_s = last->run_tokens_per_s();
      }
    }
    if (auto it = index.find(s.run->parent); it != index.end() && !s.ended) p.parent = it->second;
    index[s.run->name] = int(runs.size());
    runs.push_back(p);
  }
  const int parallel = o_.gpus.empty() ? std::max(1, o_.jobs) : int(o_.gpus.size());
  log::info(progress_line(estimate_progress(runs, parallel), parallel));
}

// sweep_state.json: every run's status now. Two runners may share a grid: the atomic write's
// temporary file is this process's own.
void SweepScheduler::save_state() const {
  std::vector<Outcome> now;
  for (const auto& s : slots_) {
    Outcome out = s.outcome;
    if (!s.ended) out.status = s.running ? OutcomeStatus::running : OutcomeStatus::pending;
    now.push_back(out);
  }
  nlohmann::json state = outcome_json(now, o_);
  if (!estimate_check_.is_null()) state["dry_run_check"] = estimate_check_;
  write_file_atomic((fs::path(o_.out_root) / "sweep_state.json").string(), state.dump(2) + "\n");
}

}  // namespace scalelab::sweep
