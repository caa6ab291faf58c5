// The run-folder contract (runfolder/): summary schema for every status, checkpoint names, metric
// lines, folder states, claims and the train lock.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "common/checked_io.h"
#include "runfolder/checkpoints.h"
#include "runfolder/folder.h"
#include "runfolder/metrics.h"
#include "runfolder/summary.h"

using namespace scalelab;
namespace fs = std::filesystem;

namespace {

fs::path fresh(const std::string& name) {
  auto d = fs::temp_directory_path() / ("scalelab_runfolder_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

RunSummary example(RunStatus status) {
  RunSummary s;
  s.run_name = "r";
  s.status = status;
  s.params_total = 1100;
  s.params_embedding = 100;
  s.params_non_embedding = 1000;
  s.tokens = 6400;
  s.steps = 5;
  s.budget_steps = 10;
  s.flops = {{FlopConvention::six_n, 6 * 1000 * 6400.0}, {FlopConvention::palm, 7e7}};
  s.final_val_loss = status == RunStatus::diverged ? std::nan("") : 2.5;
  s.best_val_loss = 2.4;
  s.config = {{"train", {{"flops", 1e9}}}};
  s.tags = {{"budget", 2e9}};
  return s;
}

}  // namespace

TEST(RunFolder, CheckpointNamesRoundTripAndIgnoreTemporaryFiles) {
  const auto dir = fresh("ckpt");
  EXPECT_EQ(fs::path(checkpoint_path(dir.string(), 100)).filename(), "step_00000100.pt");
  EXPECT_EQ(checkpoint_step(checkpoint_path(dir.string(), 42)), 42);
  EXPECT_EQ(checkpoint_step("step_00000100.pt.tmp"), -1);
  EXPECT_EQ(checkpoint_step("step_x.pt"), -1);
  EXPECT_EQ(checkpoint_step("step_.pt"), -1);
  fs::create_directories(checkpoint_dir(dir.string()));
  for (int step : {3, 1, 2}) std::ofstream(checkpoint_path(dir.string(), step)) << "x";
  std::ofstream(checkpoint_path(dir.string(), 9) + ".tmp") << "x";
  EXPECT_EQ(*newest_checkpoint(dir.string()), checkpoint_path(dir.string(), 3));
  prune_checkpoints(dir.string(), 2);
  const auto left = list_checkpoints(dir.string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 2);
  EXPECT_EQ(left[1].step, 3);
}

TEST(RunFolder, EveryStatusCarriesNDCAndTheConfig) {
  for (RunStatus status :
       {RunStatus::finished, RunStatus::early_stopped, RunStatus::diverged, RunStatus::paused}) {
    const auto dir = fresh("summary_" + enum_name(status));
    write_summary(dir.string(), example(status));
    const auto back = read_summary(dir.string());
    ASSERT_TRUE(back) << enum_name(status);
    EXPECT_EQ(back->status, status);
    EXPECT_EQ(back->params_total, 1100);
    EXPECT_EQ(back->params_non_embedding, 1000);
    EXPECT_DOUBLE_EQ(back->tokens, 6400);
    EXPECT_DOUBLE_EQ(back->flops_under(FlopConvention::six_n), 6 * 1000 * 6400.0);
    EXPECT_DOUBLE_EQ(back->flop_budget(), 1e9);
    EXPECT_EQ(back->budget_steps, 10);
    EXPECT_EQ(back->config["train"]["flops"], 1e9);
    EXPECT_EQ(std::isnan(back->final_val_loss), status == RunStatus::diverged);
    EXPECT_FALSE(fs::exists(dir / "summary.json.tmp"));
  }
  EXPECT_NE(error_of([] {
              example(RunStatus::finished).flops_under(FlopConvention::litgpt);
            }).find("no flops.litgpt"),
            std::string::npos);
}

TEST(RunFolder, SummaryErrorsNameTheFileAndTheField) {
  const auto dir = fresh("bad_summary");
  std::ofstream(dir / "summary.json") << R"({"status": "finished", "tokens": 1})";
  auto msg = error_of([&] { read_summary(dir.string()); });
  EXPECT_NE(msg.find("summary.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'params'"), std::string::npos) << msg;
  std::ofstream(dir / "summary.json") << R"({"status": "exploded"})";
  msg = error_of([&] { read_summary(dir.string()); });
  EXPECT_NE(msg.find("exploded"), std::string::npos) << msg;
  std::ofstream(dir / "summary.json") << "{ not json";
  EXPECT_NE(error_of([&] { read_summary(dir.string()); }).find("not valid JSON"),
            std::string::npos);
  EXPECT_FALSE(read_summary((dir / "nothing").string()).has_value());
}

TEST(RunFolder, AVersionOneDivergedSummaryStillReads) {
  const auto dir = fresh("v1_diverged");
  std::ofstream(dir / "summary.json")
      << R"({"run_name": "r", "status": "diverged", "steps": 7, "error": "NaN"})";
  const auto s = read_summary(dir.string());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, RunStatus::diverged);
  EXPECT_EQ(s->steps, 7);
  EXPECT_EQ(s->error, "NaN");
}

TEST(RunFolder, FolderStatesFollowTheSummaryStatus) {
  const auto dir = fresh("states");
  EXPECT_EQ(inspect_run_folder(dir.string()).state, FolderState::empty);
  fs::create_directories(checkpoint_dir(dir.string()));
  std::ofstream(checkpoint_path(dir.string(), 5)) << "x";
  write_summary(dir.string(), example(RunStatus::paused));
  auto info = inspect_run_folder(dir.string());
  EXPECT_EQ(info.state, FolderState::resumable);  // a paused run continues with --resume
  EXPECT_EQ(info.status, RunStatus::paused);
  EXPECT_EQ(info.steps, 5);
  write_summary(dir.string(), example(RunStatus::early_stopped));
  EXPECT_EQ(inspect_run_folder(dir.string()).state, FolderState::finished);
  write_summary(dir.string(), example(RunStatus::diverged));
  EXPECT_EQ(inspect_run_folder(dir.string()).state, FolderState::diverged);
  std::ofstream(dir / "summary.json") << "{ damaged";
  EXPECT_EQ(inspect_run_folder(dir.string()).state,
            FolderState::resumable);  // judged by checkpoints
}

TEST(RunFolder, ClaimRefusesWhatItWouldOverwrite) {
  const auto dir = fresh("claim");
  const auto run = (dir / "run").string();
  claim_run_folder(run, "a: 1\n", RunStart::fresh, false);
  EXPECT_EQ(read_text_file(run + "/config.yaml"), "a: 1\n");
  write_summary(run, example(RunStatus::finished));
  EXPECT_NE(error_of([&] { claim_run_folder(run, "", RunStart::fresh, false); }).find("--force"),
            std::string::npos);
  write_summary(run, example(RunStatus::diverged));
  EXPECT_NE(error_of([&] { claim_run_folder(run, "", RunStart::fresh, false); }).find("diverged"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { claim_run_folder(run, "", RunStart::resume, false); }).find("no checkpoint"),
      std::string::npos);
  fs::create_directories(checkpoint_dir(run));
  std::ofstream(checkpoint_path(run, 5)) << "x";
  write_summary(run, example(RunStatus::paused));
  EXPECT_NE(error_of([&] { claim_run_folder(run, "", RunStart::fresh, false); }).find("--resume"),
            std::string::npos);
  claim_run_folder(run, "b: 2\n", RunStart::resume, false);
  EXPECT_FALSE(fs::exists(summary_path(run)));  // the resumed session writes a new one
  claim_run_folder(run, "c: 3\n", RunStart::fresh, true);
  EXPECT_FALSE(fs::exists(checkpoint_dir(run)));
  EXPECT_EQ(read_text_file(run + "/config.yaml"), "c: 3\n");
}

TEST(RunFolder, MetricLinesRoundTripAndACutLineIsSkipped) {
  const auto dir = fresh("metrics");
  {
    auto w = MetricsWriter::fresh(dir.string());
    w.write(metrics_line(TrainMetrics{
        10, 640, 3.5, 1e-3, 0.7, 1e4, 1.5, 0.2, std::nullopt, {{FlopConvention::six_n, 1e6}}}));
    w.write(metrics_line(EvalMetrics{10, 640, 3.4, 1.6, {{FlopConvention::six_n, 1e6}}}));
  }
  std::ofstream(metrics_path(dir.string()), std::ios::app)
      << R"({"kind": "train", "step": 20, "lo)";
  const auto points = read_metrics(dir.string());
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].kind, MetricKind::train);
  EXPECT_DOUBLE_EQ(points[0].loss, 3.5);
  EXPECT_DOUBLE_EQ(points[0].tokens_per_s, 1e4);
  EXPECT_DOUBLE_EQ(points[0].flops.at(FlopConvention::six_n), 1e6);
  EXPECT_EQ(points[1].kind, MetricKind::eval);
  EXPECT_DOUBLE_EQ(points[1].loss, 3.4);
}

TEST(RunFolder, ResumeCutsMetricsBackAndRefusesAShortenedFile) {
  const auto dir = fresh("metrics_resume");
  int64_t at_checkpoint = 0;
  {
    auto w = MetricsWriter::fresh(dir.string());
    w.write({{"kind", "train"}, {"step", 1}});
    at_checkpoint = w.bytes();
    w.write({{"kind", "train"}, {"step", 2}});  // logged after the checkpoint: dropped on resume
  }
  {
    auto w = MetricsWriter::resumed(dir.string(), at_checkpoint);
    EXPECT_EQ(w.bytes(), at_checkpoint);
  }
  EXPECT_EQ(int64_t(fs::file_size(metrics_path(dir.string()))), at_checkpoint);
  fs::resize_file(metrics_path(dir.string()), at_checkpoint - 3);
  const auto msg = error_of([&] { MetricsWriter::resumed(dir.string(), at_checkpoint); });
  EXPECT_NE(msg.find("shorter than"), std::string::npos) << msg;
  EXPECT_EQ(int64_t(fs::file_size(metrics_path(dir.string()))), at_checkpoint - 3);  // not padded
}

// Issue 26: on a full disk metrics.jsonl kept half a line and the error said "(the previous file
// is kept)". A file-size limit (RLIMIT_FSIZE, EFBIG) fails the append part way, as a full disk
// does, in a child process: the file ends at its last complete line and the error says so.
TEST(RunFolder, AFailedAppendLeavesNoHalfLine) {
  const auto dir = fresh("metrics_full");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  if (child == 0) {
    ::close(fds[0]);
    signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead of killing
    const rlimit limit{1000, 1000};
    setrlimit(RLIMIT_FSIZE, &limit);
    std::string message = "no error";
    try {
      auto w = MetricsWriter::fresh(dir.string());
      for (int step = 1; step < 1000; ++step)
        w.write(
            {{"kind", "train"}, {"step", step}, {"loss", 3.25}, {"note", std::string(70, 'x')}});
    } catch (const std::exception& e) {
      message = e.what();
    }
    (void)!::write(fds[1], message.data(), message.size());
    _exit(0);
  }
  ::close(fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) message.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_NE(message.find("metrics.jsonl: cannot append (File too large)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("the line was not written and the file ends at its last complete line"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("previous file is kept"), std::string::npos) << message;
  const std::string text = read_text_file(metrics_path(dir.string()));
  ASSERT_FALSE(text.empty());
  EXPECT_LE(text.size(), 1000u);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(read_metrics(dir.string()).size(), size_t(std::count(text.begin(), text.end(), '\n')));
}

TEST(RunFolder, ASecondTrainerOnTheFolderIsRefused) {
  const auto dir = fresh("lock");
  {
    TrainFolderLock first(dir.string());
    const auto msg = error_of([&] { TrainFolderLock second(dir.string()); });
    EXPECT_NE(msg.find("another `scalelab train`"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
  }
  TrainFolderLock again(dir.string());  // released with the first
}
