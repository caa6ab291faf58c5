// Numerical building blocks shared by the fitters: L-BFGS (liblbfgs) from many starts, small
// linear least squares, and log-log power laws.
#pragma once

#include <cmath>
#include <functional>
#include <vector>

namespace scalelab {

// f(x) with its gradient written into grad (same length as x). Must be safe to call from several
// threads at once (read-only captured data).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& grad)>;

struct Minimum {
  std::vector<double> x;
  double f = 0;
  int status = 0;       // liblbfgs return code of the kept start
  int evaluations = 0;  // of f, by the kept start
};

// One L-BFGS run (liblbfgs, More-Thuente line search) from x0, of at most max_iterations
// iterations. Tolerances are tight because the summed Huber objective of approach 3 is ~1e-3 at
// its minimum and its valleys are long.
inline constexpr int kMaxLbfgsIterations = 2000;
Minimum minimize_lbfgs(const Objective& f, std::vector<double> x0,
                       int max_iterations = kMaxLbfgsIterations);

// L-BFGS from every start; keeps the lowest finite objective. Starts are split over n_threads
// threads (0 = hardware concurrency); the result does not depend on the thread count.
Minimum minimize_multistart(const Objective& f, const std::vector<std::vector<double>>& starts,
                            int n_threads = 0, int max_iterations = kMaxLbfgsIterations);

// Screened multistart, for objectives whose evaluations are costly and whose starts mostly reach
// the same minimum: L-BFGS from every start for at most screen_iterations iterations, then from the
// `keep` lowest of those points on to convergence; keeps the lowest finite objective (ties to the
// earliest start, so the result does not depend on n_threads). evaluations counts every start's.
Minimum minimize_screened(const Objective& f, const std::vector<std::vector<double>>& starts,
                          int screen_iterations, size_t keep, int n_threads = 0);

// Huber_delta(r) and its derivative: r^2/2 inside delta, delta (|r| - delta/2) outside. The loss
// of every log-space fit here (approach 3, Kaplan, data-constrained, Multi-Power), as Besiroglu et
// al. 2024 and Luo et al. 2025 fit theirs.
struct HuberTerm {
  double value = 0, slope = 0;
};
inline HuberTerm huber(double r, double delta) {
  if (std::abs(r) <= delta) return {0.5 * r * r, r};
  return {delta * (std::abs(r) - 0.5 * delta), r > 0 ? delta : -delta};
}

// log(e^t1 + e^t2 + e^t3), computed around the largest term so that large terms do not overflow,
// with its partial derivatives (the softmax weights).
struct LogSumExp3 {
  double value = 0, w1 = 0, w2 = 0, w3 = 0;
};
LogSumExp3 log_sum_exp3(double t1, double t2, double t3);

// The minimiser of a unimodal f on [lo, hi] by golden-section search, to an interval narrower than
// tolerance (at most 200 steps): the midpoint of the final interval.
double golden_section_min(const std::function<double(double)>& f, double lo, double hi,
                          double tolerance);

// Cartesian product of per-coordinate value lists, first coordinate slowest.
std::vector<std::vector<double>> grid(const std::vector<std::vector<double>>& axes);

// Ordinary least squares: coefficients c minimising sum_i (y_i - sum_j X_ij c_j)^2. Throws when
// the columns are linearly dependent (e.g. every point has the same N).
std::vector<double> least_squares(const std::vector<std::vector<double>>& X,
                                  const std::vector<double>& y, const char* what);

// y = k x^p fitted by OLS on (log x, log y); x, y > 0.
struct PowerLaw {
  double k = 0, p = 0;
  double operator()(double x) const;
};
PowerLaw fit_power_law(const std::vector<double>& x, const std::vector<double>& y,
                       const char* what);

}  // namespace scalelab
