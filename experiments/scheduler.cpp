#include "experiments/scheduler.h"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "common/checked_io.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "common/text.h"
#include "configs/config.h"
#include "experiments/process.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

bool on_cpu(const Run& run, const RunnerOptions& o) {
  return run.config.train.device == "cpu" || (o.gpus.empty() && run.config.train.device == "auto");
}

std::string last_nonempty_line(const std::string& text) {
  auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  auto begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace

SweepScheduler::SweepScheduler(const std::vector<Run>& runs, const RunnerOptions& options)
    : o_(options), threads_(threads_per_job(options)) {
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
}

std::vector<Outcome> SweepScheduler::run(int* stopped_by_signal) {
  make_directories(o_.out_root);
  const auto sweep_start = Clock::now();
  log::info(log::format(
      "[sweep] %zu runs into %s; %s", slots_.size(), o_.out_root.c_str(),
      o_.gpus.empty() ? log::format("%d at a time, %d thread(s) each", o_.jobs, threads_).c_str()
                      : log::format("one per GPU on %zu GPUs", o_.gpus.size()).c_str()));
  save_state();
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
  }
  if (stopped_by_signal) *stopped_by_signal = relayed_signal_;
  save_state();
  log::info("[sweep] finished in " +
            duration_text(std::chrono::duration<double>(Clock::now() - sweep_start).count()));
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
      return Ready::yes;
    *why = "parent " + r.parent + " " + enum_name(p.outcome.status);
    return Ready::blocked;
  }
  if (inspect_run_folder((fs::path(o_.out_root) / r.parent).string()).state ==
      FolderState::finished)
    return Ready::yes;
  *why = "parent " + r.parent + " has not finished (train it first)";
  return Ready::blocked;
}

bool SweepScheduler::has_room(const Run& run) const {
  return o_.gpus.empty() ? int(children_.size()) < std::max(1, o_.jobs)
                         : int(free_gpus_.size()) >= run.gpus_per_run;
}

// Takes the run's lock and starts its training process, unless another runner holds the run or
// its folder says there is nothing to train.
void SweepScheduler::try_start(Slot& s) {
  const Run& r = *s.run;
  const fs::path dir = fs::path(o_.out_root) / r.name;
  auto lock = std::make_unique<RunLock>(dir.string());
  if (!lock->held()) {
    if (!s.told_busy)
      log::info("[sweep] " + r.name + " is being trained by another runner; waiting for it");
    s.told_busy = true;
    return;
  }
  const FolderInfo info = inspect_run_folder(dir.string());
  s.outcome.final_val_loss = info.final_val_loss;
  s.outcome.wall_time_s = info.wall_time_s;
  if (info.state == FolderState::finished) {
    end_slot(s, OutcomeStatus::skipped, "finished before (" + enum_name(*info.status) + ")");
    return;
  }
  if (info.state == FolderState::diverged) {
    end_slot(s, OutcomeStatus::diverged, "diverged before; delete the folder to run it again");
    return;
  }
  const bool resume = info.state == FolderState::resumable;
  fs::remove(dir / "error.txt");
  write_file_atomic((dir / "sweep_config.yaml").string(), to_yaml(r.config));
  // Jobs x threads <= cores; a config asking for fewer threads keeps its number.
  int run_threads = threads_;
  if (o_.threads_per_job == 0 && r.config.train.threads > 0)
    run_threads = std::min<int>(threads_, r.config.train.threads);
  Child c;
  c.slot = size_t(&s - slots_.data());
  c.resumed = resume;
  c.argv = child_command(r, resume, run_threads);
  ChildSpec spec{c.argv, {}, (dir / "train_output.txt").string(), lock->fd()};
  if (on_cpu(r, o_)) spec.env.emplace_back("OMP_NUM_THREADS", std::to_string(run_threads));
  if (!o_.gpus.empty()) {
    std::string list;
    for (int i = 0; i < r.gpus_per_run; ++i) {
      c.gpus.push_back(free_gpus_.front());
      free_gpus_.pop_front();
      list += (list.empty() ? "" : ",") + std::to_string(c.gpus.back());
    }
    spec.env.emplace_back("CUDA_VISIBLE_DEVICES", list);
  }
  c.lock = std::move(lock);
  c.start = Clock::now();
  const pid_t pid = spawn(spec);
  s.running = true;
  log::info(log::format("[sweep] start %s%s%s (%zu/%zu)", r.name.c_str(),
                        resume ? " (resuming)" : "",
                        c.gpus.empty() ? "" : (" on GPU " + spec.env.back().second).c_str(),
                        n_ended_ + children_.size() + 1, slots_.size()));
  children_.emplace(pid, std::move(c));
}

// `scalelab train ...` (under torchrun for runs with several GPUs).
std::vector<std::string> SweepScheduler::child_command(const Run& r, bool resume,
                                                       int run_threads) const {
  std::vector<std::string> argv = {o_.binary};
  if (r.gpus_per_run > 1)
    argv = {o_.torchrun,   "--standalone", "--nproc-per-node", std::to_string(r.gpus_per_run),
            "--no-python", o_.binary};
  const auto args = train_arguments(r, o_.out_root, resume);
  argv.insert(argv.end(), args.begin(), args.end());
  if (on_cpu(r, o_))
    argv.insert(argv.end(), {"--set", "train.threads=" + std::to_string(run_threads)});
  return argv;
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
  const fs::path dir = fs::path(o_.out_root) / s.run->name;
  const FolderInfo info = inspect_run_folder(dir.string());
  const ExitStatus exit = decode_wait_status(wait_status);
  const double took = std::chrono::duration<double>(Clock::now() - c.start).count();
  s.outcome.final_val_loss = info.final_val_loss;
  s.outcome.wall_time_s = info.wall_time_s > 0 ? info.wall_time_s : took;
  // A run stopped by a signal checkpointed and says so in its summary: paused, whatever its exit.
  // One that the relayed signal ended while it was starting (before its handler was installed)
  // had trained nothing since its last checkpoint: it too continues when the sweep is rerun.
  const bool paused = info.status == RunStatus::paused;
  const bool stopped_starting =
      relayed_signal_ && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == relayed_signal_;
  if (exit.ok && info.state == FolderState::finished) {
    end_slot(s, OutcomeStatus::done, c.resumed ? "resumed" : "");
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
    const std::string output = last_lines((dir / "train_output.txt").string(), 40);
    const std::string why = exit.ok ? "exited without writing summary.json" : exit.text;
    write_file_atomic((dir / "error.txt").string(),
                      "command: " + shell_join(c.argv) + "\nresult: " + why +
                          "\n--- last lines of " + (dir / "train_output.txt").string() + " ---\n" +
                          output);
    const bool diverged = info.state == FolderState::diverged;
    end_slot(s, diverged ? OutcomeStatus::diverged : OutcomeStatus::failed,
             why + ": " + last_nonempty_line(output));
    log::warn("[sweep] " + std::string(diverged ? "DIVERGED " : "FAILED ") + s.run->name + " (" +
              why + "): " + last_nonempty_line(output) + "; see " + (dir / "error.txt").string());
  }
  c.lock.reset();
  save_state();
}

void SweepScheduler::end_slot(Slot& s, OutcomeStatus status, const std::string& note) {
  s.ended = true;
  s.running = false;
  s.outcome.status = status;
  s.outcome.note = note;
  ++n_ended_;
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
  write_file_atomic((fs::path(o_.out_root) / "sweep_state.json").string(),
                    outcome_json(now, o_).dump(2) + "\n");
}

}  // namespace scalelab::sweep
