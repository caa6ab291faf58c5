#include "data/loader.h"

#include <stdexcept>

#include "data/sampling.h"

namespace scalelab::data {

namespace {

// The split must hold at least one window of block_size + 1 tokens.
void check_fits(const std::string& dir, const char* split, int64_t n_tokens, int64_t block_size) {
  if (block_size <= 0)
    throw std::runtime_error("block_size must be positive, got " + std::to_string(block_size));
  if (block_size + 1 > n_tokens)
    throw std::runtime_error(
        "dataset " + dir + ": the " + split + " split has " + std::to_string(n_tokens) +
        " tokens, fewer than block_size + 1 = " + std::to_string(block_size + 1));
}

}  // namespace

TrainLoader::TrainLoader(const std::string& dataset_dir, int64_t block_size, uint64_t seed,
                         int64_t rows_per_step, int64_t unique_tokens)
    : manifest_(read_manifest(dataset_dir)),
      block_size_(block_size),
      seed_(seed),
      rows_per_step_(rows_per_step) {
  if (unique_tokens < 0)
    throw std::runtime_error("data.unique_tokens must be >= 0, got " +
                             std::to_string(unique_tokens));
  if (unique_tokens > manifest_.n_train_tokens)
    throw std::runtime_error("data.unique_tokens: " + std::to_string(unique_tokens) +
                             " is more than the train split of " + dataset_dir + " holds (" +
                             std::to_string(manifest_.n_train_tokens) + " tokens)");
  check_fits(dataset_dir, "train", unique_tokens > 0 ? unique_tokens : manifest_.n_train_tokens,
             block_size);
  if (rows_per_step < 0)
    throw std::runtime_error("rows_per_step must be >= 0, got " + std::to_string(rows_per_step));
  stream_ =
      std::make_unique<TokenStream>(dataset_dir, manifest_.train.shards, manifest_.vocab_size);
  n_tokens_ = unique_tokens > 0 ? unique_tokens : stream_->n_tokens();
  // After the header and id checks, whose errors say more about a broken file than a digest does.
  checksums_ = verify_checksums_cached(dataset_dir, manifest_.train.shards);
}

int64_t TrainLoader::window_start(int64_t step, int64_t row) const {
  if (rows_per_step_ == 0) {
    const uint64_t n_starts = n_tokens() - block_size_;  // starts 0 .. n_tokens - block_size - 1
    return static_cast<int64_t>(below(hash3(seed_, step, row), n_starts));
  }
  const int64_t n_windows = n_windows_per_epoch();
  const int64_t global_row = step * rows_per_step_ + row;
  const int64_t epoch = global_row / n_windows;
  const uint64_t key = hash3(seed_, epoch, 0x6570);
  const int64_t window = static_cast<int64_t>(permute(global_row % n_windows, n_windows, key));
  // The (n_tokens - 1) % block_size tokens left over shift the window grid by a per-epoch amount,
  // so they are not always the ones skipped.
  const int64_t slack = (n_tokens() - 1) - n_windows * block_size_;
  return window * block_size_ + static_cast<int64_t>(below(mix64(key), slack + 1));
}

void TrainLoader::fill(int64_t step, int64_t row_begin, int64_t row_end, int64_t* out) const {
  if (step < 0 || row_begin < 0 || row_end < row_begin)
    throw std::runtime_error("TrainLoader::fill: bad request step " + std::to_string(step) +
                             ", rows [" + std::to_string(row_begin) + ", " +
                             std::to_string(row_end) + ")");
  if (rows_per_step_ > 0 && row_end > rows_per_step_)
    throw std::runtime_error("TrainLoader::fill: row " + std::to_string(row_end - 1) +
                             " is outside a global batch of " + std::to_string(rows_per_step_) +
                             " rows");
  const int64_t row_len = block_size_ + 1;
  for (int64_t row = row_begin; row < row_end; ++row)
    stream_->copy(window_start(step, row), row_len, out + (row - row_begin) * row_len);
}

ValLoader::ValLoader(const std::string& dataset_dir, int64_t block_size, int64_t max_windows)
    : manifest_(read_manifest(dataset_dir)), block_size_(block_size) {
  check_fits(dataset_dir, "val", manifest_.n_val_tokens, block_size);
  if (max_windows < 0)
    throw std::runtime_error("max_windows must be >= 0, got " + std::to_string(max_windows));
  stream_ = std::make_unique<TokenStream>(dataset_dir, manifest_.val.shards, manifest_.vocab_size);
  checksums_ = verify_checksums_cached(dataset_dir, manifest_.val.shards);
  const int64_t available = (n_tokens() - 1) / block_size;
  n_windows_ = max_windows == 0 ? available : std::min(available, max_windows);
}

int64_t ValLoader::window_start(int64_t window) const {
  if (n_windows_ == 1) return 0;
  // Evenly spread over [0, last_start]; the spacing is at least block_size, so windows never
  // overlap.
  const int64_t last_start = n_tokens() - 1 - block_size_;
  return static_cast<int64_t>(static_cast<__int128>(window) * last_start / (n_windows_ - 1));
}

void ValLoader::fill(int64_t window_begin, int64_t window_end, int64_t* out) const {
  if (window_begin < 0 || window_end < window_begin || window_end > n_windows_)
    throw std::runtime_error("ValLoader::fill: windows [" + std::to_string(window_begin) + ", " +
                             std::to_string(window_end) + ") outside [0, " +
                             std::to_string(n_windows_) + ")");
  const int64_t row_len = block_size_ + 1;
  for (int64_t w = window_begin; w < window_end; ++w)
    stream_->copy(window_start(w), row_len, out + (w - window_begin) * row_len);
}

}  // namespace scalelab::data
