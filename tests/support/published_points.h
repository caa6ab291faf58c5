// Published data the analysis tests reproduce (tests/data/README.md names each source).
#pragma once

#include <algorithm>
#include <vector>

#include "analysis/inputs/points.h"

namespace scalelab::test_util {

// Chinchilla's Figure 4 runs as Epoch extracted them, less the 5 highest-loss runs that
// Besiroglu et al. 2024 drop before fitting: the 240 points of their refit.
inline std::vector<Point> epoch_points() {
  CsvColumns cols;
  cols.n = "Model Size";
  cols.c = "Training FLOP";
  cols.d = "tokens (absent: D = C / 6N)";
  cols.loss = "loss";
  auto pts = read_csv_points(SCALELAB_SOURCE_DIR "/tests/data/chinchilla_fig4_epoch.csv", cols);
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.loss > b.loss; });
  pts.erase(pts.begin(), pts.begin() + 5);
  return pts;
}

}  // namespace scalelab::test_util
