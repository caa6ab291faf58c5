// Sweep files for the tests that expand them without training: a fresh folder holding a copy of
// configs/debug.yaml, and the runs (or the error) of a sweep file body over it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::test_util {

class SweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("scalelab_test_sweep_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::copy_file(std::filesystem::path(SCALELAB_SOURCE_DIR) / "configs/debug.yaml",
                               dir_ / "debug.yaml");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::vector<sweep::Run> expand_text(const std::string& body) {
    return sweep::expand(
        sweep::parse_spec("base: debug.yaml\n" + body, "test.yaml", dir_.string()));
  }
  // The message of the error that expanding `body` throws ("" if none).
  std::string error_of(const std::string& body) {
    try {
      expand_text(body);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_;
};

}  // namespace scalelab::test_util
