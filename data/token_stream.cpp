#include "data/token_stream.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace scalelab::data {

TokenStream::TokenStream(const std::string& dataset_dir, const std::vector<ShardEntry>& shards,
                         int64_t vocab_size) {
  for (const auto& entry : shards) {
    const std::string path = (std::filesystem::path(dataset_dir) / entry.file).string();
    Shard shard(path, raw_token_bytes(entry.layout));
    if (shard.n_tokens() != entry.n_tokens)
      throw std::runtime_error("shard " + path +
                               (entry.layout.empty() ? ": header says " : ": the file holds ") +
                               std::to_string(shard.n_tokens()) +
                               " tokens but manifest.json says " + std::to_string(entry.n_tokens));
    shard.check_ids(vocab_size);
    if (shard.n_tokens() == 0) continue;
    starts_.push_back(n_tokens_);
    n_tokens_ += shard.n_tokens();
    shards_.push_back(std::move(shard));
  }
}

void TokenStream::copy(int64_t begin, int64_t n, int64_t* out) const {
  if (begin < 0 || n < 0 || begin + n > n_tokens_)
    throw std::out_of_range("token range [" + std::to_string(begin) + ", " +
                            std::to_string(begin + n) + ") outside a stream of " +
                            std::to_string(n_tokens_) + " tokens");
  // The shard holding `begin`: the last one that starts at or before it.
  size_t s = std::upper_bound(starts_.begin(), starts_.end(), begin) - starts_.begin() - 1;
  while (n > 0) {
    const int64_t offset = begin - starts_[s];
    const int64_t take = std::min(n, shards_[s].n_tokens() - offset);
    shards_[s].copy(offset, take, out);
    out += take, begin += take, n -= take, ++s;
  }
}

}  // namespace scalelab::data
