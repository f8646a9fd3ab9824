#include "stickgen/model_config.hpp"

#include <nlohmann/json.hpp>

#include "stickgen/common.hpp"

namespace stickgen {
using nlohmann::json;

int64_t ModelConfig::parameter_count() const {
  const int64_t d = d_model, in = input_dim, e = embedding_dim, na = num_actions;
  auto linear = [](int64_t i, int64_t o, bool bias = true) { return i * o + (bias ? o : 0); };
  int64_t n = 0;
  n += linear(e, 2 * d) + linear(2 * d, d) + 2 * d;                  // text_projection
  n += linear(in, d / 2) + linear(d / 2, d) + 2 * d;                 // motion_embedding
  n += na * 64 + linear(64, d) + 2 * d;                              // action embedding + projection
  n += linear(3, d / 4) + linear(d / 4, d) + 2 * d;                  // camera_projection
  n += linear(in, d / 2) + linear(d / 2, d) + 2 * d;                 // partner_projection
  const int64_t layer = 4 * linear(d, d) + 3 * linear(d, 4 * d, false) + 2 * d;
  n += num_layers * layer;                                           // transformer layers
  n += linear(d, d / 2) + linear(d / 2, pose_width());               // pose_decoder
  n += 2 * (linear(d, d / 4) + linear(d / 4, 2));                    // position + velocity
  n += linear(d, d / 2) + linear(d / 2, na);                         // action_predictor
  n += linear(d, d / 2) + linear(d / 2, 6);                          // physics_decoder
  n += linear(d, d / 2) + linear(d / 2, 32);                         // environment_decoder
  return n;
}

void ModelConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("model config: " + what);
  };
  need(input_dim > 0, "input_dim must be positive");
  need(output_dim > 0, "output_dim must be positive");
  need(d_model >= 8 && d_model % 4 == 0, "d_model must be a positive multiple of 4, got " + std::to_string(d_model));
  need(nhead > 0 && d_model % nhead == 0, "nhead must divide d_model");
  need(head_dim() % 2 == 0, "head_dim (d_model/nhead) must be even for RoPE");
  need(num_layers > 0, "num_layers must be positive");
  need(embedding_dim > 0, "embedding_dim must be positive");
  need(num_actions > 0, "num_actions must be positive");
  need(dropout >= 0.f && dropout < 1.f, "dropout must be in [0, 1)");
  need(pose_hypotheses >= 1 && pose_hypotheses <= 64, "pose_hypotheses must be between 1 and 64");
}

ModelConfig ModelConfig::small() { return ModelConfig{}; }
ModelConfig ModelConfig::medium() {
  ModelConfig c;
  c.d_model = 384, c.num_layers = 8, c.nhead = 12;
  return c;
}
ModelConfig ModelConfig::large() {
  ModelConfig c;
  c.d_model = 512, c.num_layers = 10, c.nhead = 16;
  return c;
}
ModelConfig ModelConfig::preset(const std::string& name) {
  if (name == "small") return small();
  if (name == "medium") return medium();
  if (name == "large") return large();
  if (name == "tiny") {
    ModelConfig c;
    c.d_model = 32, c.nhead = 4, c.num_layers = 2, c.embedding_dim = 64;
    return c;
  }
  throw Error("model preset: expected small, medium, large or tiny, got '" + name + "'");
}

std::string ModelConfig::to_json() const {
  json j{{"input_dim", input_dim},   {"d_model", d_model},           {"nhead", nhead},
         {"num_layers", num_layers}, {"output_dim", output_dim},     {"embedding_dim", embedding_dim},
         {"num_actions", num_actions}, {"dropout", dropout},
         {"attention", attention == AttentionMode::causal ? "causal" : "bidirectional"}};
  if (pose_hypotheses > 1) j["pose_hypotheses"] = pose_hypotheses;
  return j.dump();
}

ModelConfig ModelConfig::from_json(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(std::string("model config: not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw Error("model config: expected a JSON object");
  ModelConfig c;
  auto get_int = [&](const char* key, int& field) {
    if (!j.contains(key)) throw Error(std::string("model config: missing '") + key + "'");
    if (!j[key].is_number_integer()) throw Error(std::string("model config: '") + key + "' must be an integer");
    field = j[key].get<int>();
  };
  get_int("input_dim", c.input_dim);
  get_int("d_model", c.d_model);
  get_int("nhead", c.nhead);
  get_int("num_layers", c.num_layers);
  get_int("output_dim", c.output_dim);
  get_int("embedding_dim", c.embedding_dim);
  get_int("num_actions", c.num_actions);
  if (j.contains("pose_hypotheses")) get_int("pose_hypotheses", c.pose_hypotheses);
  if (j.contains("dropout")) {
    if (!j["dropout"].is_number()) throw Error("model config: 'dropout' must be a number");
    c.dropout = j["dropout"].get<float>();
  }
  if (j.contains("attention")) {
    const auto a = j["attention"].is_string() ? j["attention"].get<std::string>() : "";
    if (a == "causal") c.attention = AttentionMode::causal;
    else if (a == "bidirectional") c.attention = AttentionMode::bidirectional;
    else throw Error("model config: 'attention' must be \"causal\" or \"bidirectional\"");
  }
  c.validate();
  return c;
}

std::string MotionNormalization::to_json() const {
  json j{{"mean", mean}, {"std", std}};
  if (!physics_mean.empty()) j["physics_mean"] = physics_mean, j["physics_std"] = physics_std;
  if (root_relative_x) j["root_relative_x"] = true;
  if (delta_output) j["delta_output"] = true, j["delta_std"] = delta_std;
  return j.dump();
}

MotionNormalization MotionNormalization::from_json(const std::string& text) {
  MotionNormalization n;
  try {
    json j = json::parse(text);
    n.mean = j.at("mean").get<std::vector<float>>();
    n.std = j.at("std").get<std::vector<float>>();
    if (j.contains("physics_mean")) {
      n.physics_mean = j.at("physics_mean").get<std::vector<float>>();
      n.physics_std = j.at("physics_std").get<std::vector<float>>();
    }
    n.root_relative_x = j.value("root_relative_x", false);
    n.delta_output = j.value("delta_output", false);
    if (n.delta_output) n.delta_std = j.at("delta_std").get<std::vector<float>>();
  } catch (const json::exception& e) {
    throw Error(std::string("model normalization: expected {\"mean\": [...], \"std\": [...]} (") + e.what() + ")");
  }
  if (n.mean.size() != n.std.size()) throw Error("model normalization: mean and std differ in length");
  if (n.physics_mean.size() != n.physics_std.size() || (!n.physics_mean.empty() && n.physics_mean.size() != 6))
    throw Error("model normalization: physics_mean and physics_std must both have 6 values");
  for (float s : n.std)
    if (!(s > 0.f)) throw Error("model normalization: every std must be positive");
  if (n.delta_output && n.delta_std.size() != n.mean.size())
    throw Error("model normalization: delta_std must have one value per input dimension");
  for (float s : n.delta_std)
    if (!(s > 0.f)) throw Error("model normalization: every delta_std must be positive");
  for (float s : n.physics_std)
    if (!(s > 0.f)) throw Error("model normalization: every physics_std must be positive");
  return n;
}

}  // namespace stickgen
