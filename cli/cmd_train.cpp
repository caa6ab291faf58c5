// scalelab train CONFIG [--set k=v ...] [--out RUN_DIR] [--resume] [--init-from RUN_DIR]
#include <filesystem>

#include "cli/commands.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "trainer/train.h"

namespace scalelab::cli {

void add_train_command(CLI::App& app) {
  struct Options {
    std::string config, out, init_from, branch_from;
    std::vector<int64_t> checkpoint_steps;
    std::vector<std::string> overrides, tags;
    bool resume = false, force = false, measure_peak = false;
    int64_t stop_after = 0;
    double dist_timeout = 60;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("train", "Train one model (one point of a scaling curve)");
  cmd->add_option("config", opts->config,
                  "Config YAML (configs/debug.yaml, configs/tiny.yaml, ...)")
      ->required();
  cmd->add_option("--set", opts->overrides, "Override a field: key.path=value (repeatable)");
  cmd->add_option("--out", opts->out, "Run folder (default: runs/<config name>)");
  cmd->add_flag("--resume", opts->resume, "Continue from the run folder's newest checkpoint");
  cmd->add_flag("--force", opts->force, "Overwrite a finished run folder");
  cmd->add_option("--init-from", opts->init_from,
                  "Start from another run's weights (not its optimizer)");
  cmd->add_option(
      "--branch-from", opts->branch_from,
      "Continue a trunk's checkpoint (RUN/checkpoints/step_K.pt: weights, optimizer, progress "
      "and its metrics up to K) in this new run, with this run's schedule and budget");
  cmd->add_option("--checkpoint-at", opts->checkpoint_steps,
                  "Also checkpoint after these steps (a trunk's branch points), e.g. 800,1600")
      ->delimiter(',')
      ->check(FinitePositive);
  cmd->add_flag("--measure-peak", opts->measure_peak,
                "Measure the device's matmul peak and report MFU against it too");
  cmd->add_option(
         "--stop-after-step", opts->stop_after,
         "Checkpoint and end this session after step K (e.g. a job's time slice); --resume "
         "continues")
      ->check(FiniteNonNegative);
  cmd->add_option("--tag", opts->tags, "key=value recorded in summary.json tags (repeatable)");
  cmd->add_option(
         "--dist-timeout", opts->dist_timeout,
         "Data parallel: seconds a rank waits for the others (joining, each collective) before "
         "it fails")
      ->check(FinitePositive)
      ->capture_default_str();
  cmd->footer(
      "Budget: exactly one of train.steps, train.tokens (D) or train.flops (C, counted under\n"
      "train.flop_convention: 6n, 6n_total, litgpt, chinchilla, palm).\n"
      "Writes RUN_DIR/config.yaml, metrics.jsonl, summary.json, checkpoints/, log.txt.\n"
      "Example: scalelab train configs/tiny.yaml --set data.path=datasets/kjv-byte --out "
      "runs/tiny\n"
      "Data parallel: torchrun --nproc-per-node 2 --no-python scalelab train CONFIG ... (or srun "
      "with\n"
      "MASTER_ADDR/MASTER_PORT exported); train.batch_size stays the global batch.");
  cmd->callback([opts] {
    Config config = load_config(opts->config, opts->overrides);
    TrainOptions t;
    t.run_dir = opts->out.empty() ? "runs/" + std::filesystem::path(opts->config).stem().string()
                                  : opts->out;
    t.resume = opts->resume;
    t.force = opts->force;
    t.init_from = opts->init_from;
    t.branch_from = opts->branch_from;
    t.checkpoint_steps = opts->checkpoint_steps;
    if (!t.branch_from.empty() && (t.resume || !t.init_from.empty()))
      throw std::runtime_error(
          "--branch-from: not with --resume or --init-from (a branch starts a new run)");
    t.measure_peak = opts->measure_peak;
    t.stop_after_step = opts->stop_after;
    for (const auto& tag : opts->tags) {
      auto eq = tag.find('=');
      if (eq == std::string::npos || eq == 0)
        throw std::runtime_error("--tag " + tag + ": expected key=value");
      t.tags[tag.substr(0, eq)] = tag_value(tag.substr(eq + 1));
    }
    // Under torchrun or a multi-task srun step, train_launched joins the data-parallel group.
    const RunSummary summary = train_launched(config, t, opts->dist_timeout);
    if (summary.stop_signal != 0)
      throw ExitCode(128 + summary.stop_signal,
                     signal_name(summary.stop_signal) + ": stopped after step " +
                         std::to_string(summary.steps) + " with a checkpoint in " + t.run_dir +
                         "/checkpoints; continue with the same command and "
                         "--resume");
  });
}

}  // namespace scalelab::cli
