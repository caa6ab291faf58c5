// model/safetensors: the writer's layout (aligned header, offsets that tile the data, raw
// little-endian bytes) and its refusals. Python's safetensors package reading our files is checked
// in e2e/test_export_e2e.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/safetensors.h"

using namespace scalelab;
namespace fs = std::filesystem;

TEST(Safetensors, HeaderIsAlignedAndOffsetsTileTheData) {
  const fs::path dir =
      fs::temp_directory_path() / ("scalelab_test_safetensors_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const std::vector<int64_t> b = {7};
  const std::string path = (dir / "t.safetensors").string();
  write_safetensors(path, {{"a", "F32", {2, 3}, a.data(), 24}, {"b", "I64", {}, b.data(), 8}},
                    {{"format", "pt"}});
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(fs::file_size(path), 8 + n + 24 + 8);
  auto header = read_safetensors_header(path);
  EXPECT_EQ(header["a"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(header["b"]["data_offsets"], nlohmann::json({24, 32}));
  EXPECT_EQ(header["a"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");
  std::vector<float> back(6);
  in.seekg(static_cast<std::streamoff>(8 + n));
  in.read(reinterpret_cast<char*>(back.data()), 24);
  EXPECT_EQ(back, a);

  EXPECT_THROW(write_safetensors(path, {{"a", "F32", {2, 3}, a.data(), 20}}), std::runtime_error);
  EXPECT_THROW(
      write_safetensors(path, {{"a", "F32", {1}, a.data(), 4}, {"a", "F32", {1}, a.data(), 4}}),
      std::runtime_error);
  EXPECT_THROW(write_safetensors(path, {{"a", "Q4", {1}, a.data(), 4}}), std::runtime_error);
  fs::remove_all(dir);
}
