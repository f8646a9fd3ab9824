// Reads files written by PyTorch's torch.save without Python and without LibTorch: the zip
// container (`<any>/data.pkl`, `<any>/data/<key>` storages), the legacy (<1.6) stream format, and a
// restricted unpickler that understands only what torch.save emits for tensors and containers.
// Safe by construction: no code is ever called; the only globals accepted are
//   collections.OrderedDict, torch._utils._rebuild_tensor(_v2), torch._utils._rebuild_parameter,
//   torch.{Float,Double,Half,BFloat16,Long,Int,Short,Char,Byte,Bool}Storage
// and any other global is an Error naming it. Tensors are materialised contiguous (strided views
// are copied out of their storage) in little-endian byte order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stickgen/common.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen {

struct TorchTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::string data;  // contiguous row-major bytes, numel() * dtype_size(dtype)
  bool requires_grad = false;

  int64_t numel() const;
  // A view over `data` (valid while this tensor lives), for to_f32() / to_i64().
  TensorView view(std::string name = {}) const;
};

// One node of the unpickled object graph. Nodes are owned by the TorchArchive they came from;
// containers point at their children. The graph is checked to be acyclic after loading.
struct PyValue {
  enum class Kind { none, boolean, integer, big_integer, floating, string, bytes, list, tuple, dict, tensor };
  Kind kind = Kind::none;
  bool boolean = false;
  int64_t integer = 0;
  double floating = 0.0;
  std::string text;  // string (UTF-8), bytes, or big_integer (little-endian two's complement)
  std::vector<const PyValue*> items;                                // list, tuple
  std::vector<std::pair<const PyValue*, const PyValue*>> entries;  // dict, in insertion order
  const PyValue* attributes = nullptr;  // dict only: the BUILD state (e.g. a state_dict's _metadata)
  std::shared_ptr<const TorchTensor> tensor;

  bool is_dict() const { return kind == Kind::dict; }
  bool is_string() const { return kind == Kind::string; }
  bool is_tensor() const { return kind == Kind::tensor; }
  // Dict lookup by string key; nullptr when absent or when this is not a dict.
  const PyValue* get(std::string_view key) const;
  // Short description for error messages: "dict (3 entries)", "tensor F32 [4, 3]", "str 'abc'" ...
  std::string describe() const;
};

std::string_view py_kind_name(PyValue::Kind kind);

class TorchArchive {
 public:
  static TorchArchive open(const std::filesystem::path& path);
  static TorchArchive from_bytes(std::string bytes, std::string origin = "<bytes>");

  const PyValue& root() const;
  const std::string& origin() const;
  bool legacy_format() const;  // true for the pre-1.6 stream format

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

// ------------------------------------------------------------------ building blocks (exposed for tests)

// Entry of a zip archive whose data is stored uncompressed (what torch.save writes).
struct ZipEntry {
  std::string name;
  size_t offset = 0;  // of the data within the archive bytes
  size_t size = 0;
};
// Lists a zip archive's entries from its central directory (zip64 aware). Compressed or encrypted
// entries, and every inconsistency, are Errors naming `origin`.
std::vector<ZipEntry> read_stored_zip(std::string_view bytes, const std::string& origin);

}  // namespace stickgen
