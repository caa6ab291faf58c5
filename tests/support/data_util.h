// Helpers shared by the data tests: scratch folders, small files, error-message assertions, a
// small corpus of text files and the tokens of a split.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/prepare.h"
#include "data/shard.h"

namespace scalelab::data::testing {

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "scalelab_data_XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs fn, expects a std::runtime_error whose message contains every one of `parts`.
inline void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    for (const auto& part : parts)
      EXPECT_NE(what.find(part), std::string::npos) << "message: " << what << "\nmissing: " << part;
    return;
  }
  ADD_FAILURE() << "expected an error mentioning " << (parts.empty() ? "" : parts[0]);
}

// Deterministic varied text: words, punctuation, some non-ASCII, indentation like code.
inline std::string sample_text(int n_lines, uint64_t seed) {
  static const char* words[] = {"the",  "light", "and",   "darkness", "def",    "return",
                                "self", "café",  "naïve", "über",     "日本語", "значение",
                                "for",  "in",    "range", "(x)",      "==",     "0",
                                "42",   "λ",     "print", "—",        "said",   "unto"};
  std::string text;
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (int line = 0; line < n_lines; ++line) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    text += std::string((x >> 60) % 3 * 4, ' ');
    const int n_words = 3 + (x >> 33) % 9;
    for (int w = 0; w < n_words; ++w) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      text += words[(x >> 40) % (sizeof words / sizeof *words)];
      text += w + 1 < n_words ? " " : "\n";
    }
  }
  return text;
}

// A folder of n_docs text files, listed in document order (and files that must be left out).
inline std::vector<std::string> make_corpus(const std::string& dir, int n_docs) {
  std::vector<std::string> docs;
  for (int i = 0; i < n_docs; ++i) {
    docs.push_back(sample_text(5 + i % 17, i));
    char name[32];
    std::snprintf(name, sizeof name, "sub%d/doc%03d.txt", i / 20, i);
    write_file(dir + "/" + name, docs.back());
  }
  write_file(dir + "/sub0/skip.bin", "not text");
  write_file(dir + "/.hidden/doc.txt", "hidden");
  return docs;
}

// Every token of a split, in stream order.
inline std::vector<uint32_t> split_tokens(const std::string& dir,
                                          const std::vector<ShardEntry>& shards) {
  std::vector<uint32_t> all;
  for (const auto& s : shards) {
    auto t = Shard(dir + "/" + s.file, raw_token_bytes(s.layout)).read_all();
    all.insert(all.end(), t.begin(), t.end());
  }
  return all;
}

// prepare's options for the tests' small corpora: *.txt files, 20% validation, seed 3, vocab 400.
inline PrepareOptions prepare_options(const std::string& in, const std::string& out,
                                      const std::string& tokenizer) {
  PrepareOptions o;
  o.inputs = {in};
  o.include = {"*.txt"};
  o.out_dir = out;
  o.tokenizer = tokenizer;
  o.val_fraction = 0.2;
  o.seed = 3;
  o.vocab_size = 400;
  return o;
}

}  // namespace scalelab::data::testing
