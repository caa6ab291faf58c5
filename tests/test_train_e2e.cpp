// End-to-end runs of tiny configs through the scalelab binary: the checked-in loss trace, exact
// resume, SIGKILL during a checkpoint write, clear errors, and learning on a real corpus.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "data/loader.h"
#include "trainer_fixture.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

class TrainE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("train_e2e"));
    dataset_ = new std::string(make_dataset(*dir_));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete dataset_;
  }
  static std::string debug(const std::string& extra) {
    return std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml --set data.path=" + *dataset_ + " " + extra;
  }
  static fs::path* dir_;
  static std::string* dataset_;
};
fs::path* TrainE2E::dir_ = nullptr;
std::string* TrainE2E::dataset_ = nullptr;

}  // namespace

TEST_F(TrainE2E, DebugLossTraceMatchesTheCheckedInOne) {
  auto run = *dir_ / "trace";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--out " + run.string()), &out), 0) << out;
  auto losses = losses_of(run);
  ASSERT_EQ(losses.size(), 20u);
  const fs::path trace = fs::path(SCALELAB_SOURCE_DIR) / "tests/data/debug_trace.json";
  if (std::getenv("SCALELAB_REGEN_TRACE")) {
    std::ofstream(trace) << nlohmann::json({{"config", "configs/debug.yaml"},
                                             {"dataset", "tests/trainer_fixture.h make_dataset()"},
                                             {"losses", losses}}).dump(1) << "\n";
  }
  auto expected = read_json(trace)["losses"].get<std::vector<double>>();
  ASSERT_EQ(expected.size(), losses.size());
  for (size_t i = 0; i < losses.size(); ++i)
    EXPECT_NEAR(losses[i], expected[i], 1e-4 * std::abs(expected[i])) << "step " << i + 1;
  EXPECT_LT(losses.back(), losses.front());

  auto summary = read_json(run / "summary.json");
  EXPECT_EQ(summary["status"], "finished");
  EXPECT_EQ(summary["steps"], 20);
  EXPECT_DOUBLE_EQ(summary["tokens"].get<double>(), 20.0 * 8 * 32);
  EXPECT_EQ(summary["params"]["total"], 10848);
  for (auto key : {"6n", "6n_total", "litgpt", "chinchilla", "palm"}) EXPECT_GT(summary["flops"][key].get<double>(), 0);
  EXPECT_TRUE(summary["final_val_loss"].is_number());
  EXPECT_EQ(summary["config"]["model"]["n_layer"], 2);
  EXPECT_TRUE(fs::exists(run / "config.yaml"));
  EXPECT_TRUE(fs::exists(run / "log.txt"));
  // A finished run folder is not overwritten without --force.
  EXPECT_NE(run_cli("train " + debug("--out " + run.string()), &out), 0);
  EXPECT_NE(out.find("--force"), std::string::npos) << out;
}

TEST_F(TrainE2E, ResumeIsBitExact) {
  auto straight = *dir_ / "straight", resumed = *dir_ / "resumed";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--out " + straight.string()), &out), 0) << out;
  ASSERT_EQ(run_cli("train " + debug("--out " + resumed.string() + " --stop-after-step 10"), &out), 0) << out;
  EXPECT_FALSE(fs::exists(resumed / "summary.json"));
  EXPECT_EQ(losses_of(resumed).size(), 10u);
  ASSERT_EQ(run_cli("train " + debug("--out " + resumed.string() + " --resume"), &out), 0) << out;
  auto a = losses_of(straight), b = losses_of(resumed);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;  // bit for bit
  EXPECT_EQ(losses_of(straight, "val_loss"), losses_of(resumed, "val_loss"));
}

TEST_F(TrainE2E, SigkillDuringACheckpointKeepsThePreviousOne) {
  auto run = *dir_ / "killed";
  // A model large enough that each checkpoint write takes a while, checkpointed every step.
  std::string args = debug("--out " + run.string() +
                           " --set model.n_embd=256 --set model.n_head=4 --set model.n_layer=4"
                           " --set train.steps=200 --set train.batch_size=2 --set checkpoint.every=1");
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd = std::string(SCALELAB_BINARY_DIR) + "/scalelab train " + args + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), (char*)nullptr);
    _exit(127);
  }
  bool killed_mid_write = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && !killed_mid_write) {
    std::error_code ec;
    int n_complete = 0;
    bool tmp = false;
    for (auto& e : fs::directory_iterator(run / "checkpoints", ec)) {
      if (e.path().extension() == ".tmp") tmp = true;
      if (e.path().extension() == ".pt") ++n_complete;
    }
    if (tmp && n_complete >= 1) {
      kill(pid, SIGKILL);
      killed_mid_write = true;
    }
  }
  int status = 0;
  if (!killed_mid_write) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed_mid_write) << "never saw a checkpoint being written";
  ASSERT_TRUE(WIFSIGNALED(status));
  std::string out;
  ASSERT_EQ(run_cli("train " + args + " --set train.steps=" + std::to_string(200) + " --resume --stop-after-step 1000", &out), 0)
      << out;
  EXPECT_NE(out.find("resuming"), std::string::npos) << out;
  EXPECT_EQ(read_json(run / "summary.json")["steps"], 200);
}

TEST_F(TrainE2E, BadInputsGiveOneClearLine) {
  std::map<std::string, std::string> cases = {
      {debug("--set model.vocab_size=100 --out " + (*dir_ / "v").string()), "model.vocab_size: 100 is smaller than the dataset's vocabulary"},
      {debug("--set model.block_size=1000000 --out " + (*dir_ / "b").string()), "block_size"},
      {std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml --set data.path=/nonexistent/ds --out " + (*dir_ / "m").string(), "/nonexistent/ds"},
      {debug("--out /proc/scalelab_run"), "/proc/scalelab_run"},
      {debug("--resume --out " + (*dir_ / "never").string()), "found no checkpoint"},
      {std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml --out " + (*dir_ / "nopath").string(), "data.path: not set"},
  };
  for (const auto& [args, expected] : cases) {
    std::string out;
    EXPECT_EQ(run_cli("train " + args, &out), 1) << args << "\n" << out;
    EXPECT_NE(out.find("scalelab: error: "), std::string::npos) << out;
    EXPECT_NE(out.find(expected), std::string::npos) << "expected '" << expected << "' in:\n" << out;
    EXPECT_EQ(out.find("Exception raised from"), std::string::npos) << out;
  }
}

// A real corpus: the King James Bible, byte-level. The val loss must fall well below the unigram
// entropy of the data (what a model that ignores context can reach).
TEST(TrainKjv, LearnsBelowTheUnigramEntropy) {
  auto dir = temp_dir("kjv");
  std::string out;
  std::string corpus;
  {
    FILE* p = popen(("bash " SCALELAB_SOURCE_DIR "/data/corpora/fetch.sh kjv 2>&1 | tail -1"), "r");
    char buf[4096];
    while (fgets(buf, sizeof buf, p)) corpus += buf;
    ASSERT_EQ(pclose(p), 0) << corpus;
    while (!corpus.empty() && corpus.back() == '\n') corpus.pop_back();
  }
  const std::string dataset = (dir / "kjv").string();
  ASSERT_EQ(run_cli("prepare --input " + corpus + " --out " + dataset + " --tokenizer byte", &out), 0) << out;

  // Unigram entropy of the validation bytes, in nats.
  data::ValLoader val(dataset, 128, 0);
  std::vector<int64_t> tokens((val.n_windows()) * 129);
  val.fill(0, val.n_windows(), tokens.data());
  std::vector<double> counts(val.vocab_size(), 0.0);
  for (auto t : tokens) counts[t] += 1;
  double entropy = 0;
  for (double c : counts)
    if (c > 0) entropy -= c / tokens.size() * std::log(c / tokens.size());

  auto run = dir / "run";
  ASSERT_EQ(run_cli("train " SCALELAB_SOURCE_DIR "/configs/tiny.yaml --set data.path=" + dataset +
                        " --set model.n_layer=2 --set model.n_embd=32 --set model.n_head=2 --set model.block_size=64"
                        " --set train.steps=300 --set optim.lr=1e-2 --set optim.min_lr=1e-3 --set eval.every=0 --out " + run.string(), &out), 0)
      << out;
  double val_loss = read_json(run / "summary.json")["final_val_loss"].get<double>();
  std::printf("unigram entropy %.3f nats, val loss %.3f nats\n", entropy, val_loss);
  EXPECT_GT(entropy, 2.0);
  EXPECT_LT(val_loss, 0.8 * entropy);
  fs::remove_all(dir);
}
