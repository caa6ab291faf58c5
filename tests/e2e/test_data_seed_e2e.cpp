// train.data_seed: the data order's own seed (0 = train.seed), so that a noise pilot can vary the
// initial weights and the data order one at a time (experiments/demo/NOISE.md).
#include <gtest/gtest.h>

#include "tests/support/datasets.h"
#include "tests/support/run.h"
#include "configs/config.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

class DataSeed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(temp_dir("data_seed"));
    dataset_ = new std::string(shared_dataset());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete dataset_;
  }
  // A short debug run (CPU, one thread) under these --set flags; its folder.
  static fs::path train(const std::string& name, const std::string& sets) {
    const fs::path run = *dir_ / name;
    std::string out;
    const int status = run_cli("train " + std::string(SCALELAB_SOURCE_DIR) +
                                   "/configs/debug.yaml --set data.path=" + *dataset_ +
                                   " --set train.steps=4 " + sets + " --out " + run.string(),
                               &out);
    EXPECT_EQ(status, 0) << out;
    return run;
  }
  static double final_val_loss(const fs::path& run) {
    return read_json(run / "summary.json")["final_val_loss"].get<double>();
  }
  static fs::path* dir_;
  static std::string* dataset_;
};
fs::path* DataSeed::dir_ = nullptr;
std::string* DataSeed::dataset_ = nullptr;

}  // namespace

TEST(DataOrderSeed, ZeroFollowsTrainSeed) {
  TrainConfig t;
  t.seed = 5;
  EXPECT_EQ(data_order_seed(t), 5);
  t.data_seed = 9;
  EXPECT_EQ(data_order_seed(t), 9);
}

// data_seed = 0 (the default) and data_seed = seed train the same run bit for bit, as every config
// written before data_seed existed did (tests/data/debug_trace.json pins the default too).
TEST_F(DataSeed, ZeroTrainsExactlyAsTheSeedAlone) {
  const auto implicit = train("implicit", "--set train.seed=5");
  const auto explicit_ = train("explicit", "--set train.seed=5 --set train.data_seed=5");
  EXPECT_EQ(losses_of(implicit), losses_of(explicit_));
  EXPECT_EQ(losses_of(implicit, "val_loss"), losses_of(explicit_, "val_loss"));
  EXPECT_EQ(read_json(implicit / "summary.json")["config"]["train"]["data_seed"], 0);
}

// At a learning rate too small to move an fp32 weight, the validation loss is the initial
// weights' and each step's training loss is theirs on that step's batch: the same seed with other
// data seeds keeps the first and changes the second; another seed with the same data seed changes
// the first.
TEST_F(DataSeed, SeedSetsTheInitialWeightsAndDataSeedTheBatches) {
  const std::string frozen = "--set optim.lr=1e-30 --set optim.min_lr=0 ";
  const auto a = train("a", frozen + "--set train.seed=5 --set train.data_seed=6");
  const auto b = train("b", frozen + "--set train.seed=5 --set train.data_seed=7");
  const auto c = train("c", frozen + "--set train.seed=8 --set train.data_seed=6");
  EXPECT_EQ(final_val_loss(a), final_val_loss(b));
  EXPECT_NE(losses_of(a).front(), losses_of(b).front());
  EXPECT_NE(final_val_loss(a), final_val_loss(c));
}
