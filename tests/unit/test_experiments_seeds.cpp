// Seeds as a design axis (issue 25 item 2): `seeds: K` in a sweep file, top
// level or per group: the names, train.seed, the point / seed / trunk tags, one trunk per (shape,
// seed) with branching, and today's runs unchanged without it.
#include <gtest/gtest.h>

#include <map>

#include "configs/config.h"
#include "experiments/seeds.h"
#include "experiments/sweep.h"
#include "tests/support/sweep_files.h"

using namespace scalelab;
using namespace scalelab::sweep;
using scalelab::test_util::SweepTest;

namespace {

std::map<std::string, std::string> tags_of(const Run& r) {
  return {r.tags.begin(), r.tags.end()};
}

const Run& named(const std::vector<Run>& runs, const std::string& name) {
  for (const auto& r : runs)
    if (r.name == name) return r;
  throw std::runtime_error("no run " + name);
}

}  // namespace

TEST_F(SweepTest, SeedsMakeKRunsPerPointNamedTaggedAndSeeded) {
  auto runs = expand_text("seeds: 3\nname: \"d{model.n_embd}\"\ngrid: {model.n_embd: [16, 32]}\n");
  ASSERT_EQ(runs.size(), 6u);
  const std::vector<std::string> want = {"d16-s0", "d16-s1", "d16-s2",
                                         "d32-s0", "d32-s1", "d32-s2"};
  for (size_t i = 0; i < want.size(); ++i) {
    const sweep::Run& r = runs[i];
    EXPECT_EQ(r.name, want[i]);
    const int seed = int(i % 3);
    EXPECT_EQ(r.config.train.seed, 1337u + uint64_t(seed)) << r.name;  // debug.yaml's seed + i
    const auto t = tags_of(r);
    EXPECT_EQ(t.at("point"), r.name.substr(0, 3));
    EXPECT_EQ(t.at("seed"), std::to_string(seed));
    EXPECT_EQ(t.at("trunk"), r.name);  // not a branch: its own trunk
  }
  // Seed 0 is the point's own config, bit for bit: only train.seed tells the seeds apart.
  auto plain = expand_text("name: \"d{model.n_embd}\"\ngrid: {model.n_embd: [16, 32]}\n");
  EXPECT_EQ(to_yaml(runs[0].config), to_yaml(plain[0].config));
  Config c = runs[1].config;
  c.train.seed = runs[0].config.train.seed;
  EXPECT_EQ(to_yaml(c), to_yaml(runs[0].config));
}

TEST_F(SweepTest, WithoutSeedsTheRunsAreTodays) {
  const std::string body = "name: \"d{model.n_embd}\"\ngrid: {model.n_embd: [16, 32]}\n";
  auto runs = expand_text(body);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "d16");
  EXPECT_EQ(runs[1].name, "d32");
  for (const auto& r : runs) {
    EXPECT_TRUE(r.tags.empty()) << r.name;  // no point, seed or trunk tag
    EXPECT_EQ(r.config.train.seed, 1337u);
  }
  // The same with branching: names, parents and tags as before seeds existed.
  auto branched = expand_text(
      "branching: {cooldown: 0.25}\nname: \"s{train.steps}\"\ngrid: {train.steps: [20, 40]}\n");
  ASSERT_EQ(branched.size(), 3u);
  EXPECT_EQ(branched[0].name, "s40-trunk");
  EXPECT_EQ(tags_of(branched[0]), (std::map<std::string, std::string>{{"branching", "trunk"}}));
  EXPECT_EQ(tags_of(branched[1]), (std::map<std::string, std::string>{{"branching", "branch"}}));
}

TEST_F(SweepTest, SeedsPerGroupOverrideTheTopLevel) {
  auto runs = expand_text(
      "seeds: 2\nname: \"d{model.n_embd}\"\n"
      "groups:\n"
      "  - {grid: {model.n_embd: [16]}}\n"
      "  - {grid: {model.n_embd: [32]}, seeds: 3}\n");
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[1].name, "d16-s1");
  EXPECT_EQ(runs[4].name, "d32-s2");
  EXPECT_EQ(runs[4].config.train.seed, 1339u);
}

TEST_F(SweepTest, BranchingGetsOneTrunkPerShapeAndSeed) {
  auto runs = expand_text(
      "branching: {cooldown: 0.25}\nseeds: 2\n"
      "name: \"s{train.steps}-d{model.n_embd}\"\n"
      "grid: {train.steps: [20, 40], model.n_embd: [16, 32]}\n");
  ASSERT_EQ(runs.size(), 12u);  // 2 shapes x 2 seeds = 4 trunks, 8 branches
  int n_trunks = 0;
  for (const auto& r : runs) {
    const auto t = tags_of(r);
    if (r.trunk()) {
      ++n_trunks;
      EXPECT_EQ(t.at("trunk"), r.name);
      EXPECT_EQ(t.at("point"),
                r.name.substr(0, r.name.size() - std::string("-s0-trunk").size()) + "-trunk")
          << r.name;
      continue;
    }
    EXPECT_EQ(t.at("trunk"), r.parent) << r.name;
    const sweep::Run& trunk = named(runs, r.parent);
    EXPECT_EQ(trunk.config.train.seed, r.config.train.seed) << r.name;
    EXPECT_EQ(trunk.config.model.n_embd, r.config.model.n_embd) << r.name;
    EXPECT_EQ(seed_index(trunk), seed_index(r));
  }
  EXPECT_EQ(n_trunks, 4);
  EXPECT_EQ(named(runs, "s20-d32-s1").parent, "s40-d32-s1-trunk");
}

TEST_F(SweepTest, SeedsBadInputIsOneClearLine) {
  EXPECT_NE(error_of("seeds: 0\ngrid: {model.n_embd: [16]}\n")
                .find("test.yaml:2: seeds: 0: expected a whole number of seeds per grid point, "
                      "at least 1"),
            std::string::npos)
      << error_of("seeds: 0\ngrid: {model.n_embd: [16]}\n");
  EXPECT_NE(error_of("seeds: 2.5\ngrid: {model.n_embd: [16]}\n").find("seeds: 2.5"),
            std::string::npos);
  EXPECT_NE(error_of("seeds: [1, 2]\ngrid: {model.n_embd: [16]}\n").find("seeds"),
            std::string::npos);
  EXPECT_NE(error_of("seeds: 2\ntags: {seed: \"{train.seed}\"}\ngrid: {model.n_embd: [16]}\n")
                .find("tags.seed is written by seeds:"),
            std::string::npos);
}

TEST_F(SweepTest, ASeededFineTuneStartsFromItsOwnSeed) {
  auto runs = expand_text(
      "seeds: 2\n"
      "groups:\n"
      "  - {name: pre, grid: {model.n_embd: [16]}}\n"
      "  - {name: ft, grid: {model.n_embd: [16]}, init_from: pre}\n");
  EXPECT_EQ(named(runs, "ft-s0").parent, "pre-s0");
  EXPECT_EQ(named(runs, "ft-s1").parent, "pre-s1");
}
