// Datasets and run outputs for the tests that train: a small deterministic byte-level dataset
// (one per test, or the shared one built once per build tree), losses and JSON read back.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "configs/config.h"
#include "data/prepare.h"
#include "tests/support/run.h"

namespace scalelab::test_util {

namespace fs = std::filesystem;

inline fs::path temp_dir(const std::string& name) {
  fs::path p =
      fs::temp_directory_path() / ("scalelab_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Deterministic pseudo-English: words drawn from a small vocabulary with a fixed LCG, so the
// dataset (and the checked-in loss trace) never depends on the platform's <random>.
inline std::string synthetic_text(int n_docs, int words_per_doc, uint32_t seed) {
  static const char* words[] = {"the",   "and",  "of",  "to",  "in",   "that", "he",
                                "shall", "unto", "for", "his", "a",    "they", "be",
                                "is",    "with", "not", "all", "thou", "lord"};
  std::string text;
  uint32_t state = seed;
  for (int d = 0; d < n_docs; ++d) {
    for (int w = 0; w < words_per_doc; ++w) {
      state = state * 1664525u + 1013904223u;
      text += words[(state >> 16) % 20];
      text += (w % 12 == 11) ? ".\n" : " ";
    }
    text += "\f";  // document separator for the writer below
  }
  return text;
}

// A byte-level dataset of n_docs synthetic documents under dir/"dataset".
inline std::string make_dataset(const fs::path& dir, int n_docs = 64, int words_per_doc = 300) {
  fs::path docs = dir / "docs";
  fs::create_directories(docs);
  std::string text = synthetic_text(n_docs, words_per_doc, 7);
  size_t start = 0;
  for (int d = 0; d < n_docs; ++d) {
    size_t end = text.find('\f', start);
    char name[32];
    std::snprintf(name, sizeof name, "doc%03d.txt", d);
    std::ofstream(docs / name) << text.substr(start, end - start);
    start = end + 1;
  }
  data::PrepareOptions o;
  o.inputs = {docs.string()};
  o.out_dir = (dir / "dataset").string();
  o.tokenizer = "byte";
  o.val_fraction = 0.1;
  o.seed = 1;
  o.n_threads = 1;
  data::prepare(o);
  return o.out_dir;
}

// make_dataset's default dataset, built once per build tree (build/test_data/) and shared by the
// tests that only read it: ctest builds it first (the Datasets.Synthetic fixture); a test binary
// run on its own builds it when missing. Built beside its place and renamed into it, so tests
// starting together never see half of one.
inline std::string shared_dataset() {
  const fs::path dir = fs::path(SCALELAB_BINARY_DIR) / "test_data" / "synthetic_v1";
  const fs::path dataset = dir / "dataset";
  if (fs::exists(dataset / "manifest.json")) return dataset.string();
  const fs::path staging = dir.string() + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(staging);
  fs::create_directories(staging);
  make_dataset(staging);
  std::error_code ec;
  fs::rename(staging, dir, ec);  // fails only when another test's copy got there first
  fs::remove_all(staging, ec);
  return dataset.string();
}

inline std::vector<double> losses_of(const fs::path& run_dir, const std::string& key = "loss") {
  std::vector<double> out;
  std::ifstream in(run_dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains(key)) out.push_back(j[key].get<double>());
  }
  return out;
}

inline nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace scalelab::test_util
