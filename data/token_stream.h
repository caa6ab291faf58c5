// One split's shards, memory-mapped and read as one continuous token stream.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/shard.h"

namespace scalelab::data {

class TokenStream {
 public:
  // Opens every shard, checks its header against the manifest's token count and every id
  // against vocab_size: a corrupt shard fails here, naming the file, not mid-training.
  TokenStream(const std::string& dataset_dir, const std::vector<ShardEntry>& shards,
              int64_t vocab_size);

  int64_t n_tokens() const { return n_tokens_; }
  // Copies tokens [begin, begin + n) as int64, crossing shard boundaries as needed.
  void copy(int64_t begin, int64_t n, int64_t* out) const;

 private:
  std::vector<Shard> shards_;
  std::vector<int64_t> starts_;  // first stream position of each shard
  int64_t n_tokens_ = 0;
};

}  // namespace scalelab::data
