#include "experiments/trunk_regrow.h"

#include <cstdio>
#include <filesystem>

#include "runfolder/checkpoints.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;

std::string regrow_dir(const std::string& out_root, const Run& branch) {
  char step[32];
  std::snprintf(step, sizeof step, "step_%08lld", static_cast<long long>(branch.branch_step));
  return (fs::path(out_root) / branch.parent / "regrown" / step).string();
}

std::optional<std::string> branch_checkpoint(const std::string& out_root, const Run& branch) {
  for (const std::string& dir :
       {(fs::path(out_root) / branch.parent).string(), regrow_dir(out_root, branch)}) {
    const std::string path = checkpoint_path(dir, branch.branch_step);
    if (fs::exists(path)) return path;
  }
  return std::nullopt;
}

RegrowPlan regrow_plan(const std::string& out_root, const Run& trunk, const Run& branch) {
  const std::string dir = regrow_dir(out_root, branch);
  const std::string b = std::to_string(branch.branch_step);
  RegrowPlan plan;
  TrainStart& t = plan.start;
  t.config = (fs::path(dir) / "sweep_config.yaml").string();
  t.out = dir;
  t.checkpoint_at = {branch.branch_step};
  plan.stop_step = branch.branch_step;
  plan.args = {"train", t.config, "--out", dir};
  if (newest_checkpoint(dir)) {
    t.resume = true;
    plan.args.push_back("--resume");
    plan.how = "resuming its regrowth in " + dir;
  } else {
    std::optional<CheckpointFile> before;
    for (const auto& c : list_checkpoints((fs::path(out_root) / trunk.name).string()))
      if (c.step < branch.branch_step) before = c;
    if (before) {
      t.branch_from = before->path;
      plan.args.insert(plan.args.end(), {"--branch-from", before->path});
      plan.how = "from the trunk's checkpoint at step " + std::to_string(before->step);
    } else {
      plan.how = "from step 0 (the trunk has no checkpoint before it)";
    }
  }
  plan.args.insert(plan.args.end(), {"--stop-after-step", b, "--checkpoint-at", b});
  for (const auto& [k, v] : trunk.tags) plan.args.insert(plan.args.end(), {"--tag", k + "=" + v});
  return plan;
}

}  // namespace scalelab::sweep
