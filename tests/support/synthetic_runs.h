// Writes run folders in the docs/formats.md layout, for the analysis tests (no trainer needed).
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace scalelab::synth {

struct SyntheticRun {
  std::string name;
  double N = 0, D = 0;
  double budget = 0;  // config.train.flops
  nlohmann::json tags = nlohmann::json::object();
  std::function<double(double tokens)> loss;  // loss after `tokens` tokens
  int n_log = 20;                             // train + eval lines in metrics.jsonl
  bool write_summary = true;
  std::string status = "finished";  // diverged and paused runs carry N, D and C too
};

// Embedding parameters are 10% of N so total and non-embedding counts differ.
inline void write_run(const std::filesystem::path& root, const SyntheticRun& r) {
  const auto dir = root / r.name;
  std::filesystem::create_directories(dir);
  std::ofstream m(dir / "metrics.jsonl");
  for (int i = 1; i <= r.n_log; ++i) {
    const double tokens = r.D * i / r.n_log, C = 6 * r.N * tokens;
    nlohmann::json flops = {{"6n", C}, {"6n_total", C * 1.1}};
    m << nlohmann::json{{"kind", "train"},
                        {"step", i},
                        {"tokens", tokens},
                        {"loss", r.loss(tokens)},
                        {"flops", flops}}
             .dump()
      << "\n";
    m << nlohmann::json{{"kind", "eval"},
                        {"step", i},
                        {"tokens", tokens},
                        {"val_loss", r.loss(tokens)},
                        {"flops", flops}}
             .dump()
      << "\n";
  }
  if (!r.write_summary) return;
  const double C = 6 * r.N * r.D;
  const bool complete = r.status == "finished" || r.status == "early_stopped";
  nlohmann::json s = {
      {"run_name", r.name},
      {"status", r.status},
      {"params", {{"total", r.N * 1.1}, {"embedding", r.N * 0.1}, {"non_embedding", r.N}}},
      {"tokens", r.D},
      {"steps", r.n_log},
      {"flops", {{"6n", C}, {"6n_total", C * 1.1}}},
      {"final_val_loss", complete ? nlohmann::json(r.loss(r.D)) : nlohmann::json(nullptr)},
      {"best_val_loss", r.loss(r.D)},
      {"final_train_loss", r.loss(r.D)},
      {"config", {{"train", {{"flops", r.budget}}}}},
      {"tags", r.tags}};
  std::ofstream(dir / "summary.json") << s.dump(2);
}

inline std::filesystem::path fresh_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("scalelab_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace scalelab::synth
