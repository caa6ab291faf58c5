// Shards in llm.c's layout and manifest.json: write/read, hand-built llm.c files, and the clear
// errors for corrupt, truncated and out-of-vocabulary data.
#include <gtest/gtest.h>

#include <cstring>

#include "data/manifest.h"
#include "data/shard.h"
#include "tests/support/data_util.h"

namespace scalelab::data {
namespace {

using testing::expect_error;
using testing::TempDir;
using testing::write_file;

// A shard written byte by byte the way llm.c's dev/data/data_common.py writes one.
std::string llmc_file(int32_t magic, int32_t version, const std::vector<uint32_t>& tokens,
                      int token_bytes) {
  std::vector<int32_t> header(256, 0);
  header[0] = magic, header[1] = version, header[2] = static_cast<int32_t>(tokens.size());
  std::string bytes(reinterpret_cast<const char*>(header.data()), 1024);
  for (uint32_t t : tokens)
    bytes.append(reinterpret_cast<const char*>(&t), token_bytes);  // little endian
  return bytes;
}

TEST(Shard, WritesAndReadsBackBothWidths) {
  TempDir dir;
  const std::vector<uint32_t> small = {0, 1, 50256, 65535, 7};
  write_shard(dir / "a.bin", small, 2);
  Shard a(dir / "a.bin");
  EXPECT_EQ(a.token_bytes(), 2);
  EXPECT_EQ(a.read_all(), small);
  EXPECT_EQ(std::filesystem::file_size(dir / "a.bin"), 1024u + 2 * small.size());

  const std::vector<uint32_t> wide = {0, 65536, 128255, 3};
  write_shard(dir / "b.bin", wide, 4);
  Shard b(dir / "b.bin");
  EXPECT_EQ(b.token_bytes(), 4);
  EXPECT_EQ(b.read_all(), wide);
  std::vector<int64_t> out(2);
  b.copy(1, 2, out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{65536, 128255}));

  write_shard(dir / "empty.bin", {}, 2);
  EXPECT_EQ(Shard(dir / "empty.bin").n_tokens(), 0);
  expect_error([&] { write_shard(dir / "c.bin", {70000}, 2); }, {dir / "c.bin", "70000", "uint16"});
}

TEST(Shard, HeaderMatchesLlmcLayout) {
  TempDir dir;
  write_shard(dir / "a.bin", {5, 6, 7}, 2);
  const std::string bytes = testing::read_file(dir / "a.bin");
  int32_t header[4];
  std::memcpy(header, bytes.data(), sizeof header);
  EXPECT_EQ(header[0], 20240520);
  EXPECT_EQ(header[1], 1);
  EXPECT_EQ(header[2], 3);
  EXPECT_EQ(header[3], 2);
  EXPECT_EQ(bytes.size(), 1024u + 6);
}

TEST(Shard, LoadsFilesBuiltInLlmcLayout) {
  TempDir dir;
  const std::vector<uint32_t> tokens = {50256, 464, 3290, 13, 50256};
  write_file(dir / "gpt2.bin", llmc_file(20240520, 1, tokens, 2));
  EXPECT_EQ(Shard(dir / "gpt2.bin").read_all(), tokens);
  const std::vector<uint32_t> llama = {128000, 791, 128001};
  write_file(dir / "llama3.bin", llmc_file(20240801, 7, llama, 4));
  EXPECT_EQ(Shard(dir / "llama3.bin").read_all(), llama);
}

TEST(Shard, CorruptHeaderIsAnErrorNamingTheFile) {
  TempDir dir;
  write_file(dir / "magic.bin", llmc_file(12345, 1, {1, 2}, 2));
  expect_error([&] { Shard s(dir / "magic.bin"); }, {dir / "magic.bin", "magic 12345"});
  write_file(dir / "version.bin", llmc_file(20240520, 9, {1, 2}, 2));
  expect_error([&] { Shard s(dir / "version.bin"); }, {dir / "version.bin", "version 9"});
  std::string width = llmc_file(20240520, 1, {1, 2}, 2);
  width[12] = 4;  // header[3] = 4 bytes per token disagrees with version 1
  write_file(dir / "width.bin", width);
  expect_error([&] { Shard s(dir / "width.bin"); }, {dir / "width.bin", "bytes per token 4"});
}

TEST(Shard, TruncatedFileIsAnErrorNamingTheFile) {
  TempDir dir;
  std::string bytes = llmc_file(20240520, 1, {1, 2, 3, 4}, 2);
  write_file(dir / "cut.bin", bytes.substr(0, bytes.size() - 3));
  expect_error([&] { Shard s(dir / "cut.bin"); }, {dir / "cut.bin", "truncated", "4 tokens"});
  write_file(dir / "short.bin", bytes.substr(0, 100));
  expect_error([&] { Shard s(dir / "short.bin"); }, {dir / "short.bin", "truncated", "100 bytes"});
  write_file(dir / "long.bin", bytes + "xx");
  expect_error([&] { Shard s(dir / "long.bin"); }, {dir / "long.bin", "trailing bytes"});
  expect_error([&] { Shard s(dir / "missing.bin"); }, {dir / "missing.bin", "cannot open"});
}

TEST(Shard, OutOfVocabularyIdIsAnErrorNamingFileAndPosition) {
  TempDir dir;
  write_shard(dir / "a.bin", {1, 2, 300, 4}, 2);
  Shard s(dir / "a.bin");
  EXPECT_NO_THROW(s.check_ids(301));
  expect_error([&] { s.check_ids(257); },
               {dir / "a.bin", "token id 300", "position 2", "vocab_size 257"});
}

Manifest small_manifest() {
  Manifest m;
  m.tokenizer = "byte";
  m.vocab_size = 257;
  m.eot_token = 256;
  m.n_train_tokens = 3;
  m.train.shards = {{"train_000000.bin", 3, ""}};
  m.train.n_docs = 1;
  return m;
}

TEST(Manifest, WritesAndReadsBack) {
  TempDir dir;
  Manifest m = small_manifest();
  write_shard(dir / "train_000000.bin", {1, 2, 3}, 2);
  m.train.shards[0].sha256 = file_sha256(dir / "train_000000.bin");
  write_manifest(dir.path(), m);
  Manifest r = read_manifest(dir.path());
  EXPECT_EQ(r.tokenizer, "byte");
  EXPECT_EQ(r.vocab_size, 257);
  EXPECT_EQ(r.eot_token, 256);
  EXPECT_EQ(r.n_train_tokens, 3);
  EXPECT_EQ(r.n_val_tokens, 0);
  ASSERT_EQ(r.train.shards.size(), 1u);
  EXPECT_EQ(r.train.shards[0].sha256.size(), 64u);
  EXPECT_NO_THROW(verify_checksums(dir.path(), r));
  write_shard(dir / "train_000000.bin", {1, 2, 4}, 2);
  expect_error([&] { verify_checksums(dir.path(), r); }, {"train_000000.bin", "sha256"});
}

TEST(Manifest, ErrorsNameTheFolderAndField) {
  TempDir dir;
  expect_error([&] { read_manifest(dir / "nope"); }, {dir / "nope", "no such folder"});
  expect_error([&] { read_manifest(dir.path()); }, {dir.path(), "no manifest.json"});
  write_file(dir / "manifest.json", "{\"version\": 1, ");
  expect_error([&] { read_manifest(dir.path()); }, {dir / "manifest.json", "invalid JSON"});
  Manifest m = small_manifest();
  write_manifest(dir.path(), m);
  auto j = nlohmann::json::parse(testing::read_file(dir / "manifest.json"));
  j.erase("vocab_size");
  write_file(dir / "manifest.json", j.dump());
  expect_error([&] { read_manifest(dir.path()); }, {"manifest.json", "'vocab_size'"});
  j["vocab_size"] = 257;
  j["splits"]["train"]["n_tokens"] = 5;  // disagrees with the shard list
  write_file(dir / "manifest.json", j.dump());
  expect_error([&] { read_manifest(dir.path()); }, {"splits.train.n_tokens is 5", "shards hold 3"});
}

}  // namespace
}  // namespace scalelab::data
