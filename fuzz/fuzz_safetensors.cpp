// libFuzzer target: the safetensors reader must turn any byte string into a file view or a
// one-line stickgen::Error; every tensor it accepts must be readable within the input's bytes
// (ASan checks), and re-writing what it read must read back the same.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "stickgen/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stickgen;
  SafeTensorsFile file;
  try {
    file = SafeTensorsFile::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
  } catch (const Error& e) {
    if (std::strchr(e.what(), '\n')) __builtin_trap();
    return 0;
  }
  SafeTensorsWriter writer;
  volatile float sink = 0;
  for (const auto& t : file.tensors()) {
    const auto f = t.to_f32();
    if (!f.empty()) sink = sink + f.back();
    try {
      const auto i = t.to_i64();
      if (!i.empty()) sink = sink + static_cast<float>(i.front());
    } catch (const Error&) {
    }
    writer.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
  }
  for (const auto& [k, v] : file.metadata()) writer.set_metadata(k, v);
  const SafeTensorsFile back = SafeTensorsFile::from_bytes(writer.to_bytes(), "fuzz-roundtrip.safetensors");
  if (back.tensors().size() != file.tensors().size() || back.metadata() != file.metadata()) __builtin_trap();
  for (const auto& t : file.tensors()) {
    const auto& b = back.get(t.name);
    if (b.dtype != t.dtype || b.shape != t.shape || b.nbytes != t.nbytes ||
        (t.nbytes && std::memcmp(b.data, t.data, t.nbytes) != 0))
      __builtin_trap();
  }
  return 0;
}
