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

// First contact with data: one text file prepares (split by position, said in the output); an
// empty file, a binary file, shards with ids beyond the vocabulary and a sweep's unknown --set key
// are one clear line each.
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
  ASSERT_EQ(run("prepare --input " + (dir / "input.txt").string() + " --out " +
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
  ASSERT_EQ(run("prepare --from-shards " + (dir / "shards").string() + " --out " +
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
