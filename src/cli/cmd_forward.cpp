// stickgen forward: run the network on given tensors and write every head, so anyone can check
// our outputs against another implementation (e.g. scripts/reference_model.py run).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/common.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen::cli {
namespace {

struct ForwardArgs {
  std::string model, inputs, output, attention;
  int threads = 1;
  bool quiet = false;
};

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The tensor `name` of `file` as float32, checked against `expected` (-1 = any size).
std::vector<float> input_f32(const SafeTensorsFile& file, const std::string& name, std::vector<int64_t> expected) {
  const TensorView& t = file.get(name);
  bool ok = t.shape.size() == expected.size();
  for (size_t i = 0; ok && i < expected.size(); ++i) ok = expected[i] < 0 || t.shape[i] == expected[i];
  if (!ok) {
    std::string want = "[";
    for (size_t i = 0; i < expected.size(); ++i)
      want += (i ? ", " : "") + (expected[i] < 0 ? std::string(i == 0 ? "T" : "B") : std::to_string(expected[i]));
    throw Error(file.origin() + ": input '" + name + "' has shape " + shape_str(t.shape) + ", expected " + want + "]");
  }
  if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16 && t.dtype != DType::F64)
    throw Error(file.origin() + ": input '" + name + "' has dtype " + std::string(dtype_name(t.dtype)) +
                ", expected a float type");
  return t.to_f32();
}

void run_forward(const ForwardArgs& a) {
  const Model model = Model::load(a.model);
  const ModelConfig& c = model.config();
  const SafeTensorsFile in = SafeTensorsFile::open(a.inputs);
  for (const auto& t : in.tensors())
    if (t.name != "motion" && t.name != "text_embedding" && t.name != "actions" && t.name != "camera" &&
        t.name != "partner")
      throw Error(a.inputs + ": unexpected input '" + t.name +
                  "' (expected motion, text_embedding, actions, camera, partner)");
  if (!in.contains("motion")) throw Error(a.inputs + ": missing input 'motion' [T, B, " + std::to_string(c.input_dim) + "]");
  if (!in.contains("text_embedding"))
    throw Error(a.inputs + ": missing input 'text_embedding' [B, " + std::to_string(c.embedding_dim) + "]");

  const std::vector<float> motion = input_f32(in, "motion", {-1, -1, c.input_dim});
  const int64_t T = in.get("motion").shape[0], B = in.get("motion").shape[1];
  const std::vector<float> text = input_f32(in, "text_embedding", {B, c.embedding_dim});
  std::vector<int64_t> actions;
  std::vector<float> camera, partner;
  if (in.contains("actions")) {
    const TensorView& t = in.get("actions");
    if (t.shape != std::vector<int64_t>{T, B})
      throw Error(a.inputs + ": input 'actions' has shape " + shape_str(t.shape) + ", expected [T, B] = " +
                  shape_str({T, B}));
    if (t.dtype != DType::I64 && t.dtype != DType::I32 && t.dtype != DType::I16 && t.dtype != DType::U8 &&
        t.dtype != DType::I8)
      throw Error(a.inputs + ": input 'actions' has dtype " + std::string(dtype_name(t.dtype)) +
                  ", expected an integer type (I64 or I32)");
    actions = t.to_i64();
  }
  if (in.contains("camera")) camera = input_f32(in, "camera", {T, B, 3});
  if (in.contains("partner")) partner = input_f32(in, "partner", {T, B, c.input_dim});
  if (T < 1 || B < 1) throw Error(a.inputs + ": input 'motion' is empty (T = " + std::to_string(T) + ", B = " + std::to_string(B) + ")");

  ForwardInputs inputs;
  inputs.frames = int(T), inputs.batch = int(B);
  inputs.motion = motion, inputs.text_embedding = text, inputs.actions = actions;
  inputs.camera = camera, inputs.partner = partner;
  const AttentionMode mode = a.attention.empty() ? c.attention
                             : a.attention == "causal" ? AttentionMode::causal
                                                       : AttentionMode::bidirectional;
  const ForwardOutputs out = model.forward(inputs, mode, RuntimeOptions{a.threads});

  SafeTensorsWriter w;
  w.add_f32("pose", {T, B, c.pose_width()}, out.pose);
  w.add_f32("action_logits", {T, B, c.num_actions}, out.action_logits);
  w.add_f32("physics", {T, B, 6}, out.physics);
  w.add_f32("position", {B, 2}, out.position);
  w.add_f32("velocity", {B, 2}, out.velocity);
  w.add_f32("environment", {B, 32}, out.environment);
  w.set_metadata("stickgen.attention", mode == AttentionMode::causal ? "causal" : "bidirectional");
  w.set_metadata("stickgen.model", a.model);
  w.write(a.output);
  if (!a.quiet)
    std::printf("forward: %s (%s, d_model %d, %s) T=%lld B=%lld -> %s\n", a.model.c_str(),
                model.weight_dtype().c_str(), c.d_model, mode == AttentionMode::causal ? "causal" : "bidirectional",
                static_cast<long long>(T), static_cast<long long>(B), a.output.c_str());
}

void add_forward(CLI::App& app) {
  auto args = std::make_shared<ForwardArgs>();
  auto* cmd = app.add_subcommand("forward", "Run the network on given tensors and write every head");
  cmd->add_option("--model", args->model, "Model file (.safetensors)")->required();
  cmd->add_option("--inputs", args->inputs,
                  "Inputs (.safetensors): motion [T,B,in], text_embedding [B,E]; optional actions [T,B], "
                  "camera [T,B,3], partner [T,B,in]")
      ->required();
  cmd->add_option("-o,--output", args->output, "Output file (.safetensors): pose, action_logits, physics, "
                                               "position, velocity, environment")
      ->required();
  cmd->add_option("--attention", args->attention, "Attention mode (default: the model's own)")
      ->check(CLI::IsMember({"causal", "bidirectional"}));
  cmd->add_option("--threads", args->threads, "Threads for the matrix work")->check(CLI::Range(1, 256));
  cmd->add_flag("-q,--quiet", args->quiet, "Print nothing on success");
  cmd->callback([args] { run_forward(*args); });
}

STICKGEN_COMMAND(40, add_forward);

}  // namespace
}  // namespace stickgen::cli
