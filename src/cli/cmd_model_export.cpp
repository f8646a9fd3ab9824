// stickgen model-export IN.safetensors -o OUT.safetensors --dtype f16|bf16|f32: rewrites a model
// file with its weight matrices in another floating-point type (half the size in f16). Vectors
// (biases, norms, RoPE frequencies) stay float32, integer tensors and every metadata entry are
// copied unchanged. The runtime reads f16/bf16 matrices in place (docs/RUNTIME.md).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen::cli {
namespace {

struct ExportArgs {
  std::string input, output, dtype = "f16";
};

bool is_float(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16 || d == DType::F64; }

void run_export(const ExportArgs& a) {
  DType target;
  if (a.dtype == "f16") target = DType::F16;
  else if (a.dtype == "bf16") target = DType::BF16;
  else if (a.dtype == "f32") target = DType::F32;
  else throw Error("--dtype: expected f16, bf16 or f32, got '" + a.dtype + "'");
  if (std::filesystem::weakly_canonical(a.input) == std::filesystem::weakly_canonical(a.output))
    throw Error("-o: the output must be another file than the input");
  Model::load(a.input);  // it must be a model file the runtime accepts, not just any safetensors
  const SafeTensorsFile in = SafeTensorsFile::open(a.input);
  SafeTensorsWriter w;
  for (const auto& [key, value] : in.metadata()) w.set_metadata(key, value);
  size_t converted = 0;
  for (const TensorView& t : in.tensors()) {
    if (!is_float(t.dtype) || t.shape.size() < 2 || t.dtype == target) {
      if (is_float(t.dtype) && t.dtype != DType::F32 && t.shape.size() < 2) {  // vectors back to f32
        const auto v = t.to_f32();
        w.add_f32(t.name, t.shape, v);
      } else {
        w.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
      }
      continue;
    }
    const std::vector<float> v = t.to_f32();
    if (target == DType::F32) {
      w.add_f32(t.name, t.shape, v);
    } else {
      std::vector<uint16_t> h(v.size());
      for (size_t i = 0; i < v.size(); ++i) h[i] = target == DType::F16 ? float_to_half(v[i]) : float_to_bf16(v[i]);
      w.add(t.name, target, t.shape, h.data(), h.size() * sizeof(uint16_t));
    }
    ++converted;
  }
  w.write(a.output);
  Model::load(a.output);  // what we wrote loads
  std::printf("%s: %zu weight matrices as %s, %.1f MB -> %.1f MB\n", a.output.c_str(), converted, a.dtype.c_str(),
              std::filesystem::file_size(a.input) / 1e6, std::filesystem::file_size(a.output) / 1e6);
}

void add_export(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("model-export", "Rewrite a model file with its weight matrices as f16, bf16 or f32");
  cmd->add_option("model", args->input, "Model file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "Model file to write (atomically)")->required();
  cmd->add_option("--dtype", args->dtype, "f16 | bf16 | f32")->capture_default_str();
  cmd->callback([args] { run_export(*args); });
}

STICKGEN_COMMAND(62, add_export);

}  // namespace
}  // namespace stickgen::cli
