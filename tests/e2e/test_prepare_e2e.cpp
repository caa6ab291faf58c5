// `scalelab prepare` as a user first meets it through the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/run.h"

using namespace scalelab::test_util;
namespace fs = std::filesystem;

// First contact with data: one text file prepares (split by position, said in the output); an
// empty file, a binary file, shards with ids beyond the vocabulary and a sweep's unknown --set
// key are one clear line each.
TEST(Cli, PrepareOneFileAndBadDataInput) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("scalelab_cli_prepare_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "shards");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "line " + std::to_string(i) + " of the only document\n";
  std::ofstream(dir / "input.txt") << text;
  std::string out;
  ASSERT_EQ(run_cli("prepare --input " + (dir / "input.txt").string() + " --out " +
                        (dir / "ds").string() + " --val-fraction 0.1",
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("split by position"), std::string::npos) << out;
  EXPECT_NE(out.find("last 10% of the tokens"), std::string::npos) << out;
  std::ofstream(dir / "empty.txt").close();
  expect_one_clear_line(
      "prepare --input " + (dir / "empty.txt").string() + " --out " + (dir / "o1").string(),
      (dir / "empty.txt").string() + ": the file is empty");
  std::ofstream(dir / "blob.dat", std::ios::binary) << std::string(
      "\x7f"
      "ELF\0\0\0",
      7);
  expect_one_clear_line(
      "prepare --input " + (dir / "blob.dat").string() + " --out " + (dir / "o2").string(),
      (dir / "blob.dat").string() + ": binary file");
  // An llm.c shard (uint16, magic 20240520) holding id 50256, imported with a smaller vocabulary.
  for (const char* split : {"train", "val"}) {
    std::vector<int32_t> header(256, 0);
    header[0] = 20240520, header[1] = 1, header[2] = 2;
    std::ofstream f(dir / "shards" / (std::string("x_") + split + "_000000.bin"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(header.data()), 1024);
    const uint16_t ids[2] = {50256, 11};
    f.write(reinterpret_cast<const char*>(ids), 4);
  }
  expect_one_clear_line("prepare --from-shards " + (dir / "shards").string() + " --out " +
                            (dir / "o3").string() + " --vocab-size 1000 --eot-token 0",
                        "--vocab-size");
  ASSERT_EQ(run_cli("prepare --from-shards " + (dir / "shards").string() + " --out " +
                        (dir / "gpt2").string(),
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("llm.c token files"), std::string::npos) << out;
  const std::string sweep =
      write_temp("set.yaml", "base: " SCALELAB_SOURCE_DIR
                             "/configs/debug.yaml\ngrid: {model.n_layer: [1, 2]}\n");
  expect_one_clear_line("sweep " + sweep + " --set train.batch_sise=4 --dry-run --no-measure",
                        "unknown key 'train.batch_sise'");
  fs::remove_all(dir);
}

// Issue 26's prepare cases through the binary, each one line and exit 1 with nothing written:
// --val-fraction 0 (a dataset train would refuse later), a BPE vocabulary too small for the
// text's characters (SentencePiece's text pointed to its --character_coverage), a garbage .model
// (SentencePiece's raw text).
TEST(Cli, PrepareRefusesWhatWouldFailLaterInOneLine) {
  const fs::path dir =
      fs::temp_directory_path() / ("scalelab_cli_prepare26_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text;  // 300 distinct CJK characters, each common enough for the BPE sample to keep
  for (int line = 0; line < 400; ++line, text += '\n')
    for (int k = 0; k < 30; ++k) {
      const unsigned c = 0x4E00 + static_cast<unsigned>((line * 31 + k * 17) % 300);
      text += static_cast<char>(0xE0 | (c >> 12));
      text += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (c & 0x3F));
    }
  std::ofstream(dir / "cjk.txt") << text;
  const std::string input = "prepare --input " + (dir / "cjk.txt").string() + " --out ";
  expect_one_clear_line(input + (dir / "v0").string() + " --val-fraction 0",
                        "--val-fraction 0: a dataset needs validation tokens");
  // BPE training prints its progress line first; the error is then one line, the last.
  std::string out;
  EXPECT_EQ(run_cli(input + (dir / "bpe").string() + " --tokenizer bpe --vocab-size 300", &out), 1);
  const std::string last = out.substr(out.rfind('\n', out.size() - 2) + 1);
  EXPECT_EQ(last.rfind("scalelab: error: BPE training (vocab_size 300) failed: the text's "
                       "characters",
                       0),
            0u)
      << out;
  EXPECT_NE(last.find("need 558 ids before any merge; pass a larger --vocab-size"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("character_coverage"), std::string::npos) << out;
  std::string garbage(3000, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) % 251);
  std::ofstream(dir / "garbage.model", std::ios::binary) << garbage;
  expect_one_clear_line(
      input + (dir / "sp").string() + " --tokenizer " + (dir / "garbage.model").string(),
      "tokenizer model " + (dir / "garbage.model").string() +
          ": not a SentencePiece model (the file does not parse as one)");
  for (const char* out_dir : {"v0", "bpe", "sp"})
    EXPECT_FALSE(fs::exists(dir / out_dir)) << out_dir;
  fs::remove_all(dir);
}
