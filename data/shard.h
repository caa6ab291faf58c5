// Token shards in llm.c's layout: a 256 x int32 header, then the tokens. Shards written by llm.c's
// dev/data/*.py load as they are once a manifest lists them (`scalelab prepare --from-shards`).
//
//   header[0] magic     20240520 (ours and llm.c's GPT-2 files) or 20240801 (llm.c's Llama-3 files)
//   header[1] version   1 = uint16 tokens, 2 = uint32 tokens (ours); 7 = uint32 (llm.c Llama-3)
//   header[2] n_tokens  number of tokens that follow the header
//   header[3] bytes per token (2 or 4); 0 in llm.c's files, so 0 is accepted too
//   header[4..255] zero
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace scalelab::data {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardMagicLlama3 = 20240801;  // llm.c's uint32 shards
constexpr int64_t kShardHeaderInts = 256;
constexpr int64_t kShardHeaderBytes = kShardHeaderInts * 4;

// Bytes per token a dataset of this vocabulary needs: 2 while every id fits in uint16.
int token_bytes_for_vocab(int64_t vocab_size);

// A manifest shard's "layout": "" (the llm.c header, the default), "raw-uint16" or "raw-uint32"
// (headerless files, e.g. nanoGPT's). Returns the raw token width (0 for a header); throws on
// anything else.
int raw_token_bytes(const std::string& layout);

// Streams tokens into one shard file; the header's token count is written by close().
class ShardWriter {
 public:
  ShardWriter(const std::string& path, int token_bytes);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void append(const uint32_t* tokens, int64_t n_tokens);
  void close();  // writes the header; the file is incomplete until then
  int64_t n_tokens() const { return n_tokens_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int token_bytes_;
  int64_t n_tokens_ = 0;
  std::FILE* file_ = nullptr;
  std::vector<uint16_t> narrow_;  // reused buffer for uint16 conversion
};

// Writes a whole shard at once (tests, small tools).
void write_shard(const std::string& path, const std::vector<uint32_t>& tokens, int token_bytes);

// A read-only, memory-mapped shard whose header was checked against the file size. With
// raw_token_bytes 2 or 4 the file has no header: it is nothing but tokens (nanoGPT's train.bin and
// val.bin are raw uint16), and its size must be a multiple of the token width.
class Shard {
 public:
  explicit Shard(const std::string& path, int raw_token_bytes = 0);
  ~Shard();
  Shard(Shard&& other) noexcept;
  Shard& operator=(Shard&&) = delete;
  Shard(const Shard&) = delete;

  int64_t n_tokens() const { return n_tokens_; }
  int token_bytes() const { return token_bytes_; }
  const std::string& path() const { return path_; }
  uint32_t at(int64_t i) const {
    return token_bytes_ == 2 ? static_cast<const uint16_t*>(tokens_)[i]
                             : static_cast<const uint32_t*>(tokens_)[i];
  }
  // Copies tokens [begin, begin + n) widened to int64 (bounds are the caller's duty).
  void copy(int64_t begin, int64_t n, int64_t* out) const;
  // Throws, naming the file and the position, if any token id is >= vocab_size.
  void check_ids(int64_t vocab_size) const;
  std::vector<uint32_t> read_all() const;

 private:
  std::string path_;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  const void* tokens_ = nullptr;
  int64_t n_tokens_ = 0;
  int token_bytes_ = 2;
};

}  // namespace scalelab::data
