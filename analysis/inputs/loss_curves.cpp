#include "analysis/inputs/loss_curves.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "analysis/inputs/lr_schedule.h"
#include "analysis/inputs/points.h"
#include "configs/config_enums.h"
#include "core/schedule.h"
#include "runfolder/metrics.h"
#include "runfolder/summary.h"

namespace scalelab {

namespace fs = std::filesystem;

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

}  // namespace scalelab
