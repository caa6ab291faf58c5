// scalelab coord-check end to end: JSON with every point and the slopes, the figure, --replot,
// and bad input as one line.
#include <gtest/gtest.h>

#include "tests/support/datasets.h"
#include "tests/support/run.h"

using namespace scalelab;
using namespace scalelab::test_util;

TEST(CoordCheckCli, WritesJsonAndFigureAndReplots) {
  const auto out = temp_dir("coord_check_cli");
  std::string log;
  const std::string cmd = std::string("coord-check ") + SCALELAB_SOURCE_DIR +
                          "/configs/debug.yaml --set data.path=" + shared_dataset() +
                          " --widths 16,32 --depths 1,2 --parameterizations standard,completep "
                          "--steps 2 --seeds 1 --out " +
                          out.string();
  ASSERT_EQ(run_cli(cmd, &log), 0) << log;
  const auto j = read_json(out / "coord_check.json");
  // 2 parameterizations x (2 widths + 2 depths) x 3 records x (embeddings, blocks, logits, last).
  size_t expected = 0;
  for (int layers : {2, 2, 1, 2}) expected += 2 * 3 * (layers + 3);
  EXPECT_EQ(j["points"].size(), expected);
  for (const char* p : {"standard", "completep"}) {
    EXPECT_TRUE(j["slopes"][p].contains("logits_vs_width")) << p;
    EXPECT_TRUE(j["slopes"][p].contains("last_block_vs_depth")) << p;
  }
  EXPECT_NE(log.find("completep"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(out / "coord_check.png"));
  fs::remove(out / "coord_check.png");
  ASSERT_EQ(run_cli("coord-check --replot --out " + out.string(), &log), 0) << log;
  EXPECT_TRUE(fs::exists(out / "coord_check.png"));
  fs::remove_all(out);
}

TEST(CoordCheckCli, BadInputIsOneLine) {
  std::string log;
  const std::string config = std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml";
  EXPECT_NE(run_cli("coord-check " + config + " --set data.path=" + shared_dataset() +
                        " --parameterizations mupp --out /tmp/unused",
                    &log),
            0);
  EXPECT_NE(log.find("--parameterizations: mupp: expected one of standard | mup | completep"),
            std::string::npos)
      << log;
  EXPECT_NE(run_cli("coord-check " + config + " --out /tmp/unused", &log), 0);
  EXPECT_NE(log.find("data.path: not set"), std::string::npos) << log;
}
