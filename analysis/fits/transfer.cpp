#include "analysis/fits/transfer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "analysis/fits/fit_bootstrap.h"
#include "analysis/inputs/distinct.h"
#include "analysis/inputs/run_tags.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

bool same_size(double a, double b) {
  return std::abs(a - b) <= 0.01 * std::max(a, b);
}

// (log k, alpha, beta) from log D_T = log k + alpha log D_F + beta log N (centred regressors).
std::vector<double> solve(const std::vector<TransferPoint>& pts, const std::vector<size_t>& idx) {
  double mf = 0, mn = 0;
  for (size_t i : idx)
    mf += std::log(pts[i].D_F) / idx.size(), mn += std::log(pts[i].N) / idx.size();
  std::vector<std::vector<double>> X;
  std::vector<double> y;
  for (size_t i : idx) {
    X.push_back({1.0, std::log(pts[i].D_F) - mf, std::log(pts[i].N) - mn});
    y.push_back(std::log(pts[i].D_T));
  }
  auto c = least_squares(X, y, "transfer (needs several D_F and several N)");
  return {std::exp(c[0] - c[1] * mf - c[2] * mn), c[1], c[2]};
}

}  // namespace

std::vector<TransferPoint> transfer_points(const std::vector<Run>& runs, ParamCount count,
                                           std::vector<std::string>& notes) {
  std::vector<const Run*> scratch, finetune;
  for (const auto& r : runs) {
    if (!tag_is(r, "study", "transfer") || !is_complete(r.status)) continue;
    if (tag_is(r, "role", "scratch"))
      scratch.push_back(&r);
    else if (tag_is(r, "role", "finetune"))
      finetune.push_back(&r);
  }
  if (scratch.empty() || finetune.empty())
    throw std::runtime_error(
        "transfer: needs runs tagged study=transfer with role=scratch and role=finetune (found " +
        std::to_string(scratch.size()) + " scratch, " + std::to_string(finetune.size()) +
        " finetune)");
  std::vector<TransferPoint> out;
  for (const Run* f : finetune) {
    const std::optional<double> finetune_tokens = tag_number(*f, "finetune_tokens");
    if (!finetune_tokens)
      throw std::runtime_error("run " + f->name +
                               ": role=finetune needs a numeric tags.finetune_tokens (D_F)");
    const double N = run_params(*f, count), D_F = *finetune_tokens;
    const double L = f->final_val_loss;
    // Scratch L(D) at this N, sorted by D and kept strictly decreasing (the lower envelope).
    std::vector<std::pair<double, double>> curve;
    for (const Run* s : scratch) {
      if (!same_size(run_params(*s, count), N)) continue;
      for (const auto& e : s->eval)
        if (e.tokens > 0) curve.push_back({e.tokens, e.loss});
      curve.push_back({s->tokens, s->final_val_loss});
    }
    std::sort(curve.begin(), curve.end());
    std::vector<std::pair<double, double>> env;
    for (const auto& c : curve)
      if (env.empty() || c.second < env.back().second) env.push_back(c);
    if (env.size() < 2 || L < env.back().second || L > env.front().second) {
      notes.push_back(
          "run " + f->name + ": fine-tuned loss " + std::to_string(L) +
          " is outside the scratch curve of the same N; not used (train scratch runs longer)");
      continue;
    }
    size_t j = 1;
    while (env[j].second > L) ++j;
    const double t = (env[j - 1].second - L) / (env[j - 1].second - env[j].second);
    const double D_E = std::exp(std::log(env[j - 1].first) +
                                t * (std::log(env[j].first) - std::log(env[j - 1].first)));
    if (D_E <= D_F) {
      notes.push_back("run " + f->name + ": no positive transfer (D_E <= D_F); not used");
      continue;
    }
    out.push_back({N, D_F, D_E - D_F, L, f->name});
  }
  return out;
}

FitResult fit_transfer(const std::vector<Run>& runs, ParamCount count, const FitOptions& opts) {
  FitResult fit;
  fit.law = LawId::transfer;
  auto pts = transfer_points(runs, count, fit.notes);
  const std::string law = "transfer D_T = k D_F^alpha N^beta (3 constants)";
  std::vector<std::pair<double, double>> fn;
  std::vector<double> d_f, n;
  for (const auto& p : pts) fn.push_back({p.D_F, p.N}), d_f.push_back(p.D_F), n.push_back(p.N);
  require_distinct(count_distinct_pairs(fn), pts.size(), 4, law, "(D_F, N) points");
  // alpha needs D_F to vary and beta needs N to vary.
  require_distinct(count_distinct(d_f), pts.size(), 2, law, "fine-tuning token counts D_F");
  require_distinct(count_distinct(n), pts.size(), 2, law, "model sizes N");
  std::vector<size_t> all(pts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto v = solve(pts, all);
  fit.params = {{"k", v[0]}, {"alpha", v[1]}, {"beta", v[2]}};
  fit.procedure = {
      {"model", "D_T = k D_F^alpha N^beta (Hernandez et al. 2021)"},
      {"D_T", "D_E - D_F, D_E from the scratch L(D) of the same N, interpolated in log D"},
      {"loss", "least squares in log space"}};
  nlohmann::json pj = nlohmann::json::array();
  for (const auto& p : pts)
    pj.push_back({{"N", p.N}, {"D_F", p.D_F}, {"D_T", p.D_T}, {"loss", p.loss}, {"run", p.run}});
  fit.data = {
      {"n_points", pts.size()}, {"n_distinct_points", count_distinct_pairs(fn)}, {"points", pj}};
  if (opts.n_bootstrap > 0) {
    BootstrapSpec spec;
    spec.n_units = pts.size();
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      try {
        return solve(pts, idx);
      } catch (const std::runtime_error&) {
        return std::nullopt;
      }
    };
    spec.check_wide = {"alpha", "beta"};
    spec.failure = "lacked several D_F or several N";
    attach_bootstrap(fit, opts, spec);
  }
  return fit;
}

}  // namespace scalelab
