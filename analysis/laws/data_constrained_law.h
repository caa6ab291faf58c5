// Data-constrained scaling (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models",
// NeurIPS; github.com/huggingface/datablations, README "Parametric Fit"): Chinchilla's
// L = E + A/N^alpha + B/D^beta with N and D replaced by the effective parameters N' and effective
// data D' once the U unique tokens are repeated.
#pragma once

#include <cmath>
#include <string>

#include "analysis/laws/laws.h"

namespace scalelab {

struct DataConstrainedLaw {
  // Published fit (natural logs: ln A = 6.255414, ln B = 7.3049974, ln E = 0.6254804).
  ChinchillaLaw base{std::exp(0.6254804), std::exp(6.255414), std::exp(7.3049974), 0.3526596,
                     0.3526596};
  double R_D_star = 15.387756;  // e-folding (in repetitions) of the worth of repeated data
  double R_N_star = 5.309743;   // same for parameters beyond the Chinchilla-optimal N for U

  static DataConstrainedLaw muennighoff() { return {}; }

  // The Chinchilla-optimal N for D tokens under `base`: G (D G)^(beta / alpha) with
  // G = (alpha A / (beta B))^(1 / (alpha + beta)).
  double optimal_params_for_tokens(double D) const;

  // Unique tokens seen, U_D = min(U, D), and repetitions R_D = D / U_D - 1 (0 when D <= U).
  static double unique_seen(double D, double U) { return D < U ? D : U; }
  static double repetitions(double D, double U) { return D / unique_seen(D, U) - 1.0; }

  // D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)); D' = D when nothing repeats.
  double effective_data(double D, double U) const;
  // U_N = min(N, optimal_params_for_tokens(U_D)), R_N = N / U_N - 1,
  // N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)); N' = N when N <= U_N.
  double effective_params(double N, double D, double U) const;
  // E + A / N'^alpha + B / D'^beta.
  double loss(double N, double D, double U) const;
  // A / N'^alpha + B / D'^beta: what N and D can still change.
  double reducible_loss(double N, double D, double U) const;
  // The reducible loss as N and D grow without bound with U fixed: N' -> U_N (1 + R_N*) with
  // U_N = optimal_params_for_tokens(U), D' -> U (1 + R_D*). No budget gets below E plus this.
  double plateau_reducible_loss(double U) const;
};

// A plan within this relative distance of the plateau is on it: more compute buys nothing.
inline constexpr double kPlateauTolerance = 1e-6;

// Minimises law.reducible_loss(N, C / (6 N), U) over N in [1, C / 6]: a scan of 400 log-spaced
// N, then golden-section search in log N around the best; an optimum at either bound throws one
// line. epochs = D / U. on_plateau: the loss is within kPlateauTolerance of the plateau (the
// law's floor for U), where the optimum is flat and more compute buys nothing.
struct DataConstrainedPlan {
  double flops, unique_tokens, params, tokens, epochs, loss;
  bool on_plateau = false;
};
DataConstrainedPlan plan_data_constrained(const DataConstrainedLaw& law, double C, double U);

// One sentence on what R_D* means, for the calculator and the docs.
std::string explain_r_d_star(double R_D_star);

}  // namespace scalelab
