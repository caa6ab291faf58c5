// prepare --from-shards (data/import_shards.h): llm.c shards (uint16 GPT-2 header, uint32 Llama-3
// header) and nanoGPT's headerless pair become datasets without copying whose loaders serve the
// rows of the same tokens prepared by scalelab; bad shards are one clear line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data/import_shards.h"
#include "data/loader.h"
#include "data/prepare.h"
#include "data/shard.h"
#include "tests/support/data_util.h"

namespace scalelab::data {
namespace {

using testing::expect_error;
using testing::make_corpus;
using testing::prepare_options;
using testing::read_file;
using testing::split_tokens;
using testing::TempDir;
using testing::write_file;

// An llm.c shard as dev/data/data_common.py writes it: header [3] is 0.
void write_llmc(const std::string& path, int32_t magic, int32_t version,
                const std::vector<uint32_t>& tokens, int token_bytes) {
  std::vector<int32_t> header(256, 0);
  header[0] = magic, header[1] = version, header[2] = static_cast<int32_t>(tokens.size());
  std::string bytes(reinterpret_cast<const char*>(header.data()), 1024);
  for (uint32_t t : tokens) bytes.append(reinterpret_cast<const char*>(&t), token_bytes);
  write_file(path, bytes);
}

// nanoGPT's prepare.py: np.uint16 ids, no header.
void write_raw_uint16(const std::string& path, const std::vector<uint32_t>& tokens) {
  std::string bytes;
  for (uint32_t t : tokens) bytes.append(reinterpret_cast<const char*>(&t), 2);
  write_file(path, bytes);
}

// The rows both loaders serve, for a few steps, with and without replacement.
std::vector<int64_t> loader_rows(const std::string& dir) {
  std::vector<int64_t> out;
  for (int64_t per_step : {0, 6}) {
    TrainLoader train(dir, 16, 5, per_step);
    std::vector<int64_t> rows(6 * 17);
    for (int64_t step = 0; step < 4; ++step) {
      train.fill(step, 0, 6, rows.data());
      out.insert(out.end(), rows.begin(), rows.end());
    }
  }
  ValLoader val(dir, 16, 8);
  std::vector<int64_t> rows(val.n_windows() * 17);
  val.fill(0, val.n_windows(), rows.data());
  out.insert(out.end(), rows.begin(), rows.end());
  return out;
}

// llm.c shards (uint16 GPT-2 header, uint32 Llama-3 header) and nanoGPT's headerless pair become
// datasets without copying (hard links) whose loaders serve exactly the rows of the same tokens
// prepared by scalelab.
TEST(ImportShards, LlmcAndNanoGptFilesGiveTheRowsOfTheSameTokensPrepared) {
  TempDir dir;
  make_corpus(dir / "in", 60);
  prepare(prepare_options(dir / "in", dir / "ref", "byte"));
  const Manifest ref = read_manifest(dir / "ref");
  const auto train = split_tokens(dir / "ref", ref.train.shards);
  const auto val = split_tokens(dir / "ref", ref.val.shards);
  const auto want = loader_rows(dir / "ref");

  const size_t half = train.size() / 2;
  write_llmc(dir / "llmc/tiny_train_000000.bin", 20240520, 1, {train.begin(), train.begin() + half},
             2);
  write_llmc(dir / "llmc/tiny_train_000001.bin", 20240801, 7, {train.begin() + half, train.end()},
             4);
  write_llmc(dir / "llmc/tiny_val_000000.bin", 20240520, 1, val, 2);
  ImportOptions io;
  io.from_dir = dir / "llmc";
  io.out_dir = dir / "from_llmc";
  io.vocab_size = 257;
  io.eot_token = 256;
  const auto llmc = import_shards(io);
  EXPECT_EQ(llmc.layout, "llm.c");
  EXPECT_EQ(llmc.link, "hard");
  EXPECT_EQ(llmc.manifest.train.shards.size(), 2u);
  EXPECT_EQ(llmc.manifest.n_train_tokens, ref.n_train_tokens);
  EXPECT_EQ(llmc.manifest.train.n_docs, ref.train.n_docs);  // counted by EOT
  EXPECT_EQ(llmc.manifest.val.n_docs, ref.val.n_docs);
  EXPECT_EQ(std::filesystem::hard_link_count(dir / "llmc/tiny_val_000000.bin"), 2u);
  EXPECT_EQ(read_manifest(dir / "from_llmc").tokenizer, "external");
  EXPECT_EQ(loader_rows(dir / "from_llmc"), want);

  write_raw_uint16(dir / "nanogpt/train.bin", train);
  write_raw_uint16(dir / "nanogpt/val.bin", val);
  io.from_dir = dir / "nanogpt";
  io.out_dir = dir / "from_nanogpt";
  const auto nano = import_shards(io);
  EXPECT_EQ(nano.layout, "nanogpt");
  EXPECT_EQ(nano.manifest.train.shards[0].layout, "raw-uint16");
  EXPECT_EQ(nano.manifest.n_val_tokens, ref.n_val_tokens);
  EXPECT_EQ(loader_rows(dir / "from_nanogpt"), want);
  EXPECT_NO_THROW(verify_checksums(dir / "from_nanogpt", read_manifest(dir / "from_nanogpt")));
  // A damaged source is caught by the checksum on open, naming the shard.
  {
    std::fstream f(dir / "nanogpt/val.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1);  // the first token, EOT 256 = 0x0100, becomes 0: in the vocabulary, but changed
    f.put('\0');
  }
  std::filesystem::remove(dir / "from_nanogpt/.verified.json");
  expect_error([&] { ValLoader v(dir / "from_nanogpt", 16, 8); }, {"val_000000.bin", "sha256"});
}

TEST(ImportShards, BadShardsAreOneClearLine) {
  TempDir dir;
  write_llmc(dir / "a/x_train_000000.bin", 20240520, 1, {50256, 464, 3290}, 2);
  write_llmc(dir / "a/x_val_000000.bin", 20240520, 1, {50256, 13}, 2);
  ImportOptions io;
  io.from_dir = dir / "a";
  io.out_dir = dir / "out";
  io.vocab_size = 1000;
  io.eot_token = 0;
  expect_error([&] { import_shards(io); },
               {dir / "a/x_train_000000.bin", "token id 50256", "vocab_size 1000", "--vocab-size"});
  io.vocab_size = 50257;  // GPT-2 defaults
  io.eot_token = 50256;
  EXPECT_EQ(import_shards(io).manifest.train.n_docs, 1);
  expect_error([&] { import_shards(io); }, {dir / "out", "--force"});
  write_llmc(dir / "b/x_000000.bin", 20240520, 1, {1, 2}, 2);
  io.from_dir = dir / "b";
  io.out_dir = dir / "out_b";
  expect_error([&] { import_shards(io); }, {dir / "b/x_000000.bin", "neither train nor val"});
  write_file(dir / "c/train.bin", "abc");  // odd size: not uint16
  write_file(dir / "c/val.bin", "ab");
  io.from_dir = dir / "c";
  expect_error([&] { import_shards(io); }, {dir / "c/train.bin", "not a multiple of 2"});
  write_raw_uint16(dir / "d/train.bin", {1, 2, 3});
  io.from_dir = dir / "d";
  expect_error([&] { import_shards(io); }, {"no val shard"});
  io.from_dir = dir / "nope";
  expect_error([&] { import_shards(io); }, {dir / "nope", "no such folder"});
  EXPECT_FALSE(std::filesystem::exists(dir / "out_b"));
}

}  // namespace
}  // namespace scalelab::data
