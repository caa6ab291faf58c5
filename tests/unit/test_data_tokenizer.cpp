// Tokenizers: byte and SentencePiece BPE round trips (non-ASCII included), training settings,
// load errors, the training-line sampler and the UTF-8 check.
#include <gtest/gtest.h>

#include "data/bpe_train.h"
#include "data/documents.h"
#include "data/tokenizer.h"
#include "tests/support/data_util.h"

namespace scalelab::data {
namespace {

using testing::expect_error;
using testing::sample_text;
using testing::TempDir;

// clang-format 14 keeps re-splitting this literal (multibyte characters): leave it as written.
// clang-format off
const std::string kMixed =
    "In the beginning — café, naïve, Straße, 日本語, Ελληνικά, emoji 🙂\n\tdef f(x):\n    return x  \n";
// clang-format on

TEST(ByteTokenizer, RoundTripsAnyBytes) {
  auto tok = make_byte_tokenizer();
  EXPECT_EQ(tok->vocab_size(), 257);
  EXPECT_EQ(tok->eot_token(), 256);
  std::vector<uint32_t> ids;
  tok->encode(kMixed, ids);
  ASSERT_EQ(ids.size(), kMixed.size());
  EXPECT_EQ(ids[0], static_cast<uint32_t>('I'));
  EXPECT_EQ(tok->decode(ids), kMixed);
  ids.insert(ids.begin() + 3, 256);  // the end-of-document token decodes to nothing
  EXPECT_EQ(tok->decode(ids), kMixed);
  EXPECT_THROW(tok->decode({257}), std::runtime_error);
}

class BpeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    LineSampler sampler(100000, 1);
    sampler.add_text(sample_text(3000, 7));
    train_bpe(sampler.lines(), {400, 1, 2}, *dir_ / "bpe.model");
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
};
TempDir* BpeTest::dir_ = nullptr;

TEST_F(BpeTest, RoundTripsNonAsciiAndUnseenCharacters) {
  auto tok = load_sentencepiece(*dir_ / "bpe.model", "bpe");
  EXPECT_EQ(tok->name(), "bpe");
  EXPECT_EQ(tok->vocab_size(), 400);
  EXPECT_EQ(tok->eot_token(), 1);
  // Characters never seen in training (Greek, emoji, tab) come back through byte fallback.
  for (const std::string& text :
       {kMixed, sample_text(50, 99), std::string("  \n\n  x"), std::string("")}) {
    std::vector<uint32_t> ids;
    tok->encode(text, ids);
    for (uint32_t id : ids) ASSERT_LT(id, 400u);
    EXPECT_EQ(tok->decode(ids), text);
  }
}

TEST_F(BpeTest, CompressesTrainingLikeText) {
  auto tok = load_sentencepiece(*dir_ / "bpe.model", "bpe");
  const std::string text = sample_text(200, 3);
  std::vector<uint32_t> ids;
  tok->encode(text, ids);
  EXPECT_LT(ids.size() * 2, text.size());  // merges learned: well under a token per byte
}

TEST_F(BpeTest, OurModelsMayBeCutAtLineEnds) {
  auto tok = load_sentencepiece(*dir_ / "bpe.model", "bpe");
  EXPECT_TRUE(tok->splits_at_newlines());
  const std::string a = "    return self\n", b = "naïve café (x) == 42\n";
  std::vector<uint32_t> joint, parts;
  tok->encode(a + b, joint);
  tok->encode(a, parts);
  tok->encode(b, parts);
  EXPECT_EQ(joint, parts);
  // Long inputs are encoded a few lines at a time inside encode(): same ids as line by line.
  const std::string long_text =
      sample_text(2000, 11) + std::string(10000, 'x') + "\n" + sample_text(50, 12);
  std::vector<uint32_t> whole, by_line;
  tok->encode(long_text, whole);
  for (size_t pos = 0; pos < long_text.size();) {
    const size_t end = long_text.find('\n', pos) + 1;
    tok->encode(std::string_view(long_text).substr(pos, end - pos), by_line);
    pos = end;
  }
  EXPECT_EQ(whole, by_line);
  EXPECT_EQ(tok->decode(whole), long_text);
}

TEST(BpeTrain, TooSmallVocabularyIsAClearError) {
  TempDir dir;
  LineSampler sampler(1000, 1);
  sampler.add_text(sample_text(100, 1));
  expect_error(
      [&] {
        train_bpe(sampler.lines(), {100, 1, 1}, dir / "m.model");
      },
      {"BPE training", "vocab_size 100"});
  expect_error([&] { train_bpe({}, {400, 1, 1}, dir / "m.model"); }, {"no text"});
}

TEST(SentencePiece, LoadErrorsNameTheFile) {
  TempDir dir;
  testing::write_file(dir / "junk.model", "not a model");
  expect_error([&] { load_sentencepiece(dir / "junk.model"); }, {dir / "junk.model"});
  expect_error([&] { load_sentencepiece(dir / "missing.model"); }, {dir / "missing.model"});
  expect_error([&] { load_tokenizer("gpt9", ""); }, {"gpt9"});
}

// Issue 26: a garbage .model was SentencePiece's raw text (its source file, a protobuf call).
TEST(SentencePiece, AGarbageModelIsOneLineInOurWords) {
  TempDir dir;
  std::string garbage(3000, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) % 251);
  testing::write_file(dir / "garbage.model", garbage);
  for (const auto& [file, reason] : {std::pair{dir / "garbage.model", "not a SentencePiece model"},
                                     {dir / "missing.model", "no such file"}}) {
    try {
      load_sentencepiece(file);
      ADD_FAILURE() << file << " loaded";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_EQ(
          what,
          "tokenizer model " + file + ": " + reason +
              (reason == std::string("no such file") ? "" : " (the file does not parse as one)"));
    }
  }
}

// Issue 26: a vocabulary smaller than the text's characters pointed to SentencePiece's
// --character_coverage, which scalelab does not have.
TEST(BpeTrain, TooFewIdsForTheCharactersSaysWhatToPass) {
  TempDir dir;
  LineSampler sampler(1000, 1);
  std::string text;  // 300 distinct CJK characters, each common enough to be kept
  for (int line = 0; line < 400; ++line, text += '\n')
    for (int k = 0; k < 30; ++k) {
      const uint32_t c = 0x4E00 + static_cast<uint32_t>((line * 31 + k * 17) % 300);
      text += static_cast<char>(0xE0 | (c >> 12));
      text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (c & 0x3F));
    }
  sampler.add_text(text);
  try {
    train_bpe(sampler.lines(), {300, 1, 1}, dir / "m.model");
    ADD_FAILURE() << "trained";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("BPE training (vocab_size 300) failed: "), std::string::npos) << what;
    EXPECT_NE(what.find("need 558 ids before any merge"), std::string::npos) << what;
    EXPECT_NE(what.find("--vocab-size"), std::string::npos) << what;
    EXPECT_EQ(what.find("character_coverage"), std::string::npos) << what;
    EXPECT_EQ(what.find(".cc("), std::string::npos) << what;  // no source location
  }
}

// `scalelab sample` prints text as ids arrive: the pieces add up to the decoding of all the ids,
// and a character made of several byte-fallback pieces comes out whole, never as U+FFFD.
TEST_F(BpeTest, TextStreamAddsUpToTheWholeDecoding) {
  for (const auto& tok : {make_byte_tokenizer(), load_sentencepiece(*dir_ / "bpe.model", "bpe")}) {
    std::vector<uint32_t> ids;
    tok->encode(kMixed, ids);
    TextStream stream(*tok);
    std::string streamed;
    for (uint32_t id : ids) {
      const std::string piece = stream.add(id);
      if (tok->name() != "byte")
        EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos) << tok->name();
      streamed += piece;
    }
    streamed += stream.finish();
    EXPECT_EQ(streamed, kMixed) << tok->name();
  }
}

TEST(LineSampler, BoundedAndDeterministic) {
  const std::string text = sample_text(5000, 5);
  LineSampler a(100, 42), b(100, 42), c(100, 43);
  a.add_text(text);
  b.add_text(text);
  c.add_text(text);
  EXPECT_EQ(a.lines().size(), 100u);
  EXPECT_EQ(a.n_seen(), 5000);
  EXPECT_EQ(a.lines(), b.lines());
  EXPECT_NE(a.lines(), c.lines());
  LineSampler small(100, 1);
  small.add_text("one\n\ntwo\n");
  EXPECT_EQ(small.lines(), (std::vector<std::string>{"one", "two"}));
}

TEST(Utf8, AcceptsValidRejectsMalformed) {
  EXPECT_TRUE(is_utf8(kMixed));
  EXPECT_TRUE(is_utf8(""));
  EXPECT_FALSE(is_utf8("caf\xe9"));           // Latin-1 é
  EXPECT_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_utf8("abcdefgh\xe6\x97"));  // truncated after the ASCII fast path
}

}  // namespace
}  // namespace scalelab::data
