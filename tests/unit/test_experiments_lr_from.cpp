// hparams.json and the sweep derivations that read it: `derive: {lr_from: FILE}` gives every run
// its own size's lr from the tuned law (at the run's N, in the file's convention), a size-scaled
// warmup (`warmup_from_params`), and bad files or sizes are one clear line naming them.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/counts.h"
#include "core/hparams.h"
#include "experiments/sweep.h"

using namespace scalelab;
namespace fs = std::filesystem;

namespace {

class HparamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("scalelab_test_hparams_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // lr_opt(N) = 0.02 N^-0.25, tuned on sizes 5e3 .. 5e4 with a warmup of 2 tokens per parameter.
  std::string write(const std::string& counted = "total") {
    Hparams h;
    h.params_counted = counted;
    h.lr = {0.02, 0.25};
    h.warmup_tokens_per_param = 2;
    h.sizes = {{5e3, 2e-3, 3.0, 256, 0.95, "a"}, {5e4, 1.1e-3, 2.8, 256, 0.95, "b"}};
    const std::string path = (dir_ / ("hparams_" + counted + ".json")).string();
    write_hparams(path, h);
    return path;
  }
  std::vector<sweep::Run> expand(const std::string& derive, const std::string& n_embd = "16, 32") {
    return sweep::expand(sweep::parse_spec(std::string("base: ") + SCALELAB_SOURCE_DIR +
                                               "/configs/debug.yaml\n"
                                               "zip: {model.n_embd: [" +
                                               n_embd +
                                               "], model.n_head: [2, 4]}\nderive: " + derive + "\n",
                                           "s.yaml", dir_.string()));
  }
  std::string error_of(const std::string& derive, const std::string& n_embd = "16, 32") {
    try {
      expand(derive, n_embd);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

}  // namespace

TEST_F(HparamsTest, DerivedLrEqualsTheLawAtEachRunsN) {
  for (const std::string counted : {"total", "non_embedding"}) {
    const auto runs = expand("{lr_from: " + write(counted) + "}");
    ASSERT_EQ(runs.size(), 2u);
    for (const auto& r : runs) {
      const ParamCounts c = count_params(r.config.model);
      const double N = double(counted == "total" ? c.total : c.non_embedding);
      EXPECT_DOUBLE_EQ(r.config.optim.lr, 0.02 * std::pow(N, -0.25)) << counted << " " << r.name;
      // min_lr keeps debug.yaml's ratio 3e-4 / 3e-3; the warmup is the tuned 2 N tokens.
      EXPECT_NEAR(r.config.optim.min_lr / r.config.optim.lr, 0.1, 1e-12);
      EXPECT_EQ(r.config.schedule.warmup_steps, std::llround(2 * N / (8 * 32))) << r.name;
    }
    EXPECT_NE(runs[0].config.optim.lr, runs[1].config.optim.lr);
  }
  // The scalar form, and warmup: keep leaves debug.yaml's 2 steps.
  const auto runs = expand("{lr_from: {file: " + write() + ", warmup: keep}}");
  EXPECT_EQ(runs[0].config.schedule.warmup_steps, 2);
  EXPECT_EQ(expand("{lr_from: " + write() + "}")[0].config.optim.lr, runs[0].config.optim.lr);
  // use: size takes the measured optimum of that size, and only of a tuned size.
  EXPECT_NE(
      error_of("{lr_from: {file: " + write() + ", use: size}}").find("has no tuned size N = "),
      std::string::npos);
}

TEST_F(HparamsTest, WarmupFromParamsIsTokensPerParameterInSteps) {
  const auto runs = expand("{warmup_from_params: {tokens_per_param: 1, count: non_embedding}}");
  for (const auto& r : runs) {
    const double N = double(count_params(r.config.model).non_embedding);
    EXPECT_EQ(r.config.schedule.warmup_steps, std::max<int64_t>(1, std::llround(N / 256)));
    EXPECT_EQ(r.config.schedule.warmup_fraction, 0);
  }
  // An explicit warmup_from_params wins over the tuned warmup of lr_from.
  const auto both = expand("{warmup_from_params: {tokens_per_param: 1}, lr_from: " + write() + "}");
  EXPECT_EQ(both[0].config.schedule.warmup_steps,
            std::llround(double(count_params(both[0].config.model).total) / 256));
}

TEST_F(HparamsTest, BadFilesAndSizesAreOneClearLine) {
  auto one_line = [](const std::string& e) { return e.find('\n') == std::string::npos; };
  std::string e = error_of("{lr_from: " + (dir_ / "missing.json").string() + "}");
  EXPECT_NE(e.find("missing.json: cannot read the file"), std::string::npos) << e;
  EXPECT_TRUE(one_line(e));
  std::ofstream(dir_ / "bad.json") << "{not json";
  e = error_of("{lr_from: " + (dir_ / "bad.json").string() + "}");
  EXPECT_NE(e.find("bad.json: not a JSON object"), std::string::npos) << e;
  std::ofstream(dir_ / "nolaw.json") << R"({"version": 1, "params_counted": "total", "laws": {}})";
  e = error_of("{lr_from: " + (dir_ / "nolaw.json").string() + "}");
  EXPECT_NE(e.find("laws.lr_opt: missing"), std::string::npos) << e;
  std::ofstream(dir_ / "neg.json")
      << R"({"version": 1, "params_counted": "total", "laws": {"lr_opt": {"c": -1, "k": 0.2}},
             "sizes": [{"N": 1e4, "lr_opt": 1e-3}]})";
  e = error_of("{lr_from: " + (dir_ / "neg.json").string() + "}");
  EXPECT_NE(e.find("laws.lr_opt.c: missing or not a positive number"), std::string::npos) << e;
  // A run 10x beyond the tuned sizes (n_embd 512: N ~ 6e6 against 5e4) is named with its N.
  e = error_of("{lr_from: " + write() + "}", "16, 512");
  EXPECT_NE(e.find("run 1"), std::string::npos) << e;
  EXPECT_NE(e.find("is more than 10x outside the sizes"), std::string::npos) << e;
  EXPECT_TRUE(one_line(e));
  EXPECT_EQ(error_of("{lr_from: {file: " + write() + ", extrapolate: 1000}}", "16, 512"), "");
  EXPECT_NE(
      error_of("{lr_from: {file: " + write() + ", use: nearest}}").find("expected law or size"),
      std::string::npos);
}

TEST_F(HparamsTest, WriteThenReadKeepsTheLaws) {
  const Hparams h = read_hparams(write("non_embedding"));
  EXPECT_EQ(h.params_counted, "non_embedding");
  EXPECT_DOUBLE_EQ(h.lr.c, 0.02);
  EXPECT_DOUBLE_EQ(h.lr.k, 0.25);
  EXPECT_DOUBLE_EQ(h.lr(1e4), 0.02 * std::pow(1e4, -0.25));
  EXPECT_FALSE(h.batch_tokens.has_value());
  EXPECT_EQ(h.sizes.size(), 2u);
  EXPECT_DOUBLE_EQ(h.warmup_tokens_per_param, 2);
}
