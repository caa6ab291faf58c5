// SweepScheduler, part three: packs. When a run starts, the runs that may train in its process
// (core/packing.h: one shape, the rest their own) and are ready now join it, up to
// RunnerOptions::max_pack and what memory allows, as one `scalelab train-packed` process.
#include <filesystem>
#include <fstream>

#include "common/checked_io.h"
#include "core/packing.h"
#include "experiments/scheduler.h"
#include "runfolder/checkpoints.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

// `scalelab train --tag k=v` reads a number as a number: the same here.
nlohmann::json tag_value(const std::string& value) {
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  return !value.empty() && *end == '\0' ? nlohmann::json(number) : nlohmann::json(value);
}

// One run's entry of a pack file (cli/cmd_train_packed.cpp), as train_arguments would start it.
nlohmann::json pack_entry(const Run& r, const std::string& out_root, bool resume,
                          const std::string& from, int threads, bool cpu) {
  const fs::path dir = fs::path(out_root) / r.name;
  nlohmann::json e = {
      {"config", (dir / "sweep_config.yaml").string()}, {"out", dir.string()}, {"resume", resume}};
  if (cpu) e["set"] = {"train.threads=" + std::to_string(threads)};
  if (!resume && r.branch_step >= 0)
    e["branch_from"] =
        from.empty() ? checkpoint_path((fs::path(out_root) / r.parent).string(), r.branch_step)
                     : from;
  else if (!resume && !r.parent.empty())
    e["init_from"] = (fs::path(out_root) / r.parent).string();
  if (r.trunk()) e["checkpoint_at"] = r.checkpoint_steps;
  e["tags"] = nlohmann::json::object();
  for (const auto& [k, v] : r.tags) e["tags"][k] = tag_value(v);
  return e;
}

}  // namespace

std::vector<SweepScheduler::PackMember> SweepScheduler::gather_pack(const Slot& first) {
  std::vector<PackMember> pack;
  const Run& r = *first.run;
  if (o_.max_pack <= 1 || r.gpus_per_run > 1) return pack;
  const bool cpu =
      r.config.train.device == "cpu" || (o_.gpus.empty() && r.config.train.device == "auto");
  const int64_t room = max_pack_size(r.config, cpu ? available_host_memory() : 0, o_.max_pack) - 1;
  for (size_t i : order_) {
    if (int64_t(pack.size()) >= room) break;
    Slot& s = slots_[i];
    if (&s == &first || s.ended || s.running || s.run->gpus_per_run > 1) continue;
    if (pack_difference(r.config, s.run->config)) continue;
    std::string why;
    if (parent_ready(*s.run, &why) != Ready::yes) continue;
    PackMember m;
    m.slot = i;
    bool regrow = false;
    // A branch whose trunk's checkpoint is missing regrows it on its own turn.
    if (!ready_to_train(s, m.lock, &m.resumed, &m.branch_from, &regrow) || regrow) continue;
    pack.push_back(std::move(m));
  }
  return pack;
}

std::vector<std::string> SweepScheduler::pack_command(const Child& c,
                                                      const std::string& from) const {
  const Run& r = *slots_[c.slot].run;
  const bool cpu =
      r.config.train.device == "cpu" || (o_.gpus.empty() && r.config.train.device == "auto");
  nlohmann::json runs = nlohmann::json::array();
  runs.push_back(pack_entry(r, o_.out_root, c.resumed, from, run_threads(r), cpu));
  for (const auto& m : c.pack)
    runs.push_back(pack_entry(*slots_[m.slot].run, o_.out_root, m.resumed, m.branch_from,
                              run_threads(r), cpu));
  const fs::path file = fs::path(o_.out_root) / r.name / "pack.json";
  write_file_atomic(file.string(), nlohmann::json({{"runs", runs}}).dump(2) + "\n");
  return {o_.binary, "train-packed", file.string()};
}

}  // namespace scalelab::sweep
