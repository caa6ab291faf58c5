// The safetensors file format (https://huggingface.co/docs/safetensors, "Format"): an 8-byte
// little-endian header length N, N bytes of JSON mapping each tensor name to its dtype, shape and
// [begin, end) byte offsets into the data that follows (plus an optional "__metadata__" map of
// strings), then the raw little-endian tensor bytes, back to back with no holes.
// Torch-free: the writer takes plain buffers, so it builds and tests without LibTorch.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scalelab {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;           // the format's names: "F32", "BF16", "F16", "I64", ...
  std::vector<int64_t> shape;  // row-major; {} for a scalar
  const void* data = nullptr;  // little-endian, contiguous; must outlive the write
  size_t n_bytes = 0;          // must equal product(shape) * sizeof(dtype)
};

// Writes `path` atomically (a temporary file, then rename). Errors name the file or the tensor:
// duplicate names, a name starting with "__", an unknown dtype, n_bytes that disagree with shape.
void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The JSON header of a safetensors file (for checks and tests); throws naming the file if it is
// shorter than its header claims or the header is not JSON.
nlohmann::json read_safetensors_header(const std::string& path);

// Bytes per element of a safetensors dtype name; 0 for an unknown one.
size_t safetensors_dtype_size(const std::string& dtype);

}  // namespace scalelab
