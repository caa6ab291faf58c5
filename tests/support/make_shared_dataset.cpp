// The Datasets.Synthetic fixture: builds support/datasets.h's shared dataset before the tests
// that read it (ctest's FIXTURES_SETUP), so that it is built once for all of them.
#include <cstdio>
#include <exception>

#include "tests/support/datasets.h"

int main() {
  try {
    std::printf("%s\n", scalelab::test_util::shared_dataset().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shared dataset: %s\n", e.what());
    return 1;
  }
  return 0;
}
