// scalelab tune FILE [--jobs N | --gpus LIST] [--slurm OUT] [--dry-run] [--analyse-only]: a peak
// learning rate grid per model size, run through the sweep runner (in this process, so a stop
// signal pauses every run as it does for `scalelab sweep`), then lr_opt(N) = c N^-k.
#include <cstdio>
#include <filesystem>

#include "analysis/figures/figures.h"
#include "analysis/fits/tune.h"
#include "cli/commands.h"
#include "cli/sweep_modes.h"
#include "common/checked_io.h"
#include "common/stop_signals.h"
#include "experiments/tune_spec.h"

namespace scalelab::cli {
namespace fs = std::filesystem;
namespace {

struct TuneArgs {
  std::string file, out_root, gpus, slurm, torchrun;
  std::vector<std::string> slurm_opts, sets;
  int jobs = 1, threads_per_job = 0, bootstrap = 1000, max_pack = kDefaultMaxPack;
  uint64_t seed = 0;
  bool dry_run = false, no_measure = false, analyse_only = false, json = false;
};

// The grid as `scalelab sweep` options.
SweepArgs grid_sweep_args(const TuneArgs& t, const std::string& sweep_file,
                          const std::string& out_root) {
  SweepArgs a;
  a.file = sweep_file;
  a.out_root = out_root;
  a.jobs = t.jobs;
  a.gpus = t.gpus;
  a.threads_per_job = t.threads_per_job;
  a.max_pack = t.max_pack;
  a.slurm = t.slurm;
  a.slurm_opts = t.slurm_opts;
  a.torchrun = t.torchrun;
  a.sets = t.sets;
  a.dry_run = t.dry_run;
  a.no_measure = t.no_measure;
  return a;
}

// Runs the grid's sweep (its dry run, its Slurm script, or its training); returns whether there
// are runs to fit now. A diverged run is a measurement (that lr is too high), not a failure.
bool run_grid(const TuneArgs& t, const std::string& sweep_file, const std::string& out_root) {
  const SweepArgs a = grid_sweep_args(t, sweep_file, out_root);
  const sweep::LoadedSweep sweep = load_sweep_args(a);
  if (t.dry_run) {
    sweep_dry_run(a, sweep, stdout);
    return false;
  }
  if (!t.slurm.empty()) {
    sweep_slurm(a, sweep);
    std::printf("then, once the jobs have finished: scalelab tune %s --analyse-only%s\n",
                t.file.c_str(), t.out_root.empty() ? "" : (" --out-root " + out_root).c_str());
    return false;
  }
  // With --json, stdout holds hparams.json only: the sweep's table goes to stderr.
  const sweep::SweepResult r = sweep_train(a, sweep, t.json ? stderr : stdout);
  if (r.stop_signal != 0)
    throw ExitCode(r.exit_code(), "tune: stopped by " + signal_name(r.stop_signal) +
                                      ": the runs it stopped checkpointed; the same command "
                                      "resumes them, then fits the law");
  const bool all_diverged = r.n_diverged == int(r.outcomes.size());
  if (r.n_unfinished > r.n_diverged || all_diverged)
    throw ExitCode(1, "tune: the grid's sweep (" + sweep_file + ") did not finish: " + r.verdict());
  return true;
}

// What hparams.json records beside the law: the source, the procedure, each size's curve.
nlohmann::json tune_record(const TuneArgs& t, const TuneResult& r, const std::string& out_root) {
  nlohmann::json curves = nlohmann::json::array();
  for (const auto& c : r.curves)
    curves.push_back({{"N", c.N},
                      {"batch_tokens", c.batch_tokens},
                      {"beta2", c.beta2},
                      {"lr", c.lr},
                      {"loss", c.loss},
                      {"runs", c.names},
                      {"parabola",
                       {{"x_mean", c.x_mean},
                        {"c", {c.c0, c.c1, c.c2}},
                        {"fitted_points", {c.fit_begin, c.fit_end}}}},
                      {"lr_opt", c.lr_opt},
                      {"refusal", c.refusal}});
  return {{"source", fs::path(out_root).lexically_normal().string()},
          {"tune_file", t.file},
          {"procedure",
           {{"optimum",
             "per size: loss = c0 + c1 x + c2 x^2, x = ln(lr) - x_mean, through the final "
             "validation losses of its best lr, its neighbour each side and one more each side "
             "within 10% of the best loss; lr_opt at the minimum"},
            {"law", "OLS of ln lr_opt on ln N (and ln B_opt on ln N)"},
            {"interval", "95% residual bootstrap over the parabolas' residuals"},
            {"n_resamples", t.bootstrap},
            {"n_failed", r.n_resamples_failed},
            {"seed", t.seed}}},
          {"refused", r.refused},
          {"notes", r.notes},
          {"curves", curves}};
}

// Fits lr_opt(N) to the runs in out_root; writes hparams.json and the figure.
void analyse(const TuneArgs& t, const sweep::TuneSpec& spec, const std::string& out_root) {
  RunReadOptions ro;
  ro.allow_missing_summary = true;
  const RunSet set = read_runs(out_root, ro);
  const ParamCount count =
      spec.params_counted == "total" ? ParamCount::total : ParamCount::non_embedding;
  TuneOptions to;
  to.n_bootstrap = t.bootstrap, to.seed = t.seed;
  to.params_counted = spec.params_counted;
  to.warmup_tokens_per_param = spec.warmup_tokens_per_param;
  const TuneResult r = fit_tune(tune_observations(set.runs, count), to);
  const std::string hparams_path = (fs::path(out_root) / "hparams.json").string();
  write_hparams(hparams_path, r.hparams, tune_record(t, r, out_root));
  const Figure fig = render_tune_figure(r, out_root);
  if (t.json) {
    std::printf("%s", read_text_file(hparams_path).c_str());
    return;
  }
  std::printf("tune: %s (%zu runs)\n%s", out_root.c_str(), set.runs.size(), format_tune(r).c_str());
  std::printf("wrote %s and %s/%s.png\n", hparams_path.c_str(), out_root.c_str(), fig.name.c_str());
}

void run_tune_command(const TuneArgs& t) {
  const sweep::TuneSpec spec = sweep::load_tune(t.file);
  std::string out_root = t.out_root;
  if (out_root.empty()) out_root = spec.out_root;
  if (out_root.empty()) out_root = "runs/" + fs::path(t.file).stem().string();
  make_directories(out_root);
  const std::string sweep_file = (fs::path(out_root) / "tune_sweep.yaml").string();
  write_file_atomic(sweep_file, spec.sweep_yaml);
  if (!t.analyse_only && !run_grid(t, sweep_file, out_root)) return;
  analyse(t, spec, out_root);
}

}  // namespace

void add_tune_command(CLI::App& app) {
  auto o = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand(
      "tune", "Tune the peak learning rate per model size and fit lr_opt(N) = c N^-k");
  cmd->add_option("file", o->file, "Tune YAML: a sweep file with a tune: block")->required();
  cmd->add_option("--out-root", o->out_root,
                  "Folder of the run folders and hparams.json (default: the file's out_root, "
                  "else runs/<file stem>)");
  cmd->add_option("--jobs", o->jobs, "CPU runs at once")
      ->check(FinitePositive)
      ->capture_default_str();
  cmd->add_option("--gpus", o->gpus, "GPU ids, e.g. 0,1: one run per GPU");
  cmd->add_option("--threads-per-job", o->threads_per_job, "train.threads of CPU runs")
      ->check(FiniteNonNegative);
  add_pack_options(cmd, &o->max_pack);
  cmd->add_option("--set", o->sets, "key.path=value applied to every run (repeatable)");
  cmd->add_option("--slurm", o->slurm,
                  "Write a Slurm job-array script for the grid instead of running it; then "
                  "`scalelab tune FILE --analyse-only` once it has finished");
  cmd->add_option("--slurm-opt", o->slurm_opts, "Extra #SBATCH option for --slurm (repeatable)");
  cmd->add_option("--torchrun", o->torchrun, "torchrun for runs with sweep.gpus_per_run > 1");
  cmd->add_flag("--dry-run", o->dry_run,
                "List the grid's runs (the sweep's dry run); train nothing");
  cmd->add_flag("--no-measure", o->no_measure, "Dry run: no throughput measurement");
  cmd->add_flag("--analyse-only", o->analyse_only,
                "Fit the runs already in the out root; train nothing");
  cmd->add_option("--bootstrap", o->bootstrap, "Residual-bootstrap resamples (0 = no intervals)")
      ->check(FiniteNonNegative)
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print hparams.json instead of the table");
  cmd->footer(
      "Writes OUT_ROOT/tune_sweep.yaml (the grid as a sweep file), trains it through the sweep\n"
      "runner (finished runs are skipped, interrupted ones resumed), then OUT_ROOT/hparams.json\n"
      "and OUT_ROOT/tune_lr.png. A sweep takes the law with derive: {lr_from: "
      "OUT_ROOT/hparams.json}.\n"
      "Format and example: experiments/README.md (scalelab tune).");
  cmd->callback([o] { run_tune_command(*o); });
}

}  // namespace scalelab::cli
