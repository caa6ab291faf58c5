// Packed runs (trainer/train_packed.h, `scalelab train-packed`): each run of a pack follows the
// same run trained alone, a pack stopped by a signal and resumed equals one that was not, and a
// pack that cannot be is refused in one line.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "tests/support/datasets.h"
#include "tests/support/run.h"
#include "trainer/checkpoint.h"

using namespace scalelab;
using namespace scalelab::test_util;
using nlohmann::json;

namespace {

class Packed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = temp_dir("packed_e2e"), dataset_ = shared_dataset(); }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  struct Spec {
    std::string name;
    std::vector<std::string> sets;  // beyond configs/debug.yaml on the shared dataset
  };
  static std::string config() { return std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml"; }
  static std::vector<std::string> with_data(std::vector<std::string> sets) {
    sets.insert(sets.begin(), "data.path=" + dataset_);
    return sets;
  }
  // A pack file of these runs (folders under `root`); its path.
  static std::string pack_file(const fs::path& root, const std::vector<Spec>& runs) {
    json j = {{"runs", json::array()}};
    for (const auto& r : runs)
      j["runs"].push_back(
          {{"config", config()}, {"set", with_data(r.sets)}, {"out", (root / r.name).string()}});
    fs::create_directories(root);
    const auto path = root / "pack.json";
    std::ofstream(path) << j.dump(2);
    return path.string();
  }
  // The run trained alone by `scalelab train`, into root/name (env: assignments before it).
  static void train_alone(const fs::path& root, const Spec& r, const std::string& env = "") {
    std::string sets;
    for (const auto& s : with_data(r.sets)) sets += " --set " + s;
    std::string out;
    ASSERT_EQ(
        run_cli_with(env, "train " + config() + sets + " --out " + (root / r.name).string(), &out),
        0)
        << out;
  }
  // ROOT/NAME.yaml: a sweep of seeds 1-3 of configs/debug.yaml on the shared dataset with `sets`
  // (YAML flow entries), into ROOT/NAME; its path.
  static std::string seeds_sweep_file(const fs::path& root, const std::string& name,
                                      const std::string& sets) {
    fs::create_directories(root);
    const fs::path path = root / (name + ".yaml");
    std::ofstream(path) << "base: " << config() << "\nout_root: " << (root / name).string()
                        << "\nset: {data.path: " << dataset_ << ", " << sets
                        << "}\ngrid: {train.seed: [1, 2, 3]}\n";
    return path.string();
  }
  static inline fs::path dir_;
  static inline std::string dataset_;
};

// max over parameters of |a - b| / |a| (L2 norms), from the runs' last checkpoints.
double weights_difference(const fs::path& a, const fs::path& b) {
  auto x = load_run_model(a.string()), y = load_run_model(b.string());
  const auto px = x.model->named_parameters(), py = y.model->named_parameters();
  double worst = 0;
  for (const auto& item : px) {
    const auto& u = item.value();
    const auto& v = py[item.key()];
    worst = std::max(worst, (u - v).norm().item<double>() / u.norm().item<double>());
  }
  return worst;
}

}  // namespace

// K = 4, each with its own seed and learning rate (one its own data order, one its own clipping):
// each follows its run trained alone over 50 steps to 1e-5 relative in its loss at every step, its
// validation loss and its final weights. Its gradient norm too, at every step but where the
// model's own two exact-in-math computations (the fused kernels and plain ATen,
// SCALELAB_FUSED_KERNELS=0) differ by more themselves: there (one step of one run, 5e-5 apart in
// the fused against the plain run) the pack may differ from the fused run by twice as much.
TEST_F(Packed, EachRunFollowsTheSameRunTrainedAlone) {
  const std::vector<Spec> runs = {
      {"r1", {"train.seed=1", "optim.lr=3e-3", "train.steps=50"}},
      {"r2", {"train.seed=2", "optim.lr=1e-3", "train.steps=50"}},
      {"r3", {"train.seed=3", "optim.lr=5e-3", "train.steps=50", "train.data_seed=9"}},
      {"r4", {"train.seed=4", "optim.lr=2e-3", "train.steps=50", "optim.grad_clip=0.1"}}};
  const fs::path packed = dir_ / "packed", alone = dir_ / "alone", plain = dir_ / "plain";
  std::string out;
  ASSERT_EQ(run_cli("train-packed " + pack_file(packed, runs), &out), 0) << out;
  for (const auto& r : runs) {
    train_alone(alone, r);
    train_alone(plain, r, "SCALELAB_FUSED_KERNELS=0");
    const auto p = losses_of(packed / r.name), a = losses_of(alone / r.name);
    ASSERT_EQ(p.size(), 50u) << r.name;
    ASSERT_EQ(a.size(), 50u) << r.name;
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_LE(std::abs(p[i] - a[i]), 1e-5 * std::abs(a[i])) << r.name << " step " << i + 1;
    const auto pg = losses_of(packed / r.name, "grad_norm"),
               ag = losses_of(alone / r.name, "grad_norm"),
               ug = losses_of(plain / r.name, "grad_norm");
    ASSERT_EQ(pg.size(), ag.size());
    for (size_t i = 0; i < ag.size(); ++i)
      EXPECT_LE(std::abs(pg[i] - ag[i]), std::max(1e-5 * ag[i], 2 * std::abs(ug[i] - ag[i])))
          << r.name << " step " << i + 1;
    const double pv = read_json(packed / r.name / "summary.json")["final_val_loss"],
                 av = read_json(alone / r.name / "summary.json")["final_val_loss"];
    EXPECT_LE(std::abs(pv - av), 1e-5 * av) << r.name;
    EXPECT_LE(weights_difference(alone / r.name, packed / r.name), 1e-5) << r.name;
    // An ordinary run folder: what train writes, the pack's lines in its log.
    for (const char* file : {"config.yaml", "metrics.jsonl", "summary.json", "log.txt"})
      EXPECT_TRUE(fs::exists(packed / r.name / file)) << r.name << " " << file;
    EXPECT_EQ(read_json(packed / r.name / "summary.json")["status"], "finished");
  }
}

// Runs of other budgets leave the pack as they end; a SIGTERM stops every run with a checkpoint,
// exit 143; --resume ends with every loss of the pack that was never stopped, bit for bit.
TEST_F(Packed, StoppedBySigtermAndResumedEqualsUninterrupted) {
  const std::vector<Spec> runs = {
      {"a", {"train.seed=1", "train.steps=60", "eval.every=20"}},
      {"b", {"train.seed=2", "optim.lr=1e-3", "train.steps=40", "eval.every=20"}},
      {"c", {"train.seed=3", "optim.lr=5e-3", "train.steps=60", "eval.every=20"}}};
  const fs::path straight = dir_ / "straight", stopped = dir_ / "stopped";
  std::string out;
  ASSERT_EQ(run_cli("train-packed " + pack_file(straight, runs), &out), 0) << out;
  const std::string pack = pack_file(stopped, runs);
  const pid_t pid = start_cli({"train-packed", pack}, stopped / "console.txt");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && losses_of(stopped / "a").size() < 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 143) << slurp(stopped / "console.txt");
  for (const auto& r : runs) {
    const auto summary = read_json(stopped / r.name / "summary.json");
    EXPECT_TRUE(summary["status"] == "paused" || summary["status"] == "finished") << r.name;
  }
  EXPECT_EQ(read_json(stopped / "a" / "summary.json")["status"], "paused");
  ASSERT_EQ(run_cli("train-packed " + pack + " --resume", &out), 0) << out;
  for (const auto& r : runs) {
    EXPECT_EQ(losses_of(straight / r.name), losses_of(stopped / r.name)) << r.name;
    EXPECT_EQ(losses_of(straight / r.name, "val_loss"), losses_of(stopped / r.name, "val_loss"))
        << r.name;
    EXPECT_EQ(read_json(stopped / r.name / "summary.json")["status"], "finished") << r.name;
  }
  EXPECT_EQ(losses_of(stopped / "b").size(), 40u);
}

// Every run of a pack logs its step before any of them evaluates: a run's logged tokens/s then
// times the pack's step, not the other runs' evaluations (before, the last step of runs 2..K
// carried run 1's final evaluation: 17K against 145K tokens/s with 64 validation batches).
TEST_F(Packed, EveryRunLogsItsStepBeforeAnyRunEvaluates) {
  const std::vector<Spec> runs = {
      {"a", {"train.seed=1", "train.steps=20", "eval.every=10", "log.every=10"}},
      {"b", {"train.seed=2", "train.steps=20", "eval.every=10", "log.every=10"}},
      {"c", {"train.seed=3", "train.steps=20", "eval.every=10", "log.every=10"}}};
  const fs::path root = dir_ / "order";
  std::string out;
  ASSERT_EQ(run_cli("train-packed " + pack_file(root, runs), &out), 0) << out;
  const std::string log = slurp(root / "a" / "log.txt");
  for (const char* step : {"10", "20"}) {
    const std::string train = std::string("[train] step ") + step + "/20",
                      eval = std::string("[eval] step ") + step + " ";
    const size_t first_eval = log.find(eval);
    ASSERT_NE(first_eval, std::string::npos) << log;
    size_t trains = 0;
    for (size_t at = log.find(train); at != std::string::npos && at < first_eval;
         at = log.find(train, at + 1))
      ++trains;
    EXPECT_EQ(trains, runs.size()) << "step " << step << ":\n" << log;
  }
}

TEST_F(Packed, ABadPackIsOneClearLine) {
  const fs::path root = dir_ / "bad";
  expect_one_clear_line(
      "train-packed " + pack_file(root / "shapes", {{"x", {"train.seed=1"}},
                                                    {"y", {"train.seed=2", "model.n_embd=32"}}}),
      "cannot share a pack with run 1 (" + (root / "shapes" / "x").string() +
          "): model.n_embd: 16 vs 32");
  expect_one_clear_line("train-packed " + pack_file(root / "empty", {}), "K = 0");
  expect_one_clear_line(
      "train-packed " + pack_file(root / "twice", {{"x", {}}, {"x", {"train.seed=2"}}}),
      "names this run folder twice");
  // Each run of about 10^11 parameters: more memory than any machine here has, refused before
  // anything is allocated.
  expect_one_clear_line(
      "train-packed " +
          pack_file(root / "memory",
                    {{"x", {"model.n_embd=32768", "model.n_head=64"}},
                     {"y", {"model.n_embd=32768", "model.n_head=64", "train.seed=2"}}}),
      "a pack of 2 runs needs about");
  expect_one_clear_line("train-packed " + write_temp("notapack.json", "[1, 2]"), "not a pack file");
  EXPECT_FALSE(fs::exists(root / "shapes" / "x")) << "a refused pack leaves no run folder";
}

// `scalelab sweep` packs by default: the dry run shows the pack (and with 2 jobs, the three seeds
// spread over both), the runner trains the three seeds in one process, and each run equals the
// same sweep's run trained alone (--no-pack) to 1e-5.
TEST_F(Packed, ASweepPacksItsSeedsAndEachRunEqualsItsUnpackedTwin) {
  const fs::path root = dir_ / "sweep";
  auto sweep_file = [&](const std::string& name) {
    return seeds_sweep_file(root, name, "train.steps: 30");
  };
  std::string out;
  ASSERT_EQ(run_cli("sweep " + sweep_file("packed") + " --dry-run --no-measure", &out), 0) << out;
  EXPECT_NE(out.find("packing: 3 runs in 1 processes"), std::string::npos) << out;
  ASSERT_EQ(run_cli("sweep " + sweep_file("packed") + " --dry-run --no-measure --jobs 2", &out), 0)
      << out;
  EXPECT_NE(out.find("packing: 3 runs in 2 processes"), std::string::npos) << out;
  ASSERT_EQ(run_cli("sweep " + sweep_file("packed") + " --dry-run --no-measure --pack 2", &out), 0)
      << out;
  EXPECT_NE(out.find("packing: 3 runs in 2 processes"), std::string::npos) << out;
  ASSERT_EQ(run_cli("sweep " + sweep_file("packed"), &out), 0) << out;
  EXPECT_NE(out.find("in one process (a pack of 3)"), std::string::npos) << out;
  ASSERT_EQ(run_cli("sweep " + sweep_file("alone") + " --no-pack", &out), 0) << out;
  EXPECT_EQ(out.find("a pack of"), std::string::npos) << out;
  for (const auto& run : fs::directory_iterator(root / "alone")) {
    if (!fs::is_directory(run.path())) continue;
    const fs::path twin = root / "packed" / run.path().filename();
    const auto a = losses_of(run.path()), p = losses_of(twin);
    ASSERT_EQ(a.size(), 30u) << run.path();
    ASSERT_EQ(p.size(), a.size()) << twin;
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_LE(std::abs(p[i] - a[i]), 1e-5 * std::abs(a[i])) << twin << " step " << i + 1;
    EXPECT_EQ(read_json(twin / "summary.json")["status"], "finished");
  }
  // Rerun: every packed run is finished and skipped.
  ASSERT_EQ(run_cli("sweep " + sweep_file("packed"), &out), 0) << out;
  EXPECT_EQ(out.find("[sweep] start"), std::string::npos) << out;
}

// The runner passes a stop signal to a pack's process: every run of the pack pauses at a
// checkpoint, the command exits 128 + signal, and the rerun resumes the pack to the trajectories of
// the same pack trained without a stop, bit for bit.
TEST_F(Packed, ASweepStoppedBySignalPausesItsPackAndTheRerunResumesIt) {
  const fs::path root = dir_ / "sweep_stop";
  auto sweep_file = [&](const std::string& name) {
    return seeds_sweep_file(root, name, "train.steps: 400, log.every: 1");
  };
  const std::string stopped = sweep_file("stopped");
  const pid_t pid = start_cli({"sweep", stopped}, root / "stopped.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (losses_of(root / "stopped" / "seed3").size() < 20 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(losses_of(root / "stopped" / "seed3").size(), 20u) << slurp(root / "stopped.log");
  kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit_within(pid, std::chrono::seconds(30)), 128 + SIGTERM)
      << slurp(root / "stopped.log");
  for (const char* run : {"seed1", "seed2", "seed3"}) {
    const auto summary = read_json(root / "stopped" / run / "summary.json");
    EXPECT_EQ(summary["status"], "paused") << run;
    EXPECT_EQ(summary["stop_signal"], SIGTERM) << run;
  }
  std::string out;
  ASSERT_EQ(run_cli("sweep " + stopped, &out), 0) << out;
  EXPECT_NE(out.find("start seed1 (resuming), seed2 (resuming), seed3 (resuming) in one process"),
            std::string::npos)
      << out;
  ASSERT_EQ(run_cli("sweep " + sweep_file("straight"), &out), 0) << out;
  for (const char* run : {"seed1", "seed2", "seed3"}) {
    const auto a = losses_of(root / "straight" / run), b = losses_of(root / "stopped" / run);
    ASSERT_EQ(a.size(), 400u) << run;
    EXPECT_EQ(a, b) << run << ": the resumed run left the uninterrupted pack's trajectory";
  }
}
