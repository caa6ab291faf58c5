// scalelab train-packed PACK.json [--resume] [--stop-after-step K]: K runs of one shape in one
// batched pass (trainer/train_packed.h), each into its own ordinary run folder.
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "runfolder/checkpoints.h"
#include "trainer/train_packed.h"

namespace scalelab::cli {
namespace {

using nlohmann::json;

// A pack file's runs: {"runs": [{"config": YAML, "out": DIR, "set": [...], "init_from": DIR,
// "branch_from": CHECKPOINT, "checkpoint_at": [...], "tags": {...}}, ...]}; relative paths are
// taken from where the command runs, as `scalelab train` takes them.
std::vector<PackedRun> read_pack(const std::string& path, bool resume, int64_t stop_after) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the pack file");
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("runs") || !j["runs"].is_array())
    throw std::runtime_error(path + ": not a pack file (JSON with a \"runs\" list; see --help)");
  std::vector<PackedRun> runs;
  for (size_t i = 0; i < j["runs"].size(); ++i) {
    const json& r = j["runs"][i];
    const std::string where = path + ": runs[" + std::to_string(i) + "]";
    if (!r.is_object() || !r.contains("config") || !r.contains("out") || !r["config"].is_string() ||
        !r["out"].is_string())
      throw std::runtime_error(where +
                               ": needs \"config\" (a YAML file) and \"out\" (its run "
                               "folder)");
    try {
      PackedRun run;
      run.config =
          load_config(r["config"].get<std::string>(), r.value("set", std::vector<std::string>{}));
      TrainOptions& t = run.options;
      t.run_dir = r["out"].get<std::string>();
      t.init_from = r.value("init_from", std::string());
      t.branch_from = r.value("branch_from", std::string());
      t.checkpoint_steps = r.value("checkpoint_at", std::vector<int64_t>{});
      // Tags read as `--tag k=v` reads them: text that is a number is recorded as one.
      // The tags held in a named object: items() of the temporary r.value() returns would
      // outlive it (a range-for keeps only the proxy), which looped forever here.
      const json tags = r.value("tags", json::object());
      for (const auto& [key, value] : tags.items())
        t.tags[key] = value.is_string() ? tag_value(value.get<std::string>()) : value;
      t.stop_after_step = stop_after;
      // --resume continues each run from its newest checkpoint; one killed before its first
      // checkpoint starts afresh.
      t.resume = (resume || r.value("resume", false)) && newest_checkpoint(t.run_dir).has_value();
      if (t.resume) t.init_from.clear(), t.branch_from.clear();
      runs.push_back(std::move(run));
    } catch (const json::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    } catch (const ConfigError& e) {
      throw ConfigError(where + ": " + e.what());
    }
  }
  return runs;
}

}  // namespace

void add_train_packed_command(CLI::App& app) {
  struct Options {
    std::string pack;
    bool resume = false;
    int64_t stop_after = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "train-packed", "Train K runs of one shape as one batched model (seeds, lr sweeps)");
  cmd->add_option("pack", opts->pack, "Pack file (JSON): the runs, see below")->required();
  cmd->add_flag("--resume", opts->resume,
                "Continue each run from its newest checkpoint (one without any starts afresh)");
  cmd->add_option("--stop-after-step", opts->stop_after,
                  "Checkpoint and end each run's session after its step K; --resume continues")
      ->check(FiniteNonNegative);
  cmd->footer(
      "The runs share the model section and train.batch_size, micro_batch_size, device, precision\n"
      "and threads; each keeps its own seed, data order, lr, schedule, budget, clipping, AdamW\n"
      "state, evaluation and checkpoints, and writes an ordinary run folder. Each run follows the\n"
      "run trained alone to within float rounding (tests/e2e/test_packed_e2e.cpp). Sweeps, tune\n"
      "and studies pack their runs themselves (`scalelab sweep --dry-run` shows the packs).\n"
      "Pack file:\n"
      "  {\"runs\": [\n"
      "    {\"config\": \"configs/debug.yaml\", \"set\": [\"train.seed=1\"], \"out\": "
      "\"runs/s1\"},\n"
      "    {\"config\": \"configs/debug.yaml\", \"set\": [\"train.seed=2\", \"optim.lr=1e-3\"],\n"
      "     \"out\": \"runs/s2\", \"tags\": {\"seed\": 2}}]}\n"
      "Optional per run: \"init_from\" (a run folder), \"branch_from\" (a trunk's checkpoint),\n"
      "\"checkpoint_at\" (steps), \"tags\" (copied into summary.json), \"resume\" (true: as "
      "--resume).");
  cmd->callback([opts] {
    const auto runs = read_pack(opts->pack, opts->resume, opts->stop_after);
    const auto summaries = train_packed(runs);
    int diverged = 0, signal = 0;
    for (const auto& s : summaries) {
      diverged += s.status == RunStatus::diverged;
      signal = std::max(signal, s.stop_signal);
    }
    if (signal != 0)
      throw ExitCode(128 + signal, signal_name(signal) +
                                       ": every run of the pack stopped with a checkpoint; "
                                       "continue with the same command and --resume");
    if (diverged > 0)
      throw std::runtime_error(std::to_string(diverged) + " of " +
                               std::to_string(summaries.size()) +
                               " runs of the pack diverged (their summary.json and log.txt say "
                               "at which step); the others trained to their end");
  });
}

}  // namespace scalelab::cli
