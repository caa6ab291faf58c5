// The scalelab binary as a user meets it: --help lists the subcommands, bad input gives one clear
// line and a non-zero exit (never a stack trace), calculators print the papers' numbers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

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
