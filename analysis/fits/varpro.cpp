#include "analysis/fits/varpro.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

using Vec3 = std::array<double, 3>;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Weighted normal equations of a 3-column least-squares problem: M = SUM w J J', b = SUM w J t.
struct Normal3 {
  double M[3][3] = {};
  Vec3 b{};
  void add(const Vec3& J, double t, double w) {
    for (int j = 0; j < 3; ++j) {
      b[j] += w * J[j] * t;
      for (int k = 0; k < 3; ++k) M[j][k] += w * J[j] * J[k];
    }
  }
};

// Non-negative least squares on 3 unknowns, exactly: the constrained optimum of a convex quadratic
// is the unconstrained optimum on the face of its active set, so the feasible solution of the
// lowest objective over the 7 faces (free subsets) is the answer. Columns are scaled to a unit
// diagonal first; a face whose system is singular to 1e-12 is skipped (a collinear column is
// covered by the faces without it).
Vec3 nnls3(const Normal3& n) {
  double s[3];
  for (int j = 0; j < 3; ++j) s[j] = n.M[j][j] > 0 ? 1 / std::sqrt(n.M[j][j]) : 0;
  double M[3][3];
  Vec3 b;
  for (int j = 0; j < 3; ++j) {
    b[j] = n.b[j] * s[j];
    for (int k = 0; k < 3; ++k) M[j][k] = n.M[j][k] * s[j] * s[k];
  }
  Vec3 best{0, 0, 0};
  double best_q = 0;  // q(0) = 0; q(x) = x'Mx - 2 b'x
  for (int mask = 1; mask < 8; ++mask) {
    int idx[3], m = 0;
    for (int j = 0; j < 3; ++j)
      if (mask >> j & 1 && s[j] > 0) idx[m++] = j;
    if (m != __builtin_popcount(mask)) continue;
    // Gaussian elimination with partial pivoting on the m x m face.
    double A[3][4];
    for (int r = 0; r < m; ++r) {
      for (int c = 0; c < m; ++c) A[r][c] = M[idx[r]][idx[c]];
      A[r][m] = b[idx[r]];
    }
    bool singular = false;
    for (int c = 0; c < m && !singular; ++c) {
      int p = c;
      for (int r = c + 1; r < m; ++r)
        if (std::abs(A[r][c]) > std::abs(A[p][c])) p = r;
      if (std::abs(A[p][c]) < 1e-12) singular = true;
      if (singular) break;
      if (p != c)
        for (int k = 0; k <= m; ++k) std::swap(A[p][k], A[c][k]);
      for (int r = c + 1; r < m; ++r) {
        const double f = A[r][c] / A[c][c];
        for (int k = c; k <= m; ++k) A[r][k] -= f * A[c][k];
      }
    }
    if (singular) continue;
    double x[3] = {0, 0, 0};
    for (int r = m - 1; r >= 0; --r) {
      double v = A[r][m];
      for (int k = r + 1; k < m; ++k) v -= A[r][k] * x[k];
      x[r] = v / A[r][r];
    }
    Vec3 full{0, 0, 0};
    bool feasible = true;
    for (int r = 0; r < m; ++r) {
      if (!(x[r] >= 0)) feasible = false;
      full[idx[r]] = x[r];
    }
    if (!feasible) continue;
    double q = 0;
    for (int j = 0; j < 3; ++j) {
      q -= 2 * b[j] * full[j];
      for (int k = 0; k < 3; ++k) q += full[j] * M[j][k] * full[k];
    }
    if (q < best_q) best_q = q, best = full;
  }
  for (int j = 0; j < 3; ++j) best[j] *= s[j];
  return best;
}

// The inner problem at fixed exponents: the features 1, N^-alpha, D^-beta of every point.
struct Inner {
  const VarProData& d;
  std::vector<double> u, v;
  Inner(const VarProData& data, double alpha, double beta) : d(data) {
    u.resize(d.log_n.size()), v.resize(d.log_n.size());
    for (size_t i = 0; i < u.size(); ++i)
      u[i] = std::exp(-alpha * d.log_n[i]), v[i] = std::exp(-beta * d.log_d[i]);
  }
  double s(size_t i) const { return d.scale.empty() ? 1.0 : d.scale[i]; }
  double fitted(const Vec3& th, size_t i) const { return th[0] + th[1] * u[i] + th[2] * v[i]; }
  double objective(const Vec3& th) const {
    double f = 0;
    for (size_t i = 0; i < u.size(); ++i) {
      const double L = fitted(th, i);
      if (!(L > 0)) return kInf;
      f += huber((std::log(L) - d.log_loss[i]) / s(i), d.delta).value;
    }
    return f;
  }
  // Least squares on relative residuals in L space, (L_hat - L) / (L s): a convex start that is
  // the log-space problem to first order.
  Vec3 start() const {
    Normal3 n;
    for (size_t i = 0; i < u.size(); ++i) {
      const double y = std::exp(d.log_loss[i]), k = 1 / (y * s(i));
      n.add({k, k * u[i], k * v[i]}, 1 / s(i), 1.0);
    }
    return nnls3(n);
  }
  // Gauss-Newton with Huber's reweighting (weights psi(r)/r = min(1, delta/|r|)): linearise
  // log L_hat around th, solve the weighted non-negative least squares, halve the step until the
  // objective falls. Stops when it falls by less than 1e-14 relative.
  Vec3 solve(Vec3 th, double& f) const {
    f = objective(th);
    if (!std::isfinite(f)) th = start(), f = objective(th);
    for (int it = 0; it < 200 && std::isfinite(f); ++it) {
      Normal3 n;
      for (size_t i = 0; i < u.size(); ++i) {
        const double L = fitted(th, i), si = s(i);
        const double r = (std::log(L) - d.log_loss[i]) / si;
        const double w = std::abs(r) <= d.delta ? 1.0 : d.delta / std::abs(r);
        const Vec3 J{1 / (L * si), u[i] / (L * si), v[i] / (L * si)};
        n.add(J, J[0] * th[0] + J[1] * th[1] + J[2] * th[2] - r, w);
      }
      const Vec3 target = nnls3(n);
      double step = 1, f_new = kInf;
      Vec3 tried = th;
      for (int k = 0; k < 40; ++k, step /= 2) {
        for (int j = 0; j < 3; ++j) tried[j] = th[j] + step * (target[j] - th[j]);
        f_new = objective(tried);
        if (f_new < f) break;
      }
      if (!(f_new < f)) break;
      const double gain = f - f_new;
      th = tried, f = f_new;
      if (gain <= 1e-14 * f) break;
    }
    return th;
  }
};

double clamp01(double x) {
  return std::min(1 - 1e-9, std::max(1e-9, x));
}

// The exponents through a logistic map of the unbounded L-BFGS variables onto the log-spaced box.
struct BoxMap {
  double log_lo, log_hi;
  explicit BoxMap(const VarProOptions& o)
      : log_lo(std::log(o.exponent_lo)), log_hi(std::log(o.exponent_hi)) {}
  double exponent(double t) const {
    return std::exp(log_lo + (log_hi - log_lo) / (1 + std::exp(-t)));
  }
  double slope(double t) const {  // d exponent / d t
    const double sg = 1 / (1 + std::exp(-t));
    return exponent(t) * (log_hi - log_lo) * sg * (1 - sg);
  }
  double variable(double exponent) const {
    const double p = clamp01((std::log(exponent) - log_lo) / (log_hi - log_lo));
    return std::log(p / (1 - p));
  }
  bool at_lo(double e) const { return std::log(e) - log_lo < 1e-3 * (log_hi - log_lo); }
  bool at_hi(double e) const { return log_hi - std::log(e) < 1e-3 * (log_hi - log_lo); }
};

void check(const VarProData& d) {
  if (d.log_n.empty() || d.log_n.size() != d.log_d.size() || d.log_n.size() != d.log_loss.size() ||
      (!d.scale.empty() && d.scale.size() != d.log_n.size()))
    throw std::runtime_error("varpro: points and their scales differ in number");
}

VarProFit finish(const VarProData& d, double alpha, double beta, const VarProOptions& o,
                 int evaluations) {
  const ProfileValue p = varpro_profile(d, alpha, beta);
  VarProFit f{p.E, p.A, p.B, alpha, beta, p.f, evaluations + 1, {}};
  const BoxMap box(o);
  auto bound = [&](const char* name, double v) {
    char buf[160];
    if (box.at_lo(v))
      std::snprintf(buf, sizeof buf, "%s = %.4g (the lower search bound %.4g)", name, v,
                    o.exponent_lo);
    else if (box.at_hi(v))
      std::snprintf(buf, sizeof buf, "%s = %.4g (the upper search bound %.4g)", name, v,
                    o.exponent_hi);
    else
      return;
    f.at_bounds.push_back(buf);
  };
  bound("alpha", alpha);
  bound("beta", beta);
  const double values[3] = {f.E, f.A, f.B};
  const char* names[3] = {"E", "A", "B"};
  for (int j = 0; j < 3; ++j)
    if (values[j] == 0)
      f.at_bounds.push_back(std::string(names[j]) + " = 0 (the bound E, A, B >= 0)");
  return f;
}

}  // namespace

VarProData varpro_data(const std::vector<Point>& pts, double delta) {
  VarProData d;
  d.delta = delta;
  for (const auto& p : pts) {
    d.log_n.push_back(std::log(p.N));
    d.log_d.push_back(std::log(p.D));
    d.log_loss.push_back(std::log(p.loss));
  }
  return d;
}

VarProData varpro_subset(const VarProData& d, const std::vector<size_t>& idx) {
  VarProData out;
  out.delta = d.delta;
  for (size_t i : idx) {
    out.log_n.push_back(d.log_n[i]);
    out.log_d.push_back(d.log_d[i]);
    out.log_loss.push_back(d.log_loss[i]);
    if (!d.scale.empty()) out.scale.push_back(d.scale[i]);
  }
  return out;
}

ProfileValue varpro_profile(const VarProData& d, double alpha, double beta, const double* warm) {
  const Inner in(d, alpha, beta);
  double f = kInf;
  Vec3 th = warm ? Vec3{warm[0], warm[1], warm[2]} : in.start();
  th = in.solve(th, f);
  ProfileValue p{f, th[0], th[1], th[2], 0, 0};
  for (size_t i = 0; i < in.u.size(); ++i) {
    const double L = in.fitted(th, i), si = in.s(i);
    const double psi = huber((std::log(L) - d.log_loss[i]) / si, d.delta).slope / (si * L);
    p.d_alpha -= psi * th[1] * d.log_n[i] * in.u[i];
    p.d_beta -= psi * th[2] * d.log_d[i] * in.v[i];
  }
  return p;
}

VarProFit refine_varpro(const VarProData& d, double alpha0, double beta0, const VarProOptions& o) {
  check(d);
  const BoxMap box(o);
  int evaluations = 0;
  Vec3 warm{NAN, NAN, NAN};
  bool have_warm = false;
  Objective f = [&](const std::vector<double>& t, std::vector<double>& g) {
    const double a = box.exponent(t[0]), b = box.exponent(t[1]);
    const ProfileValue p = varpro_profile(d, a, b, have_warm ? warm.data() : nullptr);
    ++evaluations;
    if (std::isfinite(p.f)) warm = {p.E, p.A, p.B}, have_warm = true;
    g[0] = p.d_alpha * box.slope(t[0]);
    g[1] = p.d_beta * box.slope(t[1]);
    return p.f;
  };
  const Minimum m = minimize_lbfgs(f, {box.variable(alpha0), box.variable(beta0)});
  return finish(d, box.exponent(m.x[0]), box.exponent(m.x[1]), o, evaluations);
}

VarProFit fit_varpro(const VarProData& d, const VarProOptions& o) {
  check(d);
  const int K = std::max(3, o.grid);
  std::vector<double> ex(K);
  for (int k = 0; k < K; ++k)
    ex[k] = o.exponent_lo * std::pow(o.exponent_hi / o.exponent_lo, double(k) / (K - 1));
  // Rows of alpha over threads; along a row each inner solve starts from its neighbour's answer,
  // so a row's values do not depend on the thread that computed it.
  std::vector<double> f(K * K, kInf);
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int i; (i = next++) < K;) {
      const double* warm = nullptr;
      ProfileValue prev;
      for (int j = 0; j < K; ++j) {
        prev = varpro_profile(d, ex[i], ex[j], warm);
        f[i * K + j] = prev.f;
        warm = std::isfinite(prev.f) ? &prev.E : nullptr;
      }
    }
  };
  int n_threads = o.n_threads > 0 ? o.n_threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(n_threads, K); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  // Local minima of the grid (no lower value among the 8 neighbours), lowest first.
  std::vector<int> minima;
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < K; ++j) {
      const double v = f[i * K + j];
      if (!std::isfinite(v)) continue;
      bool lowest = true;
      for (int di = -1; di <= 1 && lowest; ++di)
        for (int dj = -1; dj <= 1; ++dj) {
          const int a = i + di, b = j + dj;
          if ((di || dj) && a >= 0 && a < K && b >= 0 && b < K && f[a * K + b] < v) lowest = false;
        }
      if (lowest) minima.push_back(i * K + j);
    }
  if (minima.empty()) throw std::runtime_error("varpro: the objective is not finite anywhere");
  std::stable_sort(minima.begin(), minima.end(), [&](int a, int b) { return f[a] < f[b]; });
  minima.resize(std::min<size_t>(minima.size(), std::max(1, o.refine_from)));
  VarProFit best;
  best.objective = kInf;
  int evaluations = K * K;
  for (int c : minima) {
    VarProFit r = refine_varpro(d, ex[c / K], ex[c % K], o);
    evaluations += r.profile_evaluations;
    if (r.objective < best.objective) best = r;
  }
  best.profile_evaluations = evaluations;
  return best;
}

}  // namespace scalelab
