// A run folder that stands alone (issue 27): trained with a relative data.path, it records the
// dataset's absolute path and its tokenizer, so sample, export and fit work from any directory and
// after the dataset moved; a resumed run whose dataset moved is told what to set; an older run
// without the record names what to pass. And `export` (issue 26): never into the run folder or its
// dataset, and built beside OUT_DIR, so a full disk leaves no partial export.
#include <gtest/gtest.h>

#include "tests/support/datasets.h"
#include "tests/support/full_disk.h"
#include "tests/support/synthetic_runs.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

// `cd DIR && scalelab ARGS`; its exit code.
int run_in(const fs::path& dir, const std::string& args, std::string* out) {
  return shell("cd " + quoted(dir) + " && " + scalelab_binary() + " " + args, out);
}

class StandAloneRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir("run_folder");
    fs::create_directories(dir_ / "work");
    fs::create_directories(dir_ / "elsewhere");
    fs::create_directories(dir_ / "work/data");
    // A dataset of our own, to move: the shared one is read by other tests.
    fs::copy(shared_dataset(), dir_ / "work/data/syn", fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Trains configs/debug.yaml from work/ with data.path relative to it.
  std::string train_args(const std::string& run, const std::string& more = "") const {
    return std::string("train ") + SCALELAB_SOURCE_DIR +
           "/configs/debug.yaml --set data.path=data/syn --out " + (dir_ / run).string() + " " +
           more;
  }
  std::string sample_json(const fs::path& from, const std::string& more = "") const {
    std::string out;
    EXPECT_EQ(run_in(from,
                     "sample " + (dir_ / "run").string() + " --temperature 0 --tokens 24 --json " +
                         more + " 2>/dev/null",
                     &out),
              0)
        << out;
    return out;
  }

  fs::path dir_;
};

TEST_F(StandAloneRun, SampleAndExportWorkFromAnyDirectoryAndAfterTheDatasetMoved) {
  std::string out;
  ASSERT_EQ(run_in(dir_ / "work", train_args("run"), &out), 0) << out;
  const std::string absolute = (dir_ / "work/data/syn").string();
  // config.yaml, summary.json and dataset.json name the dataset by its absolute path.
  EXPECT_NE(slurp(dir_ / "run/config.yaml").find("path: " + absolute + "\n"), std::string::npos);
  EXPECT_EQ(read_json(dir_ / "run/summary.json")["config"]["data"]["path"], absolute);
  const auto record = read_json(dir_ / "run/dataset.json");
  EXPECT_EQ(record["path"], absolute);
  EXPECT_EQ(record["tokenizer"], "byte");
  EXPECT_EQ(record["vocab_size"], 257);

  const std::string here = sample_json(dir_ / "work");
  EXPECT_EQ(sample_json(dir_ / "elsewhere"), here);  // was "dataset data/syn: no such folder"
  ASSERT_EQ(run_in(dir_ / "elsewhere",
                   "export --hf " + (dir_ / "run").string() + " " + (dir_ / "hf1").string(), &out),
            0)
      << out;
  EXPECT_EQ(out.find("warning"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir_ / "hf1/tokenizer.json")) << out;  // was: no tokenizer, exit 0
  EXPECT_TRUE(fs::exists(dir_ / "hf1/tokenizer_config.json")) << out;

  fs::rename(dir_ / "work/data", dir_ / "moved");  // the dataset moves: the run keeps working
  EXPECT_EQ(sample_json(dir_ / "elsewhere"), here);
  ASSERT_EQ(run_in(dir_ / "elsewhere",
                   "export --hf " + (dir_ / "run").string() + " " + (dir_ / "hf2").string(), &out),
            0)
      << out;
  EXPECT_EQ(slurp(dir_ / "hf2/tokenizer.json"), slurp(dir_ / "hf1/tokenizer.json"));
}

TEST_F(StandAloneRun, AResumedRunWhoseDatasetMovedIsToldWhatToSet) {
  std::string out;
  ASSERT_EQ(run_in(dir_ / "work", train_args("run", "--stop-after-step 5"), &out), 0) << out;
  fs::rename(dir_ / "work/data/syn", dir_ / "work/data/syn2");
  std::string line;
  EXPECT_EQ(run_in(dir_ / "work", train_args("run", "--resume"), &line), 1) << line;
  EXPECT_EQ(line, "scalelab: error: data.path data/syn (" + (dir_ / "work/data/syn").string() +
                      "): no such folder; " + (dir_ / "run").string() +
                      " trained on it: if the dataset moved, continue with --set "
                      "data.path=ITS_NEW_PLACE\n");
  ASSERT_EQ(
      run_in(dir_ / "elsewhere",
             train_args("run", "--resume --set data.path=" + (dir_ / "work/data/syn2").string()),
             &out),
      0)
      << out;
  EXPECT_NE(out.find("resuming"), std::string::npos) << out;
  EXPECT_EQ(read_json(dir_ / "run/summary.json")["status"], "finished");
  EXPECT_EQ(read_json(dir_ / "run/dataset.json")["path"], (dir_ / "work/data/syn2").string());
  // A fresh run from another directory with the relative path: the absolute path it tried.
  expect_one_clear_line("train " + std::string(SCALELAB_SOURCE_DIR) +
                            "/configs/debug.yaml --set data.path=" + (dir_ / "nowhere").string() +
                            " --out " + (dir_ / "fresh").string(),
                        "data.path " + (dir_ / "nowhere").string() +
                            ": no such folder (make one with `scalelab "
                            "prepare`)");
}

// A run folder written before dataset.json existed, whose relative data.path no longer resolves.
TEST_F(StandAloneRun, AnOlderRunWithoutTheRecordNamesWhatToPass) {
  std::string out;
  ASSERT_EQ(run_in(dir_ / "work", train_args("run"), &out), 0) << out;
  const std::string here = sample_json(dir_ / "work");
  fs::remove(dir_ / "run/dataset.json");
  std::string config = slurp(dir_ / "run/config.yaml");  // as older runs stored it: relative
  config.replace(config.find((dir_ / "work/data/syn").string()),
                 (dir_ / "work/data/syn").string().size(), "data/syn");
  std::ofstream(dir_ / "run/config.yaml") << config;
  EXPECT_EQ(sample_json(dir_ / "work"), here);  // from the directory it trained in
  std::string line;
  EXPECT_EQ(run_in(dir_ / "elsewhere", "sample " + (dir_ / "run").string(), &line), 1);
  EXPECT_EQ(line, "scalelab: error: run folder " + (dir_ / "run").string() +
                      " has no dataset.json (trained before run folders recorded their "
                      "tokenizer), and its data.path data/syn (relative to the directory train "
                      "ran in) is not found from " +
                      fs::canonical(dir_ / "elsewhere").string() +
                      ": run from that directory, or pass --dataset DIR\n");
  EXPECT_EQ(sample_json(dir_ / "elsewhere", "--dataset " + (dir_ / "work/data/syn").string()),
            here);
  EXPECT_EQ(run_in(dir_ / "elsewhere",
                   "export --hf " + (dir_ / "run").string() + " " + (dir_ / "hf").string(), &line),
            1);
  EXPECT_NE(line.find("--dataset DIR (or --weights-only for the weights alone)"), std::string::npos)
      << line;
  EXPECT_FALSE(fs::exists(dir_ / "hf"));
  ASSERT_EQ(run_in(dir_ / "elsewhere",
                   "export --hf " + (dir_ / "run").string() + " " + (dir_ / "hf").string() +
                       " --weights-only",
                   &out),
            0)
      << out;
  EXPECT_NE(out.find("no tokenizer (--weights-only)"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ / "hf/tokenizer_config.json"));
}

// fit reads run folders by the paths it is given, from any directory.
TEST_F(StandAloneRun, FitGivesTheSameFitFromAnotherDirectory) {
  // Nine runs on Chinchilla's law (Hoffmann et al. 2022, eq. 10): E 1.69, A 406.4, B 410.7.
  for (double N : {1e6, 3e6, 1e7})
    for (double D : {2e7, 6e7, 2e8}) {
      synth::SyntheticRun r;
      r.name = "n" + std::to_string(int(N)) + "_d" + std::to_string(int(D));
      r.N = N, r.D = D, r.budget = 6 * N * D;
      r.loss = [N](double tokens) {
        return 1.69 + 406.4 / std::pow(N, 0.34) + 410.7 / std::pow(tokens, 0.28);
      };
      synth::write_run(dir_ / "work/runs", r);
    }
  std::string out;
  ASSERT_EQ(run_in(dir_ / "work", "fit runs --law chinchilla --threads 1 --out fit_here", &out), 0)
      << out;
  ASSERT_EQ(run_in(dir_ / "elsewhere",
                   "fit " + (dir_ / "work/runs").string() +
                       " --law chinchilla --threads 1 --out fit_there",
                   &out),
            0)
      << out;
  const auto here = read_json(dir_ / "work/fit_here/fits.json")["laws"]["chinchilla_approach3"];
  const auto there =
      read_json(dir_ / "elsewhere/fit_there/fits.json")["laws"]["chinchilla_approach3"];
  EXPECT_EQ(here["params"], there["params"]);
  EXPECT_NEAR(here["params"]["alpha"]["value"].get<double>(), 0.34, 0.01);
}

TEST_F(StandAloneRun, ExportIntoTheRunOrItsDatasetIsRefused) {
  std::string out;
  ASSERT_EQ(run_in(dir_ / "work", train_args("run"), &out), 0) << out;
  const std::string run = (dir_ / "run").string(), dataset = (dir_ / "work/data/syn").string();
  const auto before = slurp(dir_ / "run/config.yaml");
  expect_one_clear_line(
      "export --hf " + run + " " + run + " --force",
      "output " + run + ": is the run folder " + run + "; export into a folder outside it");
  expect_one_clear_line("export --hf " + run + " " + run + "/hf --force",
                        "output " + run + "/hf: is the run folder " + run +
                            " or inside it; export into a folder outside it");
  expect_one_clear_line("export --hf " + run + " " + run + "/checkpoints/.. --force",
                        "is the run folder");
  expect_one_clear_line(
      "export --hf " + run + " " + dataset + " --force",
      "output " + dataset + ": is the dataset " + dataset + " the run trained on (or inside it)");
  EXPECT_FALSE(fs::exists(dir_ / "run/config.json"));
  EXPECT_FALSE(fs::exists(dir_ / "run/hf"));
  EXPECT_FALSE(fs::exists(dir_ / "work/data/syn/config.json"));
  EXPECT_EQ(slurp(dir_ / "run/config.yaml"), before);
}

// An export onto a full disk fails with one line and leaves OUT_DIR as it was: absent for a new
// one, the previous export byte for byte under --force, and no staging folder behind.
TEST_F(StandAloneRun, AFullDiskLeavesNoPartialExport) {
  std::string out;
  ASSERT_EQ(run_in(dir_ / "work", train_args("run"), &out), 0) << out;
  const fs::path disk = dir_ / "disk";
  fs::create_directories(disk);
  const std::string export_cmd =
      scalelab_binary() + " export --hf " + (dir_ / "run").string() + " " + (disk / "hf").string();
  // The first export fits (about 70 KB of a 100 KB tmpfs); replacing it needs as much again.
  const FullDiskRun r = run_on_full_disk(disk, 100, 20, export_cmd, export_cmd + " --force");
  std::printf("[full disk] %s\n", r.how.c_str());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("scalelab: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(r.how == "tmpfs" ? "No space left on device" : "File too large"),
            std::string::npos)
      << r.output;
  // The first export is whole, as an export from a roomy disk.
  ASSERT_EQ(run_cli("export --hf " + (dir_ / "run").string() + " " + (dir_ / "hf").string(), &out),
            0);
  for (const char* file : {"config.json", "model.safetensors", "generation_config.json",
                           "tokenizer.json", "tokenizer_config.json"})
    EXPECT_EQ(slurp(r.files / "hf" / file), slurp(dir_ / "hf" / file)) << file;
  for (const auto& e : fs::directory_iterator(r.files))  // no staging folder left behind
    EXPECT_EQ(e.path().filename(), "hf") << e.path();
  // A new OUT_DIR on a full disk: nothing at all.
  const fs::path small = dir_ / "small";
  fs::create_directories(small);
  const FullDiskRun fresh =
      run_on_full_disk(small, 20, 20, "",
                       export_cmd.substr(0, export_cmd.rfind(' ')) + " " + (small / "hf").string());
  EXPECT_EQ(fresh.exit_code, 1) << fresh.output;
  EXPECT_TRUE(fs::is_empty(fresh.files)) << fresh.output;
}

}  // namespace
