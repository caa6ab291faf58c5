#include "trainer/coord_check.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "data/loader.h"
#include "model/gpt.h"
#include "trainer/fused_adamw.h"

namespace scalelab {
namespace {

struct Shape {
  std::string axis;
  int64_t width, depth;
};

// The config of one checked model: its shape, its parameterization, and a base shape fixed across
// the models compared (the smallest checked, unless the config names one).
ModelConfig model_for(const Config& config, const CoordCheckOptions& o, Parameterization p,
                      const Shape& s) {
  ModelConfig m = config.model;
  m.n_embd = s.width;
  m.n_layer = s.depth;
  m.parameterization = p;
  const int64_t min_width =
      o.widths.empty() ? config.model.n_embd : *std::min_element(o.widths.begin(), o.widths.end());
  const int64_t min_depth =
      o.depths.empty() ? config.model.n_layer : *std::min_element(o.depths.begin(), o.depths.end());
  m.base_width = p == Parameterization::standard ? 0
                 : config.model.base_width > 0   ? config.model.base_width
                                                 : std::min(min_width, config.model.n_embd);
  m.base_depth = p != Parameterization::completep ? 0
                 : config.model.base_depth > 0    ? config.model.base_depth
                                                  : std::min(min_depth, config.model.n_layer);
  validate(m);
  return m;
}

// mean |x| of each named activation at steps 0..steps of one seed's run.
std::vector<std::vector<std::pair<std::string, double>>> run_one(const ModelConfig& m,
                                                                 const Config& config,
                                                                 const data::TrainLoader& loader,
                                                                 int64_t steps, int64_t seed) {
  torch::manual_seed(static_cast<uint64_t>(seed));
  GPT model(m);
  auto optimizer = FusedAdamW::for_model(*model, m, config.optim);
  const int64_t B = config.train.batch_size, T = m.block_size;
  std::vector<int64_t> rows(B * (T + 1));
  std::vector<std::vector<std::pair<std::string, double>>> trace;
  for (int64_t step = 0; step <= steps; ++step) {
    // Random windows, a pure function of (step, row): each seed reads its own stretch of steps.
    loader.fill(step + seed * 1000003, 0, B, rows.data());
    auto batch = torch::from_blob(rows.data(), {B, T + 1}, torch::kInt64);
    auto idx = batch.narrow(1, 0, T).clone(), targets = batch.narrow(1, 1, T).clone();
    auto acts = model->activations(idx);
    std::vector<std::pair<std::string, double>> scales;
    for (const auto& [name, x] : acts)
      scales.emplace_back(name, x.detach().abs().mean().item<double>());
    // The residual stream the final norm reads: across depths this, not block.k of a fixed k, is
    // the same coordinate (block.k's own share shrinks as 1 / depth under CompleteP by design).
    scales.emplace_back("last_block", scales[scales.size() - 2].second);
    trace.push_back(std::move(scales));
    if (step == steps) break;
    const auto& logits = acts.back().second;
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}),
                                                     targets.reshape({-1}));
    loss.backward();
    optimizer.step(config.optim.lr);
    optimizer.zero_grad();
  }
  return trace;
}

}  // namespace

std::vector<CoordPoint> coord_check(const Config& config, const CoordCheckOptions& o,
                                    const std::function<void(int, int)>& progress) {
  std::vector<Shape> shapes;
  for (int64_t w : o.widths) shapes.push_back({"width", w, config.model.n_layer});
  for (int64_t d : o.depths) shapes.push_back({"depth", config.model.n_embd, d});
  // Every model is checked before any trains: a bad width fails at once, not after minutes.
  for (auto p : o.parameterizations)
    for (const auto& s : shapes) model_for(config, o, p, s);
  if (config.train.threads > 0) torch::set_num_threads(static_cast<int>(config.train.threads));
  data::TrainLoader loader(config.data.path, config.model.block_size,
                           static_cast<uint64_t>(data_order_seed(config.train)));
  if (loader.vocab_size() > config.model.vocab_size)
    throw ConfigError("model.vocab_size: " + std::to_string(config.model.vocab_size) +
                      " is smaller than the vocabulary of " + config.data.path + " (" +
                      std::to_string(loader.vocab_size()) + ")");
  const int total = static_cast<int>(o.parameterizations.size() * shapes.size() * o.seeds);
  int done = 0;
  std::vector<CoordPoint> points;
  for (auto p : o.parameterizations)
    for (const auto& s : shapes) {
      const ModelConfig m = model_for(config, o, p, s);
      std::map<std::pair<int64_t, std::string>, double> sum;
      std::vector<std::string> order;
      for (int64_t seed = 0; seed < o.seeds; ++seed) {
        auto trace = run_one(m, config, loader, o.steps, config.train.seed + seed);
        for (size_t step = 0; step < trace.size(); ++step)
          for (const auto& [layer, v] : trace[step]) {
            if (step == 0 && seed == 0) order.push_back(layer);
            sum[{int64_t(step), layer}] += v;
          }
        if (progress) progress(++done, total);
      }
      for (int64_t step = 0; step <= o.steps; ++step)
        for (const auto& layer : order)
          points.push_back(
              {p, s.axis, s.width, s.depth, step, layer, sum[{step, layer}] / double(o.seeds)});
    }
  return points;
}

double coord_slope(const std::vector<CoordPoint>& points, Parameterization p,
                   const std::string& axis, const std::string& layer, int64_t step) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& q : points) {
    if (q.parameterization != p || q.axis != axis || q.layer != layer || q.step != step) continue;
    const double x = std::log(double(axis == "width" ? q.width : q.depth)),
                 y = std::log(q.mean_abs);
    n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  if (n < 2) throw std::invalid_argument("coord_slope: fewer than two " + axis + "s of " + layer);
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace scalelab
