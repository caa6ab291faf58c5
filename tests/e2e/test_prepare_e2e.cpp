// `scalelab prepare` as a user first meets it through the binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/run.h"

using namespace scalelab::test_util;

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
