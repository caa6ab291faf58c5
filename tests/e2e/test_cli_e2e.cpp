// The scalelab binary as a user meets it: --help lists the subcommands, bad input gives one clear
// line naming it and a non-zero exit (never a stack trace), in the same words for every command.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/run.h"

using namespace scalelab::test_util;

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

// Issue 26: `predict --law nofile/fits.json` never said "no such file"; a YAML file nested 5,000
// deep was "malformed YAML: bad file" (yaml-cpp's depth guard), for configs and sweep files alike.
TEST(Cli, AMissingLawFileAndADeepYamlAreNamedAsSuch) {
  expect_one_clear_line("predict --params 1e9 --tokens 2e10 --law nofile/fits.json",
                        "--law nofile/fits.json: no such file");
  expect_one_clear_line("predict --params 1e9 --tokens 2e10 --law fits.json",
                        "--law fits.json: no such file");
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{a: ";
  deep += "1" + std::string(5000, '}') + "\n";
  const std::string config = write_temp("deep.yaml", deep);
  expect_one_clear_line("flops --config " + config, "error: " + config + ":");
  expect_one_clear_line("flops --config " + config,
                        ": malformed YAML: maps or lists nested 500 levels deep or more");
  const std::string sweep = write_temp("deep_sweep.yaml", "grid: " + deep);
  expect_one_clear_line("sweep " + sweep + " --dry-run --no-measure", "error: " + sweep + ":");
  expect_one_clear_line("sweep " + sweep + " --dry-run --no-measure",
                        ": malformed YAML: maps or lists nested 500 levels deep or more");
}
