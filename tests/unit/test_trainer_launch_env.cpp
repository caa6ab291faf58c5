// The launcher's environment (trainer/launch_env.h): no launcher is one process; torchrun's and
// srun's variables give rank, world size and rendezvous; a bad one is an error naming it.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "trainer/launch_env.h"

using namespace scalelab;

namespace {

std::optional<LaunchEnv> parse(const std::map<std::string, std::string>& vars) {
  return read_launch_env([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    parse(vars);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LaunchEnv, NoLauncherMeansOneProcess) {
  EXPECT_FALSE(parse({}).has_value());
  // A one-task srun step (e.g. a sweep's single-GPU job) is an ordinary run.
  EXPECT_FALSE(parse({{"SLURM_STEP_NUM_TASKS", "1"}, {"SLURM_PROCID", "0"}}).has_value());
}

TEST(LaunchEnv, ReadsTorchrunVariables) {
  auto e = parse({{"WORLD_SIZE", "4"},
                  {"RANK", "3"},
                  {"LOCAL_RANK", "1"},
                  {"MASTER_ADDR", "node7"},
                  {"MASTER_PORT", "29400"},
                  {"TORCHELASTIC_RUN_ID", "x"},
                  {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                  {"TORCHELASTIC_RESTART_COUNT", "2"}});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->world_size, 4);
  EXPECT_EQ(e->rank, 3);
  EXPECT_EQ(e->local_rank, 1);
  EXPECT_EQ(e->master_addr, "node7");
  EXPECT_EQ(e->master_port, 29400);
  EXPECT_TRUE(e->agent_store);
  EXPECT_EQ(e->restart_count, 2);
  EXPECT_EQ(e->launcher, "torchrun");
  // Anything but the string "True" (torch.distributed's test) leaves rank 0 hosting the store.
  auto by_hand = parse({{"WORLD_SIZE", "2"},
                        {"RANK", "0"},
                        {"MASTER_ADDR", "h"},
                        {"MASTER_PORT", "1"},
                        {"TORCHELASTIC_USE_AGENT_STORE", "true"}});
  EXPECT_FALSE(by_hand->agent_store);
  EXPECT_EQ(by_hand->launcher, "env");
}

TEST(LaunchEnv, ReadsSrunVariables) {
  auto e = parse({{"SLURM_STEP_NUM_TASKS", "8"},
                  {"SLURM_PROCID", "5"},
                  {"SLURM_LOCALID", "1"},
                  {"MASTER_ADDR", "gpu01"},
                  {"MASTER_PORT", "29500"}});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->launcher, "srun");
  EXPECT_EQ(e->world_size, 8);
  EXPECT_EQ(e->rank, 5);
  EXPECT_EQ(e->local_rank, 1);
  // torchrun inside an srun allocation: torchrun's variables win.
  auto nested = parse({{"SLURM_STEP_NUM_TASKS", "2"},
                       {"SLURM_PROCID", "1"},
                       {"WORLD_SIZE", "16"},
                       {"RANK", "9"},
                       {"MASTER_ADDR", "a"},
                       {"MASTER_PORT", "2"}});
  EXPECT_EQ(nested->world_size, 16);
  EXPECT_EQ(nested->rank, 9);
}

TEST(LaunchEnv, BadEnvironmentNamesTheVariable) {
  EXPECT_NE(error_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "29500"}})
                .find("MASTER_ADDR is not set"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}}).find("MASTER_PORT"),
      std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})
                .find("RANK is not set"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}})
          .find("RANK=2"),
      std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "two"}}).find("WORLD_SIZE=two"), std::string::npos);
  EXPECT_NE(
      error_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}})
          .find("MASTER_PORT=70000"),
      std::string::npos);
  EXPECT_NE(error_of({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "0"}})
                .find("scontrol show hostnames"),
            std::string::npos);
}
