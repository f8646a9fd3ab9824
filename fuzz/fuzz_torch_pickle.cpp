// libFuzzer target: the torch.save reader (zip container, legacy stream, restricted unpickler)
// must turn any byte string into either a value tree or a stickgen::Error — never a crash, a
// hang, or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "stickgen/torch_pickle.hpp"

namespace {
// Touches every node so use-after-free or bad pointers in the result surface under ASan.
size_t walk(const stickgen::PyValue& v, int depth) {
  size_t n = 1 + v.text.size();
  if (depth > 2000) return n;
  for (const auto* item : v.items) n += walk(*item, depth + 1);
  for (const auto& [k, val] : v.entries) n += walk(*k, depth + 1) + walk(*val, depth + 1);
  if (v.attributes) n += walk(*v.attributes, depth + 1);
  if (v.tensor) {
    n += v.tensor->data.size();
    if (!v.tensor->data.empty()) n += static_cast<unsigned char>(v.tensor->data.back());
    (void)v.describe();
  }
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto archive = stickgen::TorchArchive::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    volatile size_t n = walk(archive.root(), 0);
    (void)n;
  } catch (const stickgen::Error&) {
  }
  return 0;
}
