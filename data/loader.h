// The loaders the trainer uses. Each row is block_size + 1 token ids: inputs = row[0..T),
// targets = row[1..T]. Rows are pure functions of (seed, step, row index), so every rank of any
// world size, and any run resumed at any step, sees exactly the rows one process would see.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data/manifest.h"
#include "data/token_stream.h"

namespace scalelab::data {

class TrainLoader {
 public:
  // rows_per_step = 0: each row is an independent uniformly random window (nanoGPT's sampling,
  //   with replacement). rows_per_step = B > 0 (the global batch size): rows are drawn without
  //   replacement, epoch by epoch: global row step * B + row walks a seeded permutation of the
  //   (n_tokens - 1) / block_size non-overlapping windows, so every token is trained on once per
  //   epoch and no two rows of an epoch overlap.
  // Opening checks every train shard: header and ids, and its sha256 against manifest.json
  // (cached in .verified.json, so only a first open pays; see checksums()).
  // unique_tokens > 0 (data.unique_tokens): only the first unique_tokens tokens of the train split
  //   are used, repeated epoch after epoch in a fresh order each epoch (limited-data runs); more
  //   than the split holds is an error naming both numbers.
  TrainLoader(const std::string& dataset_dir, int64_t block_size, uint64_t seed,
              int64_t rows_per_step = 0, int64_t unique_tokens = 0);

  // Rows [row_begin, row_end) of step's global batch into out, (row_end - row_begin) * (block_size
  // + 1) int64 values.
  void fill(int64_t step, int64_t row_begin, int64_t row_end, int64_t* out) const;
  // First token of a row within the train split's token stream (what fill copies from).
  int64_t window_start(int64_t step, int64_t row) const;

  // Tokens this loader draws from: the train split, or its first unique_tokens.
  int64_t n_tokens() const { return n_tokens_; }
  int64_t vocab_size() const { return manifest_.vocab_size; }
  int64_t eot_token() const { return manifest_.eot_token; }
  int64_t block_size() const { return block_size_; }
  // Non-overlapping windows per epoch (rows_per_step > 0 mode).
  int64_t n_windows_per_epoch() const { return (n_tokens() - 1) / block_size_; }
  const Manifest& manifest() const { return manifest_; }
  // What the checksum check on open did; callers log checksums().summary() when slow().
  const ChecksumReport& checksums() const { return checksums_; }

 private:
  Manifest manifest_;
  std::unique_ptr<TokenStream> stream_;
  ChecksumReport checksums_;
  int64_t block_size_;
  uint64_t seed_;
  int64_t rows_per_step_;
  int64_t n_tokens_ = 0;
};

class ValLoader {
 public:
  // A fixed set of min(max_windows, (n_val_tokens - 1) / block_size) windows spread evenly over the
  // val split, never overlapping; max_windows = 0 takes every non-overlapping window. Opening
  // checks the val shards as TrainLoader does the train ones.
  ValLoader(const std::string& dataset_dir, int64_t block_size, int64_t max_windows);

  int64_t n_windows() const { return n_windows_; }
  void fill(int64_t window_begin, int64_t window_end, int64_t* out) const;  // (block_size + 1) each
  int64_t window_start(int64_t window) const;
  int64_t n_tokens() const { return stream_->n_tokens(); }
  int64_t vocab_size() const { return manifest_.vocab_size; }
  const ChecksumReport& checksums() const { return checksums_; }

 private:
  Manifest manifest_;
  std::unique_ptr<TokenStream> stream_;
  ChecksumReport checksums_;
  int64_t block_size_;
  int64_t n_windows_ = 0;
};

}  // namespace scalelab::data
