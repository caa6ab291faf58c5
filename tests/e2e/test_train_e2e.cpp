// End-to-end runs of tiny configs through the scalelab binary: the checked-in loss trace, exact
// resume, clear errors, the documented formats, branching, limited data, and learning on a real
// corpus. Interrupted runs: test_train_interrupted_e2e.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "data/loader.h"
#include "runfolder/checkpoints.h"
#include "tests/support/datasets.h"
#include "tests/support/train_runs.h"

using namespace scalelab;
using namespace scalelab::test_util;

TEST_F(TrainE2E, DebugLossTraceMatchesTheCheckedInOne) {
  auto run = dir_ / "trace";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--out " + run.string()), &out), 0) << out;
  auto losses = losses_of(run);
  ASSERT_EQ(losses.size(), 20u);
  const fs::path trace = fs::path(SCALELAB_SOURCE_DIR) / "tests/data/debug_trace.json";
  if (std::getenv("SCALELAB_REGEN_TRACE")) {
    std::ofstream(trace) << nlohmann::json({{"config", "configs/debug.yaml"},
                                            {"dataset", "tests/support/datasets.h make_dataset()"},
                                            {"losses", losses}})
                                .dump(1)
                         << "\n";
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
  for (auto key : {"6n", "6n_total", "litgpt", "chinchilla", "palm"})
    EXPECT_GT(summary["flops"][key].get<double>(), 0);
  EXPECT_TRUE(summary["final_val_loss"].is_number());
  EXPECT_EQ(summary["config"]["model"]["n_layer"], 2);
  EXPECT_TRUE(fs::exists(run / "config.yaml"));
  EXPECT_TRUE(fs::exists(run / "log.txt"));
  // A finished run folder is not overwritten without --force.
  EXPECT_NE(run_cli("train " + debug("--out " + run.string()), &out), 0);
  EXPECT_NE(out.find("--force"), std::string::npos) << out;
}

TEST_F(TrainE2E, ResumeIsBitExact) {
  auto straight = dir_ / "straight", resumed = dir_ / "resumed";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--out " + straight.string()), &out), 0) << out;
  ASSERT_EQ(run_cli("train " + debug("--out " + resumed.string() + " --stop-after-step 10"), &out),
            0)
      << out;
  EXPECT_EQ(read_json(resumed / "summary.json")["status"], "paused");  // not finished: resumable
  EXPECT_EQ(losses_of(resumed).size(), 10u);
  ASSERT_EQ(run_cli("train " + debug("--out " + resumed.string() + " --resume"), &out), 0) << out;
  auto a = losses_of(straight), b = losses_of(resumed);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;  // bit for bit
  EXPECT_EQ(losses_of(straight, "val_loss"), losses_of(resumed, "val_loss"));
}

// CompleteP's four AdamW groups (their own lr scale, eps and decay) are checkpointed and restored
// like the standard two: a resumed run equals the straight one bit for bit.
TEST_F(TrainE2E, CompletepResumeIsBitExact) {
  const std::string cp =
      " --set model.parameterization=completep --set model.base_width=8 --set model.base_depth=1";
  auto straight = dir_ / "cp_straight", resumed = dir_ / "cp_resumed";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--out " + straight.string() + cp), &out), 0) << out;
  ASSERT_EQ(
      run_cli("train " + debug("--out " + resumed.string() + cp + " --stop-after-step 10"), &out),
      0)
      << out;
  ASSERT_EQ(run_cli("train " + debug("--out " + resumed.string() + cp + " --resume"), &out), 0)
      << out;
  auto a = losses_of(straight), b = losses_of(resumed);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;
}

TEST_F(TrainE2E, BadInputsGiveOneClearLine) {
  std::map<std::string, std::string> cases = {
      {debug("--set model.vocab_size=100 --out " + (dir_ / "v").string()),
       "model.vocab_size: 100 is smaller than the dataset's vocabulary"},
      {debug("--set model.block_size=1000000 --out " + (dir_ / "b").string()), "block_size"},
      {std::string(SCALELAB_SOURCE_DIR) +
           "/configs/debug.yaml --set data.path=/nonexistent/ds --out " + (dir_ / "m").string(),
       "/nonexistent/ds"},
      {debug("--out /proc/scalelab_run"), "/proc/scalelab_run"},
      {debug("--resume --out " + (dir_ / "never").string()), "found no checkpoint"},
      {std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml --out " + (dir_ / "nopath").string(),
       "data.path: not set"},
  };
  for (const auto& [args, expected] : cases) {
    std::string out;
    EXPECT_EQ(run_cli("train " + args, &out), 1) << args << "\n" << out;
    EXPECT_NE(out.find("scalelab: error: "), std::string::npos) << out;
    EXPECT_NE(out.find(expected), std::string::npos) << "expected '" << expected << "' in:\n"
                                                     << out;
    EXPECT_EQ(out.find("Exception raised from"), std::string::npos) << out;
  }
}

// Issue 26: a diverged run's message named a checkpoints folder that did not exist. It names the
// last good checkpoint, which exists and --resume continues from, or says none was written.
TEST_F(TrainE2E, ADivergedRunNamesACheckpointThatExists) {
  const std::string blow_up = " --set optim.lr=1e30 --set optim.min_lr=0";
  const auto fresh = dir_ / "diverged_fresh", resumed = dir_ / "diverged_resumed";
  std::string out;
  EXPECT_EQ(run_cli("train " + debug("--out " + fresh.string() + blow_up), &out), 1) << out;
  EXPECT_NE(out.find("No checkpoint was written before it (rerun with --force to start over)"),
            std::string::npos)
      << out;
  EXPECT_FALSE(newest_checkpoint(fresh.string())) << out;
  ASSERT_EQ(run_cli("train " + debug("--out " + resumed.string() + " --stop-after-step 5"), &out),
            0)
      << out;
  EXPECT_EQ(run_cli("train " + debug("--out " + resumed.string() + " --resume" + blow_up), &out),
            1);
  std::smatch named;
  ASSERT_TRUE(
      std::regex_search(out, named, std::regex("The last good checkpoint is (\\S+) \\(--resume")))
      << out;
  EXPECT_TRUE(fs::is_regular_file(named[1].str())) << out;
  EXPECT_EQ(named[1].str(), *newest_checkpoint(resumed.string()));
  EXPECT_EQ(read_json(resumed / "summary.json")["status"], "diverged");
}

// A real corpus: the King James Bible, byte-level. The val loss must fall well below the unigram
// entropy of the data (what a model that ignores context can reach).
TEST(TrainKjv, LearnsBelowTheUnigramEntropy) {
  auto dir = temp_dir("kjv");
  std::string out;
  std::string corpus;
  ASSERT_EQ(shell("bash " SCALELAB_SOURCE_DIR "/data/corpora/fetch.sh kjv 2>&1 | tail -1", &corpus),
            0)
      << corpus;
  while (!corpus.empty() && corpus.back() == '\n') corpus.pop_back();
  const std::string dataset = (dir / "kjv").string();
  ASSERT_EQ(run_cli("prepare --input " + corpus + " --out " + dataset + " --tokenizer byte", &out),
            0)
      << out;

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
                        " --set model.n_layer=2 --set model.n_embd=32 --set model.n_head=2 --set "
                        "model.block_size=64"
                        " --set train.steps=300 --set optim.lr=1e-2 --set optim.min_lr=1e-3 --set "
                        "eval.every=0 --out " +
                        run.string(),
                    &out),
            0)
      << out;
  double val_loss = read_json(run / "summary.json")["final_val_loss"].get<double>();
  std::printf("unigram entropy %.3f nats, val loss %.3f nats\n", entropy, val_loss);
  EXPECT_GT(entropy, 2.0);
  EXPECT_LT(val_loss, 0.8 * entropy);
  fs::remove_all(dir);
}

namespace {

// The dotted field names of a docs/formats.md table (first column, in backquotes) with the second
// column, under the heading that starts with `heading`.
std::vector<std::pair<std::string, std::string>> documented_fields(const std::string& heading) {
  std::ifstream in(fs::path(SCALELAB_SOURCE_DIR) / "docs/formats.md");
  std::vector<std::pair<std::string, std::string>> out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) inside = line.rfind(heading, 0) == 0;
    if (!inside || line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    const auto second = line.find('|', end);
    const auto third = line.find('|', second + 1);
    std::string column = line.substr(second + 1, third - second - 1);
    column.erase(0, column.find_first_not_of(' '));
    column.erase(column.find_last_not_of(' ') + 1);
    out.emplace_back(line.substr(3, end - 3), column);
  }
  return out;
}

bool has_field(const nlohmann::json& j, const std::string& dotted) {
  const nlohmann::json* at = &j;
  std::stringstream parts(dotted);
  for (std::string key; std::getline(parts, key, '.');) {
    if (!at->is_object() || !at->contains(key)) return false;
    at = &(*at)[key];
  }
  return true;
}

}  // namespace

// docs/formats.md promises fields; a finished, a paused and a diverged run each write them all.
TEST_F(TrainE2E, FormatsDocMatchesWhatTrainWrites) {
  const auto summary_fields = documented_fields("### summary.json fields");
  const auto train_fields = documented_fields("### metrics.jsonl train lines");
  const auto eval_fields = documented_fields("### metrics.jsonl eval lines");
  ASSERT_GT(summary_fields.size(), 25u);
  ASSERT_GT(train_fields.size(), 8u);
  ASSERT_GT(eval_fields.size(), 4u);
  std::string out;
  const auto finished = dir_ / "formats_finished", paused = dir_ / "formats_paused",
             diverged = dir_ / "formats_diverged";
  ASSERT_EQ(run_cli("train " + debug("--out " + finished.string()), &out), 0) << out;
  ASSERT_EQ(run_cli("train " + debug("--out " + paused.string() + " --stop-after-step 5"), &out), 0)
      << out;
  EXPECT_NE(run_cli("train " + debug("--out " + diverged.string() +
                                     " --set optim.lr=1e30 --set optim.min_lr=0"),
                    &out),
            0);
  EXPECT_NE(out.find("loss became"), std::string::npos) << out;
  for (const auto& [run, status] :
       {std::pair{finished, "finished"}, {paused, "paused"}, {diverged, "diverged"}}) {
    const auto summary = read_json(run / "summary.json");
    EXPECT_EQ(summary["status"], status);
    for (const auto& [field, written_for] : summary_fields)
      if (written_for == "every status" || written_for == status)
        EXPECT_TRUE(has_field(summary, field)) << status << " summary.json lacks " << field;
  }
  EXPECT_GT(read_json(diverged / "summary.json")["params"]["total"].get<double>(), 0);
  std::ifstream metrics(finished / "metrics.jsonl");
  int n_train = 0, n_eval = 0;
  for (std::string line; std::getline(metrics, line);) {
    const auto j = nlohmann::json::parse(line);
    const bool train = j["kind"] == "train";
    (train ? n_train : n_eval) += 1;
    for (const auto& [field, meaning] : train ? train_fields : eval_fields)
      EXPECT_TRUE(has_field(j, field)) << "a " << j["kind"] << " line lacks " << field;
  }
  EXPECT_GT(n_train, 0);
  EXPECT_GT(n_eval, 0);
}

// A model whose weights, gradients and AdamW state cannot fit is refused with the numbers before
// anything is allocated (it used to print a 25-frame backtrace from a refused 4 TB allocation).
TEST_F(TrainE2E, AModelThatCannotFitIsRefusedWithTheNumbers) {
  std::string out;
  const auto huge = dir_ / "huge";
  EXPECT_EQ(run_cli("train " + debug("--set model.n_embd=1000000 --out " + huge.string()), &out), 1)
      << out;
  EXPECT_NE(out.find("need at least"), std::string::npos) << out;
  EXPECT_NE(out.find("GB of memory available"), std::string::npos) << out;
  EXPECT_EQ(out.find("frame #"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(huge));
}

// A start that fails after the run folder was claimed leaves no half folder behind.
TEST_F(TrainE2E, AFailedStartLeavesNoRunFolder) {
  std::string out;
  const auto failed_start = dir_ / "failed_start";
  EXPECT_EQ(run_cli("train " + debug("--init-from /nonexistent/run --out " + failed_start.string()),
                    &out),
            1);
  EXPECT_NE(out.find("--init-from found no checkpoint"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(failed_start)) << "a failed start left a run folder behind";
}

// One run, many budgets: a trunk at the stable lr, checkpointed at the branch point, and a branch
// that decays from there equal one WSD run that trains the trunk's steps and the cooldown in one
// go, loss for loss, bit for bit (same seed, data order and optimizer state).
TEST_F(TrainE2E, ABranchEqualsTheRunThatTrainsTrunkAndCooldownInOneGo) {
  const auto straight = dir_ / "wsd_straight", trunk = dir_ / "trunk", branch = dir_ / "branch";
  const std::string wsd =
      " --set schedule.kind=wsd --set schedule.warmup_steps=2 --set schedule.decay_fraction=0.25";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug(wsd + " --out " + straight.string()), &out), 0) << out;
  // WSD over 20 steps decays over the last 5: the branch point is step 15.
  ASSERT_EQ(
      run_cli(
          "train " +
              debug(
                  " --set schedule.kind=constant --set schedule.warmup_steps=2 --set train.steps=16"
                  " --set checkpoint.keep=1 --checkpoint-at 5,15 --out " +
                  trunk.string()),
          &out),
      0)
      << out;
  EXPECT_EQ(list_checkpoints(trunk.string()).size(), 3u);  // 5 and 15 kept beside the newest
  const std::string at15 = checkpoint_path(trunk.string(), 15);
  ASSERT_EQ(
      run_cli("train " + debug(wsd + " --branch-from " + at15 + " --out " + branch.string()), &out),
      0)
      << out;
  const auto a = losses_of(straight), b = losses_of(branch);
  ASSERT_EQ(a.size(), 20u);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;
  EXPECT_EQ(losses_of(straight, "val_loss"), losses_of(branch, "val_loss"));
  const auto summary = read_json(branch / "summary.json");
  EXPECT_EQ(summary["steps"], 20);
  EXPECT_EQ(summary["tokens"], read_json(straight / "summary.json")["tokens"]);
  // A branch point at or past the branch's own budget is refused by name.
  EXPECT_EQ(run_cli("train " + debug(wsd + " --set train.steps=15 --branch-from " + at15 +
                                     " --out " + (dir_ / "late_branch").string()),
                    &out),
            1);
  EXPECT_NE(out.find("the branch point (step 15) is not before this run's budget of 15 steps"),
            std::string::npos)
      << out;
}

// A limited-data run: data.unique_tokens caps the train split; summary.json records U and the
// epochs, and tags.unique_tokens for the data-constrained fit.
TEST_F(TrainE2E, ALimitedDataRunRecordsUniqueTokensAndEpochs) {
  const auto run = dir_ / "limited";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--set data.unique_tokens=1000 --out " + run.string()), &out),
            0)
      << out;
  const auto s = read_json(run / "summary.json");
  EXPECT_EQ(s["unique_tokens"], 1000);
  EXPECT_DOUBLE_EQ(s["epochs"].get<double>(), 20.0 * 8 * 32 / 1000);  // steps x batch x T / U
  EXPECT_EQ(s["tags"]["unique_tokens"], 1000);
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--set data.unique_tokens=-5", "data.unique_tokens: must be a finite number >= 0"},
           {"--set data.unique_tokens=nan", "data.unique_tokens"},
           {"--set data.unique_tokens=1e12",
            "data.unique_tokens: 1000000000000 is more than the train split"}}) {
    EXPECT_EQ(run_cli("train " + debug(args + " --out " + (dir_ / "limited_bad").string()), &out),
              1)
        << args;
    EXPECT_NE(out.find(expected), std::string::npos) << args << "\n" << out;
  }
}
