// The hierarchical bootstrap of a fit to seeded points (issue 25 item 2): each resample redraws the
// noise at the two levels where it arises, and refits the same procedure on the resampled means.
//   Trunk level: every trunk (a (size, seed) run and the branches it feeds, tags.trunk)
//     draws one shared effect u and each of its runs its own e, both standard normal; a run's noise
//     is sd_i (sqrt(rho) u + sqrt(1 - rho) e), sd_i and rho from the pooled noise model
//     (fits/seed_noise.h), so the branches of one trunk move together with correlation rho and
//     a point's mean moves by the mean of its runs' noise (variance sd_i^2 / n_i).
//   Point level: what the points scatter around the fit beyond that noise (lack of fit) is added
//     as an independent normal effect per point with variance (phi^2 - 1) v_i, phi^2 = SUM r_i^2 /
//     v_i / dof the ratio of the fit's residuals r_i to the means' model variances v_i (Birge
//     1932), when phi^2 exceeds the 95% point of chi2_dof / dof (the data show lack of fit beyond
//     chance); none otherwise, so a law that fits within the seed noise is not widened by chance.
//     Resamples are drawn around the fit's values (a parametric bootstrap; for approach 2's
//     parabolas, linear in the losses, this equals drawing around the observed means).
// Why not resample the seeds themselves: with three seeds a resample of three has variance 2/3 of
// the truth and 10 distinct outcomes, and a point's own sd has 2 degrees of freedom; the pooled
// model has SUM (n_i - 1) (dozens in a study) and measured normal tails
// (experiments/demo/NOISE.md). The resamples are drawn from mt19937_64(seed) with a portable normal
// (Box-Muller), once, before any refit, so intervals depend only on the seed, never on threads or
// the standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "analysis/inputs/seed_points.h"
#include "analysis/laws/noise_model.h"

namespace scalelab {

// phi^2 = SUM over finite residuals of r_i^2 / v_i, divided by dof (NaN when dof < 1), and
// the 95% point of chi2_dof / dof (Wilson & Hilferty 1931: within 1% for dof >= 3).
double lack_of_fit_ratio(const std::vector<double>& residuals, const std::vector<double>& variances,
                         int dof);
double chi2_95_per_dof(int dof);

// n_resamples vectors of point means: centre_i + trunk-level noise + point-level noise with
// variance extra_variance[i] (empty = none).
std::vector<std::vector<double>> seed_resamples(const std::vector<SeedPoint>& pts,
                                                const std::vector<double>& centre,
                                                const NoiseModel& noise,
                                                const std::vector<double>& extra_variance,
                                                int n_resamples, uint64_t seed);

// A standard normal from a 64-bit generator, identical on every platform (Box-Muller).
struct PortableNormal {
  bool have_spare = false;
  double spare = 0;
  template <class Rng>
  double operator()(Rng& rng) {
    if (have_spare) {
      have_spare = false;
      return spare;
    }
    // Two uniforms in (0, 1] from the top 53 bits of each draw.
    const double u1 = ((rng() >> 11) + 1.0) * 0x1.0p-53, u2 = ((rng() >> 11) + 1.0) * 0x1.0p-53;
    const double r = std::sqrt(-2 * std::log(u1)), t = 2 * M_PI * u2;
    spare = r * std::sin(t), have_spare = true;
    return r * std::cos(t);
  }
};

}  // namespace scalelab
