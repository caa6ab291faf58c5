#include "analysis/multipower.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "analysis/bootstrap.h"
#include "analysis/optimize.h"
#include "analysis/points.h"
#include "configs/config_enums.h"
#include "core/schedule.h"
#include "runfolder/metrics.h"
#include "runfolder/summary.h"

namespace scalelab {

namespace fs = std::filesystem;

const std::array<const char*, MultiPowerLaw::kParams> MultiPowerLaw::names = {
    "L0", "A", "alpha", "B", "C", "beta", "gamma"};

MultiPowerLaw MultiPowerLaw::from_values(const std::array<double, kParams>& v) {
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
}
MultiPowerLaw MultiPowerLaw::published_25m() {
  return {3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257};
}
MultiPowerLaw MultiPowerLaw::published_100m() {
  return {2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644};
}

// ---------------------------------------------------------------------------------------------
// Evaluation

MultiPowerCurve::MultiPowerCurve(const std::vector<double>& lr, const std::vector<int64_t>& steps,
                                 const MultiPowerSum& sum)
    : steps_(steps) {
  const int64_t T = static_cast<int64_t>(lr.size());
  double peak = 0;
  for (double v : lr) peak = std::max(peak, v);
  // eta[k] = lr of step k (k = 1..T), eta[0] = 0: the lr before the first step. P[k] = sum of
  // eta[1..k] = S1 + S_W at step k.
  std::vector<double> eta(T + 1, 0.0), P(T + 1, 0.0);
  for (int64_t k = 1; k <= T; ++k) {
    eta[k] = lr[k - 1];
    P[k] = P[k - 1] + eta[k];
  }
  int64_t tmax = 0;
  for (int64_t s : steps_) {
    if (s < 1 || s > T)
      throw std::runtime_error("multipower: step " + std::to_string(s) +
                               " outside the schedule [1, " + std::to_string(T) + "]");
    tmax = std::max(tmax, s);
  }
  // lr 0 would make lr^-gamma infinite; a floor far below any real lr keeps every term finite.
  const double floor = std::max(peak, 1e-300) * 1e-12;
  auto log_lr = [&](double v) { return std::log(std::max(v, floor)); };
  std::vector<int64_t> exact_k;
  for (int64_t k = 1; k <= tmax; ++k) {
    const double d = eta[k - 1] - eta[k];
    if (d == 0) continue;
    terms_.push_back({d, log_lr(eta[k]), P[k - 1]});
    exact_k.push_back(k);
  }
  const size_t n_exact = terms_.size();
  const bool blocked = sum.exact_window >= 0 && sum.block > 1;
  const int64_t m = blocked ? sum.block : 1;
  std::vector<size_t> block_end;  // block b covers k in [b m + 1, (b + 1) m]
  if (blocked) {
    for (int64_t b = 0; (b + 1) * m <= tmax; ++b) {
      double w = 0, we = 0, wp = 0, lo = HUGE_VAL, hi = 0;
      int sign = 0;
      bool mixed = false;
      for (int64_t k = b * m + 1; k <= (b + 1) * m; ++k) {
        const double d = eta[k - 1] - eta[k];
        if (d == 0) continue;
        const int sg = d > 0 ? 1 : -1;
        if (sign != 0 && sg != sign) mixed = true;
        sign = sg;
        lo = std::min(lo, eta[k]);
        hi = std::max(hi, eta[k]);
        w += d;
        we += d * eta[k];
        wp += d * P[k - 1];
      }
      // Changes of both signs, or an lr that moves by more than 10% within the block (the start of
      // a warmup), stay exact.
      if (mixed || (sign != 0 && !(hi <= 1.1 * lo))) {
        for (int64_t k = b * m + 1; k <= (b + 1) * m; ++k) {
          const double d = eta[k - 1] - eta[k];
          if (d != 0) terms_.push_back({d, log_lr(eta[k]), P[k - 1]});
        }
      } else if (sign != 0) {
        terms_.push_back({w, log_lr(we / w), wp / w});
      }
      block_end.push_back(terms_.size());
    }
  }
  for (int64_t s : steps_) {
    const int64_t t = s;
    const double Z = P[t];
    if (!(Z > 0))
      throw std::runtime_error("multipower: step " + std::to_string(s) +
                               ": no learning rate summed yet (S1 + S_W = 0)");
    Z_.push_back(Z);
    P_.push_back(P[t]);
    int64_t c = 0;  // k <= c summed by blocks, k in (c, t] exactly
    if (blocked) c = std::max<int64_t>(0, t - sum.exact_window) / m * m;
    const size_t nb = static_cast<size_t>(c / m);
    block_range_.push_back({n_exact, nb == 0 ? n_exact : block_end[nb - 1]});
    const size_t lo = std::upper_bound(exact_k.begin(), exact_k.end(), c) - exact_k.begin();
    const size_t hi = std::upper_bound(exact_k.begin(), exact_k.end(), t) - exact_k.begin();
    exact_range_.push_back({lo, hi});
  }
}

size_t MultiPowerCurve::n_terms() const {
  size_t n = 0;
  for (size_t j = 0; j < steps_.size(); ++j)
    n += (block_range_[j].second - block_range_[j].first) +
         (exact_range_[j].second - exact_range_[j].first);
  return n;
}

void MultiPowerCurve::evaluate(
    const MultiPowerLaw& law, std::vector<double>& loss,
    std::vector<std::array<double, MultiPowerLaw::kParams>>* grad) const {
  const size_t n = steps_.size();
  loss.assign(n, 0.0);
  if (grad) grad->assign(n, {});
  std::vector<double> e(terms_.size());  // lr^-gamma per term
  for (size_t i = 0; i < terms_.size(); ++i) e[i] = std::exp(-law.gamma * terms_[i].log_lr);
  const double C = law.C, beta = law.beta;
  for (size_t j = 0; j < n; ++j) {
    const double Pt = P_[j];
    double LD = 0, dC = 0, dbeta = 0, dgamma = 0;
    auto add = [&](size_t i) {
      const Term& tm = terms_[i];
      const double S = Pt - tm.P;
      if (!(S > 0)) return;
      const double x = e[i] * S, cx = C * x;
      const double lu = std::log1p(cx), p = std::exp(-beta * lu);
      LD += tm.w * (1 - p);
      if (grad) {
        const double q = p / (1 + cx);  // (1 + C x)^(-beta - 1)
        dC += tm.w * beta * q * x;
        dbeta += tm.w * p * lu;
        dgamma -= tm.w * beta * C * q * x * tm.log_lr;
      }
    };
    for (size_t i = block_range_[j].first; i < block_range_[j].second; ++i) add(i);
    for (size_t i = exact_range_[j].first; i < exact_range_[j].second; ++i) add(i);
    const double lz = std::log(Z_[j]), zpow = std::exp(-law.alpha * lz);
    loss[j] = law.L0 + law.A * zpow - law.B * LD;
    if (grad)
      (*grad)[j] = {1.0,         zpow,           -law.A * zpow * lz, -LD,
                    -law.B * dC, -law.B * dbeta, -law.B * dgamma};
  }
}

std::vector<double> MultiPowerCurve::predict(const MultiPowerLaw& law) const {
  std::vector<double> out;
  evaluate(law, out);
  return out;
}

double multipower_direct(const MultiPowerLaw& law, const std::vector<double>& lr, int64_t step) {
  auto eta = [&](int64_t k) { return k >= 1 ? lr[k - 1] : 0.0; };
  double S = 0;
  for (int64_t k = 1; k <= step; ++k) S += eta(k);
  double LD = 0;
  for (int64_t k = 1; k <= step; ++k) {
    double Sk = 0;
    for (int64_t tau = k; tau <= step; ++tau) Sk += eta(tau);
    const double G = 1 - std::pow(law.C * std::pow(eta(k), -law.gamma) * Sk + 1, -law.beta);
    LD += (eta(k - 1) - eta(k)) * G;
  }
  return law.L0 + law.A * std::pow(S, -law.alpha) - law.B * LD;
}

// ---------------------------------------------------------------------------------------------
// Schedules

double luo_schedule_lr(const std::string& name, int64_t s) {
  const double peak = 3e-4, low = 3e-5;
  const int64_t W = kLuoWarmup;
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  const int64_t T = luo_schedule_steps(name);
  if (s <= W) return peak * double(std::max<int64_t>(s, 0)) / double(W);
  if (starts("cosine_"))
    return low + 0.5 * (peak - low) * (1 + std::cos(M_PI * double(s - W) / double(T - W)));
  if (starts("constant_")) return peak;
  if (starts("wsd_")) {
    if (s <= 20000) return peak;
    return std::pow(peak, double(24000 - s) / 4000) * std::pow(low, double(s - 20000) / 4000);
  }
  if (starts("wsdld_")) {
    if (s <= 20000) return peak;
    return peak - (peak - low) * double(s - 20000) / 4000;
  }
  // wsdcon_K: 3e-4 to step 8,000, then K e-5.
  const int k = std::stoi(name.substr(7));
  return s < 8000 ? peak : k * 1e-5;
}

int64_t luo_schedule_steps(const std::string& name) {
  static const std::map<std::string, int64_t> total = {
      {"cosine_24000", 24000},   {"cosine_72000", 72000},    {"constant_24000", 24000},
      {"constant_72000", 72000}, {"wsd_20000_24000", 24000}, {"wsdld_20000_24000", 24000},
      {"wsdcon_3", 16000},       {"wsdcon_9", 16000},        {"wsdcon_18", 16000}};
  auto it = total.find(name);
  if (it == total.end()) throw std::runtime_error("no published schedule named " + name);
  return it->second;
}

std::vector<double> luo_schedule(const std::string& name) {
  const int64_t T = luo_schedule_steps(name);
  std::vector<double> lr(T);
  for (int64_t s = 1; s <= T; ++s) lr[s - 1] = luo_schedule_lr(name, s);
  return lr;
}

std::vector<double> schedule_lrs(const ScheduleConfig& schedule, const OptimConfig& optim,
                                 int64_t total_steps) {
  std::vector<double> lr(std::max<int64_t>(total_steps, 0));
  for (int64_t s = 1; s <= total_steps; ++s)
    lr[s - 1] = learning_rate(schedule, optim, s - 1, total_steps);
  return lr;
}

void check_multipower_schedule(const ScheduleConfig& schedule, const OptimConfig& optim,
                               int64_t total_steps) {
  const std::string what = "the multi-power law cannot express this schedule: ";
  if (!(optim.lr > 0) || !std::isfinite(optim.lr))
    throw std::runtime_error(what + "the peak lr must be positive");
  if (total_steps <= warmup_steps(schedule, total_steps))
    throw std::runtime_error(what + "no step after the warmup (steps " +
                             std::to_string(total_steps) + ", warmup " +
                             std::to_string(warmup_steps(schedule, total_steps)) + ")");
  if (schedule.kind != Schedule::constant && (optim.min_lr < 0 || optim.min_lr > optim.lr))
    throw std::runtime_error(what + "it describes decays from lr to min_lr >= 0, got lr " +
                             std::to_string(optim.lr) + ", min_lr " + std::to_string(optim.min_lr));
}

// ---------------------------------------------------------------------------------------------
// Curves

namespace {

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> out(1);
  for (char ch : line) {
    if (ch == ',')
      out.emplace_back();
    else if (ch != '\r' && ch != '"')
      out.back() += ch;
  }
  for (auto& f : out) {
    while (!f.empty() && f.front() == ' ') f.erase(f.begin());
    while (!f.empty() && f.back() == ' ') f.pop_back();
  }
  return out;
}

double number(const std::string& text, const std::string& where) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v))
    throw std::runtime_error(where + ": '" + text + "' is not a number");
  return v;
}

// Keeps the logged points from the warmup's end on; counts the others.
void keep_after_warmup(LossCurve& c, const std::vector<std::pair<int64_t, double>>& pts) {
  for (const auto& [s, l] : pts) {
    if (s < c.warmup || s > static_cast<int64_t>(c.lr.size())) {
      ++c.dropped_in_warmup;
      continue;
    }
    c.steps.push_back(s);
    c.loss.push_back(l);
  }
}

}  // namespace

LossCurve read_multipower_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open CSV file");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ": empty CSV file");
  const auto header = split_commas(line);
  auto col = [&](const char* name) -> int {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int cs = col("step"), cl = col("lr"), cy = col("loss");
  if (cl < 0)
    throw std::runtime_error(path +
                             ": no lr column (the multi-power law needs each curve's learning "
                             "rate: columns step, lr, loss)");
  if (cs < 0 || cy < 0)
    throw std::runtime_error(path + ": needs columns step, lr, loss (missing " +
                             (cs < 0 ? "step" : "loss") + ")");
  std::vector<int64_t> steps;
  std::vector<double> lrs;
  std::vector<std::pair<int64_t, double>> pts;
  for (int row = 2; std::getline(in, line); ++row) {
    if (line.empty() || line == "\r") continue;
    const auto f = split_commas(line);
    const std::string where = path + ":" + std::to_string(row);
    if (f.size() < header.size()) throw std::runtime_error(where + ": too few columns");
    const double s = number(f[cs], where), lr = number(f[cl], where), l = number(f[cy], where);
    if (s < 1 || s != std::floor(s)) throw std::runtime_error(where + ": step must be >= 1");
    if (!steps.empty() && int64_t(s) <= steps.back())
      throw std::runtime_error(where + ": steps must increase");
    if (lr < 0) throw std::runtime_error(where + ": lr must be >= 0");
    if (!(l > 0)) throw std::runtime_error(where + ": loss must be positive");
    steps.push_back(int64_t(s));
    lrs.push_back(lr);
    pts.push_back({int64_t(s), l});
  }
  if (steps.size() < 2) throw std::runtime_error(path + ": needs at least 2 rows");
  LossCurve c;
  c.name = fs::path(path).stem().string();
  c.lr_source =
      "CSV lr column, linear interpolation per step between sampled rows (from lr 0 at step 0); "
      "warmup ends at the first row with the largest lr";
  c.lr.resize(steps.back());
  int64_t prev_s = 0;
  double prev_lr = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    for (int64_t s = prev_s + 1; s <= steps[i]; ++s)
      c.lr[s - 1] = prev_lr + (lrs[i] - prev_lr) * double(s - prev_s) / double(steps[i] - prev_s);
    prev_s = steps[i];
    prev_lr = lrs[i];
  }
  const size_t imax = std::max_element(lrs.begin(), lrs.end()) - lrs.begin();
  if (!(lrs[imax] > 0)) throw std::runtime_error(path + ": every lr is 0");
  c.warmup = steps[imax];
  keep_after_warmup(c, pts);
  return c;
}

LossCurve read_multipower_run(const std::string& run_dir) {
  const auto summary = read_summary(run_dir);
  if (!summary) throw std::runtime_error(summary_path(run_dir) + ": missing");
  const nlohmann::json& cfg = summary->config;
  const std::string where = summary_path(run_dir) + ": config";
  if (!cfg.contains("schedule") || !cfg.contains("optim"))
    throw std::runtime_error(where + " has no schedule/optim section (written by an old trainer?)");
  ScheduleConfig sc;
  OptimConfig oc;
  try {
    const auto& js = cfg.at("schedule");
    sc.kind = parse_enum<Schedule>(js.at("kind").get<std::string>(), "schedule.kind");
    sc.warmup_steps = js.value("warmup_steps", int64_t(0));
    sc.warmup_fraction = js.value("warmup_fraction", 0.0);
    sc.decay_fraction = js.value("decay_fraction", sc.decay_fraction);
    if (js.contains("decay_shape"))
      sc.decay_shape =
          parse_enum<DecayShape>(js.at("decay_shape").get<std::string>(), "schedule.decay_shape");
    oc.lr = cfg.at("optim").at("lr").get<double>();
    oc.min_lr = cfg.at("optim").value("min_lr", oc.min_lr);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  const int64_t total = summary->budget_steps > 0 ? summary->budget_steps : summary->steps;
  check_multipower_schedule(sc, oc, total);
  LossCurve c;
  c.name = summary->run_name.empty() ? fs::path(run_dir).filename().string() : summary->run_name;
  c.lr_source =
      "the run's resolved schedule (summary.config, core/schedule.h) over its budget steps";
  c.lr = schedule_lrs(sc, oc, total);
  c.warmup = warmup_steps(sc, total);
  std::vector<std::pair<int64_t, double>> pts;
  for (const MetricPoint& m : read_metrics(run_dir))
    if (m.kind == MetricKind::train && std::isfinite(m.loss) && m.loss > 0)
      pts.push_back({m.step, m.loss});
  std::sort(pts.begin(), pts.end());
  keep_after_warmup(c, pts);
  return c;
}

std::vector<LossCurve> load_multipower_curves(const std::vector<std::string>& paths,
                                              std::vector<std::string>& notes) {
  std::vector<LossCurve> out;
  std::map<int64_t, std::vector<std::string>> sizes;  // params_total -> runs
  auto add_run = [&](const std::string& dir) {
    const auto s = read_summary(dir);
    if (s && s->status == RunStatus::diverged) {
      notes.push_back("run " + s->run_name + " diverged; left out");
      return;
    }
    out.push_back(read_multipower_run(dir));
    if (s) sizes[s->params_total].push_back(out.back().name);
  };
  for (const auto& p : paths) {
    if (fs::is_regular_file(p)) {
      if (fs::path(p).extension() != ".csv")
        throw std::runtime_error(p + ": expected a .csv file (step, lr, loss) or a folder");
      out.push_back(read_multipower_csv(p));
      continue;
    }
    if (!fs::is_directory(p)) throw std::runtime_error(p + ": no such file or folder");
    std::vector<std::string> csvs;
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_regular_file() && e.path().extension() == ".csv") csvs.push_back(e.path().string());
    std::sort(csvs.begin(), csvs.end());
    if (!csvs.empty() && !fs::exists(fs::path(p) / "summary.json")) {
      for (const auto& f : csvs) out.push_back(read_multipower_csv(f));
      continue;
    }
    RunReadOptions ro;
    ro.allow_missing_summary = true;
    RunSet set = read_runs(p, ro);
    for (const auto& u : set.unfinished)
      notes.push_back("run " + u + " has no summary.json; left out");
    for (const auto& r : set.runs) add_run(r.path);
  }
  if (sizes.size() > 1) {
    std::string list;
    for (const auto& [n, runs] : sizes)
      list += (list.empty() ? "" : ", ") + std::to_string(n) + " (" + runs.front() +
              (runs.size() > 1 ? ", ..." : "") + ")";
    throw std::runtime_error("multipower: runs of " + std::to_string(sizes.size()) +
                             " model sizes, N = " + list +
                             ": the law describes one size; fit each size separately");
  }
  for (auto& c : out) {
    // Each evaluated point costs O(changes before it) terms, so a log of every step would make a
    // fit take hours; every k-th point (and the last) is kept instead.
    const size_t max_points = 1000;
    if (c.steps.size() > max_points) {
      const size_t k = (c.steps.size() + max_points - 1) / max_points;
      std::vector<int64_t> steps;
      std::vector<double> loss;
      for (size_t i = 0; i < c.steps.size(); ++i)
        if (i % k == 0 || i + 1 == c.steps.size())
          steps.push_back(c.steps[i]), loss.push_back(c.loss[i]);
      notes.push_back(c.name + ": " + std::to_string(c.steps.size()) + " points thinned to every " +
                      std::to_string(k) + "th (" + std::to_string(steps.size()) + ")");
      c.steps = std::move(steps);
      c.loss = std::move(loss);
    }
    if (c.dropped_in_warmup > 0)
      notes.push_back(c.name + ": " + std::to_string(c.dropped_in_warmup) +
                      " point(s) in the warmup (or past the schedule) not fitted");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The fit

MultiPowerProblem::MultiPowerProblem(const std::vector<LossCurve>& curves, double delta,
                                     const MultiPowerSum& sum)
    : data_(curves), delta_(delta) {
  for (const auto& c : data_) evals_.emplace_back(c.lr, c.steps, sum);
}

MultiPowerLaw MultiPowerProblem::law_from_x(const std::vector<double>& x) {
  return {x[0], std::exp(x[1]), x[2], std::exp(x[3]), std::exp(x[4]), x[5], x[6]};
}
std::vector<double> MultiPowerProblem::x_from_law(const MultiPowerLaw& l) {
  return {l.L0, std::log(l.A), l.alpha, std::log(l.B), std::log(l.C), l.beta, l.gamma};
}

double MultiPowerProblem::objective(const std::vector<double>& x, std::vector<double>& g,
                                    const std::vector<std::vector<double>>* weights) const {
  const MultiPowerLaw law = law_from_x(x);
  std::fill(g.begin(), g.end(), 0.0);
  double f = 0;
  std::vector<double> pred;
  std::vector<std::array<double, MultiPowerLaw::kParams>> grad;
  std::array<double, MultiPowerLaw::kParams> acc{};
  for (size_t c = 0; c < evals_.size(); ++c) {
    evals_[c].evaluate(law, pred, &grad);
    for (size_t i = 0; i < pred.size(); ++i) {
      const double w = weights ? (*weights)[c][i] : 1.0;
      if (w == 0) continue;
      if (!(pred[i] > 0) || !std::isfinite(pred[i])) {
        std::fill(g.begin(), g.end(), 0.0);
        return 1e30;  // outside the law's domain: the line search backs off
      }
      const double r = std::log(pred[i]) - std::log(data_[c].loss[i]);
      const HuberTerm h = huber(r, delta_);
      f += w * h.value;
      const double s = w * h.slope / pred[i];
      for (int k = 0; k < MultiPowerLaw::kParams; ++k) acc[k] += s * grad[i][k];
    }
  }
  // Chain rule to x = (L0, log A, alpha, log B, log C, beta, gamma).
  g[0] = acc[0];
  g[1] = acc[1] * law.A;
  g[2] = acc[2];
  g[3] = acc[3] * law.B;
  g[4] = acc[4] * law.C;
  g[5] = acc[5];
  g[6] = acc[6];
  return std::isfinite(f) ? f : 1e30;
}

std::vector<std::vector<double>> MultiPowerProblem::starts() const {
  double lmin = HUGE_VAL, lr_max = 0;
  size_t first = data_.size();
  for (size_t c = 0; c < data_.size(); ++c) {
    const auto& d = data_[c];
    for (double l : d.loss) lmin = std::min(lmin, l);
    for (double v : d.lr) lr_max = std::max(lr_max, v);
    if (!d.steps.empty() && (first == data_.size() || d.steps[0] < data_[first].steps[0]))
      first = c;
  }
  if (first == data_.size()) throw std::runtime_error("multipower: no points after the warmup");
  const double l_first = data_[first].loss.front();
  std::vector<std::vector<double>> out;
  // 8 starts: alpha x the size of the decay's loss drop x (C, beta, gamma) low or high. The
  // objective's valleys are long (B beta trades against beta), so each start costs ~1000
  // evaluations; more starts found no lower minimum on the published curves.
  const double l0f = 0.9;
  for (double alpha : {0.3, 0.6})
    for (double drop : {0.03, 0.3})  // loss drop of a full decay from the peak lr: B = drop / lr
      for (const auto& [C, beta, gamma] : {std::array<double, 3>{0.5, 0.3, 0.3}, {4.0, 0.7, 0.7}}) {
        // The warmup's rising lr adds about B lr_peak to the loss, so L0 starts that much below
        // the floor; A then matches the earliest point.
        MultiPowerLaw law{l0f * lmin - drop, 0, alpha, drop / lr_max, C, beta, gamma};
        const double rest = l_first - evals_[first].predict(law).front();
        law.A = 1;
        law.L0 = 0;
        law.B = 0;
        const double zpow = evals_[first].predict(law).front();  // Z^-alpha
        law = {
            l0f * lmin - drop, std::max(rest, 1e-3) / zpow, alpha, drop / lr_max, C, beta, gamma};
        out.push_back(x_from_law(law));
      }
  return out;
}

namespace {

void require_fittable(const std::vector<LossCurve>& curves) {
  size_t n = 0;
  bool decays = false;
  for (const auto& c : curves) {
    n += c.steps.size();
    for (size_t s = std::max<int64_t>(c.warmup, 1); s < c.lr.size(); ++s)
      if (c.lr[s] != c.lr[s - 1]) decays = true;
  }
  if (curves.empty()) throw std::runtime_error("multipower: no curves");
  require_points(n, 8, "multipower");
  if (!decays)
    throw std::runtime_error(
        "multipower: no curve's lr changes after the warmup, so B, C, beta and gamma are not "
        "determined (add a curve with a decay)");
}

}  // namespace

MultiPowerFit fit_multipower_law(const std::vector<LossCurve>& curves, int n_threads) {
  require_fittable(curves);
  MultiPowerProblem prob(curves);
  Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
    return prob.objective(x, g);
  };
  const auto starts = prob.starts();
  Minimum m = minimize_multistart(f, starts, n_threads);
  return {MultiPowerProblem::law_from_x(m.x), m.f, starts.size()};
}

FitResult fit_multipower(const std::vector<LossCurve>& curves, const FitOptions& opts) {
  const double delta = 1e-3;
  MultiPowerFit best = fit_multipower_law(curves, opts.n_threads);
  FitResult fit;
  fit.law = "multipower";
  const auto v = best.law.values();
  for (int i = 0; i < MultiPowerLaw::kParams; ++i)
    fit.params.push_back({MultiPowerLaw::names[i], v[i]});
  const MultiPowerSum sum;
  fit.procedure = {
      {"model",
       "L(t) = L0 + A (S1(t) + S_W)^-alpha - B sum_{k=1..t} (lr_{k-1} - lr_k) (1 - (C lr_k^-gamma "
       "S_k(t) + 1)^-beta) (Luo et al. 2025); k runs over every step, warmup included, lr_0 = 0"},
      {"loss", "huber on log L_hat - log L"},
      {"delta", delta},
      {"reduction", "sum"},
      {"optimizer", "L-BFGS (liblbfgs) over (L0, log A, alpha, log B, log C, beta, gamma)"},
      {"init_grid",
       "B = d / peak lr with d in {0.03, 0.3}; L0 = 0.9 x lowest loss - d; alpha in {0.3, 0.6}; "
       "(C, beta, gamma) in {(0.5, 0.3, 0.3), (4, 0.7, 0.7)}; A matching the earliest point"},
      {"n_starts", best.n_starts},
      {"objective", best.objective},
      {"ld_sum", "exact for the last " + std::to_string(sum.exact_window) +
                     " steps before t, change-weighted blocks of " + std::to_string(sum.block) +
                     " steps before that"}};
  nlohmann::json cj = nlohmann::json::array();
  size_t n_points = 0;
  for (const auto& c : curves) {
    cj.push_back({{"name", c.name},
                  {"warmup", c.warmup},
                  {"steps", c.lr.size()},
                  {"n_points", c.steps.size()},
                  {"lr", c.lr_source}});
    n_points += c.steps.size();
  }
  fit.data = {{"n_points", n_points}, {"curves", cj}};
  if (best.law.beta < 0.05)
    fit.notes.push_back("beta near 0: then G(x) ~ beta log(1 + C x), so the data fix B beta (" +
                        std::to_string(best.law.B * best.law.beta) +
                        ") rather than B and beta apart");
  if (opts.n_bootstrap > 0) {
    MultiPowerProblem prob(curves, delta);
    std::vector<int> strata;
    std::vector<std::pair<size_t, size_t>> where;  // flat point -> (curve, point)
    for (size_t c = 0; c < curves.size(); ++c)
      for (size_t i = 0; i < curves[c].steps.size(); ++i) {
        strata.push_back(static_cast<int>(c));
        where.push_back({c, i});
      }
    const auto x0 = MultiPowerProblem::x_from_law(best.law);
    std::vector<std::vector<double>> starts = {x0};
    for (int k : {3, 5}) {  // log B and beta nudged: the valley along B-beta is long
      auto x = x0;
      x[k] += k == 3 ? 0.1 : 0.05;
      starts.push_back(x);
    }
    ResampleFit refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      std::vector<std::vector<double>> w(curves.size());
      for (size_t c = 0; c < curves.size(); ++c) w[c].assign(curves[c].steps.size(), 0.0);
      for (size_t i : idx) w[where[i].first][where[i].second] += 1;
      Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
        return prob.objective(x, g, &w);
      };
      Minimum m = minimize_multistart(f, starts, 1);
      const auto vals = MultiPowerProblem::law_from_x(m.x).values();
      return std::vector<double>(vals.begin(), vals.end());
    };
    BootstrapOptions bo{opts.n_bootstrap, opts.seed, 0.95, opts.n_threads, strata};
    auto boot = bootstrap(where.size(), refit, bo);
    fit.set_intervals(boot.lo, boot.hi);
    fit.procedure["bootstrap"] = {
        {"resamples", opts.n_bootstrap},
        {"seed", opts.seed},
        {"interval", "percentile 95%"},
        {"resampled", "points (steps) within each curve, stratified by curve"},
        {"failed", boot.n_failed},
        {"resample_starts", starts.size()}};
    fit.notes.push_back(
        "bootstrap resamples points within each curve; neighbouring steps of a curve are "
        "correlated, so the intervals are narrower than the run-to-run spread");
    note_wide_intervals(fit, {"alpha", "beta", "gamma"});
  }
  return fit;
}

MultiPowerLaw multipower_from_fit(const FitResult& fit) {
  std::array<double, MultiPowerLaw::kParams> v{};
  for (int i = 0; i < MultiPowerLaw::kParams; ++i) v[i] = fit.value(MultiPowerLaw::names[i]);
  return MultiPowerLaw::from_values(v);
}

RelativeError relative_error(const std::vector<double>& predicted,
                             const std::vector<double>& measured) {
  RelativeError e;
  if (measured.empty()) return e;
  for (size_t i = 0; i < measured.size(); ++i) {
    const double r = std::abs(predicted[i] / measured[i] - 1);
    e.mean += r;
    e.worst = std::max(e.worst, r);
  }
  e.mean /= double(measured.size());
  e.final = std::abs(predicted.back() / measured.back() - 1);
  return e;
}

}  // namespace scalelab
