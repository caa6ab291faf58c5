// The fixture of the tests that train configs/debug.yaml through the binary: a scratch folder for
// the suite and the shared dataset (support/datasets.h).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/datasets.h"

namespace scalelab::test_util {

class TrainE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = temp_dir("train_e2e"), dataset_ = shared_dataset(); }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  // configs/debug.yaml on the dataset, then `extra` (more flags).
  static std::string debug(const std::string& extra) {
    return std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml --set data.path=" + dataset_ +
           " " + extra;
  }
  static inline fs::path dir_;
  static inline std::string dataset_;
};

}  // namespace scalelab::test_util
