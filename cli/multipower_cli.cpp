#include "cli/multipower_cli.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "analysis/figures/figures.h"
#include "analysis/fits/fit_laws.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/fits/identify.h"
#include "analysis/fits/multipower_fit.h"
#include "analysis/inputs/loss_curves.h"
#include "analysis/inputs/lr_schedule.h"
#include "cli/validators.h"
#include "configs/config_enums.h"
#include "core/budget.h"
#include "core/schedule.h"

namespace scalelab::cli {

void fit_multipower_command(const std::vector<std::string>& inputs,
                            const std::vector<std::string>& held_out_paths, const std::string& out,
                            const FitOptions& opts, bool json) {
  std::vector<std::string> notes;
  const auto curves = load_multipower_curves(inputs, notes);
  const auto held_out = held_out_paths.empty() ? std::vector<LossCurve>{}
                                               : load_multipower_curves(held_out_paths, notes);
  FitResult fit = fit_multipower(curves, opts);
  identify(fit, opts.max_failed_share);  // the gate, also without a bootstrap
  const MultiPowerLaw law = multipower_from_fit(fit);
  nlohmann::json held_out_errors = nlohmann::json::array();
  for (const auto& c : held_out) {
    const auto e = relative_error(MultiPowerCurve(c.lr, c.steps).predict(law), c.loss);
    held_out_errors.push_back(
        {{"curve", c.name}, {"mean", e.mean}, {"worst", e.worst}, {"final", e.final}});
  }
  std::string joined;
  for (const auto& i : inputs) joined += (joined.empty() ? "" : " ") + i;
  fit.data["source"] = joined;
  std::filesystem::create_directories(out);
  const auto path = (std::filesystem::path(out) / "fits.json").string();
  size_t n_points = 0;
  for (const auto& c : curves) n_points += c.steps.size();
  nlohmann::json source = {
      {"input", inputs}, {"n_points", n_points},        {"n_curves", curves.size()},
      {"notes", notes},  {"held_out", held_out_errors}, {"skipped_laws", nlohmann::json::array()}};
  write_fits_json(path, {fit}, source);
  // Figures draw only identified laws (fits/identify.h).
  const auto figures = (std::filesystem::path(out) / "figures").string();
  if (fit.identified) {
    std::filesystem::create_directories(figures);
    render_multipower_figure(curves, held_out, law, figures);
  }
  if (json) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    for (int c; f && (c = std::fgetc(f)) != EOF;) std::putchar(c);
    if (f) std::fclose(f);
    return;
  }
  std::printf("%zu curves, %zu points from %s%s\n", curves.size(), n_points, joined.c_str(),
              opts.n_bootstrap > 0 ? (", " + std::to_string(opts.n_bootstrap) +
                                      " bootstrap resamples (points within each curve), 95% "
                                      "intervals")
                                         .c_str()
                                   : "");
  for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
  std::printf("%s", format_fits({fit}).c_str());
  auto print_errors = [&](const LossCurve& c) {
    const auto e = relative_error(MultiPowerCurve(c.lr, c.steps).predict(law), c.loss);
    std::printf("  %-24s %4zu points  mean |L_hat/L - 1| %.3f%%  worst %.3f%%  final %.3f%%\n",
                c.name.c_str(), c.steps.size(), 100 * e.mean, 100 * e.worst, 100 * e.final);
  };
  for (const auto& c : curves) print_errors(c);
  if (!held_out.empty()) std::printf("held out (predicted from their schedules):\n");
  for (const auto& c : held_out) print_errors(c);
  if (fit.identified)
    std::printf("wrote %s and %s/multipower_curves.png\n", path.c_str(), figures.c_str());
  else
    std::printf(
        "wrote %s; no figure: the fit is not identified, and figures draw only identified "
        "laws\n",
        path.c_str());
}

std::shared_ptr<MultiPowerPredictOptions> add_multipower_predict_options(CLI::App* cmd) {
  auto o = std::make_shared<MultiPowerPredictOptions>();
  cmd->add_option("--schedule", o->schedule,
                  "Loss curve under a schedule (--law a multipower fits.json): cosine | linear | "
                  "constant | wsd");
  cmd->add_option("--config", o->config,
                  "Loss curve under a config's resolved schedule, optim and budget (multipower)");
  cmd->add_option("--steps", o->steps, "Total steps of the schedule")->check(FinitePositive);
  cmd->add_option("--lr", o->lr, "Peak learning rate")->check(FinitePositive);
  cmd->add_option("--warmup", o->warmup, "Linear warmup steps")->check(FiniteNonNegative);
  cmd->add_option("--min-lr", o->min_lr, "Final lr of the decay (default lr / 10)")
      ->check(FiniteNonNegative);
  cmd->add_option("--decay-fraction", o->decay_fraction, "WSD: the decaying final fraction")
      ->check(FiniteRange(0, 1));
  cmd->add_option("--decay-shape", o->decay_shape, "WSD cooldown: linear | 1-sqrt");
  cmd->add_option("--points", o->points, "Curve points printed")->check(CLI::Range(2, 10000));
  return o;
}

void predict_multipower(const MultiPowerPredictOptions& o, const std::vector<std::string>& laws,
                        bool json) {
  if (laws.size() != 1)
    throw std::runtime_error(
        "--schedule/--config: give one --law FITS.json from `scalelab fit --law multipower`");
  const std::string& path = laws[0];
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error("--law " + path +
                             ": the multi-power law needs a fits.json from `scalelab fit --law "
                             "multipower`");
  const auto fits = read_fits_json(path);
  const FitResult* fit = find_fit(fits, LawId::multipower);
  if (!fit)
    throw std::runtime_error(
        path + ": holds no multipower fit; run `scalelab fit --law multipower` first");
  const LawId mp = LawId::multipower;
  require_identified_law(path, "prediction", &mp);
  const MultiPowerLaw law = multipower_from_fit(*fit);
  ScheduleConfig sc;
  OptimConfig oc;
  int64_t total = 0;
  if (!o.config.empty()) {
    if (!o.schedule.empty()) throw std::runtime_error("give --schedule or --config, not both");
    const Config config = load_config(o.config);
    sc = config.schedule;
    oc = config.optim;
    total = budget_steps(config);
  } else {
    const auto kind = find_enum<Schedule>(o.schedule);
    if (!kind)
      throw std::runtime_error("--schedule " + o.schedule + ": the multi-power law here predicts " +
                               enum_choices<Schedule>() +
                               " (scalelab's schedules, core/schedule.h)");
    if (o.steps <= 0) throw std::runtime_error("--schedule needs --steps");
    if (!(o.lr > 0)) throw std::runtime_error("--schedule needs --lr");
    sc.kind = *kind;
    sc.warmup_steps = o.warmup;
    sc.decay_fraction = o.decay_fraction;
    sc.decay_shape = parse_enum<DecayShape>(o.decay_shape, "--decay-shape");
    oc.lr = o.lr;
    oc.min_lr = o.min_lr >= 0 ? o.min_lr : o.lr / 10;
    total = o.steps;
  }
  check_multipower_schedule(sc, oc, total);
  const auto lr = schedule_lrs(sc, oc, total);
  const int64_t w = std::max<int64_t>(warmup_steps(sc, total), 1);
  std::vector<int64_t> steps;
  for (int i = 0; i < o.points; ++i) {
    const int64_t s = w + (total - w) * i / (o.points - 1);
    if (steps.empty() || s > steps.back()) steps.push_back(s);
  }
  const auto loss = MultiPowerCurve(lr, steps).predict(law);
  if (json) {
    nlohmann::json j = {{"law", "multipower"},
                        {"fits", path},
                        {"schedule", enum_name(sc.kind)},
                        {"steps", total},
                        {"warmup", warmup_steps(sc, total)},
                        {"curve", nlohmann::json::array()},
                        {"final_loss", loss.back()}};
    for (size_t i = 0; i < steps.size(); ++i)
      j["curve"].push_back({{"step", steps[i]}, {"lr", lr[steps[i] - 1]}, {"loss", loss[i]}});
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("multipower (%s): %s schedule, %ld steps, warmup %ld, lr %.3g -> %.3g\n",
              path.c_str(), enum_name(sc.kind).c_str(), (long)total, (long)warmup_steps(sc, total),
              oc.lr, lr.back());
  std::printf("  %10s  %10s  %s\n", "step", "lr", "predicted loss");
  for (size_t i = 0; i < steps.size(); ++i)
    std::printf("  %10ld  %10.4g  %.4f\n", (long)steps[i], lr[steps[i] - 1], loss[i]);
  std::printf("final loss (step %ld): %.4f\n", (long)total, loss.back());
}

}  // namespace scalelab::cli
