// prepare end to end on small generated corpora: documents come back exactly from the shards,
// the split is by document and reproducible, output does not depend on the thread count or on
// cutting large documents into pieces, and bad inputs are clear errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <zlib.h>

#include "data/encode_pass.h"
#include "data/import_shards.h"
#include "data/loader.h"
#include "data/prepare.h"
#include "data/shard.h"
#include "data/tokenizer.h"
#include "tests/support/data_util.h"

namespace scalelab::data {
namespace {

using testing::expect_error;
using testing::make_corpus;
using testing::prepare_options;
using testing::read_file;
using testing::sample_text;
using testing::split_tokens;
using testing::TempDir;
using testing::write_file;

// The documents of one split, decoded: the EOT token opens each document.
std::vector<std::string> decode_split(const std::string& dir, const std::vector<ShardEntry>& shards,
                                      const Tokenizer& tok) {
  std::vector<uint32_t> all;
  for (const auto& s : shards) {
    auto t = Shard(dir + "/" + s.file).read_all();
    all.insert(all.end(), t.begin(), t.end());
  }
  std::vector<std::string> docs;
  std::vector<uint32_t> current;
  for (size_t i = 0; i <= all.size(); ++i) {
    if (i == all.size() || all[i] == tok.eot_token()) {
      if (i > 0) docs.push_back(tok.decode(current));
      current.clear();
    } else {
      current.push_back(all[i]);
    }
  }
  return docs;
}

void expect_round_trip(const std::string& out, const std::vector<std::string>& docs) {
  const Manifest m = read_manifest(out);
  auto tok = load_tokenizer(m.tokenizer, out + "/" + m.tokenizer_model);
  auto train = decode_split(out, m.train.shards, *tok), val = decode_split(out, m.val.shards, *tok);
  EXPECT_EQ(static_cast<int64_t>(train.size()), m.train.n_docs);
  EXPECT_EQ(static_cast<int64_t>(val.size()), m.val.n_docs);
  EXPECT_GT(val.size(), 0u);
  // Every document is in exactly one split, in input order.
  std::vector<std::string> merged = train;
  merged.insert(merged.end(), val.begin(), val.end());
  std::multiset<std::string> got(merged.begin(), merged.end()), want(docs.begin(), docs.end());
  EXPECT_TRUE(got == want);
  for (size_t i = 1; i < train.size(); ++i)
    EXPECT_LT(std::find(docs.begin(), docs.end(), train[i - 1]),
              std::find(docs.begin(), docs.end(), train[i]));
}

TEST(Prepare, ByteDatasetHoldsEveryDocumentOnce) {
  TempDir dir;
  auto docs = make_corpus(dir / "in", 60);
  auto r = prepare(prepare_options(dir / "in", dir / "out", "byte"));
  EXPECT_EQ(r.manifest.tokenizer, "byte");
  EXPECT_EQ(r.manifest.vocab_size, 257);
  EXPECT_EQ(r.manifest.train.n_docs + r.manifest.val.n_docs, 60);
  int64_t n_bytes = 0;
  for (const auto& d : docs) n_bytes += d.size();
  EXPECT_EQ(r.manifest.n_train_tokens + r.manifest.n_val_tokens,
            n_bytes + 60);  // + one EOT per document
  EXPECT_EQ(r.manifest.train.n_bytes + r.manifest.val.n_bytes, n_bytes);
  expect_round_trip(dir / "out", docs);
  Manifest m = read_manifest(dir / "out");
  EXPECT_NO_THROW(verify_checksums(dir / "out", m));
  EXPECT_NO_THROW(TrainLoader(dir / "out", 16, 0));
}

TEST(Prepare, OutputIsIndependentOfThreadsAndPieceSize) {
  TempDir dir;
  auto docs = make_corpus(dir / "in", 40);
  write_file(dir / "in/big.txt", sample_text(400, 1234));  // cut into many pieces below
  docs.insert(docs.begin(), sample_text(400, 1234));       // "big.txt" sorts before "sub0/"
  auto o = prepare_options(dir / "in", dir / "a", "bpe");
  o.n_threads = 1;
  auto a = prepare(o);
  o.out_dir = dir / "b";
  o.n_threads = 3;
  o.max_piece_bytes = 256;  // big.txt streams in pieces; the sample and the tokens must not change
  auto b = prepare(o);
  // Same vocabulary (the model files differ only in the recorded num_threads).
  auto tok_a = load_sentencepiece(dir / "a/tokenizer.model"),
       tok_b = load_sentencepiece(dir / "b/tokenizer.model");
  for (uint32_t id = 0; id < 400; ++id) ASSERT_EQ(tok_a->decode({id}), tok_b->decode({id}));
  ASSERT_EQ(a.manifest.train.shards.size(), b.manifest.train.shards.size());
  EXPECT_EQ(a.manifest.train.shards[0].sha256, b.manifest.train.shards[0].sha256);
  EXPECT_EQ(a.manifest.val.shards[0].sha256, b.manifest.val.shards[0].sha256);
  EXPECT_EQ(a.manifest.tokenizer, "bpe");
  EXPECT_EQ(a.manifest.vocab_size, 400);
  EXPECT_EQ(a.manifest.eot_token, 1);
  expect_round_trip(dir / "b", docs);
}

TEST(Prepare, SplitIsByDocumentAndFollowsTheSeed) {
  TempDir dir;
  make_corpus(dir / "in", 60);
  auto o = prepare_options(dir / "in", dir / "a", "byte");
  auto a = prepare(o);
  o.out_dir = dir / "b";
  o.seed = 4;
  auto b = prepare(o);
  EXPECT_NE(a.manifest.val.shards[0].sha256, b.manifest.val.shards[0].sha256);
  o.out_dir = dir / "c";
  o.shard_tokens = 500;  // many shards; same tokens
  auto c = prepare(o);
  EXPECT_GT(c.manifest.train.shards.size(), 3u);
  EXPECT_EQ(c.manifest.train.shards[0].n_tokens, 500);
  EXPECT_EQ(c.manifest.n_train_tokens, b.manifest.n_train_tokens);
}

TEST(Prepare, JsonlRecordsAreDocuments) {
  TempDir dir;
  std::string jsonl;
  std::vector<std::string> docs;
  for (int i = 0; i < 30; ++i) {
    docs.push_back(sample_text(3, i));
    jsonl += nlohmann::json{{"id", i}, {"body", docs.back()}}.dump() + "\n";
  }
  write_file(dir / "data.jsonl", jsonl + "\n");
  auto o = prepare_options(dir / "data.jsonl", dir / "out", "byte");
  o.jsonl_field = "body";
  o.val_fraction = 0.3;
  prepare(o);
  expect_round_trip(dir / "out", docs);
  o.out_dir = dir / "out2";
  o.jsonl_field = "text";
  expect_error([&] { prepare(o); }, {dir / "data.jsonl:1", "'text'", "--jsonl-field"});
}

TEST(Prepare, InvalidUtf8DocumentsAreSkippedForBpeKeptForBytes) {
  TempDir dir;
  make_corpus(dir / "in", 30);
  write_file(dir / "in/latin1.txt", "caf\xe9\n");
  auto o = prepare_options(dir / "in", dir / "bpe", "bpe");
  auto r = prepare(o);
  EXPECT_EQ(r.manifest.train.n_docs + r.manifest.val.n_docs, 30);
  EXPECT_EQ(r.manifest.prepare["n_skipped_invalid_utf8_docs"], 1);
  o.out_dir = dir / "byte";
  o.tokenizer = "byte";
  EXPECT_EQ(prepare(o).manifest.prepare["n_skipped_invalid_utf8_docs"], 0);
}

TEST(Prepare, ExistingModelFileIsCopiedAndUsed) {
  TempDir dir;
  auto docs = make_corpus(dir / "in", 30);
  prepare(prepare_options(dir / "in", dir / "a", "bpe"));
  auto r = prepare(prepare_options(dir / "in", dir / "b", dir / "a/tokenizer.model"));
  EXPECT_EQ(r.manifest.tokenizer, "sentencepiece");
  EXPECT_EQ(r.manifest.vocab_size, 400);
  expect_round_trip(dir / "b", docs);
}

TEST(Prepare, BadInputsAreClearErrors) {
  TempDir dir;
  make_corpus(dir / "in", 10);
  expect_error([&] { prepare(prepare_options(dir / "nope", dir / "o1", "byte")); },
               {dir / "nope", "no such file"});
  auto o = prepare_options(dir / "in", dir / "o2", "byte");
  o.include = {"*.md"};
  expect_error([&] { prepare(o); }, {"no input files", "*.md"});
  write_file(dir / "empty/a.txt", "");
  write_file(dir / "empty/b.txt", "");
  expect_error([&] { prepare(prepare_options(dir / "empty", dir / "o3", "byte")); },
               {"2 input file(s) are empty"});
  o = prepare_options(dir / "in", dir / "o4", "byte");
  o.val_fraction = 0;  // no val: `train` would refuse the dataset later, so prepare refuses it
  expect_error([&] { prepare(o); }, {"--val-fraction 0", "validation tokens"});
  EXPECT_FALSE(std::filesystem::exists(dir / "o4"));
  o.val_fraction = 0.05;
  prepare(o);
  expect_error([&] { prepare(o); }, {dir / "o4", "--force"});
  o.force = true;
  EXPECT_NO_THROW(prepare(o));
  expect_error([&] { ValLoader v(dir / "o4", 1'000'000, 4); },
               {"val split has", "fewer than block_size + 1"});
  write_file(dir / "one/a.txt", "x");  // 2 tokens (EOT, x): val_fraction 0.99 leaves train 1
  o = prepare_options(dir / "one", dir / "o5", "byte");
  o.val_fraction = 0.99;
  EXPECT_EQ(prepare(o).manifest.n_train_tokens, 1);
  write_file(dir / "one/b.txt", "");
  o = prepare_options(dir / "one/b.txt", dir / "o5b", "byte");
  expect_error([&] { prepare(o); }, {dir / "one/b.txt", "the file is empty"});
  EXPECT_FALSE(std::filesystem::exists(dir / "o5b"));  // a failed prepare leaves nothing behind
  o = prepare_options(dir / "in", dir / "o6", "tok.vocab");
  expect_error([&] { prepare(o); }, {"tok.vocab", "expected byte, bpe"});
  o = prepare_options(dir / "in", dir / "o7", "bpe");
  o.vocab_size = 100;
  expect_error([&] { prepare(o); }, {"--vocab-size 100"});
}

// Every file directly in dir, by name, with its bytes.
std::map<std::string, std::string> folder_bytes(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out[e.path().filename().string()] = read_file(e.path().string());
  return out;
}

// Runs fn, expects a std::runtime_error, returns its message.
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

TEST(Prepare, FailedForceLeavesTheOldDatasetByteIdentical) {
  TempDir dir;
  make_corpus(dir / "in", 30);
  auto o = prepare_options(dir / "in", dir / "out", "byte");
  o.shard_tokens = 2000;  // several train shards
  prepare(o);
  EXPECT_NO_THROW(TrainLoader(dir / "out", 16, 0));  // also writes the checksum stamp
  write_file(dir / "out/notes.txt", "the user's own file");
  const auto before = folder_bytes(dir / "out");
  ASSERT_GT(before.size(), 5u);
  ASSERT_TRUE(before.count("train_000002.bin"));

  // BPE training fails (a vocabulary far larger than 30 short documents can fill).
  auto bpe = prepare_options(dir / "in", dir / "out", "bpe");
  bpe.force = true;
  bpe.vocab_size = 100000;
  std::string what = error_of([&] { prepare(bpe); });
  EXPECT_NE(what.find("BPE training (vocab_size 100000) failed"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_TRUE(folder_bytes(dir / "out") == before);

  // Fails after the encode pass (the model is already copied in): no document is UTF-8.
  prepare(prepare_options(dir / "in", dir / "model", "bpe"));
  write_file(dir / "latin1/a.txt", "caf\xe9\n");
  auto one = prepare_options(dir / "latin1", dir / "out", dir / "model/tokenizer.model");
  one.force = true;
  what = error_of([&] { prepare(one); });
  EXPECT_NE(what.find("no documents with text"), std::string::npos) << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  EXPECT_TRUE(folder_bytes(dir / "out") == before);
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))  // no staging folder left
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();

  // A --force that succeeds replaces every dataset file (stale shards and stamp included) and
  // keeps the user's.
  auto again = o;
  again.force = true;
  again.shard_tokens = 1'000'000;
  auto r = prepare(again);
  const auto after = folder_bytes(dir / "out");
  EXPECT_EQ(after.at("notes.txt"), "the user's own file");
  EXPECT_FALSE(after.count("train_000001.bin"));
  EXPECT_FALSE(after.count(kVerifiedStampFile));
  EXPECT_NE(after.at("manifest.json"), before.at("manifest.json"));
  EXPECT_EQ(r.manifest.train.shards.size(), 1u);
  EXPECT_NO_THROW(verify_checksums(dir / "out", read_manifest(dir / "out")));
  EXPECT_NO_THROW(TrainLoader(dir / "out", 16, 0));
}

TEST(Prepare, ModelFileInsideTheReplacedDatasetIsStillReadable) {
  // --force --tokenizer out/tokenizer.model: the old model is read while the new dataset is built.
  TempDir dir;
  auto docs = make_corpus(dir / "in", 30);
  prepare(prepare_options(dir / "in", dir / "out", "bpe"));
  auto o = prepare_options(dir / "in", dir / "out", dir / "out/tokenizer.model");
  o.force = true;
  auto r = prepare(o);
  EXPECT_EQ(r.manifest.tokenizer, "sentencepiece");
  expect_round_trip(dir / "out", docs);
}

void write_gzip(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  gzclose(gz);
}

// nanoGPT's first example: one text file. Its tokens are split by position, the last
// val_fraction becoming val, and the output says so; the same file gzip'd gives the same dataset.
TEST(Prepare, OneFileIsSplitByPosition) {
  TempDir dir;
  const std::string text = sample_text(300, 11);
  write_file(dir / "input.txt", text);
  auto o = prepare_options(dir / "input.txt", dir / "out", "byte");
  o.val_fraction = 0.1;
  const auto r = prepare(o);
  EXPECT_EQ(r.split, "position");
  EXPECT_NE(r.split_note.find("split by position"), std::string::npos) << r.split_note;
  EXPECT_NE(r.split_note.find("last 10%"), std::string::npos) << r.split_note;
  const Manifest m = read_manifest(dir / "out");
  EXPECT_EQ(m.prepare["split"], "position");
  const int64_t n = static_cast<int64_t>(text.size()) + 1;  // EOT opens the document
  EXPECT_EQ(m.n_train_tokens + m.n_val_tokens, n);
  EXPECT_EQ(m.n_val_tokens, std::llround(n * 0.1));
  EXPECT_EQ(m.train.n_docs, 1);
  EXPECT_EQ(m.val.n_docs, 0);
  // train then val is the whole stream: EOT, then the file's bytes, in order.
  auto stream = split_tokens(dir / "out", m.train.shards);
  const auto val = split_tokens(dir / "out", m.val.shards);
  EXPECT_EQ(static_cast<int64_t>(val.size()), m.n_val_tokens);
  stream.insert(stream.end(), val.begin(), val.end());
  std::vector<uint32_t> want = {256};
  for (unsigned char c : text) want.push_back(c);
  EXPECT_EQ(stream, want);
  EXPECT_NO_THROW(verify_checksums(dir / "out", m));
  EXPECT_NO_THROW(ValLoader(dir / "out", 64, 0));
  // Shards of 500 tokens: the cut still falls at the same token.
  o.out_dir = dir / "small";
  o.shard_tokens = 500;
  const auto small = prepare(o);
  EXPECT_GT(small.manifest.train.shards.size(), 2u);
  EXPECT_EQ(small.manifest.n_val_tokens, m.n_val_tokens);
  // gzip'd text reads as text.
  write_gzip(dir / "gz/input.txt.gz", text);
  o.inputs = {dir / "gz/input.txt.gz"};
  o.out_dir = dir / "gz_out";
  o.shard_tokens = 100'000'000;
  const auto gz = prepare(o);
  EXPECT_EQ(gz.manifest.train.shards[0].sha256, m.train.shards[0].sha256);
  EXPECT_EQ(gz.manifest.val.shards[0].sha256, m.val.shards[0].sha256);
  // A BPE tokenizer trains on it too (the one document may have drawn val).
  o.inputs = {dir / "input.txt"};
  o.out_dir = dir / "bpe";
  o.tokenizer = "bpe";
  o.vocab_size = 300;
  const auto bpe = prepare(o);
  EXPECT_EQ(bpe.split, "position");
  EXPECT_GT(bpe.manifest.n_val_tokens, 0);
}

// Issue 27: a folder whose few documents all drew train got its val from the end of the last
// file alone ("split by position"). Now each document gives its tail: val holds text of every
// file, and the summary says where val came from.
TEST(Prepare, AFolderOfFewDocumentsTakesValFromEveryDocument) {
  TempDir dir;
  const int n_files = 6;
  for (int f = 0; f < n_files; ++f)  // file f is 400 copies of one letter: val shows its source
    write_file(dir / ("in/f" + std::to_string(f) + ".txt"), std::string(400 + 37 * f, 'a' + f));
  auto o = prepare_options(dir / "in", dir / "out", "byte");
  o.val_fraction = 0.05;
  o.seed = 0;  // a seed under which no document draws val (a folder of few documents)
  while ([&] {
    for (int d = 0; d < n_files; ++d)
      if (is_val_doc(o.seed, d, o.val_fraction)) return true;
    return false;
  }())
    ++o.seed;
  const auto r = prepare(o);
  EXPECT_EQ(r.split, "within-documents");
  EXPECT_NE(r.split_note.find("last 5% of each document's tokens are val"), std::string::npos)
      << r.split_note;
  EXPECT_NE(r.split_note.find("from 6 documents in 6 file(s)"), std::string::npos) << r.split_note;
  EXPECT_NE(r.split_note.find(dir / "in/f0.txt"), std::string::npos) << r.split_note;
  const Manifest m = read_manifest(dir / "out");
  EXPECT_EQ(m.prepare["split"], "within-documents");
  int64_t total = 0;
  for (int f = 0; f < n_files; ++f) total += 1 + 400 + 37 * f;  // EOT + the letters
  EXPECT_EQ(m.n_train_tokens + m.n_val_tokens, total);
  EXPECT_EQ(m.n_val_tokens, std::llround(0.05 * total));
  EXPECT_EQ(m.train.n_docs, n_files);  // every document keeps its beginning in train
  // Val: the tail of each file in order, a run of its letter; train: each file's head after EOT.
  const auto val = split_tokens(dir / "out", m.val.shards);
  const auto train = split_tokens(dir / "out", m.train.shards);
  std::set<uint32_t> letters(val.begin(), val.end());
  EXPECT_EQ(letters.size(), size_t(n_files));
  EXPECT_TRUE(std::is_sorted(val.begin(), val.end()));
  std::vector<std::vector<uint32_t>> heads;  // train: EOT, then the head of each document
  for (uint32_t t : train) {
    if (t == 256)
      heads.emplace_back();
    else
      heads.back().push_back(t);
  }
  ASSERT_EQ(heads.size(), size_t(n_files));
  for (int f = 0; f < n_files; ++f) {
    const auto letter = uint32_t('a' + f);
    const auto tail = std::count(val.begin(), val.end(), letter);
    EXPECT_GT(tail, 0) << "no val from file " << f;
    EXPECT_EQ(heads[f], std::vector<uint32_t>(400 + 37 * f - tail, letter)) << f;
  }
  EXPECT_NO_THROW(ValLoader(dir / "out", 16, 0));
}

// A split by document says how many documents went to val and from how many files.
TEST(Prepare, ADocumentSplitSaysWhereValCameFrom) {
  TempDir dir;
  make_corpus(dir / "in", 30);
  const auto r = prepare(prepare_options(dir / "in", dir / "out", "byte"));
  EXPECT_EQ(r.split, "document");
  const Manifest m = read_manifest(dir / "out");
  EXPECT_NE(r.split_note.find("split by document: " + std::to_string(m.val.n_docs) +
                              " of 30 documents are val, from " + std::to_string(m.val.n_docs) +
                              " of 30 file(s)"),
            std::string::npos)
      << r.split_note;
}

TEST(Prepare, GzipJsonlRecordsAreDocuments) {
  TempDir dir;
  std::string jsonl;
  std::vector<std::string> docs;
  for (int i = 0; i < 30; ++i) {
    docs.push_back(sample_text(3, i));
    jsonl += nlohmann::json{{"text", docs.back()}}.dump() + "\n";
  }
  write_gzip(dir / "data.jsonl.gz", jsonl);
  auto o = prepare_options(dir / "data.jsonl.gz", dir / "out", "byte");
  o.val_fraction = 0.3;
  prepare(o);
  expect_round_trip(dir / "out", docs);
}

// Empty and binary inputs: one line naming the file.
TEST(Prepare, EmptyAndBinaryFilesAreRefusedByName) {
  TempDir dir;
  write_file(dir / "empty.txt", "");
  expect_error([&] { prepare(prepare_options(dir / "empty.txt", dir / "o1", "byte")); },
               {dir / "empty.txt", "empty"});
  write_file(dir / "model.pt", std::string("PK\x03\x04\0\0binary", 12));
  expect_error([&] { prepare(prepare_options(dir / "model.pt", dir / "o2", "byte")); },
               {dir / "model.pt", "binary file", "NUL byte at offset 4"});
  std::filesystem::create_directories(dir / "shards");
  write_shard(dir / "shards/x_train_000000.bin", {1, 2, 3}, 2);
  expect_error(
      [&] { prepare(prepare_options(dir / "shards/x_train_000000.bin", dir / "o3", "byte")); },
      {dir / "shards/x_train_000000.bin", "llm.c token shard", "--from-shards"});
  // A binary file inside a folder is refused too, with a hint to select the text files.
  make_corpus(dir / "in", 5);
  write_file(dir / "in/sub0/logo.txt", std::string("\x89PNG\r\n\x1a\n\0\0", 10));
  expect_error([&] { prepare(prepare_options(dir / "in", dir / "o4", "byte")); },
               {dir / "in/sub0/logo.txt", "binary", "--include"});
  for (const char* o : {"o1", "o2", "o3", "o4"}) EXPECT_FALSE(std::filesystem::exists(dir / o));
}

}  // namespace
}  // namespace scalelab::data
