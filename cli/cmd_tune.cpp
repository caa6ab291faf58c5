// scalelab tune FILE [--jobs N | --gpus LIST] [--slurm OUT] [--dry-run] [--analyse-only]: a peak
// learning rate grid per model size, run through the sweep runner, then lr_opt(N) = c N^-k.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "analysis/tune.h"
#include "cli/commands.h"
#include "common/checked_io.h"
#include "common/stop_signals.h"
#include "experiments/process.h"
#include "experiments/tune_spec.h"

namespace scalelab::cli {
namespace fs = std::filesystem;

namespace {

// Runs `scalelab sweep ...` with this process's stdout and stderr (its stdout on stderr when ours
// must hold JSON only); returns its exit code.
int run_child(const std::vector<std::string>& argv, bool stdout_to_stderr) {
  std::fflush(stdout), std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("tune: cannot start the sweep (fork failed)");
  if (pid == 0) {
    if (stdout_to_stderr) ::dup2(2, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror("scalelab tune: exec");
    ::_exit(127);
  }
  // SIGTERM or SIGUSR1 for tune (kill, scancel) goes on to the sweep, which checkpoints its runs
  // and exits 128 + signal; tune then exits with that code, leaving nothing running. (Ctrl-C's
  // SIGINT reaches the sweep itself, from the terminal.)
  StopSignals relay;
  bool passed_on = false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR)
    if (relay.received() && relay.received() != SIGINT && !passed_on)
      ::kill(pid, relay.received()), passed_on = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Whether the sweep ended with every run done, skipped or diverged (sweep_state.json).
bool only_diverged(const std::string& out_root) {
  std::ifstream in(fs::path(out_root) / "sweep_state.json");
  const auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("runs")) return false;
  int n_trained = 0;
  for (const auto& r : j["runs"]) {
    const std::string status = r.value("status", "");
    if (status != "done" && status != "skipped" && status != "diverged") return false;
    n_trained += status != "diverged";
  }
  return n_trained > 0;
}

}  // namespace

void add_tune_command(CLI::App& app) {
  struct Options {
    std::string file, out_root, gpus, slurm, torchrun;
    std::vector<std::string> slurm_opts, sets;
    int jobs = 1, threads_per_job = 0, bootstrap = 1000;
    uint64_t seed = 0;
    bool dry_run = false, no_measure = false, analyse_only = false, json = false;
  };
  auto o = std::make_shared<Options>();
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
  cmd->callback([o] {
    const sweep::TuneSpec spec = sweep::load_tune(o->file);
    std::string out_root = o->out_root;
    if (out_root.empty()) out_root = spec.out_root;
    if (out_root.empty()) out_root = "runs/" + fs::path(o->file).stem().string();
    fs::create_directories(out_root);
    const std::string sweep_file = (fs::path(out_root) / "tune_sweep.yaml").string();
    write_file_atomic(sweep_file, spec.sweep_yaml);

    if (!o->analyse_only) {
      std::vector<std::string> argv = {sweep::self_executable(), "sweep", sweep_file, "--out-root",
                                       out_root};
      auto add = [&](const std::string& flag, const std::string& value) {
        if (!value.empty()) argv.push_back(flag), argv.push_back(value);
      };
      if (o->jobs != 1) add("--jobs", std::to_string(o->jobs));
      add("--gpus", o->gpus);
      if (o->threads_per_job > 0) add("--threads-per-job", std::to_string(o->threads_per_job));
      add("--slurm", o->slurm);
      for (const auto& s : o->slurm_opts) argv.push_back("--slurm-opt=" + s);
      add("--torchrun", o->torchrun);
      for (const auto& s : o->sets) add("--set", s);
      if (o->dry_run) argv.push_back("--dry-run");
      if (o->no_measure) argv.push_back("--no-measure");
      const int code = run_child(argv, o->json && !o->dry_run);
      // A diverged run is a measurement (that lr is too high), not a failure of the tune.
      if (code != 0 && (o->dry_run || !o->slurm.empty() || !only_diverged(out_root)))
        throw ExitCode(code, "tune: the grid's sweep (" + sweep_file +
                                 ") did not finish; the same command retries it");
      if (o->dry_run) return;
      if (!o->slurm.empty()) {
        std::printf("then, once the jobs have finished: scalelab tune %s --analyse-only%s\n",
                    o->file.c_str(),
                    o->out_root.empty() ? "" : (" --out-root " + out_root).c_str());
        return;
      }
    }

    RunReadOptions ro;
    ro.allow_missing_summary = true;
    const RunSet set = read_runs(out_root, ro);
    const ParamCount count =
        spec.params_counted == "total" ? ParamCount::total : ParamCount::non_embedding;
    TuneOptions to;
    to.n_bootstrap = o->bootstrap, to.seed = o->seed;
    to.params_counted = spec.params_counted;
    to.warmup_tokens_per_param = spec.warmup_tokens_per_param;
    const TuneResult r = fit_tune(tune_observations(set.runs, count), to);
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
    const nlohmann::json extra = {
        {"source", fs::path(out_root).lexically_normal().string()},
        {"tune_file", o->file},
        {"procedure",
         {{"optimum",
           "per size: loss = c0 + c1 x + c2 x^2, x = ln(lr) - x_mean, through the final "
           "validation losses of its best lr, its neighbour each side and one more each side "
           "within 10% of the best loss; lr_opt at the minimum"},
          {"law", "OLS of ln lr_opt on ln N (and ln B_opt on ln N)"},
          {"interval", "95% residual bootstrap over the parabolas' residuals"},
          {"n_resamples", o->bootstrap},
          {"n_failed", r.n_resamples_failed},
          {"seed", o->seed}}},
        {"refused", r.refused},
        {"notes", r.notes},
        {"curves", curves}};
    const std::string hparams_path = (fs::path(out_root) / "hparams.json").string();
    write_hparams(hparams_path, r.hparams, extra);
    const Figure fig = render_tune_figure(r, out_root);
    if (o->json) {
      std::ifstream in(hparams_path);
      std::printf("%s", std::string(std::istreambuf_iterator<char>(in), {}).c_str());
      return;
    }
    std::printf("tune: %s (%zu runs)\n%s", out_root.c_str(), set.runs.size(),
                format_tune(r).c_str());
    std::printf("wrote %s and %s/%s.png\n", hparams_path.c_str(), out_root.c_str(),
                fig.name.c_str());
  });
}

}  // namespace scalelab::cli
