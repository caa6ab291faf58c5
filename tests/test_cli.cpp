// The scalelab binary as a user meets it: --help lists the subcommands, bad input gives one clear
// line and a non-zero exit (never a stack trace), calculators print the papers' numbers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/multipower.h"
#include "configs/config_enums.h"

namespace {

int run(const std::string& args, std::string* output) {
  std::string cmd = std::string(SCALELAB_BINARY_DIR) + "/scalelab " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  output->clear();
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) output->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("scalelab_cli_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path.string();
}

void expect_one_clear_line(const std::string& args, const std::string& expected) {
  std::string out;
  EXPECT_EQ(run(args, &out), 1) << args << "\n" << out;
  EXPECT_EQ(out.rfind("scalelab: error: ", 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(expected), std::string::npos) << "expected '" << expected << "' in: " << out;
}

}  // namespace

TEST(Cli, HelpListsEverySubcommand) {
  std::string out;
  ASSERT_EQ(run("--help", &out), 0);
  for (auto cmd : {"train", "prepare", "fit", "report", "flops", "predict", "plan", "gpu-time"})
    EXPECT_NE(out.find(cmd), std::string::npos) << cmd;
  EXPECT_NE(run("", &out), 0);  // a subcommand is required
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
  ASSERT_EQ(run("predict --params 70e9 --tokens 15e12 --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_NEAR(j["loss"]["kaplan"].get<double>(), 1.72, 0.005);
  EXPECT_NEAR(j["loss"]["chinchilla"].get<double>(), 1.86, 0.005);
  ASSERT_EQ(run("gpu-time --params 1.7e12 --tokens 13e12 --gpu a100 --count 25000 --precision fp16 "
                "--sparse --json",
                &out),
            0)
      << out;
  EXPECT_NEAR(nlohmann::json::parse(out)["days"].get<double>(), 98.7, 0.5);
  ASSERT_EQ(run("predict --params 1e9 --tokens 1e9", &out), 0);
  EXPECT_NE(out.find("expect overfitting"), std::string::npos) << out;
  ASSERT_EQ(run("flops --config " SCALELAB_SOURCE_DIR "/configs/ladder/gpt-124m.yaml --json", &out),
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
    EXPECT_NE(run(args, &out), 0) << args << "\n" << out;
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
  ASSERT_EQ(run("fit " + (dir / "curves").string() +
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
  ASSERT_EQ(run("predict --law " + fits +
                    "/fits.json --schedule wsd --decay-shape 1-sqrt --steps 3000 --lr 1e-3 "
                    "--min-lr 1e-4 --warmup 100 --json",
                &out),
            0)
      << out;
  const double predicted = nlohmann::json::parse(out)["final_loss"].get<double>();
  EXPECT_NEAR(predicted / truth, 1.0, 0.003) << predicted << " vs " << truth;
  ASSERT_EQ(
      run("predict --law " + fits + "/fits.json --schedule cosine --steps 3000 --lr 1e-3", &out), 0)
      << out;
  EXPECT_NE(out.find("final loss (step 3000)"), std::string::npos) << out;
  // Several files work as well as a folder.
  ASSERT_EQ(run("fit " + (dir / "curves/cosine.csv").string() + " " +
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
  ASSERT_EQ(run("fit " + (dir / "one").string() + " --law multipower --threads 2 --out " +
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
