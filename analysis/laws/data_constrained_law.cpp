#include "analysis/laws/data_constrained_law.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "analysis/numerics/optimize.h"

namespace scalelab {

double DataConstrainedLaw::optimal_params_for_tokens(double D) const {
  const ChinchillaLaw& l = base;
  const double G = std::pow(l.alpha * l.A / (l.beta * l.B), 1.0 / (l.alpha + l.beta));
  return G * std::pow(D * G, l.beta / l.alpha);
}

double DataConstrainedLaw::effective_data(double D, double U) const {
  const double U_D = unique_seen(D, U), R_D = repetitions(D, U);
  return U_D + U_D * R_D_star * (1.0 - std::exp(-R_D / R_D_star));
}

double DataConstrainedLaw::effective_params(double N, double D, double U) const {
  const double U_N = std::min(N, optimal_params_for_tokens(unique_seen(D, U)));
  const double R_N = N / U_N - 1.0;
  return U_N + U_N * R_N_star * (1.0 - std::exp(-R_N / R_N_star));
}

double DataConstrainedLaw::loss(double N, double D, double U) const {
  return base.E + reducible_loss(N, D, U);
}

double DataConstrainedLaw::reducible_loss(double N, double D, double U) const {
  return base.A / std::pow(effective_params(N, D, U), base.alpha) +
         base.B / std::pow(effective_data(D, U), base.beta);
}

double DataConstrainedLaw::plateau_reducible_loss(double U) const {
  // N, D -> infinity: R_N, R_D -> infinity, so N' -> U_N (1 + R_N*), D' -> U (1 + R_D*).
  return base.A / std::pow(optimal_params_for_tokens(U) * (1.0 + R_N_star), base.alpha) +
         base.B / std::pow(U * (1.0 + R_D_star), base.beta);
}

namespace {

std::string g3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

DataConstrainedPlan plan_data_constrained(const DataConstrainedLaw& law, double C, double U) {
  if (!(C > 0) || !std::isfinite(C)) throw std::runtime_error("--flops must be a positive number");
  if (!(U > 0) || !std::isfinite(U))
    throw std::runtime_error("--unique-tokens must be a positive number");
  // The reducible part (L - E) is searched, not L: where E dwarfs it (large C) L is flat to the
  // last bit and a search over L returns an arbitrary N.
  auto f = [&](double logN) {
    const double N = std::exp(logN);
    return law.reducible_loss(N, C / (6.0 * N), U);
  };
  // The min() in U_N puts a kink in the loss, so scan first, then refine inside the best bracket.
  const double top = std::log(C / 6.0);
  const int n_scan = 400;
  int best = 0;
  double best_f = HUGE_VAL;
  for (int i = 0; i <= n_scan; ++i) {
    const double v = f(top * i / n_scan);
    if (v < best_f) best_f = v, best = i;
  }
  // The search runs over N in [1, C / 6] (one parameter, one token); an optimum on either end is
  // that bound, not an optimum.
  if (best == 0 || best == n_scan)
    throw std::runtime_error("--flops " + g3(C) + " --unique-tokens " + g3(U) +
                             ": the data-constrained optimum lies at the search bound N = " +
                             (best == 0 ? std::string("1 parameter") : g3(C / 6) + " (one token)") +
                             "; no plan");
  const double lo = top * std::max(0, best - 1) / n_scan,
               hi = top * std::min(n_scan, best + 1) / n_scan;
  const double N = std::exp(golden_section_min(f, lo, hi, 1e-12)), D = C / (6.0 * N);
  const double reducible = law.reducible_loss(N, D, U);
  const bool plateau = reducible <= law.plateau_reducible_loss(U) * (1 + kPlateauTolerance);
  return {C, U, N, D, D / U, law.base.E + reducible, plateau};
}

std::string explain_r_d_star(double R_D_star) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "R_D* = %.3g: each further repetition of the unique data is worth exp(-1/%.3g) "
                "= %.3f of the one before, so a few epochs are almost as good as fresh data "
                "(4 epochs: %.0f%% of their tokens count), and beyond a few times R_D* epochs "
                "more repetition adds almost nothing (D' never exceeds U (1 + R_D*)).",
                R_D_star, R_D_star, std::exp(-1.0 / R_D_star),
                100.0 * (1.0 + R_D_star * (1.0 - std::exp(-3.0 / R_D_star))) / 4.0);
  return buf;
}

}  // namespace scalelab
