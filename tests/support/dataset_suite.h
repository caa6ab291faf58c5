// A test suite that trains on the shared dataset in a folder of its own: the folder is made when
// the suite starts (SetUpTestSuite calls open_suite) and removed when it ends; sweep files over
// configs/debug.yaml on the dataset are written there.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/datasets.h"

namespace scalelab::test_util {

class DatasetSuite : public ::testing::Test {
 protected:
  static void open_suite(const std::string& name) {
    dir_ = new fs::path(temp_dir(name));
    dataset_ = new std::string(shared_dataset());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete dataset_;
  }
  // A sweep of configs/debug.yaml runs on the dataset into dir/name, `set` adding entries to its
  // set: (", key: value..."); returns the file's path.
  static std::string sweep_file(const std::string& name, const std::string& body,
                                const std::string& set = "") {
    const fs::path path = *dir_ / (name + ".yaml");
    std::ofstream(path) << "base: " << SCALELAB_SOURCE_DIR << "/configs/debug.yaml\n"
                        << "out_root: " << (*dir_ / name).string() << "\n"
                        << "set: {data.path: " << *dataset_ << set << "}\n"
                        << body;
    return path.string();
  }
  static fs::path root(const std::string& name) { return *dir_ / name; }
  static inline fs::path* dir_ = nullptr;
  static inline std::string* dataset_ = nullptr;
};

}  // namespace scalelab::test_util
