// scalelab coord-check CONFIG --widths 32,64,128,256 [--depths ...] --steps 4 --out DIR: the
// coordinate check of Yang et al. 2022 (sec. 4): a few Adam steps at each width (and depth) under
// each parameterization, each layer's mean |x| recorded per step, written as coord_check.json and
// drawn as coord_check.png / .svg (analysis/figures/coord_check_figure.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "analysis/figures/coord_check_figure.h"
#include "cli/commands.h"
#include "common/checked_io.h"
#include "configs/config_enums.h"
#include "trainer/coord_check.h"

namespace scalelab::cli {
namespace {

struct CoordArgs {
  std::string config, out, parameterizations;
  std::vector<int64_t> widths{32, 64, 128, 256}, depths;
  std::vector<std::string> sets;
  int64_t steps = 4, seeds = 2;
  bool replot = false;
};

std::vector<Parameterization> parse_parameterizations(const std::string& list,
                                                      const Config& config) {
  std::vector<Parameterization> out;
  if (list.empty()) {  // the standard one beside the config's own
    out.push_back(Parameterization::standard);
    out.push_back(config.model.parameterization == Parameterization::standard
                      ? Parameterization::mup
                      : config.model.parameterization);
    return out;
  }
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');)
    out.push_back(parse_enum<Parameterization>(name, "--parameterizations:"));
  return out;
}

nlohmann::json to_json(const std::vector<CoordPoint>& points, const CoordCheckOptions& o,
                       const CoordArgs& a, const std::string& command) {
  nlohmann::json j;
  j["command"] = command;
  j["config"] = a.config;
  j["sets"] = a.sets;
  j["steps"] = o.steps;
  j["seeds"] = o.seeds;
  j["widths"] = o.widths;
  j["depths"] = o.depths;
  j["points"] = nlohmann::json::array();
  for (const auto& p : points)
    j["points"].push_back({{"parameterization", to_string(p.parameterization)},
                           {"axis", p.axis},
                           {"width", p.width},
                           {"depth", p.depth},
                           {"step", p.step},
                           {"layer", p.layer},
                           {"mean_abs", p.mean_abs}});
  // The summary a reader checks first: log-log slopes at the last step, of the logits against
  // width and of the last block's output (the residual stream) against depth.
  for (auto param : o.parameterizations) {
    if (o.widths.size() >= 2)
      j["slopes"][to_string(param)]["logits_vs_width"] =
          coord_slope(points, param, "width", "logits", o.steps);
    if (o.depths.size() >= 2)
      j["slopes"][to_string(param)]["last_block_vs_depth"] =
          coord_slope(points, param, "depth", "last_block", o.steps);
  }
  return j;
}

// One row of panels (a column per parameterization) for each axis at the last step and at
// initialisation, so that flat and drifting lines stand side by side.
std::vector<CoordPanel> panels_of(const std::vector<CoordPoint>& points,
                                  const CoordCheckOptions& o) {
  std::vector<CoordPanel> panels;
  for (const std::string axis : {"width", "depth"})
    for (int64_t step : {o.steps, int64_t(0)})
      for (auto param : o.parameterizations) {
        CoordPanel panel;
        panel.title = to_string(param) + ", step " + std::to_string(step);
        panel.xlabel = axis == "width" ? "width (n\\_embd)" : "depth (n\\_layer)";
        std::map<std::string, std::map<double, double>> by_layer;
        std::vector<std::string> order;
        std::set<double> xs;
        for (const auto& p : points) {
          if (p.parameterization != param || p.axis != axis || p.step != step) continue;
          const double x = double(axis == "width" ? p.width : p.depth);
          if (!by_layer.count(p.layer)) order.push_back(p.layer);
          by_layer[p.layer][x] = p.mean_abs;
          xs.insert(x);
        }
        if (order.empty()) continue;
        panel.xs.assign(xs.begin(), xs.end());
        for (const auto& layer : order) {
          panel.layers.push_back(layer);
          std::vector<double> row;
          for (double x : panel.xs) {  // a shallower model has no block.k: a gap in the line
            auto it = by_layer[layer].find(x);
            row.push_back(it == by_layer[layer].end() ? NAN : it->second);
          }
          panel.scale.push_back(row);
        }
        panels.push_back(panel);
      }
  return panels;
}

// --replot: the points of an earlier run (DIR/coord_check.json), drawn again.
void replot(const std::string& dir) {
  const auto j = nlohmann::json::parse(read_text_file(dir + "/coord_check.json"));
  CoordCheckOptions o;
  o.steps = j.at("steps").get<int64_t>();
  std::vector<CoordPoint> points;
  for (const auto& p : j.at("points")) {
    const auto param = parse_enum<Parameterization>(p.at("parameterization"), "parameterization");
    if (std::find(o.parameterizations.begin(), o.parameterizations.end(), param) ==
        o.parameterizations.end())
      o.parameterizations.push_back(param);
    points.push_back({param, p.at("axis"), p.at("width"), p.at("depth"), p.at("step"),
                      p.at("layer"), p.at("mean_abs")});
  }
  const auto figure =
      render_coord_check_figure(panels_of(points, o), int(o.parameterizations.size()), dir);
  std::printf("wrote %s/%s.png (.svg, .gp)\n", dir.c_str(), figure.name.c_str());
}

void run(const CoordArgs& a, const std::string& command) {
  const Config config = load_config(a.config, a.sets);
  if (config.data.path.empty())
    throw ConfigError("data.path: not set; coord-check trains on the config's dataset");
  CoordCheckOptions o;
  o.widths = a.widths, o.depths = a.depths, o.steps = a.steps, o.seeds = a.seeds;
  o.parameterizations = parse_parameterizations(a.parameterizations, config);
  make_directories(a.out);
  const auto start = std::chrono::steady_clock::now();
  auto progress = [&](int done, int total) {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "[coord-check] %d/%d runs, %.1f s, ETA %.0f s\n", done, total, s,
                 s / done * (total - done));
  };
  const auto points = coord_check(config, o, progress);
  const auto j = to_json(points, o, a, command);
  const std::string json_path = a.out + "/coord_check.json";
  write_file_atomic(json_path, j.dump(1) + "\n");
  const auto figure =
      render_coord_check_figure(panels_of(points, o), int(o.parameterizations.size()), a.out);
  std::printf("log-log slopes of mean |x| at step %ld (0 = flat):\n", (long)o.steps);
  for (const auto& [param, slopes] : j.at("slopes").items())
    for (const auto& [what, slope] : slopes.items())
      std::printf("  %-10s %-20s %+.3f\n", param.c_str(), what.c_str(), slope.get<double>());
  std::printf("wrote %s and %s/%s.png (.svg, .gp)\n", json_path.c_str(), a.out.c_str(),
              figure.name.c_str());
}

}  // namespace

void add_coord_check_command(CLI::App& app) {
  auto a = std::make_shared<CoordArgs>();
  auto* cmd = app.add_subcommand(
      "coord-check",
      "Coordinate check: does each layer's activation scale stay put as the model grows?");
  cmd->footer(
      "Trains a model of each --widths (n_embd, at the config's n_layer) and --depths (n_layer, "
      "at the config's n_embd) for --steps Adam updates at the config's optim.lr (constant, no "
      "clipping), under each parameterization, and records the mean |x| of the embeddings, "
      "every block's output and the logits before each update and after the last. Under a "
      "parameterization whose hyperparameters transfer (model.parameterization: mup for width, "
      "completep for width and depth) the curves are flat against width; under standard the "
      "logits grow with width once Adam has taken a few steps (Yang et al. 2022, sec. 4). The "
      "base shape is the config's model.base_width / base_depth, or the smallest checked.\n"
      "Writes DIR/coord_check.json (every point, the command, and the log-log slopes at the last "
      "step of the logits against width and of the last block's output, the residual stream "
      "the final norm reads, against depth) and DIR/coord_check.png / .svg / .gp.\n"
      "Example: scalelab coord-check configs/debug.yaml --set data.path=$SCALELAB_DATA/kjv-byte "
      "--widths 32,64,128,256 --steps 4 --out coord");
  cmd->add_option("config", a->config, "Config YAML (its data.path is trained on)");
  cmd->add_option("--widths", a->widths, "n_embd values, comma-separated")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--depths", a->depths, "n_layer values, comma-separated (default: none)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  cmd->add_option("--parameterizations", a->parameterizations,
                  "standard,mup,completep subset (default: standard and the config's own, or "
                  "mup when the config is standard)");
  cmd->add_option("--steps", a->steps, "Adam updates per model")
      ->check(CLI::Range(int64_t(1), int64_t(1000)))
      ->capture_default_str();
  cmd->add_option("--seeds", a->seeds, "Initialisations averaged per point")
      ->check(CLI::Range(int64_t(1), int64_t(100)))
      ->capture_default_str();
  cmd->add_option("--set", a->sets, "Override a config key: key.path=value (repeatable)");
  cmd->add_option("--out", a->out, "Folder for coord_check.json and the figure")->required();
  cmd->add_flag("--replot", a->replot,
                "Only draw the figure again from --out's coord_check.json (nothing trains)");
  cmd->callback([a]() {
    if (a->replot) return replot(a->out);
    if (a->config.empty()) throw CLI::RequiredError("config");
    std::string command = "scalelab coord-check " + a->config;
    for (const auto& s : a->sets) command += " --set " + s;
    command += " --widths ";
    for (size_t i = 0; i < a->widths.size(); ++i)
      command += (i ? "," : "") + std::to_string(a->widths[i]);
    if (!a->depths.empty()) {
      command += " --depths ";
      for (size_t i = 0; i < a->depths.size(); ++i)
        command += (i ? "," : "") + std::to_string(a->depths[i]);
    }
    if (!a->parameterizations.empty()) command += " --parameterizations " + a->parameterizations;
    command += " --steps " + std::to_string(a->steps) + " --seeds " + std::to_string(a->seeds) +
               " --out " + a->out;
    run(*a, command);
  });
}

}  // namespace scalelab::cli
