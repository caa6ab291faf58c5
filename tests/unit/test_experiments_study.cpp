// A study file without training (issue 25 items 1 and 3): the study: block read and its bad input,
// the ladder (the shape rule), the bracketing decision on synthetic budget standings (the right
// size on the right side, stopping at the cap), added sizes as runs, study_state.json, and the
// checks a study makes before anything trains.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "experiments/bracketing.h"
#include "experiments/ladder.h"
#include "experiments/study_run.h"
#include "experiments/study_spec.h"
#include "experiments/study_state.h"
#include "tests/support/sweep_files.h"

using namespace scalelab;
using namespace scalelab::sweep;
using scalelab::test_util::SweepTest;
namespace fs = std::filesystem;

namespace {

// Two budgets of three sizes each, two seeds, on a ladder of seven widths (debug.yaml's model).
const char* kDesign =
    "seeds: 2\n"
    "branching: {cooldown: 0.25}\n"
    "name: \"c{sweep.flops}-d{model.n_embd}\"\n"
    "derive: {tokens_from_flops: {flops: sweep.flops, convention: chinchilla}}\n"
    "tags: {budget: \"{sweep.flops}\"}\n"
    "groups:\n"
    "  - set: {sweep.flops: 1e9}\n"
    "    zip: {model.n_embd: [8, 16, 24]}\n"
    "  - set: {sweep.flops: 3e9}\n"
    "    zip: {model.n_embd: [16, 24, 32]}\n";

const char* kStudy =
    "study:\n"
    "  claim: a test of the runner\n"
    "  laws: [approach2, chinchilla]\n"
    "  headline: {law: approach2, why: the test's}\n"
    "  bootstrap: {resamples: 50, max_failed_share: 0.2}\n"
    "  bracketing:\n"
    "    max_added: 2\n"
    "    ladder:\n"
    "      shapes: [{n_embd: 4}, {n_embd: 8}, {n_embd: 16}, {n_embd: 24}, {n_embd: 32},\n"
    "               {n_embd: 40}, {n_embd: 48}]\n";

class StudyTest : public SweepTest {
 protected:
  StudySpec parse(const std::string& study, const std::string& design = kDesign) {
    return parse_study("base: debug.yaml\n" + design + study, "study.yaml", dir_.string());
  }
  std::string error_of_study(const std::string& study, const std::string& design = kDesign) {
    try {
      parse(study, design);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  // A file on disk, loaded as `scalelab study` loads it (its out_root under the test folder).
  StudyDesign load(const std::string& study, const std::string& design = kDesign) {
    const fs::path file = dir_ / "study.yaml";
    std::ofstream(file) << "base: debug.yaml\nout_root: " << (dir_ / "out").string() << "\n"
                        << design << study;
    return load_study_design(file.string(), {}, "");
  }
  std::string error_of_load(const std::string& study, const std::string& design = kDesign) {
    try {
      load(study, design);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
};

// A budget's standing as the analysis's budget_minima would give it: sizes (rungs' N) ascending,
// the minimum at i_min.
BudgetStanding standing(double budget, const std::vector<double>& sizes, size_t i_min) {
  BudgetStanding s;
  s.budget = budget;
  s.sizes = sizes;
  s.means.assign(sizes.size(), 2.0);
  s.means[i_min] = 1.5;
  s.seeds.assign(sizes.size(), 2);
  s.i_min = i_min;
  s.below = int(i_min);
  s.above = int(sizes.size() - 1 - i_min);
  return s;
}

std::string shape_width(const AddedSize& a) {
  for (const auto& [k, v] : a.shape)
    if (k == "model.n_embd") return v;
  return "";
}

}  // namespace

TEST_F(StudyTest, TheStudyBlockIsRead) {
  const StudySpec s = parse(kStudy);
  EXPECT_EQ(s.claim, "a test of the runner");
  ASSERT_EQ(s.laws.size(), 2u);
  EXPECT_EQ(s.laws[1].name, "chinchilla");
  EXPECT_EQ(s.laws[1].where, "study.yaml:14");
  EXPECT_EQ(s.headline.name, "approach2");
  EXPECT_EQ(s.bootstrap, 50);
  EXPECT_DOUBLE_EQ(s.max_failed_share, 0.2);
  EXPECT_TRUE(s.bracketing.enabled);
  EXPECT_EQ(s.bracketing.each_side, 2);
  EXPECT_EQ(s.bracketing.max_added, 2);
  ASSERT_EQ(s.bracketing.ladder.shapes.size(), 7u);
  EXPECT_EQ(s.bracketing.ladder.shapes[0], (Assignments{{"model.n_embd", "4"}}));
  // The noise model's default is NOISE.md's; no prior, no power analysis.
  EXPECT_DOUBLE_EQ(s.power.sd_coef, 0.108);
  EXPECT_DOUBLE_EQ(s.power.sd_exponent, -0.26);
  EXPECT_DOUBLE_EQ(s.power.trunk_correlation, 0.77);
  EXPECT_TRUE(s.power.prior.empty());
  ASSERT_EQ(s.sweep.groups.size(), 2u);
  EXPECT_EQ(s.sweep.groups[0].seeds, 2);
}

TEST_F(StudyTest, BadStudyInputIsOneLineNamingTheKey) {
  auto expect = [&](const std::string& study, const std::string& want,
                    const std::string& design = kDesign) {
    const std::string e = error_of_study(study, design);
    EXPECT_NE(e.find(want), std::string::npos) << "got: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  };
  std::string cap0 = kStudy;
  cap0.replace(cap0.find("max_added: 2"), 12, "max_added: 0");
  expect(cap0,
         "study.yaml:18: study.bracketing.max_added: 0: expected a whole number of sizes, "
         "at least 1");
  std::string no_cap = kStudy;
  no_cap.erase(no_cap.find("    max_added: 2\n"), 17);
  expect(no_cap, "study.bracketing.max_added: missing");
  std::string bad_headline = kStudy;
  bad_headline.replace(bad_headline.find("law: approach2"), 14, "law: kaplan");
  expect(bad_headline, "study.headline.law: 'kaplan' is not one of study.laws");
  std::string unknown_key = kStudy;
  unknown_key.replace(unknown_key.find("  laws:"), 7, "  lawz:");
  expect(unknown_key, "unknown study key 'lawz'");
  std::string seeds0 = kDesign;
  seeds0.replace(0, 8, "seeds: 0");
  expect(kStudy, "seeds: 0: expected a whole number of seeds per grid point", seeds0);
  std::string no_seeds = kDesign;
  no_seeds.erase(0, 9);
  expect(kStudy, "a study states its seeds: add seeds: K", no_seeds);
  expect("study: {claim: x}\n", "study.laws: expected a list");
  std::string shrinking = kStudy;
  shrinking.replace(shrinking.find("{n_embd: 4}, {n_embd: 8}"), 24, "{n_embd: 8}, {n_embd: 4}");
  // A ladder whose sizes do not increase is refused when it is built (load, below).
  const std::string e = error_of_load(shrinking);
  EXPECT_NE(e.find("not above the rung before"), std::string::npos) << e;
  // A sweep file run as a sweep is told where a study block goes.
  EXPECT_NE(error_of(std::string(kDesign) + kStudy).find("run it with `scalelab study"),
            std::string::npos);
}

TEST_F(StudyTest, TheLadderGivesTheNextSizeOnEachSide) {
  const StudyDesign d = load(kStudy);
  const Ladder& l = *d.ladder;
  ASSERT_EQ(l.rungs().size(), 7u);
  for (size_t i = 1; i < l.rungs().size(); ++i)
    EXPECT_GT(l.rungs()[i].params, l.rungs()[i - 1].params);
  const double n8 = l.rungs()[1].params, n16 = l.rungs()[2].params, n48 = l.rungs()[6].params;
  EXPECT_EQ(l.next(n16, Side::below), &l.rungs()[1]);
  EXPECT_EQ(l.next(n16, Side::above), &l.rungs()[3]);
  EXPECT_EQ(l.next((n8 + n16) / 2, Side::above), &l.rungs()[2]);  // a size between two rungs
  EXPECT_EQ(l.next(l.rungs()[0].params, Side::below), nullptr);
  EXPECT_EQ(l.next(n48, Side::above), nullptr);
  EXPECT_EQ(d.budgets, (std::vector<double>{1e9, 3e9}));
  EXPECT_EQ(d.flop_convention, "chinchilla");
}

TEST_F(StudyTest, AGeometricLadderTakesItsShapesFromShapeFromParams) {
  std::string study = kStudy;
  const size_t at = study.find("    ladder:");
  study = study.substr(0, at) +
          "    ladder:\n"
          "      sizes: {from: 2000, ratio: 2, to: 64000}\n"
          "      shape: {n_layer: 2, head_dim: 4, tolerance: 0.5}\n";
  const StudyDesign d = load(study);
  const auto& rungs = d.ladder->rungs();
  ASSERT_GE(rungs.size(), 4u);
  for (const auto& r : rungs) {
    EXPECT_EQ(r.shape.front(), (std::pair<std::string, std::string>{"model.n_layer", "2"}));
    EXPECT_GT(r.params, 0);
  }
}

TEST_F(StudyTest, BracketingAddsTheNextSizesOnTheShortSide) {
  const StudyDesign d = load(kStudy);
  const auto& r = d.ladder->rungs();  // widths 4, 8, 16, 24, 32, 40, 48
  // 1e9: sizes 8, 16, 24, minimum at the largest: two sizes above it wanted, 32 and 40.
  // 3e9: minimum in the middle of 16, 24, 32 with 1 each side: one more each side, 8 and 40.
  const auto w = decide_wave({standing(1e9, {r[1].params, r[2].params, r[3].params}, 2),
                              standing(3e9, {r[2].params, r[3].params, r[4].params}, 1)},
                             &*d.ladder, d.spec.bracketing, {}, 1);
  ASSERT_EQ(w.added.size(), 4u);
  EXPECT_EQ(w.added[0].budget, 1e9);
  EXPECT_EQ(w.added[0].side, Side::above);
  EXPECT_EQ(shape_width(w.added[0]), "32");
  EXPECT_EQ(shape_width(w.added[1]), "40");
  EXPECT_EQ(w.added[1].side, Side::above);
  EXPECT_EQ(w.added[2].budget, 3e9);
  EXPECT_EQ(w.added[2].side, Side::below);
  EXPECT_EQ(shape_width(w.added[2]), "8");
  EXPECT_EQ(w.added[3].side, Side::above);
  EXPECT_EQ(shape_width(w.added[3]), "40");
  EXPECT_NE(w.added[0].reason.find("budget 1e+09: the lowest seed mean (1.5 at N"),
            std::string::npos)
      << w.added[0].reason;
  EXPECT_NE(w.added[0].reason.find("has 2 size(s) below and 0 above (2 wanted each side)"),
            std::string::npos)
      << w.added[0].reason;
  EXPECT_NE(w.added[0].reason.find("wave 1 adds N"), std::string::npos);
  ASSERT_EQ(w.budgets.size(), 2u);
  EXPECT_FALSE(w.budgets[0].bracketed);
  EXPECT_EQ(w.budgets[0].added, 2);
  // Minimum at the smallest size: the sizes below it.
  const auto low = decide_wave({standing(1e9, {r[2].params, r[3].params, r[4].params}, 0)},
                               &*d.ladder, d.spec.bracketing, {}, 1);
  ASSERT_EQ(low.added.size(), 2u);
  EXPECT_EQ(low.added[0].side, Side::below);
  EXPECT_EQ(shape_width(low.added[0]), "8");
  EXPECT_EQ(shape_width(low.added[1]), "4");
  // Two sizes each side: bracketed, nothing added.
  const auto done = decide_wave(
      {standing(1e9, {r[1].params, r[2].params, r[3].params, r[4].params, r[5].params}, 2)},
      &*d.ladder, d.spec.bracketing, {}, 1);
  EXPECT_TRUE(done.added.empty());
  ASSERT_EQ(done.budgets.size(), 1u);
  EXPECT_TRUE(done.budgets[0].bracketed);
  EXPECT_EQ(done.budgets[0].reason, "");
}

TEST_F(StudyTest, BracketingStopsAtItsCap) {
  const StudyDesign d = load(kStudy);  // max_added: 2
  const auto& r = d.ladder->rungs();
  AddedSize earlier;
  earlier.budget = 1e9;
  earlier.wave = 1;
  // One size added before: room for one more, though two are missing above.
  const auto w = decide_wave({standing(1e9, {r[1].params, r[2].params, r[3].params}, 2)},
                             &*d.ladder, d.spec.bracketing, {earlier}, 2);
  ASSERT_EQ(w.added.size(), 1u);
  EXPECT_EQ(shape_width(w.added[0]), "32");
  EXPECT_EQ(w.added[0].wave, 2);
  // At the cap: nothing added, the budget named unbracketed with why.
  const auto at_cap =
      decide_wave({standing(1e9, {r[1].params, r[2].params, r[3].params, r[4].params}, 3)},
                  &*d.ladder, d.spec.bracketing, {earlier, earlier}, 3);
  EXPECT_TRUE(at_cap.added.empty());
  ASSERT_EQ(at_cap.budgets.size(), 1u);
  EXPECT_FALSE(at_cap.budgets[0].bracketed);
  EXPECT_NE(at_cap.budgets[0].reason.find("the cap of 2 added size(s) is reached"),
            std::string::npos)
      << at_cap.budgets[0].reason;
  // A short cap shared between two short sides: one below first, then one above.
  BracketingSpec one = d.spec.bracketing;
  one.max_added = 1;
  const auto shared = decide_wave({standing(3e9, {r[2].params, r[3].params, r[4].params}, 1)},
                                  &*d.ladder, one, {}, 1);
  ASSERT_EQ(shared.added.size(), 1u);
  EXPECT_EQ(shared.added[0].side, Side::below);
}

TEST_F(StudyTest, ALadderThatEndsIsAClearError) {
  const StudyDesign d = load(kStudy);
  const auto& r = d.ladder->rungs();
  try {
    decide_wave({standing(3e9, {r[4].params, r[5].params, r[6].params}, 2)}, &*d.ladder,
                d.spec.bracketing, {}, 1);
    FAIL() << "no error";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("budget 3e+09"), std::string::npos) << what;
    EXPECT_NE(what.find("the ladder has no size above N"), std::string::npos) << what;
    EXPECT_NE(what.find("the shape rule cannot produce the next size"), std::string::npos);
  }
  // Checked before anything trains: a ladder without a rung below a budget's smallest size.
  std::string short_ladder = kStudy;
  short_ladder.replace(short_ladder.find("{n_embd: 4}, "), 13, "");
  short_ladder.replace(short_ladder.find("{n_embd: 8}, "), 13, "");
  const std::string e = error_of_load(short_ladder);
  EXPECT_NE(e.find("the shape rule cannot produce the next size below budget 1e+09's smallest "
                   "size"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("nothing was trained"), std::string::npos) << e;
}

TEST_F(StudyTest, AddedSizesBecomeRunsOfTheirBudgetWithTheirOwnTrunks) {
  StudyDesign d = load(kStudy);
  const size_t n_base = d.runs.size();
  ASSERT_EQ(n_base, d.base_runs.size());
  const auto& r = d.ladder->rungs();
  const auto added = decide_next_wave(
      d, {standing(1e9, {r[1].params, r[2].params, r[3].params}, 2),
          standing(3e9, {r[1].params, r[2].params, r[3].params, r[4].params, r[5].params}, 2)});
  ASSERT_EQ(added.size(), 2u);  // 1e9: widths 32 and 40 above; 3e9 is bracketed
  EXPECT_EQ(d.state.wave, 1);
  EXPECT_EQ(added[0].runs, (std::vector<std::string>{"c1e9-d32-s0", "c1e9-d32-s1"}));
  // 2 sizes x 2 seeds, each (shape, seed) its own family: 4 ordinary WSD runs, no new trunk.
  EXPECT_EQ(d.runs.size(), n_base + 4);
  for (const auto& run : d.runs) {
    if (run.name != "c1e9-d32-s1") continue;
    EXPECT_EQ(run.config.model.n_embd, 32);
    EXPECT_EQ(run.budget, 1e9);
    EXPECT_EQ(run.config.train.seed, 1338u);
    EXPECT_EQ(run.family, "wave1");
    EXPECT_TRUE(run.parent.empty());  // not a branch of the finished 1e9/3e9 trunks of d32
  }
  // study_state.json holds the wave and the added sizes with their reasons and runs; a reload
  // reads them back into the same design.
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(d.state_path));
  EXPECT_EQ(j["wave"], 1);
  ASSERT_EQ(j["added"].size(), 2u);
  EXPECT_EQ(j["added"][0]["side"], "above");
  EXPECT_EQ(j["added"][0]["shape"]["model.n_embd"], "32");
  EXPECT_NE(j["added"][0]["reason"].get<std::string>().find("wave 1 adds N"), std::string::npos);
  EXPECT_EQ(j["budgets"][1]["bracketed"], true);
  const StudyDesign again = load(kStudy);
  EXPECT_EQ(again.runs.size(), d.runs.size());
  EXPECT_EQ(again.state.added.size(), 2u);
  // Bracketed everywhere: the next decision adds nothing and closes bracketing.
  const auto none = decide_next_wave(
      d, {standing(1e9, {r[1].params, r[2].params, r[3].params, r[4].params, r[5].params}, 2),
          standing(3e9, {r[1].params, r[2].params, r[3].params, r[4].params, r[5].params}, 2)});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(d.state.phase, "bracketed");
}

TEST_F(StudyTest, AStudyNeedsIsoFlopBudgetsAndOneFlopConvention) {
  const std::string no_budget =
      "seeds: 2\nname: \"d{model.n_embd}\"\ngrid: {model.n_embd: [8, 16, 24]}\n";
  EXPECT_NE(error_of_load(kStudy, no_budget).find("a study brackets IsoFLOP budgets"),
            std::string::npos);
  std::string two_conventions = kDesign;
  two_conventions +=
      "  - set: {sweep.flops: 2e9}\n"
      "    zip: {model.n_embd: [16]}\n"
      "    derive: {tokens_from_flops: {flops: sweep.flops, convention: 6n}}\n";
  EXPECT_NE(error_of_load(kStudy, two_conventions).find("count FLOPs differently"),
            std::string::npos);
}
