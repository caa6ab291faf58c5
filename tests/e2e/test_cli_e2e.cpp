// The scalelab binary as a user meets it: --help lists the subcommands, bad input gives one clear
// line and a non-zero exit (never a stack trace), calculators print the papers' numbers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "analysis/data_constrained.h"

#include "analysis/multipower.h"
#include "configs/config_enums.h"
#include "tests/support/run.h"

using namespace scalelab::test_util;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("scalelab_cli_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path.string();
}

void expect_one_clear_line(const std::string& args, const std::string& expected) {
  std::string out;
  EXPECT_EQ(run_cli(args, &out), 1) << args << "\n" << out;
  EXPECT_EQ(out.rfind("scalelab: error: ", 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(expected), std::string::npos) << "expected '" << expected << "' in: " << out;
}

}  // namespace

TEST(Cli, HelpListsEverySubcommand) {
  std::string out;
  ASSERT_EQ(run_cli("--help", &out), 0);
  for (auto cmd : {"train", "prepare", "fit", "report", "flops", "predict", "plan", "gpu-time"})
    EXPECT_NE(out.find(cmd), std::string::npos) << cmd;
  EXPECT_NE(run_cli("", &out), 0);  // a subcommand is required
}

TEST(Cli, BadConfigsGiveOneClearLine) {
  expect_one_clear_line(
      "flops --config " + write_temp("malformed.yaml", "model:\n  n_layer: [1,\n"),
      "malformed YAML");
  expect_one_clear_line("flops --config " + write_temp("unknown.yaml", "model:\n  n_layers: 3\n"),
                        "unknown key 'model.n_layers'");
  expect_one_clear_line("flops --config " + write_temp("negative.yaml", "model:\n  n_embd: -8\n"),
                        "model.n_embd: must be positive");
  expect_one_clear_line("flops --config /nonexistent/config.yaml", "/nonexistent/config.yaml");
  expect_one_clear_line("flops --config " SCALELAB_SOURCE_DIR
                        "/configs/debug.yaml --set model.n_head=3",
                        "model.n_embd: must be divisible by model.n_head");
}

TEST(Cli, CalculatorsPrintThePublishedNumbers) {
  std::string out;
  ASSERT_EQ(run_cli("predict --params 70e9 --tokens 15e12 --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_NEAR(j["loss"]["kaplan"].get<double>(), 1.72, 0.005);
  EXPECT_NEAR(j["loss"]["chinchilla"].get<double>(), 1.86, 0.005);
  ASSERT_EQ(
      run_cli("gpu-time --params 1.7e12 --tokens 13e12 --gpu a100 --count 25000 --precision fp16 "
              "--sparse --json",
              &out),
      0)
      << out;
  EXPECT_NEAR(nlohmann::json::parse(out)["days"].get<double>(), 98.7, 0.5);
  ASSERT_EQ(run_cli("predict --params 1e9 --tokens 1e9", &out), 0);
  EXPECT_NE(out.find("expect overfitting"), std::string::npos) << out;
  ASSERT_EQ(
      run_cli("flops --config " SCALELAB_SOURCE_DIR "/configs/ladder/gpt-124m.yaml --json", &out),
      0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["params"]["total"], 123587328);
  expect_one_clear_line("gpu-time --flops 1e20 --gpu tpu", "--gpu tpu: unknown accelerator");
}

// NaN passes `< 0` checks; every numeric option refuses non-finite numbers, naming the option.
TEST(Cli, NonFiniteNumbersAreRefusedByName) {
  for (const auto& [args, option] : std::vector<std::pair<std::string, std::string>>{
           {"predict --params nan --tokens 1e12", "--params"},
           {"predict --params 1e9 --tokens inf", "--tokens"},
           {"plan --flops nan", "--flops"},
           {"gpu-time --flops 1e21 --count nan", "--count"},
           {"gpu-time --flops 1e21 --mfu nan", "--mfu"},
           {"gpu-time --flops nan", "--flops"},
           {"train " SCALELAB_SOURCE_DIR "/configs/debug.yaml --stop-after-step -1",
            "--stop-after-step"}}) {
    std::string out;
    EXPECT_NE(run_cli(args, &out), 0) << args << "\n" << out;
    EXPECT_NE(out.find(option), std::string::npos) << args << "\n" << out;
    EXPECT_TRUE(out.find("not a finite number") != std::string::npos ||
                out.find("not a non-negative number") != std::string::npos)
        << args << "\n"
        << out;
    EXPECT_EQ(out.find("frame #"), std::string::npos) << out;
  }
}

// int64 parameter counts of a 4e9-wide model would wrap to negative numbers.
TEST(Cli, CountsThatOverflowAreRefused) {
  expect_one_clear_line("flops --config " SCALELAB_SOURCE_DIR
                        "/configs/debug.yaml --set model.n_embd=4000000000 --set model.n_layer=64",
                        "exceeds 9.2e18");
}

// Data-constrained law (Muennighoff et al. 2023): predict, plan, fit and their bad input.
TEST(Cli, PredictWithUniqueTokensGivesTheWorkedValue) {
  std::string out;
  ASSERT_EQ(run_cli("predict --params 8.67e9 --tokens 178e9 --unique-tokens 25e9 --json", &out), 0)
      << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_NEAR(j["loss"]["data-constrained"].get<double>() / 2.2269634075087867, 1.0, 1e-9);
  EXPECT_NEAR(j["epochs"].get<double>(), 178.0 / 25.0, 1e-12);
  EXPECT_TRUE(j["loss"].contains("chinchilla"));  // the fresh-data answer next to it
  ASSERT_EQ(run_cli("predict --params 6.34e9 --tokens 242e9 --unique-tokens 25e9", &out), 0) << out;
  EXPECT_NE(out.find("2.2256"), std::string::npos) << out;
  EXPECT_NE(out.find("R_D* = 15.4"), std::string::npos) << out;  // the sentence on R_D*
  EXPECT_NE(out.find("assumes fresh data"), std::string::npos) << out;
  // D <= U: nothing repeats, not an error; the law is then Chinchilla's form with its constants.
  ASSERT_EQ(run_cli("predict --params 1e8 --tokens 1e10 --unique-tokens 25e9 --json", &out), 0)
      << out;
  j = nlohmann::json::parse(out);
  EXPECT_EQ(j["repetitions"].get<double>(), 0.0);
  EXPECT_NEAR(j["data_constrained"]["data-constrained"]["effective_tokens"].get<double>(), 1e10,
              1e-3);
  EXPECT_NEAR(j["loss"]["data-constrained"].get<double>(),
              j["data_constrained"]["data-constrained"]["fresh_data_loss"].get<double>(), 1e-12);
}

TEST(Cli, PlanWithUniqueTokensForTheIssuesExample) {
  std::string out;
  // C = 6 x 8.67e9 x 178e9, U = 25e9 (issue 17).
  ASSERT_EQ(run_cli("plan --flops 9.25956e21 --unique-tokens 25e9 --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& p = j["plans"]["data-constrained"];
  EXPECT_NEAR(p["params"].get<double>(), 6.803e9, 0.002e9);
  EXPECT_NEAR(p["tokens"].get<double>(), 226.9e9, 0.1e9);
  EXPECT_NEAR(p["epochs"].get<double>(), 9.07, 0.01);
  EXPECT_NEAR(p["fresh_data_plan"]["params"].get<double>(), 8.87e9, 0.01e9);
  const auto& c = j["plans"]["chinchilla"];  // Hoffmann et al.'s fresh-data answer
  EXPECT_NEAR(c["params"].get<double>(), 4.984e9, 0.005e9);
  EXPECT_NEAR(c["epochs"].get<double>(), c["tokens"].get<double>() / 25e9, 1e-9);
  EXPECT_GT(c["loss_with_u"].get<double>(), p["loss"].get<double>());
  EXPECT_TRUE(j["warnings"].empty());
  ASSERT_EQ(run_cli("plan --flops 9.25956e21 --unique-tokens 25e9", &out), 0) << out;
  EXPECT_NE(out.find("9.07"), std::string::npos) << out;
  EXPECT_NE(out.find("R_D* = 15.4"), std::string::npos) << out;
  EXPECT_EQ(out.find("warning"), std::string::npos) << out;
  // 1e22 FLOPs on 1e9 unique tokens: the plan repeats them ~300 times.
  ASSERT_EQ(run_cli("plan --flops 1e22 --unique-tokens 1e9", &out), 0) << out;
  EXPECT_NE(out.find("warning: data-constrained: the plan repeats the 1B unique tokens"),
            std::string::npos)
      << out;
}

TEST(Cli, UniqueTokensBadInputIsRefused) {
  for (const auto& args :
       {"predict --params 1e9 --tokens 2e10 --unique-tokens 0",
        "predict --params 1e9 --tokens 2e10 --unique-tokens -5",
        "plan --flops 1e21 --unique-tokens 0", "plan --flops 1e21 --unique-tokens nan",
        "predict --params 1e9 --tokens 2e10 --unique-tokens inf",
        "plan --flops inf --unique-tokens 1e9"}) {
    std::string out;
    EXPECT_NE(run_cli(args, &out), 0) << args << "\n" << out;
    EXPECT_TRUE(out.find("--unique-tokens") != std::string::npos ||
                out.find("--flops") != std::string::npos)
        << args << "\n"
        << out;
    EXPECT_TRUE(out.find("not a positive number") != std::string::npos ||
                out.find("not a finite number") != std::string::npos)
        << args << "\n"
        << out;
    EXPECT_EQ(out.find("frame #"), std::string::npos) << out;
  }
  expect_one_clear_line("predict --params 1e9 --tokens 2e10 --law data-constrained",
                        "needs --unique-tokens");
  expect_one_clear_line("plan --flops 1e21 --law data-constrained", "needs --unique-tokens");
}

TEST(Cli, FitDataConstrainedOnACsvWithAUColumn) {
  scalelab::DataConstrainedLaw truth;
  truth.R_D_star = 5.0, truth.R_N_star = 3.0;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.005);
  std::string csv = "N,D,unique,loss\n", csv_no_u = "N,D,loss\n";
  for (double U : {1e8, 1e9})
    for (double N : {1e6, 3e6, 1e7, 3e7, 1e8})
      for (double epochs : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0}) {
        const double D = epochs * U, loss = truth.loss(N, D, U) * std::exp(noise(rng));
        char row[160];
        std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g,%.17g\n", N, D, U, loss);
        csv += row;
        std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g\n", N, D, loss);
        csv_no_u += row;
      }
  const auto path = write_temp("dc.csv", csv), path_no_u = write_temp("dc_no_u.csv", csv_no_u);
  const auto out_dir =
      std::filesystem::temp_directory_path() / ("scalelab_cli_dc_" + std::to_string(getpid()));
  // The fresh-data constants from a fits.json (here the truth's, as a chinchilla fit).
  scalelab::FitResult base;
  base.law = "chinchilla_approach3";
  base.params = {{"E", truth.base.E},
                 {"A", truth.base.A},
                 {"B", truth.base.B},
                 {"alpha", truth.base.alpha},
                 {"beta", truth.base.beta}};
  std::filesystem::create_directories(out_dir);
  const auto base_path = (out_dir / "fresh.json").string();
  scalelab::write_fits_json(base_path, {base}, {});
  std::string out;
  ASSERT_EQ(
      run_cli("fit " + path + " --law data-constrained --u-col unique --fresh-fit " + base_path +
                  " --bootstrap 100 --threads 1 --out " + out_dir.string() + " --json",
              &out),
      0)
      << out;
  auto j = nlohmann::json::parse(out)["laws"]["data_constrained"];
  EXPECT_NE(j["procedure"]["fitted"].get<std::string>().find("fixed from the fresh-data fit"),
            std::string::npos);
  const auto ci = j["params"]["R_D_star"]["ci95"];
  EXPECT_LE(ci[0].get<double>(), 5.0);
  EXPECT_GE(ci[1].get<double>(), 5.0);
  // The fitted law feeds predict and plan.
  const auto fits = (out_dir / "fits.json").string();
  ASSERT_EQ(run_cli("predict --params 1e7 --tokens 1e9 --unique-tokens 1e8 --law " + fits, &out), 0)
      << out;
  EXPECT_NE(out.find("L(N, D, U)"), std::string::npos) << out;
  ASSERT_EQ(run_cli("plan --flops 1e18 --unique-tokens 1e8 --law " + fits + " --json", &out), 0)
      << out;
  // Jointly, from the CSV alone; `all` includes it when there is a U column.
  ASSERT_EQ(run_cli("fit " + path + " --law data-constrained --u-col unique --threads 1 --out " +
                        out_dir.string() + " --json",
                    &out),
            0)
      << out;
  j = nlohmann::json::parse(out)["laws"]["data_constrained"];
  EXPECT_NE(j["procedure"]["fitted"].get<std::string>().find("jointly"), std::string::npos);
  EXPECT_NEAR(j["params"]["R_D_star"]["value"].get<double>(), 5.0, 1.0);
  expect_one_clear_line("fit " + path_no_u + " --law data-constrained --out " + out_dir.string(),
                        "no unique-token count U");
  expect_one_clear_line("fit " + path + " --law data-constrained --u-col unique --fresh-fit " +
                            "/nonexistent/fits.json --out " + out_dir.string(),
                        "--fresh-fit /nonexistent/fits.json");
  std::filesystem::remove_all(out_dir);
}

// First contact with data: one text file prepares (split by position, said in the output); an
// empty file, a binary file, shards with ids beyond the vocabulary and a sweep's unknown --set
// key are one clear line each.
// An output folder that cannot be made (here in /proc; a read-only file system reads alike) is one
// line naming it and the reason, in the same words for every command.
TEST(Cli, AFolderThatCannotBeMadeIsOneLineNamingIt) {
  const std::string csv = write_temp("kaplan.csv",
                                     "N,D,loss\n1e6,2e7,3.1\n2e6,4e7,2.9\n4e6,8e7,2.7\n"
                                     "8e6,1.6e8,2.55\n1e6,8e7,2.95\n4e6,2e7,2.85\n");
  expect_one_clear_line(
      "fit " + csv + " --law kaplan --bootstrap 0 --out /proc/scalelab_no_such/fits",
      "/proc/scalelab_no_such/fits: cannot create the folder (No such file");
}

TEST(Cli, PrepareOneFileAndBadDataInput) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("scalelab_cli_prepare_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "shards");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + " of the only document\n";
  std::ofstream(dir / "input.txt") << text;
  std::string out;
  ASSERT_EQ(run_cli("prepare --input " + (dir / "input.txt").string() + " --out " +
                        (dir / "ds").string() + " --val-fraction 0.1",
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("split by position"), std::string::npos) << out;
  EXPECT_NE(out.find("last 10% of the tokens"), std::string::npos) << out;
  std::ofstream(dir / "empty.txt").close();
  expect_one_clear_line(
      "prepare --input " + (dir / "empty.txt").string() + " --out " + (dir / "o1").string(),
      (dir / "empty.txt").string() + ": the file is empty");
  std::ofstream(dir / "blob.dat", std::ios::binary) << std::string(
      "\x7f"
      "ELF\0\0\0",
      7);
  expect_one_clear_line(
      "prepare --input " + (dir / "blob.dat").string() + " --out " + (dir / "o2").string(),
      (dir / "blob.dat").string() + ": binary file");
  // An llm.c shard (uint16, magic 20240520) holding id 50256, imported with a smaller vocabulary.
  for (const char* split : {"train", "val"}) {
    std::vector<int32_t> header(256, 0);
    header[0] = 20240520, header[1] = 1, header[2] = 2;
    std::ofstream f(dir / "shards" / (std::string("x_") + split + "_000000.bin"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(header.data()), 1024);
    const uint16_t ids[2] = {50256, 11};
    f.write(reinterpret_cast<const char*>(ids), 4);
  }
  expect_one_clear_line("prepare --from-shards " + (dir / "shards").string() + " --out " +
                            (dir / "o3").string() + " --vocab-size 1000 --eot-token 0",
                        "--vocab-size");
  ASSERT_EQ(run_cli("prepare --from-shards " + (dir / "shards").string() + " --out " +
                        (dir / "gpt2").string(),
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("llm.c token files"), std::string::npos) << out;
  const std::string sweep =
      write_temp("set.yaml", "base: " SCALELAB_SOURCE_DIR
                             "/configs/debug.yaml\ngrid: {model.n_layer: [1, 2]}\n");
  expect_one_clear_line("sweep " + sweep + " --set train.batch_sise=4 --dry-run --no-measure",
                        "unknown key 'train.batch_sise'");
  fs::remove_all(dir);
}

// The Multi-Power Law from the command line: curves drawn from known constants (Luo et al.'s 25M
// fit) under three scalelab schedules, written as CSVs and as run folders; fit, then predict a
// fourth schedule.
namespace {

struct Sched {
  std::string name;
  scalelab::ScheduleConfig s;
  scalelab::OptimConfig o;
};

std::vector<Sched> mp_schedules() {
  std::vector<Sched> out;
  for (auto kind :
       {scalelab::Schedule::cosine, scalelab::Schedule::constant, scalelab::Schedule::wsd}) {
    Sched c;
    c.name = scalelab::enum_name(kind);
    c.s.kind = kind;
    c.s.warmup_steps = 100;
    c.o.lr = 1e-3;
    c.o.min_lr = 1e-4;
    out.push_back(c);
  }
  return out;
}

// Loss of the published 25M law at steps 100, 125, ..., 3000 under a schedule.
std::pair<std::vector<int64_t>, std::vector<double>> mp_truth(const Sched& c, int64_t total,
                                                              std::vector<double>* lr_out) {
  const auto lr = scalelab::schedule_lrs(c.s, c.o, total);
  std::vector<int64_t> steps;
  for (int64_t s = 100; s <= total; s += 25) steps.push_back(s);
  if (lr_out) *lr_out = lr;
  return {steps,
          scalelab::MultiPowerCurve(lr, steps).predict(scalelab::MultiPowerLaw::published_25m())};
}

}  // namespace

TEST(Cli, MultipowerFitsCsvCurvesAndPredictsAnotherSchedule) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("scalelab_cli_mp_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "curves");
  for (const auto& c : mp_schedules()) {
    std::vector<double> lr;
    auto [steps, loss] = mp_truth(c, 3000, &lr);
    std::ofstream f(dir / "curves" / (c.name + ".csv"));
    f << "step,lr,loss\n";
    for (size_t i = 0; i < steps.size(); ++i)
      f << steps[i] << "," << lr[steps[i] - 1] << "," << loss[i] << "\n";
  }
  std::string out;
  const auto fits = (dir / "fit").string();
  ASSERT_EQ(run_cli("fit " + (dir / "curves").string() +
                        " --law multipower --bootstrap 4 --threads 2 --out " + fits,
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("3 curves"), std::string::npos) << out;
  auto j = nlohmann::json::parse(std::ifstream(fits + "/fits.json"));
  const auto& mp = j["laws"]["multipower"];
  for (auto name : {"L0", "A", "alpha", "B", "C", "beta", "gamma"})
    EXPECT_TRUE(mp.dump().find(std::string("\"") + name + "\"") != std::string::npos) << name;
  EXPECT_EQ(mp["procedure"]["bootstrap"]["resamples"], 4) << mp.dump(2);
  // A WSD run with a 1 - sqrt cooldown, which no fitted curve had.
  Sched wsd = mp_schedules()[2];
  wsd.s.decay_shape = scalelab::DecayShape::one_minus_sqrt;
  const double truth = mp_truth(wsd, 3000, nullptr).second.back();
  ASSERT_EQ(run_cli("predict --law " + fits +
                        "/fits.json --schedule wsd --decay-shape 1-sqrt --steps 3000 --lr 1e-3 "
                        "--min-lr 1e-4 --warmup 100 --json",
                    &out),
            0)
      << out;
  const double predicted = nlohmann::json::parse(out)["final_loss"].get<double>();
  EXPECT_NEAR(predicted / truth, 1.0, 0.003) << predicted << " vs " << truth;
  ASSERT_EQ(run_cli("predict --law " + fits + "/fits.json --schedule cosine --steps 3000 --lr 1e-3",
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("final loss (step 3000)"), std::string::npos) << out;
  // Several files work as well as a folder.
  ASSERT_EQ(run_cli("fit " + (dir / "curves/cosine.csv").string() + " " +
                        (dir / "curves/constant.csv").string() + " --law multipower --out " +
                        (dir / "fit2").string(),
                    &out),
            0)
      << out;
  // Refusals: one clear line each.
  std::ofstream(dir / "no_lr.csv") << "step,loss\n100,3.5\n200,3.4\n";
  expect_one_clear_line(
      "fit " + (dir / "no_lr.csv").string() + " --law multipower --out " + (dir / "fit3").string(),
      "no lr column");
  expect_one_clear_line("predict --law " + fits + "/fits.json --schedule cyclic --steps 10 --lr 1",
                        "--schedule cyclic");
  expect_one_clear_line(
      "predict --law " + fits + "/fits.json --schedule cosine --steps 100 --warmup 100 --lr 1e-3",
      "cannot express");
  expect_one_clear_line("fit a.csv b.csv --law chinchilla --out " + (dir / "fit4").string(),
                        "several only with --law multipower");
  std::filesystem::remove_all(dir);
}

TEST(Cli, MultipowerFitsRunFoldersOfOneSize) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("scalelab_cli_mpruns_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto write = [&](const std::string& root, const Sched& c, double params) {
    const auto run_dir = dir / root / c.name;
    std::filesystem::create_directories(run_dir);
    auto [steps, loss] = mp_truth(c, 3000, nullptr);
    std::ofstream m(run_dir / "metrics.jsonl");
    for (int64_t s = 1; s < 100; s += 25)  // warmup lines: not fitted
      m << nlohmann::json{{"kind", "train"}, {"step", s}, {"tokens", s * 1e3}, {"loss", 9.0}}.dump()
        << "\n";
    for (size_t i = 0; i < steps.size(); ++i)
      m << nlohmann::json{{"kind", "train"},
                          {"step", steps[i]},
                          {"tokens", steps[i] * 1e3},
                          {"loss", loss[i]}}
               .dump()
        << "\n";
    nlohmann::json config = {
        {"schedule", {{"kind", scalelab::enum_name(c.s.kind)}, {"warmup_steps", 100}}},
        {"optim", {{"lr", c.o.lr}, {"min_lr", c.o.min_lr}}}};
    nlohmann::json s = {
        {"run_name", c.name},
        {"status", "finished"},
        {"params", {{"total", params}, {"embedding", 0.0}, {"non_embedding", params}}},
        {"tokens", 3e6},
        {"steps", 3000},
        {"budget_steps", 3000},
        {"flops", {{"6n", 6 * params * 3e6}}},
        {"final_val_loss", loss.back()},
        {"config", config}};
    std::ofstream(run_dir / "summary.json") << s.dump(2);
  };
  for (const auto& c : mp_schedules()) write("one", c, 25e6);
  std::string out;
  ASSERT_EQ(run_cli("fit " + (dir / "one").string() + " --law multipower --threads 2 --out " +
                        (dir / "fit").string(),
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("point(s) in the warmup"), std::string::npos) << out;
  auto fits = scalelab::read_fits_json((dir / "fit/fits.json").string());
  ASSERT_EQ(fits.size(), 1u);
  const auto law = scalelab::multipower_from_fit(fits[0]);
  std::vector<double> lr;
  auto [steps, loss] = mp_truth(mp_schedules()[0], 3000, &lr);
  const auto pred = scalelab::MultiPowerCurve(lr, steps).predict(law);
  EXPECT_LT(scalelab::relative_error(pred, loss).worst, 1e-3);
  // Two sizes in one folder: refused, naming the sizes.
  write("two", mp_schedules()[0], 25e6);
  write("two", mp_schedules()[1], 100e6);
  expect_one_clear_line(
      "fit " + (dir / "two").string() + " --law multipower --out " + (dir / "fit2").string(),
      "model sizes");
  std::filesystem::remove_all(dir);
}

// plan prints the published hyperparameter laws' lr and batch at its N and D (values worked by
// hand in test_laws.cpp), and a tuned hparams.json's; a bad hparams.json is one clear line.
TEST(Cli, PlanPrintsHyperparameterLaws) {
  std::string out;
  ASSERT_EQ(run_cli("plan --flops 1e21 --law chinchilla --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& hp = j["plans"]["chinchilla"]["hyperparameters"];
  // DeepSeek at C = 1e21: lr = 0.3118 x 10^-2.625 = 7.394e-4, B = 0.2920 x 10^6.8691 = 2.160e6.
  EXPECT_NEAR(hp["deepseek-2024"]["lr"].get<double>(), 7.394e-4, 0.001e-4);
  EXPECT_NEAR(hp["deepseek-2024"]["batch_tokens"].get<double>(), 2.160e6, 0.001e6);
  // Step Law at the plan's own N and D.
  const double N = j["plans"]["chinchilla"]["params"], D = j["plans"]["chinchilla"]["tokens"];
  EXPECT_DOUBLE_EQ(hp["step-law-2025"]["lr"].get<double>(),
                   1.79 * std::pow(N, -0.713) * std::pow(D, 0.307));
  const std::string hparams = write_temp(
      "hparams.json",
      R"({"version": 1, "params_counted": "total", "laws": {"lr_opt": {"c": 0.02, "k": 0.25}},
          "sizes": [{"N": 1e4, "lr_opt": 2e-3}, {"N": 1e5, "lr_opt": 1.1e-3}]})");
  ASSERT_EQ(run_cli("plan --flops 1e21 --law chinchilla --hparams " + hparams + " --json", &out), 0)
      << out;
  j = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(j["plans"]["chinchilla"]["hyperparameters"][hparams]["lr"].get<double>(),
                   0.02 * std::pow(j["plans"]["chinchilla"]["params"].get<double>(), -0.25));
  EXPECT_NE(j["hyperparameter_notes"][0].get<std::string>().find("is an extrapolation"),
            std::string::npos);
  ASSERT_EQ(run_cli("plan --flops 1e21 --hparams " + hparams, &out), 0) << out;
  EXPECT_NE(out.find("step-law-2025"), std::string::npos) << out;
  expect_one_clear_line("plan --flops 1e21 --hparams /nonexistent/hparams.json",
                        "/nonexistent/hparams.json: cannot read the file");
}

// A fits.json whose fit is not identified gives no plan (it once printed N_opt = 4), and says why.
TEST(Cli, PlanRefusesADegenerateFit) {
  scalelab::FitResult f;
  f.law = "chinchilla_approach3";
  f.params = {{"E", 1e-6, 0, 1.2},       {"A", 5, 1, 100},        {"B", 400, 10, 5000},
              {"alpha", 0.9, 0.02, 1.9}, {"beta", 0.2, 0.1, 0.4}, {"a", 0.18, 0.05, 0.9}};
  const std::string path = write_temp("degenerate_fits.json", "");
  scalelab::write_fits_json(path, {f}, {});
  std::string out;
  EXPECT_EQ(run_cli("plan --flops 1e18 --law " + path, &out), 1) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("no plan from this fit, it is not identified"), std::string::npos) << out;
  EXPECT_NE(out.find("E = 1e-06, not above 0.001"), std::string::npos) << out;
  EXPECT_NE(out.find("the 95% interval of alpha"), std::string::npos) << out;
  EXPECT_EQ(out.find("tokens/param"), std::string::npos) << out;  // no plan table was printed
}

// A tune grid of one learning rate: one clear line, before anything runs.
TEST(Cli, TuneWithOneLearningRateIsOneClearLine) {
  const std::string file =
      write_temp("tune_one_lr.yaml",
                 std::string("base: ") + SCALELAB_SOURCE_DIR +
                     "/configs/debug.yaml\nout_root: /nonexistent/never\ntune: {lr: [3e-3]}\n");
  expect_one_clear_line("tune " + file, "tune.lr: 1 distinct learning rate(s) (0.003)");
}
