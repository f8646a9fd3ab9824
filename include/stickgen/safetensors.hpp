// safetensors: 8-byte little-endian header length, JSON header {name: {dtype, shape,
// data_offsets}, "__metadata__": {str: str}}, then raw little-endian data. Our own implementation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "stickgen/common.hpp"

namespace stickgen {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };
std::string_view dtype_name(DType d);  // "F32", ...
size_t dtype_size(DType d);

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // points into the mapped file (or the owned buffer)
  size_t nbytes = 0;
  int64_t numel() const;
  // Converts to float32 (from F32/F16/BF16/F64/ints); throws Error on an unsupported dtype.
  std::vector<float> to_f32() const;
  std::vector<int64_t> to_i64() const;  // from any integer or bool dtype
};

// Read-only, memory-mapped safetensors file. The header and every offset are bounds-checked;
// any inconsistency is an Error naming the file and the tensor.
class SafeTensorsFile {
 public:
  static SafeTensorsFile open(const std::filesystem::path& path);   // mmap
  static SafeTensorsFile from_bytes(std::string bytes, std::string origin = "<bytes>");

  bool contains(const std::string& name) const;
  const TensorView& get(const std::string& name) const;  // Error naming the missing tensor
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& origin() const { return origin_; }

 private:
  struct Storage;
  std::shared_ptr<Storage> storage_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
  std::string origin_;
};

// Collects tensors, then writes them (atomically) in the published layout, sorted by name,
// offsets 8-byte aligned via header padding.
class SafeTensorsWriter {
 public:
  void set_metadata(const std::string& key, const std::string& value);
  void add(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data, size_t nbytes);
  void add_f32(const std::string& name, std::vector<int64_t> shape, std::span<const float> values);
  void add_i64(const std::string& name, std::vector<int64_t> shape, std::span<const int64_t> values);
  std::string to_bytes() const;
  void write(const std::filesystem::path& path) const;  // atomic

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::string data;
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// IEEE half / bfloat16 conversions (round to nearest even).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f);

}  // namespace stickgen
