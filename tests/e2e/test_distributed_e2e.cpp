// Data parallelism end to end: runs of the debug config as two CPU ranks (Gloo) under torchrun and
// as hand-launched processes: the same loss trajectory as one process, checkpoints that change
// world size, clear errors, and a bounded exit when a rank dies. The launcher's environment:
// unit/test_trainer_launch_env.cpp.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "tests/support/datasets.h"

extern char** environ;

using namespace scalelab;
using namespace scalelab::test_util;
using Clock = std::chrono::steady_clock;

namespace {

// A port nobody listens on right now (the kernel's pick), for one test's rendezvous.
int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  close(s);
  return ntohs(a.sin_port);
}

// Starts `args` with extra environment variables, stdout and stderr into `log`.
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env,
            const fs::path& log) {
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Exit status of `pid` once it ends, or nullopt if it is still running after `limit`.
std::optional<int> wait_for(pid_t pid, std::chrono::duration<double> limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

// Complete lines of a file another process is appending to (metrics.jsonl while a run trains).
size_t n_lines(const fs::path& p) {
  std::ifstream in(p);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
}

class DataParallelE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("distributed"));
    dataset_ = new std::string(shared_dataset());
    // The reference: one process, the same global batch of 8 sequences.
    std::string out;
    ASSERT_EQ(run_cli("train " + debug("--out " + (*dir_ / "single").string()), &out), 0) << out;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete dataset_;
  }
  static std::string debug(const std::string& extra) {
    return std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml --set data.path=" + *dataset_ +
           " " + extra;
  }
  // torchrun (from the venv that holds LibTorch) with two CPU ranks of `scalelab train`.
  static int torchrun2(const std::string& train_args, std::string* out) {
    const fs::path torchrun = fs::path(SCALELAB_PYTHON).parent_path() / "torchrun";
    if (!fs::exists(torchrun)) {
      *out = torchrun.string() + " not found";
      return -1;
    }
    const std::string cmd = torchrun.string() + " --nproc-per-node 2 --master-port " +
                            std::to_string(free_port()) + " --no-python " + SCALELAB_BINARY_DIR +
                            "/scalelab train " + train_args;
    return shell(cmd, out);
  }
  static void expect_same_trajectory(const fs::path& run, const char* what,
                                     std::vector<std::string> keys = {"loss", "val_loss"}) {
    for (const auto& key : keys) {
      auto expected = losses_of(*dir_ / "single", key), got = losses_of(run, key);
      ASSERT_EQ(got.size(), expected.size()) << what << ", " << key;
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_LT(std::abs(got[i] - expected[i]), 1e-4 * std::abs(expected[i]))
            << what << ", " << key << " #" << i;
    }
  }
  static fs::path* dir_;
  static std::string* dataset_;
};
fs::path* DataParallelE2E::dir_ = nullptr;
std::string* DataParallelE2E::dataset_ = nullptr;

}  // namespace

TEST_F(DataParallelE2E, TwoRanksUnderTorchrunFollowOneProcess) {
  const auto run = *dir_ / "dp2";
  std::string out;
  ASSERT_EQ(torchrun2(debug("--out " + run.string()), &out), 0) << out;
  EXPECT_NE(out.find("[dist] rank 0 of 2 joined the gloo group"), std::string::npos) << out;
  expect_same_trajectory(run, "2 ranks");
  EXPECT_EQ(losses_of(run).size(), 20u);  // rank 0 alone wrote metrics.jsonl
  auto summary = read_json(run / "summary.json");
  EXPECT_EQ(summary["world_size"], 2);
  EXPECT_DOUBLE_EQ(summary["tokens"].get<double>(), 20.0 * 8 * 32);  // the global batch

  // Gradient accumulation: two micro-steps per rank, averaged across ranks only after the last.
  const auto micro = *dir_ / "dp2_micro";
  ASSERT_EQ(torchrun2(debug("--set train.micro_batch_size=2 --out " + micro.string()), &out), 0)
      << out;
  expect_same_trajectory(micro, "2 ranks x 2 micro-steps");
}

TEST_F(DataParallelE2E, TwoTorchrunAgentsAsTwoNodesFollowOneProcess) {
  // Two nodes of one process each, as on two machines (here both on this host): one torchrun
  // agent per node, meeting at node 0's c10d rendezvous endpoint.
  const fs::path torchrun = fs::path(SCALELAB_PYTHON).parent_path() / "torchrun";
  ASSERT_TRUE(fs::exists(torchrun)) << torchrun << " not found";
  const auto run = *dir_ / "two_nodes";
  const std::string endpoint = "127.0.0.1:" + std::to_string(free_port());
  std::vector<pid_t> agents;
  for (int node = 0; node < 2; ++node) {
    agents.push_back(spawn({torchrun.string(),
                            "--nnodes",
                            "2",
                            "--node-rank",
                            std::to_string(node),
                            "--nproc-per-node",
                            "1",
                            "--rdzv-backend",
                            "c10d",
                            "--rdzv-endpoint",
                            endpoint,
                            "--rdzv-id",
                            "scalelab-two-nodes",
                            "--rdzv-conf",
                            node == 0 ? "is_host=1" : "is_host=0",
                            "--no-python",
                            std::string(SCALELAB_BINARY_DIR) + "/scalelab",
                            "train",
                            std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml",
                            "--set",
                            "data.path=" + *dataset_,
                            "--out",
                            run.string()},
                           {}, *dir_ / ("node" + std::to_string(node) + ".log")));
    ASSERT_GT(agents.back(), 0);
  }
  for (int node = 0; node < 2; ++node) {
    const auto status = wait_for(agents[node], std::chrono::seconds(180));
    if (!status) {
      for (pid_t pid : agents) kill(pid, SIGKILL);
      for (pid_t pid : agents) waitpid(pid, nullptr, WNOHANG);
    }
    const std::string log = slurp(*dir_ / ("node" + std::to_string(node) + ".log"));
    ASSERT_TRUE(status.has_value()) << "node " << node << " still running\n" << log;
    EXPECT_EQ(*status, 0) << "node " << node << "\n" << log;
  }
  const std::string logs = slurp(*dir_ / "node0.log") + slurp(*dir_ / "node1.log");
  EXPECT_NE(logs.find("[dist] rank 0 of 2 joined the gloo group"), std::string::npos) << logs;
  EXPECT_EQ(read_json(run / "summary.json")["world_size"], 2);
  EXPECT_EQ(losses_of(run).size(), 20u);
  expect_same_trajectory(run, "2 nodes", {"loss", "grad_norm", "val_loss"});
}

TEST_F(DataParallelE2E, CheckpointFromTwoRanksResumesOnOne) {
  const auto run = *dir_ / "two_then_one";
  std::string out;
  ASSERT_EQ(torchrun2(debug("--stop-after-step 10 --out " + run.string()), &out), 0) << out;
  ASSERT_EQ(losses_of(run).size(), 10u);
  ASSERT_EQ(run_cli("train " + debug("--resume --out " + run.string()), &out), 0) << out;
  expect_same_trajectory(run, "2 ranks then 1");
  EXPECT_EQ(read_json(run / "summary.json")["world_size"], 1);
}

TEST_F(DataParallelE2E, BadEnvironmentIsAClearError) {
  std::string out;
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "0", 1);
  EXPECT_EQ(run_cli("train " + debug("--out " + (*dir_ / "bad").string()), &out), 1);
  EXPECT_NE(out.find("scalelab: error: MASTER_ADDR is not set"), std::string::npos) << out;

  // Rank 0 must host the rendezvous store; someone already listens on the port.
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 1), 0);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(ntohs(a.sin_port)).c_str(), 1);
  EXPECT_EQ(run_cli("train " + debug("--dist-timeout 5 --out " + (*dir_ / "bad").string()), &out),
            1);
  EXPECT_NE(out.find("the port is in use"), std::string::npos) << out;
  EXPECT_EQ(out.find("frame #"), std::string::npos) << out;  // no C++ backtraces
  close(s);
  for (auto var : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(var);
}

TEST_F(DataParallelE2E, WhenOneRankDiesTheOtherExitsWithinTheTimeout) {
  // Two ranks launched by hand (torchrun would itself stop the survivor): kill rank 1 mid-run, then
  // in a second group freeze rank 1 so that only the collective timeout can end rank 0.
  for (const int signal_to_send : {SIGKILL, SIGSTOP}) {
    const int timeout_s = signal_to_send == SIGKILL ? 30 : 5;
    const auto run = *dir_ / ("dies_" + std::to_string(signal_to_send));
    const std::string port = std::to_string(free_port());
    std::vector<pid_t> ranks;
    for (int r = 0; r < 2; ++r) {
      ranks.push_back(spawn({std::string(SCALELAB_BINARY_DIR) + "/scalelab", "train",
                             std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml", "--set",
                             "data.path=" + *dataset_, "--set", "train.steps=1000000",
                             "--dist-timeout", std::to_string(timeout_s), "--out", run.string()},
                            {"WORLD_SIZE=2", "RANK=" + std::to_string(r), "MASTER_ADDR=127.0.0.1",
                             "MASTER_PORT=" + port},
                            *dir_ / ("rank" + std::to_string(r) + ".log")));
      ASSERT_GT(ranks.back(), 0);
    }
    // Wait until both train (rank 0 logs steps), then stop rank 1.
    const auto started = Clock::now();
    while (n_lines(run / "metrics.jsonl") < 5 && Clock::now() - started < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (n_lines(run / "metrics.jsonl") < 5) {
      for (pid_t pid : ranks) kill(pid, SIGKILL);
      for (pid_t pid : ranks) waitpid(pid, nullptr, 0);
    }
    ASSERT_GE(n_lines(run / "metrics.jsonl"), 5u) << slurp(*dir_ / "rank0.log");
    kill(ranks[1], signal_to_send);
    const auto t0 = Clock::now();
    auto status = wait_for(ranks[0], std::chrono::seconds(timeout_s + 20));
    const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
    kill(ranks[1], SIGKILL);
    waitpid(ranks[1], nullptr, 0);
    if (!status) {
      kill(ranks[0], SIGKILL);
      waitpid(ranks[0], nullptr, 0);
    }
    const std::string log = slurp(*dir_ / "rank0.log");
    ASSERT_TRUE(status.has_value()) << "rank 0 still running " << waited
                                    << " s after rank 1 got signal " << signal_to_send << "\n"
                                    << log;
    EXPECT_EQ(*status, 1) << log;
    EXPECT_LT(waited, timeout_s + 10.0) << log;
    EXPECT_NE(log.find("scalelab: error: [dist] rank 0 of 2"), std::string::npos) << log;
  }
}
