// scalelab study FILE [--jobs N | --gpus LIST] [--dry-run] [--submit] [--status] [--out-root DIR]
// A study: its design trained in waves until every IsoFLOP budget is bracketed (or at its cap),
// then its laws fitted into one OUT_ROOT/fits.json and the report read from it. The flags into
// SweepArgs; the design and the waves are experiments/study_run.h, the analysis
// cli/study_analysis.h.
#include <cstdio>

#include "cli/commands.h"
#include "cli/study_analysis.h"
#include "cli/sweep_modes.h"
#include "common/stop_signals.h"

namespace scalelab::cli {
namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "[study] %s\n", line.c_str());
}

void fit_and_report(sweep::StudyDesign& d) {
  say("fitting " + std::to_string(d.spec.laws.size()) + " law(s) with " +
      std::to_string(d.spec.bootstrap) + " bootstrap resamples, C under the " + d.flop_convention +
      " convention");
  const StudyFit f = fit_and_report_study(d);
  std::printf("\n%s", f.summary.c_str());
  std::printf("%s", sweep::study_state_text(d.state).c_str());
  std::printf("wrote %s, %s and %s\n", f.fits_path.c_str(), f.report_markdown.c_str(),
              f.report_html.c_str());
  d.state.phase = "fitted";
  sweep::write_study_state(d.state_path, d.state);
}

// --submit: the wave's unfinished runs go to Slurm; once they have all finished, a rerun decides
// the next wave (and submits it), or fits and reports when bracketing is done.
void submit_wave(const SweepArgs& a, sweep::StudyDesign& d) {
  if (!sweep::unfinished_runs(d).empty()) {
    sweep_slurm(a, d.sweep());
    std::printf(
        "wave %d: when these runs have finished, run `scalelab study %s --submit` again: "
        "it decides the next wave from them (or fits and reports)\n",
        d.state.wave, a.file.c_str());
    d.state.phase = "submitted";
    sweep::write_study_state(d.state_path, d.state);
    return;
  }
  const auto standings = study_standings(d);
  if (!standings && d.spec.bracketing.enabled)
    throw std::runtime_error("wave " + std::to_string(d.state.wave) +
                             "'s runs have finished, but this build's analysis cannot locate "
                             "each budget's minimum (budget_minima); the runs are kept");
  if (standings) {
    const auto added = sweep::decide_next_wave(d, *standings);
    for (const auto& x : added) say(x.reason);
    if (!added.empty()) return submit_wave(a, d);
  }
  fit_and_report(d);
}

void run_study_command(SweepArgs a) {
  sweep::StudyDesign d = sweep::load_study_design(a.file, a.sets, a.out_root);
  check_study_laws(d.spec);
  a.out_root = d.out_root;
  if (!a.gpus.empty() && a.jobs != 1)
    throw std::runtime_error("--jobs and --gpus: give one (--gpus runs one per GPU)");
  if (a.status) {
    sweep_status(a, d.sweep());
    std::printf("study: %s", sweep::study_state_text(d.state).c_str());
    return;
  }
  if (a.dry_run) {
    sweep_dry_run(a, d.sweep(), stdout);
    std::printf("\n%s%s", sweep::study_plan_text(d).c_str(), study_power_text(d).c_str());
    return;
  }
  if (!a.only.empty()) {  // a Slurm task: train these runs of the design, decide nothing
    const sweep::SweepResult r = sweep_train(a, d.sweep(), stdout);
    if (r.exit_code() != 0) throw ExitCode(r.exit_code(), r.verdict());
    return;
  }
  if (a.submit) return submit_wave(a, d);
  sweep::StudyHooks hooks;
  hooks.train = [&](const sweep::LoadedSweep& s) {
    const sweep::SweepResult r = sweep_train(a, s, stdout);
    std::fflush(stdout);  // the wave's table before the next [study] line
    return r;
  };
  hooks.standings = [](const sweep::StudyDesign& x) {
    say(refresh_live_report(x));  // the page a user watches, rewritten after every wave
    return study_standings(x);
  };
  hooks.say = say;
  const sweep::SweepResult r = sweep::run_study_waves(d, hooks);
  if (r.stop_signal != 0)
    throw ExitCode(r.exit_code(), "study: stopped by " + signal_name(r.stop_signal) +
                                      ": the runs it stopped checkpointed; the same command "
                                      "resumes them, then brackets, fits and reports");
  if (r.exit_code() != 0) throw std::runtime_error("study: " + r.verdict());
  fit_and_report(d);
}

}  // namespace

void add_study_command(CLI::App& app) {
  auto o = std::make_shared<SweepArgs>();
  o->command = "study";
  auto* cmd = app.add_subcommand(
      "study",
      "Design, train, bracket, fit and report a scaling study from one file (a sweep file with "
      "a study: block)");
  cmd->add_option("file", o->file, "Study YAML (experiments/demo/study.yaml)")->required();
  cmd->add_option("--jobs", o->jobs, "CPU runs at once")
      ->check(FinitePositive)
      ->capture_default_str();
  cmd->add_option("--gpus", o->gpus, "GPU ids, e.g. 0,1,2,3: one run per GPU");
  cmd->add_option("--threads-per-job", o->threads_per_job,
                  "train.threads of CPU runs (default: cores / jobs)")
      ->check(FiniteNonNegative);
  add_pack_options(cmd, &o->max_pack);
  cmd->add_option("--out-root", o->out_root,
                  "Folder of the runs, study_state.json, fits.json and report/ (default: the "
                  "file's out_root, else runs/<file stem>)");
  cmd->add_option("--set", o->sets, "key.path=value applied to every run (repeatable)");
  cmd->add_flag("--dry-run", o->dry_run,
                "List the design's runs, its budgets and next sizes, its compute and its power "
                "analysis; train nothing");
  cmd->add_option("--tokens-per-s", o->tokens_per_s,
                  "Dry run: use this throughput (smallest model) instead of measuring")
      ->check(FinitePositive);
  cmd->add_flag("--no-measure", o->no_measure, "Dry run: no throughput measurement");
  cmd->add_flag("--submit", o->submit,
                "Submit the wave's unfinished runs to Slurm; rerun once they have finished to "
                "decide the next wave (or to fit and report)");
  cmd->add_option("--slurm", o->slurm, "With --submit: write the wave's script here");
  cmd->add_option("--slurm-opt", o->slurm_opts, "Extra #SBATCH option (repeatable)");
  cmd->add_option("--slurm-warning", o->slurm_warning_s,
                  "Seconds before the time limit at which Slurm sends SIGUSR1")
      ->check(FinitePositive)
      ->capture_default_str();
  cmd->add_flag("--status", o->status, "Each run's state, and the study's waves and budgets");
  cmd->add_option("--only", o->only,
                  "Train only this run of the design (repeatable; what a Slurm task runs)");
  cmd->add_option("--torchrun", o->torchrun, "torchrun for runs with sweep.gpus_per_run > 1");
  cmd->footer(
      "Writes OUT_ROOT/<run>/ (every run), OUT_ROOT/study_state.json (waves, added sizes and why,\n"
      "bracketed and unbracketed budgets), OUT_ROOT/fits.json (the study's laws, under its "
      "sweep's\n"
      "FLOP convention) and OUT_ROOT/report/ (read from that fits.json). Rerun to resume: "
      "finished\n"
      "runs are skipped, interrupted ones resumed. Format: experiments/README.md (Studies).\n"
      "Example: scalelab study experiments/demo/study.yaml --jobs 2");
  cmd->callback([o] { run_study_command(*o); });
}

}  // namespace scalelab::cli
