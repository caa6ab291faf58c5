// Helpers shared by the data tests: scratch folders, small files, error-message assertions.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

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

}  // namespace scalelab::data::testing
