// stickgen-train convert / convert-dataset: reference checkpoints and datasets -> our formats.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "stickgen/torch_convert.hpp"

namespace stickgen::cli {
namespace {

struct ConvertArgs {
  std::string input, output, attention = "bidirectional";
  float lora_alpha = 0.f;
  int nhead = 0;
};

void add_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand(
      "convert", "Convert a reference checkpoint (pytorch_model.bin / .pth: state_dict, model_state_dict wrapper "
                 "or LoRA-wrapped) into a stickgen model file");
  cmd->add_option("input", args->input, "torch.save checkpoint")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "Model file to write (.safetensors)")->required();
  cmd->add_option("--attention", args->attention,
                  "Attention the weights were trained with (reference checkpoints: bidirectional)")
      ->check(CLI::IsMember({"causal", "bidirectional"}));
  auto* alpha = cmd->add_option("--lora-alpha", args->lora_alpha,
                                "LoRA alpha (scale alpha/r); default: the checkpoint's or adapter_config.json's, "
                                "else alpha = r");
  auto* nhead = cmd->add_option("--nhead", args->nhead, "Attention heads, only for checkpoints without rope.inv_freq")
                    ->check(CLI::PositiveNumber);
  cmd->callback([args, alpha, nhead] {
    CheckpointConvertOptions options;
    options.attention = args->attention == "causal" ? AttentionMode::causal : AttentionMode::bidirectional;
    if (alpha->count()) {
      if (!(args->lora_alpha > 0.f)) throw Error("--lora-alpha: expected a positive number");
      options.lora_alpha = args->lora_alpha;
    }
    if (nhead->count()) options.nhead = args->nhead;
    const auto r = convert_reference_checkpoint(args->input, args->output, options);
    const ModelConfig& c = r.config;
    std::printf("read %s (%s%s%s)\n", args->input.c_str(), r.layout.c_str(),
                r.key_prefix.empty() ? "" : ", prefix '", r.key_prefix.empty() ? "" : (r.key_prefix + "' stripped").c_str());
    if (!r.ignored.empty()) {
      std::string ignored;
      for (const auto& k : r.ignored) ignored += (ignored.empty() ? "" : ", ") + k;
      std::printf("ignored wrapper entries: %s\n", ignored.c_str());
    }
    if (r.lora_folded)
      std::printf("folded LoRA into %d layers (alpha %g from %s)\n", r.lora_folded, r.lora_alpha,
                  r.lora_alpha_source.c_str());
    std::printf("architecture: input %d, d_model %d, %d heads, %d layers, output %d, embedding %d, %d actions "
                "(%lld parameters)\n",
                c.input_dim, c.d_model, c.nhead, c.num_layers, c.output_dim, c.embedding_dim, c.num_actions,
                static_cast<long long>(c.parameter_count()));
    for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
    std::printf("wrote %s\n", args->output.c_str());
  });
}

struct ConvertDatasetArgs {
  std::string input, output, source = "reference";
};

void add_convert_dataset(CLI::App& app) {
  auto args = std::make_shared<ConvertDatasetArgs>();
  auto* cmd = app.add_subcommand("convert-dataset",
                                 "Import a reference dataset (torch.save list of dicts) into a stickgen dataset directory");
  cmd->add_option("input", args->input, "torch.save dataset (.pt)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->output, "Dataset directory to write")->required();
  cmd->add_option("--source", args->source, "Value of each clip's 'source' field");
  cmd->callback([args] {
    const auto r = convert_reference_dataset(args->input, args->output, args->source);
    std::printf("imported %zu clips (%zu frames, up to %d actors, %s) into %s\n", r.clips, r.frames, r.max_actors,
                r.embedding_dim ? (std::to_string(r.embedding_dim) + "-d embeddings").c_str() : "no embeddings",
                args->output.c_str());
    for (const auto& note : r.notes) std::printf("note: %s\n", note.c_str());
  });
}

STICKGEN_COMMAND(80, add_convert);
STICKGEN_COMMAND(81, add_convert_dataset);

}  // namespace
}  // namespace stickgen::cli
