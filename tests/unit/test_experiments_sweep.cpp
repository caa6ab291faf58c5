// Sweep files without training: grid expansion, derived fields, names, parents, bad input,
// run-folder states and the per-run lock, branching, --set. The Slurm script:
// test_experiments_slurm.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "experiments/branching.h"
#include "experiments/derive.h"
#include "experiments/process.h"
#include "experiments/run_state.h"
#include "experiments/runner.h"
#include "experiments/slurm.h"
#include "experiments/slurm_submit.h"
#include "experiments/sweep.h"
#include "experiments/template.h"
#include "tests/support/sweep_files.h"

using namespace scalelab;
using namespace scalelab::sweep;
using scalelab::test_util::SweepTest;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names(const std::vector<sweep::Run>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.name);
  return out;
}

}  // namespace

TEST(SweepTemplate, FormatsNumbersShortAndExact) {
  EXPECT_EQ(format_number(3e13), "3e13");
  EXPECT_EQ(format_number(1048576), "1048576");
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(format_number(2.5e-5), "2.5e-5");
  Vars v = {{"sweep.flops", "1.2345e13"}, {"model.n_layer", "4"}};
  EXPECT_EQ(substitute("c{sweep.flops:.2g}-l{model.n_layer}", v, "name"), "c1.2e13-l4");
  EXPECT_THROW(substitute("{model.n_layers}", v, "name"), std::runtime_error);
  ::setenv("SCALELAB_TEST_SWEEP_DIR", "/data", 1);
  EXPECT_EQ(expand_env("${SCALELAB_TEST_SWEEP_DIR:-x}/kjv", "v"), "/data/kjv");
  ::unsetenv("SCALELAB_TEST_SWEEP_DIR");
  EXPECT_EQ(expand_env("${SCALELAB_TEST_SWEEP_DIR:-datasets}/kjv", "v"), "datasets/kjv");
  EXPECT_EQ(expand_env("plain/path", "v"), "plain/path");
}

TEST_F(SweepTest, GridIsACartesianProductFirstKeySlowest) {
  auto runs = expand_text("grid:\n  model.n_layer: [1, 2]\n  train.seed: [5, 6, 7]\n");
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_EQ(names(runs),
            (std::vector<std::string>{"n_layer1-seed5", "n_layer1-seed6", "n_layer1-seed7",
                                      "n_layer2-seed5", "n_layer2-seed6", "n_layer2-seed7"}));
  EXPECT_EQ(runs[4].config.model.n_layer, 2);
  EXPECT_EQ(runs[4].config.train.seed, 6);
  EXPECT_EQ(runs[4].config.model.n_embd, 16);  // untouched base value
}

TEST_F(SweepTest, ZipAdvancesListsTogetherAndCrossesTheGrid) {
  auto runs = expand_text(
      "name: \"l{model.n_layer}-d{model.n_embd}-s{train.seed}\"\n"
      "grid: {train.seed: [1, 2]}\n"
      "zip: {model.n_layer: [1, 2, 3], model.n_embd: [16, 32, 48], model.n_head: [2, 4, 6]}\n");
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_EQ(runs[0].name, "l1-d16-s1");
  EXPECT_EQ(runs[2].name, "l3-d48-s1");
  EXPECT_EQ(runs[5].name, "l3-d48-s2");
  EXPECT_EQ(runs[5].config.model.n_head, 6);
  EXPECT_NE(error_of("zip: {model.n_layer: [1, 2], model.n_embd: [16]}").find("equal lengths"),
            std::string::npos);
}

TEST_F(SweepTest, SettingOneBudgetFieldReplacesTheBasesBudget) {
  // debug.yaml sets train.steps: 20; a sweep giving tokens must not end up with two budgets.
  auto runs = expand_text("set: {train.tokens: 2560}\n");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].config.train.steps, 0);
  EXPECT_EQ(runs[0].steps, 10);  // 2560 / (8 x 32)
  EXPECT_DOUBLE_EQ(runs[0].tokens, 2560);
}

TEST_F(SweepTest, TokensFromFlopsUsesTheConventionsFlopsPerToken) {
  auto runs = expand_text(
      "name: \"c{sweep.flops}-l{model.n_layer}\"\n"
      "grid: {sweep.flops: [1e9, 4e9], model.n_layer: [1, 3]}\n"
      "derive: {tokens_from_flops: {flops: sweep.flops, convention: 6n_total}}\n"
      "tags: {budget: \"{sweep.flops}\", d: \"{run.tokens}\"}\n");
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& r : runs) {
    const double C = r.name[1] == '1' ? 1e9 : 4e9;
    const double per_token = training_flops_per_token(r.config.model, FlopConvention::six_n_total);
    EXPECT_NEAR(r.config.train.tokens, C / per_token, 0.5) << r.name;
    EXPECT_EQ(r.config.train.flop_convention, FlopConvention::six_n_total);
    EXPECT_EQ(r.config.train.steps, 0);
    EXPECT_DOUBLE_EQ(r.budget, C);
    // Whole steps: at most one step of tokens above the budget's D.
    EXPECT_GE(r.tokens, C / per_token);
    EXPECT_LT(r.tokens, C / per_token + 8 * 32);
    EXPECT_EQ(r.tags[0].second, r.name[1] == '1' ? "1e9" : "4e9");
    EXPECT_EQ(r.tags[1].second, format_number(r.tokens));
  }
  // Bigger model, same budget: fewer tokens.
  EXPECT_GT(runs[0].tokens, runs[1].tokens);
  EXPECT_NE(
      error_of("derive: {tokens_from_flops: {flops: 1e9, convention: 7n}}").find("convention"),
      std::string::npos);
  EXPECT_NE(error_of("derive: {tokens_from_flops: {flops: 1e3}}").find("less than one step"),
            std::string::npos);
}

TEST_F(SweepTest, ShapeFromParamsAtAFixedDepth) {
  auto runs = expand_text(
      "name: \"p{sweep.params}-l{sweep.layers}\"\n"
      "grid: {sweep.params: [2.8e4, 1.1e5], sweep.layers: [1, 4]}\n"
      "derive: {shape_from_params: {params: sweep.params, n_layer: sweep.layers, head_dim: 8}}\n");
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& r : runs) {
    const double target = r.name[1] == '2' ? 2.8e4 : 1.1e5;
    EXPECT_NEAR(double(r.params.non_embedding) / target, 1.0, 0.1) << r.name;
    EXPECT_EQ(r.config.model.n_embd % 8, 0);
    EXPECT_EQ(r.config.model.n_head, r.config.model.n_embd / 8);
    EXPECT_EQ(r.config.model.n_layer, r.name.back() == '1' ? 1 : 4);
  }
  // Same parameters, deeper: narrower.
  EXPECT_GT(runs[0].config.model.n_embd, runs[1].config.model.n_embd);
}

TEST_F(SweepTest, ShapeFromParamsByAspectRatio) {
  auto runs = expand_text(
      "derive: {shape_from_params: {params: 1e5, aspect_ratio: 16, head_dim: 8, count: total}}\n");
  ASSERT_EQ(runs.size(), 1u);
  const auto& m = runs[0].config.model;
  EXPECT_NEAR(double(runs[0].params.total) / 1e5, 1.0, 0.1);
  EXPECT_NEAR(std::log(double(m.n_embd) / double(m.n_layer) / 16), 0.0, std::log(2.0))
      << m.n_layer << " x " << m.n_embd;
}

TEST_F(SweepTest, AnUnmeetableDerivedFieldIsAClearError) {
  // One layer with one head of 64 dims already has far more than 100 parameters.
  auto e = error_of("derive: {shape_from_params: {params: 100, n_layer: 1, head_dim: 64}}\n");
  EXPECT_NE(e.find("no shape"), std::string::npos) << e;
  EXPECT_NE(e.find("within 10%"), std::string::npos) << e;
  e = error_of("derive: {shape_from_params: {params: 1e5, head_dim: 8}}\n");
  EXPECT_NE(e.find("exactly one of n_layer or aspect_ratio"), std::string::npos) << e;
}

TEST_F(SweepTest, BadInputIsNamedBeforeAnythingRuns) {
  auto e = error_of("grid: {model.n_layers: [1, 2]}\n");
  EXPECT_NE(e.find("unknown key 'model.n_layers'"), std::string::npos) << e;
  e = error_of("grid: {model.n_layer: []}\n");
  EXPECT_NE(e.find("empty"), std::string::npos) << e;
  e = error_of("grid: {}\n");
  EXPECT_NE(e.find("grid"), std::string::npos) << e;
  e = error_of("grid: {model.n_layer: [1, 2]}\nname: same\n");
  EXPECT_NE(e.find("both named 'same'"), std::string::npos) << e;
  e = error_of("grids: {model.n_layer: [1]}\n");
  EXPECT_NE(e.find("unknown sweep key 'grids'"), std::string::npos) << e;
  e = error_of("grid: {model.n_embd: [15]}\n");  // not divisible by n_head: configs' own rule
  EXPECT_NE(e.find("model.n_embd"), std::string::npos) << e;
  e = error_of("init_from: nobody\n");
  EXPECT_NE(e.find("not a run of this sweep"), std::string::npos) << e;
  EXPECT_THROW(parse_spec("base: missing.yaml\n", "test.yaml", dir_.string()), std::runtime_error);
}

TEST_F(SweepTest, GroupsInheritTheTopLevelAndParentsComeFirst) {
  auto runs = expand_text(
      "set: {train.seed: 3}\n"
      "tags: {study: t}\n"
      "zip: {model.n_layer: [1, 2]}\n"
      "groups:\n"
      "  - name: \"ft-l{model.n_layer}-s{train.steps}\"\n"
      "    init_from: \"pre-l{model.n_layer}\"\n"
      "    tags: {role: finetune, finetune_tokens: \"{run.tokens}\"}\n"
      "    grid: {train.steps: [4, 8]}\n"
      "  - name: \"pre-l{model.n_layer}\"\n"
      "    set: {train.seed: 9}\n"
      "    tags: {role: pretrain}\n");
  ASSERT_EQ(runs.size(), 6u);
  // Parents (level 0) first, in file order within a level.
  EXPECT_EQ(names(runs), (std::vector<std::string>{"pre-l1", "pre-l2", "ft-l1-s4", "ft-l1-s8",
                                                   "ft-l2-s4", "ft-l2-s8"}));
  EXPECT_EQ(runs[0].config.train.seed, 9);
  EXPECT_EQ(runs[2].config.train.seed, 3);
  EXPECT_EQ(runs[3].parent, "pre-l1");
  EXPECT_EQ(runs[3].level, 1);
  EXPECT_EQ(runs[3].tags,
            (Assignments{{"study", "t"}, {"role", "finetune"}, {"finetune_tokens", "2048"}}));
  EXPECT_EQ(runs[0].tags, (Assignments{{"study", "t"}, {"role", "pretrain"}}));
  // A parent of a different shape cannot start a run.
  auto e =
      error_of("groups:\n  - {name: a, set: {model.n_layer: 1}}\n  - {name: b, init_from: a}\n");
  EXPECT_NE(e.find("different model shape"), std::string::npos) << e;
}

TEST_F(SweepTest, RunFolderStatesAndTheLock) {
  const fs::path run = dir_ / "r";
  EXPECT_EQ(inspect_run_folder(run.string()).state, FolderState::empty);
  {
    RunLock a(run.string());
    ASSERT_TRUE(a.held());
    RunLock b(run.string());  // a second open file description: flock refuses it
    EXPECT_FALSE(b.held());
  }
  RunLock c(run.string());
  EXPECT_TRUE(c.held());
  fs::create_directories(run / "checkpoints");
  std::ofstream(run / "checkpoints/step_00000010.pt.tmp") << "x";
  EXPECT_EQ(inspect_run_folder(run.string()).state, FolderState::empty);  // an interrupted write
  std::ofstream(run / "checkpoints/step_00000010.pt") << "x";
  EXPECT_EQ(inspect_run_folder(run.string()).state, FolderState::resumable);
  std::ofstream(run / "summary.json") << R"({"status": "diverged"})";
  EXPECT_EQ(inspect_run_folder(run.string()).state, FolderState::diverged);
  std::ofstream(run / "summary.json") << R"({"status": "finished", "final_val_loss": 2.5})";
  auto info = inspect_run_folder(run.string());
  EXPECT_EQ(info.state, FolderState::finished);
  EXPECT_DOUBLE_EQ(info.final_val_loss, 2.5);
}

// branching: runs that differ only in their budget become WSD branches of one constant-lr trunk
// that checkpoints at each branch point; the compute spent is the trunk plus each cooldown.
TEST_F(SweepTest, BranchingSharesATrunkPerShape) {
  auto runs = expand_text(
      "branching: {cooldown: 0.25, shape: 1-sqrt}\n"
      "set: {schedule.warmup_steps: 2, schedule.warmup_fraction: 0}\n"
      "name: \"s{train.steps}-d{model.n_embd}\"\n"
      "grid: {train.steps: [20, 40, 80], model.n_embd: [16, 32]}\n");
  ASSERT_EQ(runs.size(), 8u);  // 2 trunks + 6 branches
  int n_trunks = 0;
  for (const auto& r : runs) {
    if (r.trunk()) {
      ++n_trunks;
      EXPECT_EQ(r.level, 0);
      EXPECT_EQ(r.config.schedule.kind, Schedule::constant);
      EXPECT_EQ(r.checkpoint_steps, (std::vector<int64_t>{15, 30, 60}));
      EXPECT_EQ(r.steps, 61);  // one past the last branch point
      continue;
    }
    EXPECT_EQ(r.level, 1) << r.name;
    EXPECT_EQ(r.config.schedule.kind, Schedule::wsd);
    EXPECT_EQ(r.config.schedule.decay_shape, DecayShape::one_minus_sqrt);
    EXPECT_DOUBLE_EQ(r.config.schedule.decay_fraction, 0.25);
    EXPECT_EQ(r.branch_step, r.steps - r.steps / 4) << r.name;  // D minus the cooldown
    EXPECT_EQ(r.parent,
              (r.config.model.n_embd == 16 ? "s80-d16" : "s80-d32") + std::string("-trunk"));
  }
  EXPECT_EQ(n_trunks, 2);
  EXPECT_EQ(runs[0].name, "s80-d16-trunk");
  const auto train = train_arguments(runs[2], "/out", false);
  const std::string joined = [&] {
    std::string s;
    for (const auto& a : train) s += a + " ";
    return s;
  }();
  EXPECT_NE(joined.find("--branch-from /out/" + runs[2].parent + "/checkpoints/step_"),
            std::string::npos)
      << joined;
  EXPECT_NE(shell_join(train_arguments(runs[0], "/out", false)).find("--checkpoint-at 15,30,60"),
            std::string::npos);
  // Per shape: independent runs train 20 + 40 + 80 = 140 steps; branched, 61 + 5 + 10 + 20 = 96.
  const ComputeSavings s = compute_savings(runs);
  EXPECT_EQ(s.n_trunks, 2);
  EXPECT_EQ(s.n_branches, 6);
  double per_step_16 = 0, per_step_32 = 0;
  for (const auto& r : runs)
    if (!r.trunk())
      (r.config.model.n_embd == 16 ? per_step_16 : per_step_32) = r.flops / double(r.steps);
  EXPECT_NEAR(s.flops_independent, 140 * (per_step_16 + per_step_32), 1e-6 * s.flops_independent);
  EXPECT_NEAR(s.flops_spent, 96 * (per_step_16 + per_step_32), 1e-6 * s.flops_spent);
}

// A run whose warmup outlasts it has no constant phase a trunk could share: it trains on its own
// with a warning (the trainer would refuse the branch point), and its family branches without it.
TEST_F(SweepTest, BranchingLeavesOutARunShorterThanItsWarmup) {
  auto runs = expand_text(
      "branching: {cooldown: 0.25, shape: linear}\n"
      "set: {schedule.warmup_steps: 30, schedule.warmup_fraction: 0}\n"
      "name: \"s{train.steps}\"\n"
      "grid: {train.steps: [20, 40, 80]}\n");
  ASSERT_EQ(runs.size(), 4u);  // s20 alone; one trunk for s40 and s80
  for (const auto& r : runs) {
    if (r.name == "s20") {
      EXPECT_TRUE(r.parent.empty());
      EXPECT_LT(r.branch_step, 0);
      ASSERT_EQ(r.warnings.size(), 1u);
      EXPECT_NE(r.warnings[0].find("warmup of 30 steps covers the whole run (20 steps)"),
                std::string::npos)
          << r.warnings[0];
    } else if (!r.trunk()) {
      EXPECT_EQ(r.parent, "s80-trunk") << r.name;
      EXPECT_LT(r.branch_step, r.steps) << r.name;
    }
  }
}

TEST_F(SweepTest, BranchingRefusesWhatATrunkCannotShare) {
  EXPECT_NE(error_of("branching: {cooldown: 1.5}\ngrid: {train.steps: [20, 40]}\n")
                .find("branching.cooldown: 1.5 must be a fraction of each run's steps in (0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of("branching: {cooldown: 0}\ngrid: {train.steps: [20, 40]}\n").find("in (0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of("branching: {shape: cosine}\ngrid: {train.steps: [20, 40]}\n")
                .find("branching.shape: 'cosine' is not one of linear | 1-sqrt"),
            std::string::npos);
  EXPECT_NE(error_of("branching: {cooldwn: 0.2}\ngrid: {train.steps: [20, 40]}\n")
                .find("unknown branching key"),
            std::string::npos);
  EXPECT_NE(
      error_of("branching: {}\nset: {schedule.warmup_steps: 0, schedule.warmup_fraction: 0.1}\n"
               "grid: {train.steps: [20, 40]}\n")
          .find("set schedule.warmup_steps"),
      std::string::npos);
}

// `scalelab sweep FILE --set k=v`: every run of every group gets it, over the base and the
// sweep's set:, with derivations computed after it; a grid key or an unknown key is a clear
// error.
TEST_F(SweepTest, SetFromTheCommandLineAppliesToEveryRun) {
  auto spec_of = [&](const std::string& body) {
    return parse_spec("base: debug.yaml\n" + body, "test.yaml", dir_.string());
  };
  const std::string body =
      "set: {train.batch_size: 8, optim.lr: 0.01}\n"
      "zip: {model.n_layer: [1, 2]}\n"
      "groups:\n"
      "  - {name: \"a-l{model.n_layer}\"}\n"
      "  - {name: \"b-l{model.n_layer}\", set: {optim.lr: 0.02}}\n";
  Spec spec = spec_of(body);
  apply_sets(spec, {"train.batch_size=4", "optim.lr=0.005", "sweep.note=small"});
  const auto runs = expand(spec);
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& r : runs) {
    EXPECT_EQ(r.config.train.batch_size, 4) << r.name;     // over the sweep's set:
    EXPECT_DOUBLE_EQ(r.config.optim.lr, 0.005) << r.name;  // over a group's set: too
  }
  EXPECT_EQ(runs[0].config.model.n_layer, 1);  // the grid still varies what it varies
  EXPECT_EQ(runs[1].config.model.n_layer, 2);
  // Without --set, the sweep's own values.
  const auto plain = expand(spec_of(body));
  EXPECT_EQ(plain[0].config.train.batch_size, 8);
  EXPECT_DOUBLE_EQ(plain[2].config.optim.lr, 0.02);

  // Derivations see the --set value: a FLOP budget buys twice the steps at half the batch.
  const std::string flops =
      "derive: {tokens_from_flops: {flops: 1e9, convention: 6n}}\n"
      "set: {train.batch_size: 8}\n";
  Spec half = spec_of(flops);
  apply_sets(half, {"train.batch_size=4"});
  const auto a = expand(spec_of(flops)), b = expand(half);
  EXPECT_NEAR(double(b[0].steps) / double(a[0].steps), 2.0, 0.1);

  // Errors name --set: the config's own unknown-key message, a key the grid varies, no '='.
  auto error_of_sets = [&](const std::vector<std::string>& sets) {
    Spec s = spec_of(body);
    try {
      apply_sets(s, sets);
      expand(s);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string e = error_of_sets({"train.batch_sise=4"});
  EXPECT_NE(e.find("--set train.batch_sise=4"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'train.batch_sise'"), std::string::npos) << e;
  e = error_of_sets({"model.n_layer=3"});
  EXPECT_NE(e.find("--set model.n_layer=3"), std::string::npos) << e;
  EXPECT_NE(e.find("varies 'model.n_layer'"), std::string::npos) << e;
  e = error_of_sets({"train.batch_size"});
  EXPECT_NE(e.find("expected key.path=value"), std::string::npos) << e;
  e = error_of_sets({"train.batch_size=-3"});  // a bad value: the config's rule, at expansion
  EXPECT_NE(e.find("train.batch_size"), std::string::npos) << e;

  // The Slurm tasks re-run the sweep with the same --set.
  SlurmOptions o{"/abs/sweep.yaml",
                 (dir_ / "runs").string(),
                 "/abs/scalelab",
                 dir_.string(),
                 "scalelab-test",
                 {},
                 {"train.batch_size=4", "sweep.note=two words"}};
  const std::string script = slurm_script(runs, o);
  EXPECT_NE(script.find("--set train.batch_size=4 --set 'sweep.note=two words' --out-root"),
            std::string::npos)
      << script;
  const fs::path path = dir_ / "set.sbatch";
  std::ofstream(path) << script;
  EXPECT_EQ(std::system(("bash -n " + path.string()).c_str()), 0) << script;
}

// A limited-data grid: U beyond the dataset's train split is refused before any run starts.
TEST_F(SweepTest, UniqueTokensBeyondTheDatasetAreRefused) {
  const auto data = dir_ / "data";
  fs::create_directories(data);
  std::ofstream(data / "manifest.json") << R"({"n_train_tokens": 1000})";
  const std::string set = "set: {data.path: " + data.string() + "}\n";
  EXPECT_NE(error_of(set + "grid: {data.unique_tokens: [500, 2000]}\n")
                .find("data.unique_tokens = 2000 is more than the train split of " + data.string() +
                      " holds (1000 tokens)"),
            std::string::npos);
  EXPECT_EQ(error_of(set + "grid: {data.unique_tokens: [500, 1000]}\n"), "");
}
