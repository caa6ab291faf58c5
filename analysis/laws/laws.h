// Published scaling laws and what they imply: predicted loss, compute-optimal allocation.
#pragma once

#include <array>
#include <string>
#include <utility>

#include "common/enum_names.h"

namespace scalelab {

// Kaplan et al. 2020, eq. 1.5 (L(N, D)) and eqs. 1.1-1.2 (L(N), L(D)); N non-embedding, loss in
// nats per token on WebText2.
struct KaplanLaw {
  double Nc = 8.8e13, alpha_N = 0.076, Dc = 5.4e13, alpha_D = 0.095;
  double loss(double N, double D) const;
  double loss_n(double N) const;  // converged, data-unlimited
  double loss_d(double D) const;  // large model, early-stopped
};

// Hoffmann et al. 2022 approach 3: L(N, D) = E + A / N^alpha + B / D^beta.
struct ChinchillaLaw {
  double E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28;
  double loss(double N, double D) const;
  static ChinchillaLaw chinchilla() { return {}; }
  // Besiroglu et al. 2024 (arXiv:2404.10102), the refit of Chinchilla's own data.
  static ChinchillaLaw epoch() { return {1.8172, 482.01, 2085.43, 0.3478, 0.3658}; }
  // Closed form of the compute-optimal N under C = 6 N D (Hoffmann et al. 2022, eq. 4).
  double optimal_params(double C) const;
};

// The published laws that predict and plan know by name.
enum class PublishedLaw { kaplan, chinchilla, epoch };
template <>
struct EnumNames<PublishedLaw> {
  static constexpr std::array<std::pair<PublishedLaw, const char*>, 3> values{
      {{PublishedLaw::kaplan, "kaplan"},
       {PublishedLaw::chinchilla, "chinchilla"},
       {PublishedLaw::epoch, "epoch"}}};
};

// An L(N, D) law: a published one (law_by_name in fits/fitted_laws.h reads one by name or from a
// fits.json written by `scalelab fit`).
struct Law {
  enum class Kind { kaplan, chinchilla } kind = Kind::chinchilla;
  std::string name;
  KaplanLaw kaplan;
  ChinchillaLaw chinchilla;
  double loss(double N, double D) const;
};

// Kaplan et al. 2020, eq. 4.4: the data needed to avoid overfitting, D >= 5e3 N^0.74.
double kaplan_min_tokens(double N);

struct ComputePlan {
  double flops, params, tokens, tokens_per_param, loss;
};
// The N that minimises law.loss(N, C / (6 N)), by closed form: Chinchilla's
// N_opt = G (C / 6)^a (Hoffmann et al. 2022, eq. 4), Kaplan's kaplan_optimal_params. Throws one
// line when the law has no interior optimum (a non-positive exponent) or the optimum lies outside
// N >= 1, D >= 1.
ComputePlan plan_compute(const Law& law, double C);

// The compute-optimal N of Kaplan et al.'s L(N, D) (eq. 1.5) under C = 6 N D:
// N = (r Nc^r C / (6 Dc))^(1 / (r + 1)), r = alpha_N / alpha_D (set dL/dN = 0).
double kaplan_optimal_params(const KaplanLaw& law, double C);

// Wall-clock days to spend `flops` on `count` devices at `peak` FLOP/s each and utilisation `mfu`.
double gpu_days(double flops, double peak, double count, double mfu);

}  // namespace scalelab
