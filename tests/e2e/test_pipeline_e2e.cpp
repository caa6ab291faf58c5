// The main job's pipeline on a small grid, end to end through the binary: text -> prepare ->
// an IsoFLOP sweep -> fit (every law, bootstrap) -> report. Checks that the fits are finite, that
// loss falls with compute along the frontier, and that the report references only figures that
// exist.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "data/manifest.h"
#include "data/shard.h"
#include "tests/support/datasets.h"

using namespace scalelab;
using namespace scalelab::test_util;

TEST(PipelineE2E, TextToFitsAndReport) {
  const fs::path dir = temp_dir("pipeline");
  const std::string dataset = make_dataset(dir, 96, 400);
  const fs::path sweep = dir / "isoflop.yaml", runs = dir / "runs", report = dir / "report";
  // Two budgets x three sizes of debug-sized models; D = C / (FLOPs per token) per run.
  std::ofstream(sweep)
      << "base: " << SCALELAB_SOURCE_DIR << "/configs/debug.yaml\n"
      << "out_root: " << runs.string() << "\n"
      << "name: \"c{sweep.flops}-l{model.n_layer}-d{model.n_embd}\"\n"
      << "set: {data.path: " << dataset
      << ", train.steps: 0, eval.every: 0, eval.n_batches: 8, log.every: 50,"
         " optim.lr: 1.0e-2, optim.min_lr: 1.0e-3}\n"
      << "derive:\n  tokens_from_flops: {flops: sweep.flops, convention: chinchilla}\n"
      << "tags: {study: chinchilla, budget: \"{sweep.flops}\"}\n"
      << "grid:\n  sweep.flops: [2.0e9, 6.0e9]\n"
      << "zip: {model.n_layer: [1, 2, 2], model.n_embd: [8, 16, 32], model.n_head: [2, 2, 4]}\n";
  std::string out;
  ASSERT_EQ(run_cli("sweep " + sweep.string() + " --jobs 2", &out), 0) << out;
  ASSERT_EQ(
      run_cli("fit " + runs.string() +
                  " --law all --flop-convention chinchilla --bootstrap 50 --out " + report.string(),
              &out),
      0)
      << out;
  ASSERT_EQ(run_cli("report " + runs.string() + " --flop-convention chinchilla --fits " +
                        (report / "fits.json").string() + " --out " + report.string(),
                    &out),
            0)
      << out;

  auto laws = read_json(report / "fits.json")["laws"];
  ASSERT_TRUE(laws.contains("kaplan_c")) << laws.dump();
  for (auto& [name, law] : laws.items())
    for (auto& [key, p] : law["params"].items())
      EXPECT_TRUE(std::isfinite(p["value"].get<double>())) << name << "." << key;
  // Loss falls with compute along the frontier: L(C) = (Cc / C)^alpha_C with alpha_C > 0, and the
  // best final loss of the larger budget beats the smaller one's.
  EXPECT_GT(laws["kaplan_c"]["params"]["alpha_C"]["value"].get<double>(), 0.0);
  double best_small = INFINITY, best_large = INFINITY;
  for (auto& entry : fs::directory_iterator(runs)) {
    if (!fs::exists(entry.path() / "summary.json")) continue;
    auto s = read_json(entry.path() / "summary.json");
    double& best = s["tags"]["budget"].get<double>() < 3e9 ? best_small : best_large;
    best = std::min(best, s["final_val_loss"].get<double>());
  }
  EXPECT_LT(best_large, best_small);

  // Every figure the report links exists, and there is at least one.
  std::ifstream in(report / "report.md");
  const std::string md((std::istreambuf_iterator<char>(in)), {});
  std::regex link(R"(\]\((figures/[^)]+)\))");
  int n_figures = 0;
  for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator();
       ++it) {
    EXPECT_TRUE(fs::exists(report / (*it)[1].str())) << (*it)[1].str();
    ++n_figures;
  }
  EXPECT_GE(n_figures, 3);
  EXPECT_TRUE(fs::exists(report / "report.html"));
  fs::remove_all(dir);
}

// nanoGPT's headerless train.bin / val.bin, brought in with `prepare --from-shards`, train the
// very losses of the same tokens prepared by scalelab (the same rows in the same order).
TEST(PipelineE2E, ImportedNanoGptFilesTrainTheLossesOfTheSameTokensPrepared) {
  const fs::path dir = temp_dir("pipeline_import");
  const std::string dataset = make_dataset(dir, 48, 300);
  const data::Manifest m = data::read_manifest(dataset);
  fs::create_directories(dir / "nanogpt");
  for (const auto& [name, split] : {std::pair{"train.bin", &m.train}, {"val.bin", &m.val}}) {
    std::string bytes;
    for (const auto& s : split->shards)
      for (uint32_t t :
           data::Shard(dataset + "/" + s.file, data::raw_token_bytes(s.layout)).read_all())
        bytes.append(reinterpret_cast<const char*>(&t), 2);  // little-endian uint16, as nanoGPT
    std::ofstream(dir / "nanogpt" / name, std::ios::binary) << bytes;
  }
  std::string out;
  ASSERT_EQ(run_cli("prepare --from-shards " + (dir / "nanogpt").string() + " --out " +
                        (dir / "imported").string() + " --vocab-size 257 --eot-token 256",
                    &out),
            0)
      << out;
  auto train = [&](const std::string& data, const fs::path& run) {
    ASSERT_EQ(run_cli("train " + std::string(SCALELAB_SOURCE_DIR) +
                          "/configs/debug.yaml --set data.path=" + data + " --out " + run.string(),
                      &out),
              0)
        << out;
  };
  train(dataset, dir / "prepared_run");
  train((dir / "imported").string(), dir / "imported_run");
  const auto prepared = losses_of(dir / "prepared_run"), imported = losses_of(dir / "imported_run");
  ASSERT_FALSE(prepared.empty());
  EXPECT_EQ(imported, prepared);
  EXPECT_EQ(losses_of(dir / "imported_run", "val_loss"),
            losses_of(dir / "prepared_run", "val_loss"));
  fs::remove_all(dir);
}
