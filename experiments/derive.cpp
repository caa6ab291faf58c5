#include "experiments/derive.h"

#include <cmath>
#include <optional>
#include <stdexcept>

#include "core/hparams.h"
#include "experiments/template.h"

namespace scalelab::sweep {
namespace {

void reject_unknown(const Params& params, std::initializer_list<const char*> known,
                    const std::string& what) {
  for (const auto& [k, v] : params) {
    bool ok = false;
    std::string list;
    for (const char* name : known) {
      ok = ok || k == name;
      list += (list.empty() ? "" : ", ") + std::string(name);
    }
    if (!ok)
      throw std::runtime_error(what + ": unknown parameter '" + k + "' (known: " + list + ")");
  }
}

double number(const Params& params, const char* key, const std::string& what,
              std::optional<double> fallback = {}) {
  auto it = params.find(key);
  if (it == params.end()) {
    if (fallback) return *fallback;
    throw std::runtime_error(what + ": missing parameter '" + key + "'");
  }
  return parse_number(it->second, what + "." + key);
}

int64_t integer(const Params& params, const char* key, const std::string& what, int64_t fallback) {
  const double v = number(params, key, what, double(fallback));
  if (v != std::floor(v) || v < 1)
    throw std::runtime_error(what + "." + key + ": expected a positive integer");
  return static_cast<int64_t>(v);
}

struct Shape {
  int64_t n_layer = 0, n_embd = 0, n_head = 0, n_kv_head = 0, params = 0;
};

// The n_embd (a multiple of head_dim) whose count at this depth is closest to target, in log.
std::optional<Shape> best_width(const ModelConfig& base, int64_t n_layer, int64_t head_dim,
                                double target, bool total) {
  // Grouped-query attention keeps the base's heads per key/value head.
  const int64_t group = base.n_kv_head > 0 ? base.n_head / base.kv_heads() : 1;
  std::optional<Shape> best;
  for (int64_t heads = 1; heads <= 4096; ++heads) {
    if (heads % group != 0) continue;
    ModelConfig m = base;
    m.n_layer = n_layer;
    m.n_head = heads;
    m.n_embd = heads * head_dim;
    m.n_kv_head = base.n_kv_head > 0 ? heads / group : 0;
    const ParamCounts c = count_params(m);
    const int64_t n = total ? c.total : c.non_embedding;
    if (!best ||
        std::abs(std::log(double(n) / target)) < std::abs(std::log(double(best->params) / target)))
      best = Shape{n_layer, m.n_embd, m.n_head, m.n_kv_head, n};
    if (n > 2 * target) break;  // counts grow with width; nothing further is closer
  }
  return best;
}

bool count_total(const Params& params, const char* key, const std::string& what,
                 const std::string& fallback) {
  const std::string count = params.count(key) ? params.at(key) : fallback;
  if (count != "non_embedding" && count != "non-embedding" && count != "total")
    throw std::runtime_error(what + "." + key + ": expected non_embedding or total, got '" + count +
                             "'");
  return count == "total";
}

double params_of(const ModelConfig& model, bool total) {
  const ParamCounts c = count_params(model);
  return double(total ? c.total : c.non_embedding);
}

int64_t warmup_steps_for(const Config& config, double tokens) {
  const double step_tokens = double(config.train.batch_size) * double(config.model.block_size);
  return std::max<int64_t>(1, std::llround(tokens / step_tokens));
}

}  // namespace

Assignments derive_shape(const ModelConfig& model, const Params& params, const std::string& what) {
  reject_unknown(params, {"params", "count", "n_layer", "aspect_ratio", "head_dim", "tolerance"},
                 what);
  const double target = number(params, "params", what);
  if (target <= 0) throw std::runtime_error(what + ".params: must be positive");
  const std::string count = params.count("count") ? params.at("count") : "non_embedding";
  if (count != "non_embedding" && count != "non-embedding" && count != "total")
    throw std::runtime_error(what + ".count: expected non_embedding or total, got '" + count + "'");
  const bool total = count == "total";
  const int64_t head_dim = integer(params, "head_dim", what, model.head_dim());
  const double tolerance = number(params, "tolerance", what, 0.1);
  const bool by_depth = params.count("n_layer"), by_ratio = params.count("aspect_ratio");
  if (by_depth == by_ratio)
    throw std::runtime_error(what +
                             ": give exactly one of n_layer or aspect_ratio (n_embd / n_layer)");

  auto within = [&](const Shape& s) {
    return std::abs(double(s.params) / target - 1) <= tolerance;
  };
  std::optional<Shape> chosen, closest;
  if (by_depth) {
    closest = best_width(model, integer(params, "n_layer", what, 1), head_dim, target, total);
    if (closest && within(*closest)) chosen = closest;
  } else {
    const double ratio = number(params, "aspect_ratio", what);
    if (ratio <= 0) throw std::runtime_error(what + ".aspect_ratio: must be positive");
    double best_miss = INFINITY;
    for (int64_t layers = 1; layers <= 512; ++layers) {
      auto s = best_width(model, layers, head_dim, target, total);
      if (!s) continue;
      if (!closest || std::abs(std::log(double(s->params) / target)) <
                          std::abs(std::log(double(closest->params) / target)))
        closest = s;
      if (!within(*s)) continue;
      const double miss = std::abs(std::log(double(s->n_embd) / double(layers) / ratio));
      if (miss < best_miss) best_miss = miss, chosen = s;
    }
  }
  const std::string shape_rule = by_depth ? "n_layer " + params.at("n_layer") : "any depth";
  if (!chosen) {
    std::string near = closest ? "; the closest is n_layer " + std::to_string(closest->n_layer) +
                                     ", n_embd " + std::to_string(closest->n_embd) + " with " +
                                     format_number(double(closest->params))
                               : "";
    throw std::runtime_error(what + ": no shape with " + shape_rule + " and head_dim " +
                             std::to_string(head_dim) + " has " + count + " parameters within " +
                             format_number(100 * tolerance) + "% of " + format_number(target) +
                             near);
  }
  Assignments out = {{"model.n_layer", std::to_string(chosen->n_layer)},
                     {"model.n_embd", std::to_string(chosen->n_embd)},
                     {"model.n_head", std::to_string(chosen->n_head)}};
  if (model.n_kv_head > 0) out.emplace_back("model.n_kv_head", std::to_string(chosen->n_kv_head));
  return out;
}

Assignments derive_tokens(const Config& config, const Params& params, const std::string& what,
                          double* budget) {
  reject_unknown(params, {"flops", "convention"}, what);
  const double flops = number(params, "flops", what);
  if (flops <= 0) throw std::runtime_error(what + ".flops: must be positive");
  FlopConvention convention = config.train.flop_convention;
  if (params.count("convention")) {
    const std::string name = params.at("convention");
    bool found = false;
    std::string list;
    for (auto c : {FlopConvention::six_n, FlopConvention::six_n_total, FlopConvention::litgpt,
                   FlopConvention::chinchilla, FlopConvention::palm}) {
      list += (list.empty() ? "" : " | ") + to_string(c);
      if (to_string(c) == name) convention = c, found = true;
    }
    if (!found)
      throw std::runtime_error(what + ".convention: expected one of " + list + ", got '" + name +
                               "'");
  }
  const double per_token = training_flops_per_token(config.model, convention);
  const double tokens = flops / per_token;
  const double step_tokens = double(config.train.batch_size) * config.model.block_size;
  if (tokens < step_tokens)
    throw std::runtime_error(
        what + ": C = " + format_number(flops) + " buys " + format_number(std::round(tokens)) +
        " tokens at " + format_number(per_token) + " FLOPs per token (" + to_string(convention) +
        "), less than one step of " + format_number(step_tokens) + " tokens");
  if (budget) *budget = flops;
  return {{"train.steps", "0"},
          {"train.flops", "0"},
          {"train.tokens", format_number(std::round(tokens))},
          {"train.flop_convention", to_string(convention)}};
}

Assignments derive_warmup(const Config& config, const Params& params, const std::string& what) {
  reject_unknown(params, {"tokens_per_param", "count"}, what);
  const double ratio = number(params, "tokens_per_param", what, 1.0);
  if (!(ratio > 0)) throw std::runtime_error(what + ".tokens_per_param: must be positive");
  const double N = params_of(config.model, count_total(params, "count", what, "total"));
  return {{"schedule.warmup_steps", std::to_string(warmup_steps_for(config, ratio * N))},
          {"schedule.warmup_fraction", "0"}};
}

Assignments derive_lr(const Config& config, const Params& params, const std::string& what,
                      double* lr_out) {
  reject_unknown(params, {"file", "use", "extrapolate", "warmup"}, what);
  if (!params.count("file") || params.at("file").empty())
    throw std::runtime_error(what +
                             ": missing parameter 'file' (the hparams.json of scalelab tune)");
  const std::string path = expand_env(params.at("file"), what + ".file");
  const Hparams h = read_hparams(path);
  const std::string use = params.count("use") ? params.at("use") : "law";
  const std::string warmup = params.count("warmup") ? params.at("warmup") : "tuned";
  if (use != "law" && use != "size")
    throw std::runtime_error(what + ".use: expected law or size, got '" + use + "'");
  if (warmup != "tuned" && warmup != "keep")
    throw std::runtime_error(what + ".warmup: expected tuned or keep, got '" + warmup + "'");
  const double factor = number(params, "extrapolate", what, 10.0);
  if (!(factor >= 1)) throw std::runtime_error(what + ".extrapolate: must be at least 1");

  const double N = params_of(config.model, h.params_counted == "total");
  const std::string n_text = "N = " + format_number(N) + " (" + h.params_counted + ")";
  double lr = 0;
  if (use == "size") {
    for (const auto& s : h.sizes)
      if (std::abs(s.N / N - 1) < 1e-6) lr = s.lr_opt;
    if (lr == 0) {
      std::string sizes;
      for (const auto& s : h.sizes) sizes += (sizes.empty() ? "" : ", ") + format_number(s.N);
      throw std::runtime_error(what + ": " + path + " has no tuned size " + n_text +
                               " (its sizes: " + sizes + "); use: law evaluates the fitted law");
    }
  } else {
    if (N > factor * h.n_max() * (1 + 1e-9) || N * factor * (1 + 1e-9) < h.n_min())
      throw std::runtime_error(what + ": " + n_text + " is more than " + format_number(factor) +
                               "x outside the sizes " + path + " was tuned on (" +
                               format_number(h.n_min()) + " to " + format_number(h.n_max()) +
                               "); tune that size too or raise extrapolate");
    lr = h.lr(N);
  }
  if (lr_out) *lr_out = lr;
  // The decay's floor keeps the run's own ratio to the peak (a floor above the peak is invalid).
  const double ratio = config.optim.min_lr / config.optim.lr;
  Assignments out = {{"optim.lr", format_number(lr)}, {"optim.min_lr", format_number(lr * ratio)}};
  if (warmup == "tuned" && h.warmup_tokens_per_param > 0) {
    out.emplace_back("schedule.warmup_steps",
                     std::to_string(warmup_steps_for(
                         config, h.warmup_tokens_per_param *
                                     params_of(config.model, h.params_counted == "total"))));
    out.emplace_back("schedule.warmup_fraction", "0");
  }
  return out;
}

}  // namespace scalelab::sweep
