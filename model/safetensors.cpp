#include "model/safetensors.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "common/checked_io.h"

namespace scalelab {
namespace fs = std::filesystem;

size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
      {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2},  {"U32", 4}, {"U64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

namespace {

bool little_endian() {
  const uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // The format stores little-endian bytes; we copy memory as it is, so refuse other hosts.
  if (!little_endian()) throw std::runtime_error(path + ": safetensors needs a little-endian host");
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name.rfind("__", 0) == 0)
      throw std::runtime_error(path + ": invalid tensor name '" + t.name + "'");
    if (!seen.insert(t.name).second)
      throw std::runtime_error(path + ": tensor '" + t.name + "' written twice");
    const size_t element = safetensors_dtype_size(t.dtype);
    if (element == 0)
      throw std::runtime_error(path + ": tensor '" + t.name + "' has unknown dtype " + t.dtype);
    uint64_t n = 1;
    for (int64_t d : t.shape) {
      if (d < 0) throw std::runtime_error(path + ": tensor '" + t.name + "' has a negative dim");
      n *= static_cast<uint64_t>(d);
    }
    if (n * element != t.n_bytes)
      throw std::runtime_error(path + ": tensor '" + t.name + "' has " + std::to_string(t.n_bytes) +
                               " bytes, its shape needs " + std::to_string(n * element));
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + n * element}}};
    offset += n * element;
  }
  std::string text = header.dump();
  // The spec allows trailing spaces in the header; padding to 8 bytes keeps the data aligned for
  // readers that memory-map it.
  text.append((8 - text.size() % 8) % 8, ' ');

  AtomicFile out(path);
  const uint64_t length = text.size();
  out.write(&length, sizeof length);
  out.write(text.data(), text.size());
  for (const auto& t : tensors) out.write(t.data, t.n_bytes);
  out.commit();
}

nlohmann::json read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  uint64_t length = 0;
  in.read(reinterpret_cast<char*>(&length), sizeof length);
  const uint64_t file_size = fs::file_size(path);
  if (!in || length > file_size - sizeof length)
    throw std::runtime_error(path + ": not a safetensors file (header length past the end)");
  std::string text(length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(length));
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": safetensors header is not JSON: " + e.what());
  }
}

}  // namespace scalelab
