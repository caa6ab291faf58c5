#include "experiments/runner.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "common/checked_io.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "common/text.h"
#include "experiments/process.h"
#include "experiments/run_state.h"
#include "experiments/template.h"
#include "runfolder/checkpoints.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

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

std::vector<std::string> train_arguments(const Run& run, const std::string& out_root, bool resume) {
  const fs::path dir = fs::path(out_root) / run.name;
  std::vector<std::string> args = {"train", (dir / "sweep_config.yaml").string(), "--out",
                                   dir.string()};
  if (resume)
    args.push_back("--resume");
  else if (run.branch_step >= 0)
    args.insert(args.end(),
                {"--branch-from",
                 checkpoint_path((fs::path(out_root) / run.parent).string(), run.branch_step)});
  else if (!run.parent.empty())
    args.insert(args.end(), {"--init-from", (fs::path(out_root) / run.parent).string()});
  if (run.trunk()) {
    std::string steps;
    for (int64_t s : run.checkpoint_steps) steps += (steps.empty() ? "" : ",") + std::to_string(s);
    args.insert(args.end(), {"--checkpoint-at", steps});
  }
  for (const auto& [k, v] : run.tags) args.insert(args.end(), {"--tag", k + "=" + v});
  return args;
}

int threads_per_job(const RunnerOptions& o) {
  if (o.threads_per_job > 0) return o.threads_per_job;
  cpu_set_t set;
  int cores = int(std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  return std::max(1, cores / std::max(1, o.jobs));
}

std::vector<Outcome> run_all(const std::vector<Run>& runs, const RunnerOptions& o,
                             int* stopped_by_signal) {
  std::map<std::string, size_t> slot_of;
  std::vector<Slot> slots;
  for (const auto& r : runs) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), r.name) == o.only.end())
      continue;
    slot_of[r.name] = slots.size();
    Slot s;
    s.run = &r;
    s.outcome.name = r.name;
    s.outcome.final_val_loss = std::nan("");
    slots.push_back(s);
  }
  // Longest first within a dependency level (parents still before children): with several jobs
  // the last run to start is a short one, so the sweep ends sooner.
  auto cost = [](const Slot& s) {
    return s.run->tokens *
           training_flops_per_token(s.run->config.model, FlopConvention::chinchilla);
  };
  std::vector<size_t> order(slots.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Slot &x = slots[a], &y = slots[b];
    return x.run->level != y.run->level ? x.run->level < y.run->level : cost(x) > cost(y);
  });
  for (const auto& name : o.only)
    if (!slot_of.count(name))
      throw std::runtime_error("--only " + name + ": no run of the sweep has that name");
  for (const auto& s : slots)
    if (!o.gpus.empty() && s.run->gpus_per_run > int(o.gpus.size()))
      throw std::runtime_error(
          "run " + s.run->name + " needs " + std::to_string(s.run->gpus_per_run) +
          " GPUs (sweep.gpus_per_run) but --gpus lists " + std::to_string(o.gpus.size()));
  make_directories(o.out_root);
  const int threads = threads_per_job(o);
  std::deque<int> free_gpus(o.gpus.begin(), o.gpus.end());
  std::map<pid_t, Child> children;
  const auto sweep_start = Clock::now();
  size_t n_ended = 0;

  auto save_state = [&] {
    std::vector<Outcome> now;
    for (const auto& s : slots) {
      Outcome out = s.outcome;
      if (!s.ended) out.status = s.running ? OutcomeStatus::running : OutcomeStatus::pending;
      now.push_back(out);
    }
    // Two runners may share a grid: the atomic write's temporary file is this process's own.
    write_file_atomic((fs::path(o.out_root) / "sweep_state.json").string(),
                      outcome_json(now, o).dump(2) + "\n");
  };
  auto end_slot = [&](Slot& s, OutcomeStatus status, const std::string& note) {
    s.ended = true;
    s.running = false;
    s.outcome.status = status;
    s.outcome.note = note;
    ++n_ended;
  };
  auto parent_ready = [&](const Run& r, std::string* why) {
    if (r.parent.empty()) return Ready::yes;
    if (auto it = slot_of.find(r.parent); it != slot_of.end()) {
      const Slot& p = slots[it->second];
      if (!p.ended) return Ready::wait;
      if (p.outcome.status == OutcomeStatus::done || p.outcome.status == OutcomeStatus::skipped)
        return Ready::yes;
      *why = "parent " + r.parent + " " + enum_name(p.outcome.status);
      return Ready::blocked;
    }
    if (inspect_run_folder((fs::path(o.out_root) / r.parent).string()).state ==
        FolderState::finished)
      return Ready::yes;
    *why = "parent " + r.parent + " has not finished (train it first)";
    return Ready::blocked;
  };

  auto try_start = [&](Slot& s) {
    const Run& r = *s.run;
    const fs::path dir = fs::path(o.out_root) / r.name;
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
    Child c;
    c.slot = size_t(&s - slots.data());
    c.resumed = resume;
    std::vector<std::string> args = train_arguments(r, o.out_root, resume);
    // Jobs x threads <= cores; a config asking for fewer threads keeps its number.
    int run_threads = threads;
    if (o.threads_per_job == 0 && r.config.train.threads > 0)
      run_threads = std::min<int>(threads, r.config.train.threads);
    if (on_cpu(r, o))
      args.insert(args.end(), {"--set", "train.threads=" + std::to_string(run_threads)});
    if (r.gpus_per_run > 1)
      c.argv = {o.torchrun,    "--standalone", "--nproc-per-node", std::to_string(r.gpus_per_run),
                "--no-python", o.binary};
    else
      c.argv = {o.binary};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    ChildSpec spec{c.argv, {}, (dir / "train_output.txt").string(), lock->fd()};
    if (on_cpu(r, o)) spec.env.emplace_back("OMP_NUM_THREADS", std::to_string(run_threads));
    if (!o.gpus.empty()) {
      std::string list;
      for (int i = 0; i < r.gpus_per_run; ++i) {
        c.gpus.push_back(free_gpus.front());
        free_gpus.pop_front();
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
                          n_ended + children.size() + 1, slots.size()));
    children.emplace(pid, std::move(c));
  };

  auto finish = [&](pid_t pid, int wait_status) {
    Child c = std::move(children.at(pid));
    children.erase(pid);
    for (int g : c.gpus) free_gpus.push_back(g);
    Slot& s = slots[c.slot];
    const fs::path dir = fs::path(o.out_root) / s.run->name;
    const FolderInfo info = inspect_run_folder(dir.string());
    const ExitStatus exit = decode_wait_status(wait_status);
    const double took = std::chrono::duration<double>(Clock::now() - c.start).count();
    s.outcome.final_val_loss = info.final_val_loss;
    s.outcome.wall_time_s = info.wall_time_s > 0 ? info.wall_time_s : took;
    // A run stopped by a signal checkpointed and says so in its summary: paused, whatever its exit.
    const bool paused = info.status == RunStatus::paused;
    if (exit.ok && info.state == FolderState::finished) {
      end_slot(s, OutcomeStatus::done, c.resumed ? "resumed" : "");
      log::info(log::format("[sweep] done  %s: val_loss %.4f in %s", s.run->name.c_str(),
                            s.outcome.final_val_loss, duration_text(took).c_str()));
    } else if (paused) {
      end_slot(s, OutcomeStatus::paused,
               "paused at step " + std::to_string(info.steps) + "; rerun the sweep to continue");
      log::info("[sweep] paused " + s.run->name + " at step " + std::to_string(info.steps));
    } else {
      const std::string output = last_lines((dir / "train_output.txt").string(), 40);
      const std::string why = exit.ok ? "exited without writing summary.json" : exit.text;
      write_file_atomic((dir / "error.txt").string(),
                        "command: " + shell_join(c.argv) + "\nresult: " + why +
                            "\n--- last lines of " + (dir / "train_output.txt").string() +
                            " ---\n" + output);
      const bool diverged = info.state == FolderState::diverged;
      end_slot(s, diverged ? OutcomeStatus::diverged : OutcomeStatus::failed,
               why + ": " + last_nonempty_line(output));
      log::warn("[sweep] " + std::string(diverged ? "DIVERGED " : "FAILED ") + s.run->name + " (" +
                why + "): " + last_nonempty_line(output) + "; see " + (dir / "error.txt").string());
    }
    c.lock.reset();
    save_state();
  };

  log::info(log::format(
      "[sweep] %zu runs into %s; %s", slots.size(), o.out_root.c_str(),
      o.gpus.empty() ? log::format("%d at a time, %d thread(s) each", o.jobs, threads).c_str()
                     : log::format("one per GPU on %zu GPUs", o.gpus.size()).c_str()));
  save_state();
  const StopSignals relay;
  bool relayed = false;
  while (n_ended < slots.size()) {
    if (relay.received() && !relayed) {
      // Each training process checkpoints its step and stops; nothing new starts.
      log::info(log::format("[sweep] got signal %d: passing it to %zu training process(es)",
                            relay.received(), children.size()));
      for (const auto& [pid, child] : children) ::kill(pid, relay.received());
      relayed = true;
    }
    if (relay.received() && children.empty()) break;
    for (size_t i : order) {
      if (relay.received()) break;
      Slot& s = slots[i];
      if (s.ended || s.running) continue;
      std::string why;
      const Ready ready = parent_ready(*s.run, &why);
      if (ready == Ready::blocked) {
        end_slot(s, OutcomeStatus::blocked, why);
        log::warn("[sweep] skipping " + s.run->name + ": " + why);
        save_state();
        continue;
      }
      if (ready == Ready::wait) continue;
      const bool room = o.gpus.empty() ? int(children.size()) < std::max(1, o.jobs)
                                       : int(free_gpus.size()) >= s.run->gpus_per_run;
      if (room) try_start(s);
    }
    if (n_ended == slots.size()) break;
    if (children.empty()) {  // only runs held by another runner (or their dependents) are left
      std::this_thread::sleep_for(std::chrono::duration<double>(o.poll_s));
      continue;
    }
    // Polled, so that a signal arriving just before the wait is still passed on at once.
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0 && children.count(pid))
      finish(pid, status);
    else if (pid == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (stopped_by_signal) *stopped_by_signal = relay.received();
  save_state();
  log::info("[sweep] finished in " +
            duration_text(std::chrono::duration<double>(Clock::now() - sweep_start).count()));
  std::vector<Outcome> out;
  for (const auto& s : slots) out.push_back(s.outcome);
  return out;
}

std::string outcome_table(const std::vector<Run>& runs, const std::vector<Outcome>& outcomes) {
  std::map<std::string, const Run*> by_name;
  for (const auto& r : runs) by_name[r.name] = &r;
  size_t width = 3;
  for (const auto& o : outcomes) width = std::max(width, o.name.size());
  std::string t = log::format("%-*s  %-8s  %10s  %10s  %9s  %8s  %s\n", int(width), "run", "status",
                              "N", "D", "val_loss", "time", "note");
  std::map<OutcomeStatus, int> counts;
  for (const auto& o : outcomes) {
    const Run* r = by_name.count(o.name) ? by_name[o.name] : nullptr;
    counts[o.status] += 1;
    t += log::format(
        "%-*s  %-8s  %10s  %10s  %9s  %8s  %s\n", int(width), o.name.c_str(),
        enum_name(o.status).c_str(), r ? format_number(double(r->params.total)).c_str() : "-",
        r ? log::format("%.3g", r->tokens).c_str() : "-",
        std::isfinite(o.final_val_loss) ? log::format("%.4f", o.final_val_loss).c_str() : "-",
        (o.wall_time_s > 0 ? duration_text(o.wall_time_s) : "-").c_str(), o.note.c_str());
  }
  std::string line;
  for (const auto& [status, n] : counts)
    line += (line.empty() ? "" : ", ") + std::to_string(n) + " " + enum_name(status);
  return t + line + "\n";
}

nlohmann::json outcome_json(const std::vector<Outcome>& outcomes, const RunnerOptions& o) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& x : outcomes)
    runs.push_back(
        {{"name", x.name},
         {"status", enum_name(x.status)},
         {"final_val_loss",
          std::isfinite(x.final_val_loss) ? nlohmann::json(x.final_val_loss) : nlohmann::json()},
         {"wall_time_s", x.wall_time_s},
         {"note", x.note}});
  return {{"sweep", o.sweep_path},
          {"out_root", o.out_root},
          {"updated", std::time(nullptr)},
          {"runs", runs}};
}

}  // namespace scalelab::sweep
