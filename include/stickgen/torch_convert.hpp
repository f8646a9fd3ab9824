// Importing the reference system's files (stickgen-train convert / convert-dataset):
// torch.save checkpoints of the reference StickFigureTransformer -> our model safetensors, and
// torch.save datasets (a list of dicts) -> our dataset directory. Pure C++ (reads torch.save with
// the restricted unpickler in torch_pickle.hpp); no LibTorch needed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stickgen/model_config.hpp"
#include "stickgen/torch_pickle.hpp"

namespace stickgen {

// Every tensor of a model with `config` as (state_dict name, shape), in the reference's
// state_dict order (SPEC §2): 137 entries for small (131 parameters + 6 rope.inv_freq buffers).
std::vector<std::pair<std::string, std::vector<int64_t>>> reference_tensor_shapes(const ModelConfig& config);

// A float32 tensor pulled out of a checkpoint.
struct NamedTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct CheckpointConvertOptions {
  // Reference checkpoints were trained with bidirectional attention, so that is how they run
  // faithfully; `causal` is for checkpoints trained the way our models are.
  AttentionMode attention = AttentionMode::bidirectional;
  // LoRA scale is alpha / r. When not given: the checkpoint's own record (a top-level
  // "lora_alpha", or "lora_config"/"adapter_config" {"lora_alpha"|"alpha"}), else
  // adapter_config.json beside the file, else alpha = r (scale 1, the convention when nothing is
  // recorded; the report says which source was used).
  std::optional<float> lora_alpha;
  // Only needed when a checkpoint lacks the rope.inv_freq buffers that record head_dim.
  std::optional<int> nhead;
};

struct CheckpointConvertReport {
  ModelConfig config;
  std::string layout;                    // "state_dict", "'model_state_dict' wrapper", ...
  std::string key_prefix;                // stripped from every key ("module.", ...), "" if none
  std::vector<std::string> ignored;      // wrapper entries not used (optimizer_state_dict, epoch, ...)
  int lora_folded = 0;                   // layers whose LoRA update was folded into the weight
  float lora_alpha = 0.f;                // alpha used (0 when no LoRA)
  std::string lora_alpha_source;         // "--lora-alpha", "checkpoint", "adapter_config.json", "default (alpha = r)"
  std::vector<std::string> notes;        // one line each, for the user
};

// The state_dict of a reference checkpoint: unwrapped, prefixes stripped, LoRA folded, every
// tensor converted to float32. Throws Error naming the file and the offending keys.
std::map<std::string, NamedTensor> read_reference_state_dict(const std::filesystem::path& path,
                                                              const CheckpointConvertOptions& options,
                                                              CheckpointConvertReport* report = nullptr);

// The architecture implied by a state_dict's shapes (d_model from text_projection.3.weight,
// layers from the largest index, nhead from rope.inv_freq, ...). Error naming what is missing.
ModelConfig infer_model_config(const std::map<std::string, NamedTensor>& state, std::optional<int> nhead = std::nullopt);

// Reads `in`, checks every expected tensor is present with its shape and nothing is left over,
// and writes a model file to `out` (atomically; nothing is written on any error).
CheckpointConvertReport convert_reference_checkpoint(const std::filesystem::path& in, const std::filesystem::path& out,
                                                     const CheckpointConvertOptions& options = {});

struct DatasetConvertReport {
  size_t clips = 0;
  size_t frames = 0;
  int max_actors = 0;
  int embedding_dim = 0;
  std::vector<std::string> notes;
};

// Imports a reference dataset (torch.save list of dicts: motion [T,20|48] or [T,A,20|48],
// actions [T] or [T,A], physics, embedding [E] or [1,E], description) into a dataset directory.
// All-zero actor slots become absent frames (the reference padded empty slots with zeros); physics
// is recomputed with our definition. `source` fills each record's source field.
DatasetConvertReport convert_reference_dataset(const std::filesystem::path& in, const std::filesystem::path& out_dir,
                                               const std::string& source = "reference");

}  // namespace stickgen
