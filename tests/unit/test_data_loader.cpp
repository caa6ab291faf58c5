// The train and val loaders: rows are pure functions of (seed, step, row) — determinism, rank
// slices that add up to the whole batch, resume at any step — epochs without replacement, a fixed
// val set, shard checksums checked on open (once, then cached), and the errors the trainer relies
// on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "data/loader.h"
#include "data/prepare.h"
#include "data/shard.h"
#include "tests/support/data_util.h"

namespace scalelab::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

// Token at stream position p: p mod 251, so a row's content reveals where it came from.
uint32_t token_at(int64_t p) {
  return static_cast<uint32_t>(p % 251);
}

// A byte-tokenizer dataset with train split across two shards (a row may straddle them).
void make_dataset(const std::string& dir, std::vector<int64_t> train_sizes = {1000, 1500},
                  int64_t n_val = 600) {
  Manifest m;
  m.tokenizer = "byte";
  m.vocab_size = 257;
  m.eot_token = 256;
  int64_t pos = 0;
  for (size_t i = 0; i < train_sizes.size(); ++i) {
    std::vector<uint32_t> tokens;
    for (int64_t k = 0; k < train_sizes[i]; ++k) tokens.push_back(token_at(pos++));
    const std::string name = "train_00000" + std::to_string(i) + ".bin";
    write_shard(dir + "/" + name, tokens, 2);
    m.train.shards.push_back({name, train_sizes[i], ""});
    m.n_train_tokens += train_sizes[i];
  }
  std::vector<uint32_t> val;
  for (int64_t k = 0; k < n_val; ++k) val.push_back(token_at(k));
  write_shard(dir + "/val_000000.bin", val, 2);
  m.val.shards = {{"val_000000.bin", n_val, ""}};
  m.n_val_tokens = n_val;
  write_manifest(dir, m);
}

std::vector<int64_t> rows(const TrainLoader& loader, int64_t step, int64_t begin, int64_t end) {
  std::vector<int64_t> out((end - begin) * (loader.block_size() + 1));
  loader.fill(step, begin, end, out.data());
  return out;
}

TEST(TrainLoader, RowsAreTheStreamAtTheirWindowStart) {
  TempDir dir;
  make_dataset(dir.path());
  TrainLoader loader(dir.path(), 64, 1);
  EXPECT_EQ(loader.n_tokens(), 2500);
  EXPECT_EQ(loader.vocab_size(), 257);
  const int64_t T1 = 65;
  bool straddled = false;
  for (int64_t step = 0; step < 50; ++step) {
    auto r = rows(loader, step, 0, 8);
    for (int64_t row = 0; row < 8; ++row) {
      const int64_t start = loader.window_start(step, row);
      ASSERT_GE(start, 0);
      ASSERT_LE(start + T1, 2500);
      straddled |= start < 1000 && start + T1 > 1000;
      for (int64_t k = 0; k < T1; ++k) ASSERT_EQ(r[row * T1 + k], token_at(start + k));
    }
  }
  EXPECT_TRUE(straddled);  // 400 draws: some cross the shard boundary, and read across it
}

TEST(TrainLoader, SameSeedSameBatchesOtherSeedOthers) {
  TempDir dir;
  make_dataset(dir.path());
  TrainLoader a(dir.path(), 32, 7), b(dir.path(), 32, 7), c(dir.path(), 32, 8);
  for (int64_t step : {0, 1, 99}) {
    EXPECT_EQ(rows(a, step, 0, 16), rows(b, step, 0, 16));
    EXPECT_NE(rows(a, step, 0, 16), rows(c, step, 0, 16));
  }
  EXPECT_NE(rows(a, 0, 0, 16), rows(a, 1, 0, 16));
}

TEST(TrainLoader, RankSlicesMakeTheWholeBatch) {
  TempDir dir;
  make_dataset(dir.path());
  for (int64_t rows_per_step : {0, 12}) {
    TrainLoader loader(dir.path(), 32, 3, rows_per_step);
    for (int64_t step : {0, 5, 40}) {
      const auto whole = rows(loader, step, 0, 12);
      for (int world : {2, 3, 4}) {  // each rank fills its contiguous slice of the global batch
        std::vector<int64_t> joined;
        for (int rank = 0; rank < world; ++rank) {
          const int64_t per = 12 / world;
          auto part = rows(loader, step, rank * per, (rank + 1) * per);
          joined.insert(joined.end(), part.begin(), part.end());
        }
        EXPECT_EQ(joined, whole) << "world " << world << " step " << step;
      }
    }
  }
}

TEST(TrainLoader, ResumingAtAStepSeesTheSameRows) {
  TempDir dir;
  make_dataset(dir.path());
  TrainLoader first(dir.path(), 48, 11, 8);
  std::vector<std::vector<int64_t>> seen;
  for (int64_t step = 0; step < 30; ++step) seen.push_back(rows(first, step, 0, 8));
  TrainLoader resumed(dir.path(), 48, 11, 8);  // a new process that starts at step 17
  for (int64_t step = 17; step < 30; ++step) EXPECT_EQ(rows(resumed, step, 0, 8), seen[step]);
}

TEST(TrainLoader, EpochModeTakesEveryWindowOncePerEpoch) {
  TempDir dir;
  make_dataset(dir.path());
  const int64_t T = 50, B = 7;
  TrainLoader loader(dir.path(), T, 5, B);
  const int64_t n_windows = loader.n_windows_per_epoch();
  EXPECT_EQ(n_windows, (2500 - 1) / T);
  // Slack is (2500 - 1) % 50 = 49 tokens, so an epoch's grid shift s is the same for all its rows.
  std::set<int64_t> epoch0, epoch1;
  for (int64_t g = 0; g < 2 * n_windows; ++g) {
    const int64_t start = loader.window_start(g / B, g % B);
    (g < n_windows ? epoch0 : epoch1).insert(start);
  }
  EXPECT_EQ(static_cast<int64_t>(epoch0.size()), n_windows);  // no window twice in an epoch
  EXPECT_EQ(static_cast<int64_t>(epoch1.size()), n_windows);
  const int64_t shift = *epoch0.begin();
  for (int64_t s : epoch0) EXPECT_EQ((s - shift) % T, 0);  // non-overlapping grid
  expect_error(
      [&] {
        std::vector<int64_t> out(8 * (T + 1));
        loader.fill(0, 0, 8, out.data());
      },
      {"outside a global batch of 7 rows"});
}

TEST(TrainLoader, BlockLargerThanSplitIsAClearError) {
  TempDir dir;
  make_dataset(dir.path(), {100}, 50);
  expect_error([&] { TrainLoader l(dir.path(), 100, 0); },
               {dir.path(), "train split has 100 tokens", "block_size + 1 = 101"});
  EXPECT_NO_THROW(TrainLoader(dir.path(), 99, 0));
  expect_error([&] { ValLoader v(dir.path(), 50, 4); },
               {dir.path(), "val split has 50 tokens", "51"});
  expect_error([&] { TrainLoader l(dir / "missing", 8, 0); }, {dir / "missing"});
}

TEST(TrainLoader, CorruptShardFailsAtLoadNamingTheFile) {
  TempDir dir;
  make_dataset(dir.path());
  write_shard(dir / "train_000001.bin", std::vector<uint32_t>(1500, 300), 2);  // ids >= vocab 257
  expect_error([&] { TrainLoader l(dir.path(), 8, 0); },
               {"train_000001.bin", "token id 300", "vocab_size 257"});
  write_shard(dir / "train_000001.bin", std::vector<uint32_t>(1400, 1), 2);  // count != manifest
  expect_error([&] { TrainLoader l(dir.path(), 8, 0); }, {"train_000001.bin", "1400", "1500"});
}

TEST(TrainLoader, LoadsLlmcShardsWithAHandWrittenManifest) {
  TempDir dir;
  // GPT-2 ids in llm.c's uint16 layout, header words 3..255 zero, as dev/data/data_common.py
  // writes.
  std::vector<int32_t> header(256, 0);
  header[0] = 20240520, header[1] = 1, header[2] = 300;
  std::string bytes(reinterpret_cast<const char*>(header.data()), 1024);
  for (uint16_t i = 0; i < 300; ++i) {
    const uint16_t id = i % 3 == 0 ? 50256 : 1000 + i;
    bytes.append(reinterpret_cast<const char*>(&id), 2);
  }
  testing::write_file(dir / "fineweb_train_000001.bin", bytes);
  testing::write_file(dir / "fineweb_val_000000.bin", bytes);
  testing::write_file(dir / "manifest.json",
                      R"({"version": 1, "tokenizer": "external", "vocab_size": 50257,
    "eot_token": 50256, "n_train_tokens": 300, "n_val_tokens": 300, "splits": {
    "train": {"n_tokens": 300, "n_docs": 100, "shards": [{"file": "fineweb_train_000001.bin", "n_tokens": 300}]},
    "val": {"n_tokens": 300, "n_docs": 100, "shards": [{"file": "fineweb_val_000000.bin", "n_tokens": 300}]}}})");
  TrainLoader loader(dir.path(), 16, 0);
  auto r = rows(loader, 0, 0, 1);
  const int64_t start = loader.window_start(0, 0);
  EXPECT_EQ(r[0], start % 3 == 0 ? 50256 : 1000 + start);
  EXPECT_EQ(ValLoader(dir.path(), 16, 4).n_windows(), 4);
  EXPECT_EQ(loader.checksums().n_hashed, 0);  // no sha256 in the manifest: nothing to check
  EXPECT_FALSE(fs::exists(dir / kVerifiedStampFile));
}

// A dataset made by prepare (bytes, several train shards), whose manifest records every sha256.
Manifest make_prepared(const TempDir& dir) {
  for (int i = 0; i < 40; ++i)
    write_file(dir / ("in/doc" + std::to_string(100 + i) + ".txt"), testing::sample_text(6, i));
  PrepareOptions o;
  o.inputs = {dir / "in"};
  o.out_dir = dir / "ds";
  o.val_fraction = 0.2;
  o.shard_tokens = 1500;
  return prepare(o).manifest;
}

// Flips the low bit of the first token below 256 in a uint16 shard: still a valid byte id, so only
// the checksum can tell.
void flip_a_token_bit(const std::string& path) {
  int64_t i = 0;
  {
    Shard shard(path);
    while (shard.at(i) >= 256) ++i;
  }
  std::string bytes = read_file(path);
  bytes[kShardHeaderBytes + 2 * i] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

nlohmann::json stamp_shards(const TempDir& dir) {
  std::ifstream in(dir / ("ds/" + std::string(kVerifiedStampFile)));
  return nlohmann::json::parse(in).at("shards");
}

TEST(TrainLoader, ChangedShardFailsItsChecksumNamingIt) {
  TempDir dir;
  const Manifest m = make_prepared(dir);
  ASSERT_GE(m.train.shards.size(), 3u);
  EXPECT_NO_THROW(TrainLoader(dir / "ds", 16, 0));  // intact
  const std::string bad = dir / "ds/train_000001.bin";
  flip_a_token_bit(bad);
  const std::string actual = file_sha256(bad);
  ASSERT_NE(actual, m.train.shards[1].sha256);
  try {
    TrainLoader loader(dir / "ds", 16, 0);
    ADD_FAILURE() << "a changed shard opened";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    for (const std::string& part :
         {bad, m.train.shards[1].sha256, actual, std::string("re-run `scalelab prepare`")})
      EXPECT_NE(what.find(part), std::string::npos) << what << "\nmissing: " << part;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_NO_THROW(ValLoader(dir / "ds", 16, 4));  // the val shards are intact
  // The good train shards were stamped, the bad one not: fixing it is a one-shard recheck.
  const auto shards = stamp_shards(dir);
  EXPECT_TRUE(shards.contains("train_000000.bin"));
  EXPECT_FALSE(shards.contains("train_000001.bin"));
}

TEST(TrainLoader, VerifiedStampSkipsRehashingUntilAShardChanges) {
  TempDir dir;
  const Manifest m = make_prepared(dir);
  const int n_train = static_cast<int>(m.train.shards.size());
  const TrainLoader first(dir / "ds", 16, 0);
  EXPECT_EQ(first.checksums().n_hashed, n_train);
  EXPECT_EQ(first.checksums().n_cached, 0);
  EXPECT_TRUE(first.checksums().stamp_written);
  EXPECT_NE(first.checksums().summary().find("checked the sha256 of " + std::to_string(n_train)),
            std::string::npos)
      << first.checksums().summary();
  auto shards = stamp_shards(dir);
  for (const auto& s : m.train.shards) {
    ASSERT_TRUE(shards.contains(s.file)) << s.file;
    EXPECT_EQ(shards[s.file]["sha256"], s.sha256);
    EXPECT_EQ(shards[s.file]["size"], static_cast<int64_t>(fs::file_size(dir / ("ds/" + s.file))));
  }
  const TrainLoader second(dir / "ds", 16, 0);
  EXPECT_EQ(second.checksums().n_hashed, 0);
  EXPECT_EQ(second.checksums().n_cached, n_train);
  EXPECT_FALSE(second.checksums().slow());

  // The val loader adds its shards to the same stamp.
  EXPECT_EQ(ValLoader(dir / "ds", 16, 4).checksums().n_hashed,
            static_cast<int>(m.val.shards.size()));
  shards = stamp_shards(dir);
  EXPECT_TRUE(shards.contains("train_000000.bin"));
  EXPECT_TRUE(shards.contains(m.val.shards[0].file));

  // A new mtime is a changed file: that shard alone is hashed again.
  const fs::path shard0 = dir / "ds/train_000000.bin";
  fs::last_write_time(shard0, fs::last_write_time(shard0) + std::chrono::seconds(5));
  const TrainLoader touched(dir / "ds", 16, 0);
  EXPECT_EQ(touched.checksums().n_hashed, 1);
  EXPECT_EQ(touched.checksums().n_cached, n_train - 1);
  // So is a copy put in its place with the old mtime (a new inode: not the file that was checked).
  const fs::path shard1 = dir / "ds/train_000001.bin", copy = dir / "copy.bin";
  const auto mtime = fs::last_write_time(shard1);
  fs::copy_file(shard1, copy);
  fs::rename(copy, shard1);
  fs::last_write_time(shard1, mtime);
  EXPECT_EQ(TrainLoader(dir / "ds", 16, 0).checksums().n_hashed, 1);
  EXPECT_EQ(TrainLoader(dir / "ds", 16, 0).checksums().n_hashed, 0);
}

TEST(TrainLoader, ReadOnlyDatasetOpensWithoutAStamp) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only folders";
  TempDir dir;
  const Manifest m = make_prepared(dir);
  fs::permissions(dir / "ds",
                  fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
  const TrainLoader loader(dir / "ds", 16, 0);
  EXPECT_EQ(loader.checksums().n_hashed, static_cast<int>(m.train.shards.size()));
  EXPECT_FALSE(loader.checksums().stamp_written);
  EXPECT_FALSE(fs::exists(dir / ("ds/" + std::string(kVerifiedStampFile))));
  fs::permissions(dir / "ds", fs::perms::owner_write, fs::perm_options::add);
}

TEST(ValLoader, FixedNonOverlappingWindowsSpreadOverTheSplit) {
  TempDir dir;
  make_dataset(dir.path());
  ValLoader a(dir.path(), 32, 5), b(dir.path(), 32, 5);
  EXPECT_EQ(a.n_windows(), 5);
  std::vector<int64_t> ra(5 * 33), rb(5 * 33), part(2 * 33);
  a.fill(0, 5, ra.data());
  b.fill(0, 5, rb.data());
  EXPECT_EQ(ra, rb);
  a.fill(3, 5, part.data());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), ra.begin() + 3 * 33));
  EXPECT_EQ(a.window_start(0), 0);
  EXPECT_EQ(a.window_start(4), 600 - 33);  // the last window ends at the split's end
  for (int64_t w = 0; w < 5; ++w) {
    if (w > 0) EXPECT_GE(a.window_start(w) - a.window_start(w - 1), 32);
    for (int64_t k = 0; k < 33; ++k) ASSERT_EQ(ra[w * 33 + k], token_at(a.window_start(w) + k));
  }
  ValLoader all(dir.path(), 32, 0);
  EXPECT_EQ(all.n_windows(), (600 - 1) / 32);
  EXPECT_EQ(ValLoader(dir.path(), 32, 1000).n_windows(), (600 - 1) / 32);
  expect_error([&] { a.fill(4, 6, ra.data()); }, {"outside [0, 5)"});
}

}  // namespace
// data.unique_tokens: a loader capped at its first U tokens never reads a token past U, in either
// sampling mode, and repeats them epoch after epoch in a fresh order; U beyond the split is
// refused.
TEST(TrainLoader, CappedAtUniqueTokensNeverReadsPastThem) {
  TempDir dir;
  make_dataset(dir.path());  // 2500 train tokens
  const int64_t T = 16, B = 4, U = 700;
  for (int64_t rows_per_step : {int64_t(0), B}) {
    TrainLoader loader(dir.path(), T, 3, rows_per_step, U);
    EXPECT_EQ(loader.n_tokens(), U);
    std::set<int64_t> starts_epoch0, starts_epoch1;
    const int64_t n_windows = loader.n_windows_per_epoch();
    for (int64_t step = 0; step < 200; ++step)
      for (int64_t row = 0; row < B; ++row) {
        const int64_t start = loader.window_start(step, row);
        EXPECT_GE(start, 0);
        EXPECT_LE(start + T + 1, U) << "step " << step << " row " << row;
        const int64_t g = step * B + row;
        if (rows_per_step > 0 && g < n_windows) starts_epoch0.insert(start);
        if (rows_per_step > 0 && g >= n_windows && g < 2 * n_windows) starts_epoch1.insert(start);
      }
    if (rows_per_step > 0) {
      EXPECT_EQ(int64_t(starts_epoch0.size()), (U - 1) / T);  // every window of the U tokens once
      EXPECT_EQ(int64_t(starts_epoch1.size()), (U - 1) / T);
    }
  }
  expect_error([&] { TrainLoader l(dir.path(), T, 3, B, 2501); },
               {"data.unique_tokens: 2501 is more than the train split", "2500 tokens"});
  EXPECT_NO_THROW(TrainLoader(dir.path(), T, 3, B, 2500));
}

}  // namespace scalelab::data
