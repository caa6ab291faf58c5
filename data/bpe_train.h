// Training a byte-fallback BPE tokenizer with SentencePiece on a bounded sample of the input.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::data {

// Keeps a uniform random sample of at most max_lines lines out of everything add() sees
// (reservoir sampling), so memory stays bounded whatever the input size. Deterministic per seed.
class LineSampler {
 public:
  LineSampler(int64_t max_lines, uint64_t seed);
  void add_text(std::string_view text);  // splits at '\n', skips empty lines
  const std::vector<std::string>& lines() const { return lines_; }
  int64_t n_seen() const { return n_seen_; }

 private:
  void add_line(std::string_view line);
  int64_t max_lines_;
  int64_t n_seen_ = 0;
  std::mt19937_64 rng_;
  std::vector<std::string> lines_;
};

struct BpeTrainOptions {
  int64_t vocab_size = 4096;
  uint64_t seed = 0;
  int n_threads = 1;
};

// SentencePiece's longest training sentence; longer sample lines are cut to it.
constexpr size_t kMaxTrainLineBytes = 4192;

// Trains SentencePiece BPE on `lines` and writes the model to model_path. The settings make
// decode(encode(text)) == text for any UTF-8: identity normalization, no dummy prefix, spaces
// kept, byte fallback for characters outside the vocabulary. eos (id 1) is the end-of-document
// token, unk is 0, no bos or pad.
void train_bpe(const std::vector<std::string>& lines, const BpeTrainOptions& options,
               const std::string& model_path);

}  // namespace scalelab::data
