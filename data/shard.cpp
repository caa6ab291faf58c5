#include "data/shard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace scalelab::data {

namespace {

std::runtime_error shard_error(const std::string& path, const std::string& what) {
  return std::runtime_error("shard " + path + ": " + what);
}

}  // namespace

int token_bytes_for_vocab(int64_t vocab_size) {
  return vocab_size <= 65536 ? 2 : 4;
}

int raw_token_bytes(const std::string& layout) {
  if (layout.empty()) return 0;
  if (layout == "raw-uint16") return 2;
  if (layout == "raw-uint32") return 4;
  throw std::runtime_error("shard layout '" + layout +
                           "': expected raw-uint16, raw-uint32 or none (the llm.c header)");
}

ShardWriter::ShardWriter(const std::string& path, int token_bytes)
    : path_(path), token_bytes_(token_bytes) {
  if (token_bytes != 2 && token_bytes != 4)
    throw shard_error(path, "token_bytes must be 2 or 4, got " + std::to_string(token_bytes));
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw shard_error(path, std::string("cannot create: ") + std::strerror(errno));
  // Placeholder header; close() rewrites it once the token count is known.
  std::vector<int32_t> header(kShardHeaderInts, 0);
  if (std::fwrite(header.data(), 4, header.size(), file_) != header.size())
    throw shard_error(path, "write failed");
}

ShardWriter::~ShardWriter() {
  if (file_)
    std::fclose(file_);  // an unclosed shard keeps its zero header: never mistaken as valid
}

void ShardWriter::append(const uint32_t* tokens, int64_t n_tokens) {
  if (!file_) throw shard_error(path_, "append after close");
  // The header stores the count as int32 (llm.c's layout).
  if (n_tokens_ + n_tokens > std::numeric_limits<int32_t>::max())
    throw shard_error(path_, "more than 2^31-1 tokens in one shard");
  size_t written;
  if (token_bytes_ == 4) {
    written = std::fwrite(tokens, 4, n_tokens, file_);
  } else {
    narrow_.resize(n_tokens);
    for (int64_t i = 0; i < n_tokens; ++i) {
      if (tokens[i] > 0xFFFF)
        throw shard_error(path_, "token id " + std::to_string(tokens[i]) + " does not fit uint16");
      narrow_[i] = static_cast<uint16_t>(tokens[i]);
    }
    written = std::fwrite(narrow_.data(), 2, n_tokens, file_);
  }
  if (written != static_cast<size_t>(n_tokens))
    throw shard_error(path_, std::string("write failed: ") + std::strerror(errno));
  n_tokens_ += n_tokens;
}

void ShardWriter::close() {
  if (!file_) return;
  std::vector<int32_t> header(kShardHeaderInts, 0);
  header[0] = kShardMagic;
  header[1] = token_bytes_ == 2 ? 1 : 2;
  header[2] = static_cast<int32_t>(n_tokens_);
  header[3] = token_bytes_;
  bool ok = std::fseek(file_, 0, SEEK_SET) == 0 &&
            std::fwrite(header.data(), 4, header.size(), file_) == header.size();
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) throw shard_error(path_, std::string("write failed: ") + std::strerror(errno));
}

void write_shard(const std::string& path, const std::vector<uint32_t>& tokens, int token_bytes) {
  ShardWriter writer(path, token_bytes);
  writer.append(tokens.data(), static_cast<int64_t>(tokens.size()));
  writer.close();
}

Shard::Shard(const std::string& path, int raw_token_bytes) : path_(path) {
  if (raw_token_bytes != 0 && raw_token_bytes != 2 && raw_token_bytes != 4)
    throw shard_error(
        path, "raw token width must be 2 or 4 bytes, got " + std::to_string(raw_token_bytes));
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw shard_error(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw shard_error(path, std::string("cannot stat: ") + std::strerror(errno));
  }
  const int64_t file_bytes = st.st_size;
  if (raw_token_bytes != 0 && (file_bytes == 0 || file_bytes % raw_token_bytes != 0)) {
    ::close(fd);
    throw shard_error(
        path, "headerless token file of " + std::to_string(file_bytes) + " bytes: " +
                  (file_bytes == 0 ? std::string("empty")
                                   : "not a multiple of " + std::to_string(raw_token_bytes) +
                                         " bytes per token"));
  }
  if (raw_token_bytes == 0 && file_bytes < kShardHeaderBytes) {
    ::close(fd);
    throw shard_error(path, "truncated: " + std::to_string(file_bytes) +
                                " bytes, shorter than the 1024-byte header");
  }
  map_ = ::mmap(nullptr, file_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file alive
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw shard_error(path, std::string("mmap failed: ") + std::strerror(errno));
  }
  map_bytes_ = file_bytes;
  // From here on, failures must unmap: the destructor does not run for a throwing constructor.
  auto fail = [&](const std::string& what) {
    ::munmap(map_, map_bytes_);
    map_ = nullptr;
    return shard_error(path, what);
  };
  if (raw_token_bytes != 0) {
    token_bytes_ = raw_token_bytes;
    n_tokens_ = file_bytes / raw_token_bytes;
    tokens_ = map_;
    return;
  }
  int32_t header[4];
  std::memcpy(header, map_, sizeof header);
  const int32_t magic = header[0], version = header[1], count = header[2], width = header[3];
  if (magic == kShardMagic && version == 1) {
    token_bytes_ = 2;
  } else if ((magic == kShardMagic && version == 2) ||
             (magic == kShardMagicLlama3 && version == 7)) {
    token_bytes_ = 4;
  } else if (magic != kShardMagic && magic != kShardMagicLlama3) {
    throw fail("bad header: magic " + std::to_string(magic) + ", expected " +
               std::to_string(kShardMagic) + " (not a token shard, or corrupt)");
  } else {
    throw fail("bad header: unsupported version " + std::to_string(version) + " for magic " +
               std::to_string(magic));
  }
  if (width != 0 && width != token_bytes_)
    throw fail("bad header: bytes per token " + std::to_string(width) + " but version " +
               std::to_string(version) + " stores " + std::to_string(token_bytes_));
  if (count < 0) throw fail("bad header: negative token count " + std::to_string(count));
  const int64_t expected = kShardHeaderBytes + int64_t{count} * token_bytes_;
  if (file_bytes != expected)
    throw fail((file_bytes < expected ? "truncated: " : "trailing bytes: ") +
               std::string("header says ") + std::to_string(count) + " tokens (" +
               std::to_string(expected) + " bytes) but the file has " + std::to_string(file_bytes) +
               " bytes");
  n_tokens_ = count;
  tokens_ = static_cast<const char*>(map_) + kShardHeaderBytes;
}

Shard::~Shard() {
  if (map_) ::munmap(map_, map_bytes_);
}

Shard::Shard(Shard&& other) noexcept
    : path_(std::move(other.path_)),
      map_(other.map_),
      map_bytes_(other.map_bytes_),
      tokens_(other.tokens_),
      n_tokens_(other.n_tokens_),
      token_bytes_(other.token_bytes_) {
  other.map_ = nullptr;
  other.tokens_ = nullptr;
  other.n_tokens_ = 0;
}

void Shard::copy(int64_t begin, int64_t n, int64_t* out) const {
  if (token_bytes_ == 2) {
    const uint16_t* src = static_cast<const uint16_t*>(tokens_) + begin;
    for (int64_t i = 0; i < n; ++i) out[i] = src[i];
  } else {
    const uint32_t* src = static_cast<const uint32_t*>(tokens_) + begin;
    for (int64_t i = 0; i < n; ++i) out[i] = src[i];
  }
}

namespace {

// Index of the first id >= vocab_size, or n when all are in range; a branch-free max first so
// that the common (valid) case runs at memory speed.
template <typename T>
int64_t first_out_of_vocab(const T* ids, int64_t n, int64_t vocab_size) {
  T max_id = 0;
  for (int64_t i = 0; i < n; ++i) max_id = ids[i] > max_id ? ids[i] : max_id;
  if (int64_t{max_id} < vocab_size) return n;
  for (int64_t i = 0; i < n; ++i)
    if (int64_t{ids[i]} >= vocab_size) return i;
  return n;
}

}  // namespace

void Shard::check_ids(int64_t vocab_size) const {
  const int64_t bad =
      token_bytes_ == 2
          ? first_out_of_vocab(static_cast<const uint16_t*>(tokens_), n_tokens_, vocab_size)
          : first_out_of_vocab(static_cast<const uint32_t*>(tokens_), n_tokens_, vocab_size);
  if (bad < n_tokens_)
    throw shard_error(path_, "token id " + std::to_string(at(bad)) + " at position " +
                                 std::to_string(bad) + " is out of the vocabulary (vocab_size " +
                                 std::to_string(vocab_size) + ")");
}

std::vector<uint32_t> Shard::read_all() const {
  std::vector<uint32_t> out(n_tokens_);
  for (int64_t i = 0; i < n_tokens_; ++i) out[i] = at(i);
  return out;
}

}  // namespace scalelab::data
