// SweepScheduler, part three: packs. When a run starts, the runs that may train in its process
// (core/packing.h: one shape, the rest their own) and are ready now join it, up to
// RunnerOptions::max_pack, what memory allows and the pack's share of the free job slots, as one
// `scalelab train-packed` process.
#include <filesystem>

#include "common/checked_io.h"
#include "core/packing.h"
#include "experiments/scheduler.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
// One run's entry of a pack file (cli/cmd_train_packed.cpp): what `scalelab train` would be told.
nlohmann::json pack_entry(const TrainStart& t, const Run& r, int threads, bool cpu) {
  nlohmann::json e = {{"config", t.config}, {"out", t.out}, {"resume", t.resume}};
  if (cpu) e["set"] = {"train.threads=" + std::to_string(threads)};
  if (!t.branch_from.empty()) e["branch_from"] = t.branch_from;
  if (!t.init_from.empty()) e["init_from"] = t.init_from;
  if (!t.checkpoint_at.empty()) e["checkpoint_at"] = t.checkpoint_at;
  e["tags"] = nlohmann::json::object();
  for (const auto& [k, v] : r.tags) e["tags"][k] = v;  // read as `--tag k=v` reads them
  return e;
}

// Two ready runs and two free cores train one each rather than one pack on one core: a pack
// gains 1.0-1.4x on a CPU (bench/bench_packed.sh), a second process up to 2x.
int64_t SweepScheduler::pack_share() const {
  int64_t ready = 0;
  for (const Slot& s : slots_) {
    std::string why;
    if (!s.ended && !s.running && parent_ready(*s.run, &why) == Ready::yes) ++ready;
  }
  const int64_t free =
      std::max<int64_t>(1, o_.gpus.empty() ? std::max(1, o_.jobs) - int64_t(children_.size())
                                           : int64_t(free_gpus_.size()));
  return (ready + free - 1) / free;
}

std::vector<SweepScheduler::PackMember> SweepScheduler::gather_pack(const Slot& first) {
  std::vector<PackMember> pack;
  const Run& r = *first.run;
  const int64_t capacity = pack_capacity(r, o_);
  const int64_t room = (capacity > 1 ? std::min(capacity, pack_share()) : 1) - 1;
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
  const bool cpu = trains_on_cpu(r, o_);
  nlohmann::json runs = nlohmann::json::array();
  runs.push_back(pack_entry(train_start(r, o_.out_root, c.resumed, from), r, run_threads(r), cpu));
  for (const auto& m : c.pack) {
    const Run& other = *slots_[m.slot].run;
    runs.push_back(pack_entry(train_start(other, o_.out_root, m.resumed, m.branch_from), other,
                              run_threads(r), cpu));
  }
  const fs::path file = fs::path(o_.out_root) / r.name / "pack.json";
  write_file_atomic(file.string(), nlohmann::json({{"runs", runs}}).dump(2) + "\n");
  return {o_.binary, "train-packed", file.string()};
}

}  // namespace scalelab::sweep
