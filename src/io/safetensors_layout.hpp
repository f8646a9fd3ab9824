// Internal to src/io: the byte layout of a safetensors file, shared by SafeTensorsWriter (which
// holds its tensors in memory) and DatasetWriter (which streams them from spool files).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stickgen/safetensors.hpp"

namespace stickgen::io {

struct TensorLayout {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;  // must equal numel * dtype_size
  uint64_t begin = 0;   // filled by layout_safetensors, relative to the data section
  uint64_t end = 0;
};

// Sorts `tensors` into data order (larger dtypes first, then by name, so every tensor starts at
// a multiple of its element size with no gaps, as the published library lays files out), fills
// begin/end and returns the file prefix: the 8-byte little-endian header length followed by the
// JSON header (keys sorted, "__metadata__" first), padded with spaces so the data starts at a
// multiple of 8. Throws Error on a bad name, shape or size.
std::string layout_safetensors(std::vector<TensorLayout>& tensors,
                               const std::map<std::string, std::string>& metadata);

// Checks a tensor name, shape and byte count before they are written; `what` names the caller.
void check_tensor_for_writing(const std::string& what, const std::string& name,
                              const std::vector<int64_t>& shape, DType dtype, uint64_t nbytes);

}  // namespace stickgen::io
