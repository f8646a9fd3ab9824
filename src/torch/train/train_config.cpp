#include "torch/train/train_config.hpp"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <functional>

#include "stickgen/common.hpp"

namespace stickgen::train {
namespace {

using Setter = std::function<void(TrainConfig&, const std::string&)>;

double to_double(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return d;
  } catch (const std::exception&) {
    throw Error(key + ": expected a number, got '" + v + "'");
  }
}
long long to_int(const std::string& key, const std::string& v) {
  const double d = to_double(key, v);
  if (d != static_cast<double>(static_cast<long long>(d))) throw Error(key + ": expected an integer, got '" + v + "'");
  return static_cast<long long>(d);
}
bool to_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw Error(key + ": expected true or false, got '" + v + "'");
}

// Every key a config may set, by its dotted name.
const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = [] {
    std::map<std::string, Setter> t;
    auto i = [&](const char* k, auto member) {
      t[k] = [k, member](TrainConfig& c, const std::string& v) { c.*member = static_cast<int>(to_int(k, v)); };
    };
    auto d = [&](const char* k, auto member) {
      t[k] = [k, member](TrainConfig& c, const std::string& v) { c.*member = to_double(k, v); };
    };
    auto s = [&](const char* k, auto member) {
      t[k] = [member](TrainConfig& c, const std::string& v) { c.*member = v; };
    };
    auto mi = [&](const char* k, int ModelConfig::*member) {
      t[k] = [k, member](TrainConfig& c, const std::string& v) { c.model.*member = static_cast<int>(to_int(k, v)); };
    };
    mi("model.input_dim", &ModelConfig::input_dim);
    mi("model.d_model", &ModelConfig::d_model);
    mi("model.nhead", &ModelConfig::nhead);
    mi("model.num_layers", &ModelConfig::num_layers);
    mi("model.output_dim", &ModelConfig::output_dim);
    mi("model.embedding_dim", &ModelConfig::embedding_dim);
    mi("model.num_actions", &ModelConfig::num_actions);
    mi("model.pose_hypotheses", &ModelConfig::pose_hypotheses);
    t["model.dropout"] = [](TrainConfig& c, const std::string& v) { c.model.dropout = static_cast<float>(to_double("model.dropout", v)); };
    t["model.preset"] = [](TrainConfig& c, const std::string& v) {
      const float drop = c.model.dropout;
      const int hypotheses = c.model.pose_hypotheses;
      c.model = ModelConfig::preset(v);
      c.model.dropout = drop;
      c.model.pose_hypotheses = hypotheses;
    };
    t["model.attention"] = [](TrainConfig& c, const std::string& v) {
      if (v == "causal") c.model.attention = AttentionMode::causal;
      else if (v == "bidirectional") c.model.attention = AttentionMode::bidirectional;
      else throw Error("model.attention: expected causal or bidirectional, got '" + v + "'");
    };
    s("training.stage", &TrainConfig::stage);
    i("training.batch_size", &TrainConfig::batch_size);
    i("training.grad_accum_steps", &TrainConfig::grad_accum_steps);
    d("training.epochs", &TrainConfig::epochs);
    i("training.max_steps", &TrainConfig::max_steps);
    d("training.learning_rate", &TrainConfig::learning_rate);
    d("training.min_lr_ratio", &TrainConfig::min_lr_ratio);
    i("training.warmup_steps", &TrainConfig::warmup_steps);
    d("training.max_grad_norm", &TrainConfig::max_grad_norm);
    t["training.seed"] = [](TrainConfig& c, const std::string& v) { c.seed = static_cast<uint64_t>(to_int("training.seed", v)); };
    s("training.init_from", &TrainConfig::init_from);
    i("training.max_frames", &TrainConfig::max_frames);
    i("training.min_frames", &TrainConfig::min_frames);
    d("training.input_noise", &TrainConfig::input_noise);
    d("training.input_offset_noise", &TrainConfig::input_offset_noise);
    i("training.rollout_passes", &TrainConfig::rollout_passes);
    d("training.free_rollout", &TrainConfig::free_rollout);
    i("training.free_rollout_prefix", &TrainConfig::free_rollout_prefix);
    t["training.rollout_target"] = [](TrainConfig& c, const std::string& v) {
      if (v != "time" && v != "nearest") throw Error("training.rollout_target must be time or nearest, got '" + v + "'");
      c.rollout_target = v;
    };
    i("training.rollout_match_frames", &TrainConfig::rollout_match_frames);
    t["training.rollout_match_action"] = [](TrainConfig& c, const std::string& v) {
      c.rollout_match_action = to_bool("training.rollout_match_action", v);
    };
    d("training.scheduled_sampling", &TrainConfig::scheduled_sampling);
    d("training.scheduled_sampling_start", &TrainConfig::scheduled_sampling_start);
    d("training.action_dropout", &TrainConfig::action_dropout);
    i("training.val_every", &TrainConfig::val_every);
    i("training.val_sequences", &TrainConfig::val_sequences);
    i("training.rollout_sequences", &TrainConfig::rollout_sequences);
    i("training.save_every", &TrainConfig::save_every);
    i("training.log_every", &TrainConfig::log_every);
    d("optimization.weight_decay", &TrainConfig::weight_decay);
    d("optimization.eps", &TrainConfig::eps);
    t["optimization.optimizer"] = [](TrainConfig&, const std::string& v) {
      if (v != "AdamW" && v != "adamw") throw Error("optimization.optimizer: only AdamW is supported, got '" + v + "'");
    };
    d("loss_weights.pose", &TrainConfig::w_pose);
    d("loss_weights.temporal", &TrainConfig::w_temporal);
    d("loss_weights.action", &TrainConfig::w_action);
    d("loss_weights.physics", &TrainConfig::w_physics);
    d("loss_weights.window_mean", &TrainConfig::w_window_mean);
    d("loss_weights.window_speed", &TrainConfig::w_window_speed);
    d("loss_weights.hypothesis", &TrainConfig::w_hypothesis);
    d("loss_weights.hypothesis_share", &TrainConfig::hypothesis_share);
    s("data.train_data", &TrainConfig::train_data);
    s("data.train_split", &TrainConfig::train_split);
    s("data.val_split", &TrainConfig::val_split);
    s("data.text_encoder", &TrainConfig::text_encoder);
    s("data.checkpoint_dir", &TrainConfig::output_dir);
    t["data.root_relative_x"] = [](TrainConfig& c, const std::string& v) { c.root_relative_x = to_bool("data.root_relative_x", v); };
    t["data.turned_copies"] = [](TrainConfig& c, const std::string& v) { c.turned_copies = to_bool("data.turned_copies", v); };
    t["training.init"] = [](TrainConfig& c, const std::string& v) {
      if (v != "scaled" && v != "reference") throw Error("training.init must be scaled or reference, got '" + v + "'");
      c.init = v;
    };
    t["training.rollout_grad"] = [](TrainConfig& c, const std::string& v) { c.rollout_grad = to_bool("training.rollout_grad", v); };
    t["training.delta_output"] = [](TrainConfig& c, const std::string& v) { c.delta_output = to_bool("training.delta_output", v); };
    return t;
  }();
  return table;
}

// Reference keys we accept and ignore (they configure features this implementation does not have
// or that are decided elsewhere); anything else unknown is an error.
bool ignored_key(const std::string& key) {
  static const char* prefixes[] = {"metadata.", "physics.", "diffusion.", "data_generation.", "data_curation.",
                                   "device.", "logging.", "cpu.", "lora.", "model.image_encoder_arch",
                                   "model.fusion_strategy", "data.curated_", "data.log_dir", "data.use_parallax",
                                   "data.parallax", "data.image_backend", "training.resume_from",
                                   "training.warmup_epochs", "loss_weights.diffusion", "loss_weights.diff_physics"};
  for (const char* p : prefixes)
    if (key.rfind(p, 0) == 0) return true;
  return false;
}

// YAML nodes have reference semantics (assigning one writes through), so the tree is flattened
// straight into strings: scalars as they are, sequences as comma-joined lists.
struct Entry {
  std::string key, value;
  bool sequence = false;
};

void flatten(const YAML::Node& node, const std::string& prefix, std::vector<Entry>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string name = kv.first.as<std::string>();
      flatten(kv.second, prefix.empty() ? name : prefix + "." + name, out);
    }
  } else if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar()) continue;
      joined += (joined.empty() ? "" : ",") + item.as<std::string>();
    }
    out.push_back({prefix, joined, true});
  } else if (!node.IsNull()) {
    out.push_back({prefix, node.as<std::string>(), false});
  }
}

}  // namespace

void TrainConfig::set(const std::string& key, const std::string& value) {
  if (key == "optimization.betas") {
    auto comma = value.find(',');
    if (comma == std::string::npos) throw Error("optimization.betas: expected two numbers 'b1,b2', got '" + value + "'");
    beta1 = to_double(key, value.substr(0, comma));
    beta2 = to_double(key, value.substr(comma + 1));
    return;
  }
  auto it = setters().find(key);
  if (it == setters().end()) {
    if (ignored_key(key)) return;
    throw Error("config: unknown key '" + key + "'");
  }
  it->second(*this, value);
}

void TrainConfig::load_yaml(const std::filesystem::path& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw Error(path.string() + ": not valid YAML (" + e.msg + " at line " + std::to_string(e.mark.line + 1) + ")");
  }
  if (!root.IsMap()) throw Error(path.string() + ": expected a mapping of sections (model, training, data, ...)");
  std::vector<Entry> entries;
  flatten(root, "", entries);
  // model.preset first, so explicit model keys override it
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& x, const Entry& y) { return (x.key == "model.preset") > (y.key == "model.preset"); });
  for (const Entry& e : entries) {
    try {
      if (e.sequence && e.key != "optimization.betas") {
        if (ignored_key(e.key)) continue;
        throw Error("config: '" + e.key + "' must be a single value");
      }
      set(e.key, e.value);
    } catch (const Error& err) {
      throw Error(path.string() + ": " + err.what());
    }
  }
}

std::string TrainConfig::to_json() const {
  nlohmann::json j;
  j["model"] = nlohmann::json::parse(model.to_json());
  j["training"] = {{"stage", stage}, {"batch_size", batch_size}, {"grad_accum_steps", grad_accum_steps},
                   {"epochs", epochs}, {"max_steps", max_steps}, {"learning_rate", learning_rate},
                   {"min_lr_ratio", min_lr_ratio}, {"warmup_steps", warmup_steps}, {"max_grad_norm", max_grad_norm},
                   {"seed", seed}, {"init_from", init_from}, {"max_frames", max_frames}, {"min_frames", min_frames},
                   {"input_noise", input_noise}, {"input_offset_noise", input_offset_noise},
                   {"rollout_passes", rollout_passes}, {"free_rollout", free_rollout},
                   {"free_rollout_prefix", free_rollout_prefix}, {"rollout_target", rollout_target},
                   {"rollout_match_frames", rollout_match_frames}, {"rollout_match_action", rollout_match_action},
                   {"init", init}, {"rollout_grad", rollout_grad},
                   {"scheduled_sampling", scheduled_sampling},
                   {"scheduled_sampling_start", scheduled_sampling_start}, {"action_dropout", action_dropout},
                   {"val_every", val_every}, {"val_sequences", val_sequences},
                   {"rollout_sequences", rollout_sequences}, {"save_every", save_every}, {"log_every", log_every},
                   {"delta_output", delta_output}};
  j["optimization"] = {{"optimizer", "AdamW"}, {"weight_decay", weight_decay}, {"betas", {beta1, beta2}}, {"eps", eps}};
  j["loss_weights"] = {{"pose", w_pose}, {"temporal", w_temporal}, {"action", w_action}, {"physics", w_physics},
                       {"window_mean", w_window_mean}, {"window_speed", w_window_speed},
                       {"hypothesis", w_hypothesis}, {"hypothesis_share", hypothesis_share}};
  j["data"] = {{"train_data", train_data}, {"train_split", train_split}, {"val_split", val_split},
               {"text_encoder", text_encoder}, {"checkpoint_dir", output_dir}, {"root_relative_x", root_relative_x},
               {"turned_copies", turned_copies}};
  return j.dump();
}

TrainConfig TrainConfig::from_json(const std::string& text) {
  TrainConfig c;
  nlohmann::json j = nlohmann::json::parse(text);
  c.model = ModelConfig::from_json(j.at("model").dump());
  for (const char* section : {"training", "optimization", "loss_weights", "data"}) {
    for (auto& [key, value] : j.at(section).items()) {
      const std::string dotted = std::string(section) + "." + key;
      if (dotted == "optimization.betas") {
        c.beta1 = value[0].get<double>();
        c.beta2 = value[1].get<double>();
      } else if (value.is_string()) {
        c.set(dotted, value.get<std::string>());
      } else if (value.is_boolean()) {
        c.set(dotted, value.get<bool>() ? "true" : "false");
      } else if (value.is_number_unsigned() || value.is_number_integer()) {
        c.set(dotted, std::to_string(value.get<long long>()));
      } else {
        c.set(dotted, nlohmann::json(value).dump());
      }
    }
  }
  return c;
}

void TrainConfig::validate() const {
  model.validate();
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("config: " + what);
  };
  need(stage == "pretrain" || stage == "sft", "training.stage must be pretrain or sft, got '" + stage + "'");
  need(batch_size >= 1, "training.batch_size must be at least 1");
  need(grad_accum_steps >= 1, "training.grad_accum_steps must be at least 1");
  need(epochs > 0 || max_steps > 0, "training.epochs or training.max_steps must be positive");
  need(learning_rate > 0, "training.learning_rate must be positive");
  need(max_frames >= 2 && min_frames >= 2 && min_frames <= max_frames, "training.min_frames/max_frames must satisfy 2 <= min <= max");
  need(input_noise >= 0 && input_offset_noise >= 0 && scheduled_sampling >= 0 && scheduled_sampling <= 1,
       "training.input_noise/input_offset_noise/scheduled_sampling out of range");
  need(rollout_passes >= 1 && rollout_passes <= 8, "training.rollout_passes must be in [1, 8]");
  need(free_rollout >= 0 && free_rollout <= 1, "training.free_rollout must be in [0, 1]");
  need(free_rollout_prefix >= 1, "training.free_rollout_prefix must be at least 1");
  need(rollout_match_frames >= 1 && rollout_match_frames <= 64, "training.rollout_match_frames must be in [1, 64]");
  need(w_window_mean >= 0 && w_window_speed >= 0, "loss_weights.window_mean/window_speed must be >= 0");
  need(w_hypothesis >= 0 && hypothesis_share >= 0 && hypothesis_share < 1,
       "loss_weights.hypothesis must be >= 0 and loss_weights.hypothesis_share in [0, 1)");
  need(action_dropout >= 0 && action_dropout <= 1, "training.action_dropout must be in [0, 1]");
  need(val_every >= 1, "training.val_every must be at least 1");
  need(!train_data.empty(), "data.train_data is not set (a dataset directory)");
  need(model.attention == AttentionMode::causal, "model.attention must be causal for training (a KV cache must be exact)");
}

}  // namespace stickgen::train
