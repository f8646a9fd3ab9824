// Reference checkpoints and datasets -> our formats. No LibTorch here on purpose: the torch.save
// files are read by the restricted unpickler, so this compiles fast and can be fuzzed.
#include "stickgen/torch_convert.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <cstring>
#include <set>

#include "stickgen/dataset.hpp"
#include "stickgen/motion.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen {
namespace fs = std::filesystem;
using Shape = std::vector<int64_t>;

namespace {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// "a, b, c" with at most `cap` names shown.
std::string name_list(const std::vector<std::string>& names, size_t cap = 12) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < cap; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > cap) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

const char* kPrefixes[] = {"module.", "_orig_mod.", "base_model.model.", "model."};

struct LoraParts {
  const NamedTensor* a = nullptr;  // [r, in]
  const NamedTensor* b = nullptr;  // [out, r]
};

// "X.lora_A" / "X.lora_A.weight" / "X.lora_A.<adapter>.weight" -> X, 'A'|'B', adapter name.
bool parse_lora_key(const std::string& key, std::string& module, char& which, std::string& adapter) {
  for (const char* tag : {".lora_A", ".lora_B"}) {
    const size_t at = key.find(tag);
    if (at == std::string::npos) continue;
    module = key.substr(0, at);
    which = tag[6];
    std::string rest = key.substr(at + 7);
    if (rest.starts_with(".")) rest = rest.substr(1);
    if (rest.ends_with("weight")) rest = rest.substr(0, rest.size() - 6);
    if (rest.ends_with(".")) rest.pop_back();
    adapter = rest;
    return true;
  }
  return false;
}

std::optional<float> alpha_in(const PyValue* v) {
  if (!v) return std::nullopt;
  if (v->kind == PyValue::Kind::integer) return static_cast<float>(v->integer);
  if (v->kind == PyValue::Kind::floating) return static_cast<float>(v->floating);
  return std::nullopt;
}

// The LoRA alpha recorded in the checkpoint itself, if any.
std::optional<float> checkpoint_alpha(const PyValue& root) {
  if (!root.is_dict()) return std::nullopt;
  if (auto a = alpha_in(root.get("lora_alpha"))) return a;
  for (const char* key : {"lora_config", "adapter_config", "peft_config"}) {
    const PyValue* c = root.get(key);
    if (!c || !c->is_dict()) continue;
    if (auto a = alpha_in(c->get("lora_alpha"))) return a;
    if (auto a = alpha_in(c->get("alpha"))) return a;
  }
  return std::nullopt;
}

std::optional<float> adapter_config_alpha(const fs::path& checkpoint) {
  const fs::path cfg = checkpoint.parent_path() / "adapter_config.json";
  std::error_code ec;
  if (!fs::is_regular_file(cfg, ec)) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(read_file(cfg));
    if (j.contains("lora_alpha") && j["lora_alpha"].is_number()) return j["lora_alpha"].get<float>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(cfg.string() + ": not valid JSON (" + e.what() + ")");
  }
  throw Error(cfg.string() + ": expected a numeric 'lora_alpha'");
}

}  // namespace

// ------------------------------------------------------------------ expected layout

std::vector<std::pair<std::string, Shape>> reference_tensor_shapes(const ModelConfig& c) {
  const int64_t d = c.d_model, in = c.input_dim, e = c.embedding_dim, na = c.num_actions;
  std::vector<std::pair<std::string, Shape>> out;
  auto linear = [&](const std::string& name, int64_t i, int64_t o, bool bias = true) {
    out.push_back({name + ".weight", {o, i}});
    if (bias) out.push_back({name + ".bias", {o}});
  };
  auto norm = [&](const std::string& name, int64_t n, bool bias = true) {
    out.push_back({name + ".weight", {n}});
    if (bias) out.push_back({name + ".bias", {n}});
  };
  linear("text_projection.0", e, 2 * d);
  linear("text_projection.3", 2 * d, d);
  norm("text_projection.4", d);
  linear("motion_embedding.0", in, d / 2);
  linear("motion_embedding.2", d / 2, d);
  norm("motion_embedding.3", d);
  out.push_back({"action_embedding.weight", {na, 64}});
  linear("action_projection.0", 64, d);
  norm("action_projection.1", d);
  linear("camera_projection.0", 3, d / 4);
  linear("camera_projection.2", d / 4, d);
  norm("camera_projection.3", d);
  linear("partner_projection.0", in, d / 2);
  linear("partner_projection.2", d / 2, d);
  norm("partner_projection.3", d);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "transformer_encoder.layers." + std::to_string(l) + ".";
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(p + "self_attn." + proj, d, d);
    out.push_back({p + "self_attn.rope.inv_freq", {c.head_dim() / 2}});
    linear(p + "ffn.gate_proj", d, 4 * d, false);
    linear(p + "ffn.value_proj", d, 4 * d, false);
    linear(p + "ffn.output_proj", 4 * d, d, false);
    norm(p + "norm1", d, false);
    norm(p + "norm2", d, false);
  }
  auto head = [&](const std::string& name, int64_t hidden, int64_t o) {
    linear(name + ".0", d, hidden);
    linear(name + ".3", hidden, o);
  };
  head("pose_decoder", d / 2, c.output_dim);
  head("position_decoder", d / 4, 2);
  head("velocity_decoder", d / 4, 2);
  head("action_predictor", d / 2, na);
  head("physics_decoder", d / 2, 6);
  head("environment_decoder", d / 2, 32);
  return out;
}

// ------------------------------------------------------------------ reading checkpoints

std::map<std::string, NamedTensor> read_reference_state_dict(const fs::path& path, const CheckpointConvertOptions& options,
                                                              CheckpointConvertReport* report_out) {
  CheckpointConvertReport local;
  CheckpointConvertReport& report = report_out ? *report_out : local;
  const std::string where = path.string();
  const TorchArchive archive = TorchArchive::open(path);
  const PyValue& root = archive.root();
  if (!root.is_dict()) throw Error(where + ": expected a state_dict (a dict of tensors), got " + root.describe());

  // Unwrap {"model_state_dict": ..., "optimizer_state_dict": ..., "epoch": ...} style checkpoints.
  const PyValue* sd = &root;
  report.layout = "state_dict";
  for (const char* key : {"model_state_dict", "state_dict", "model"}) {
    const PyValue* inner = root.get(key);
    if (!inner || !inner->is_dict()) continue;
    sd = inner;
    report.layout = std::string("'") + key + "' wrapper";
    for (const auto& [k, v] : root.entries)
      if (k->is_string() && k->text != key) report.ignored.push_back(k->text);
    break;
  }
  std::vector<std::string> not_tensors;
  for (const auto& [k, v] : sd->entries) {
    if (!k->is_string()) throw Error(where + ": state_dict key " + k->describe() + " is not a string");
    if (!v->is_tensor()) not_tensors.push_back(k->text + " (" + v->describe() + ")");
  }
  if (!not_tensors.empty())
    throw Error(where + ": not a state_dict or a known checkpoint wrapper (model_state_dict/state_dict/model); "
                "entries that are not tensors: " + name_list(not_tensors));
  if (sd->entries.empty()) throw Error(where + ": the state_dict is empty");

  // Strip wrapper prefixes (DataParallel, torch.compile, PEFT) shared by every key.
  std::vector<std::string> keys;
  for (const auto& [k, v] : sd->entries) keys.push_back(k->text);
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (const char* prefix : kPrefixes) {
      if (std::all_of(keys.begin(), keys.end(), [&](const std::string& k) { return k.starts_with(prefix) && k.size() > std::strlen(prefix); })) {
        for (auto& k : keys) k = k.substr(std::strlen(prefix));
        report.key_prefix += prefix;
        stripped = true;
        break;
      }
    }
  }

  std::map<std::string, NamedTensor> raw;
  for (size_t i = 0; i < keys.size(); ++i) {
    const TorchTensor& t = *sd->entries[i].second->tensor;
    NamedTensor nt;
    nt.shape = t.shape;
    try {
      nt.values = t.view(keys[i]).to_f32();
    } catch (const Error& e) {
      throw Error(where + ": tensor '" + keys[i] + "': " + e.what());
    }
    if (!raw.emplace(keys[i], std::move(nt)).second)
      throw Error(where + ": key '" + keys[i] + "' appears twice after stripping '" + report.key_prefix + "'");
  }

  // LoRA: X.base_layer.weight|bias + X.lora_A [r,in] + X.lora_B [out,r] -> X.weight = W + (alpha/r) B A.
  std::map<std::string, LoraParts> lora;
  std::set<std::string> adapters;
  for (const auto& [key, t] : raw) {
    std::string module, adapter;
    char which;
    if (!parse_lora_key(key, module, which, adapter)) continue;
    adapters.insert(adapter);
    (which == 'A' ? lora[module].a : lora[module].b) = &t;
  }
  if (adapters.size() > 1) {
    throw Error(where + ": more than one LoRA adapter (" +
                name_list(std::vector<std::string>(adapters.begin(), adapters.end())) + "); merge one first");
  }
  std::map<std::string, NamedTensor> out;
  if (!lora.empty()) {
    std::optional<float> alpha = options.lora_alpha;
    report.lora_alpha_source = "--lora-alpha";
    if (!alpha && (alpha = checkpoint_alpha(root))) report.lora_alpha_source = "checkpoint";
    if (!alpha && (alpha = adapter_config_alpha(path))) report.lora_alpha_source = "adapter_config.json";
    if (!alpha) report.lora_alpha_source = "default (alpha = r, scale 1)";
    std::vector<std::string> bad;
    for (const auto& [module, parts] : lora) {
      if (!parts.a || !parts.b) {
        bad.push_back(module + " (lora_" + std::string(parts.a ? "B" : "A") + " missing)");
        continue;
      }
      const std::string wkey = raw.count(module + ".base_layer.weight") ? module + ".base_layer.weight" : module + ".weight";
      auto w = raw.find(wkey);
      if (w == raw.end()) {
        bad.push_back(module + " (no base_layer.weight)");
        continue;
      }
      const Shape &A = parts.a->shape, &B = parts.b->shape, &W = w->second.shape;
      if (A.size() != 2 || B.size() != 2 || W.size() != 2 || A[0] != B[1] || A[1] != W[1] || B[0] != W[0] || A[0] < 1) {
        bad.push_back(module + " (lora_A " + shape_str(A) + ", lora_B " + shape_str(B) + ", weight " + shape_str(W) + ")");
        continue;
      }
      const int64_t r = A[0], rows = W[0], cols = W[1];
      const float scale = (alpha ? *alpha : static_cast<float>(r)) / static_cast<float>(r);
      NamedTensor folded = w->second;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t k = 0; k < r; ++k) {
          const float b = scale * parts.b->values[i * r + k];
          const float* a = parts.a->values.data() + k * cols;
          float* dst = folded.values.data() + i * cols;
          for (int64_t j = 0; j < cols; ++j) dst[j] += b * a[j];
        }
      out[module + ".weight"] = std::move(folded);
      report.lora_folded++;
      if (report.lora_alpha == 0.f) report.lora_alpha = alpha ? *alpha : static_cast<float>(r);
    }
    if (!bad.empty()) throw Error(where + ": LoRA layers that cannot be folded: " + name_list(bad));
  }
  for (auto& [key, t] : raw) {
    std::string module, adapter;
    char which;
    if (parse_lora_key(key, module, which, adapter)) continue;
    std::string name = key;
    if (const size_t at = name.find(".base_layer."); at != std::string::npos) name.erase(at, 11);
    if (lora.count(name.substr(0, name.rfind('.'))) && name.ends_with(".weight")) continue;  // folded above
    if (!out.emplace(name, std::move(t)).second)
      throw Error(where + ": both '" + key + "' and its LoRA-folded form are present");
  }
  return out;
}

ModelConfig infer_model_config(const std::map<std::string, NamedTensor>& state, std::optional<int> nhead) {
  std::vector<std::string> missing;
  auto shape_of = [&](const std::string& key, size_t rank) -> Shape {
    auto it = state.find(key);
    if (it == state.end() || it->second.shape.size() != rank) {
      missing.push_back(key + (it == state.end() ? "" : " (rank " + std::to_string(it->second.shape.size()) + ")"));
      return Shape(rank, 0);
    }
    return it->second.shape;
  };
  const Shape text0 = shape_of("text_projection.0.weight", 2), text3 = shape_of("text_projection.3.weight", 2);
  const Shape motion0 = shape_of("motion_embedding.0.weight", 2), pose3 = shape_of("pose_decoder.3.weight", 2);
  const Shape actions = shape_of("action_embedding.weight", 2);
  int layers = 0;
  const std::string lp = "transformer_encoder.layers.";
  for (const auto& [key, t] : state) {
    if (!key.starts_with(lp)) continue;
    const size_t dot = key.find('.', lp.size());
    const std::string idx = key.substr(lp.size(), dot == std::string::npos ? std::string::npos : dot - lp.size());
    if (idx.empty() || idx.size() > 4 || !std::all_of(idx.begin(), idx.end(), ::isdigit)) continue;
    layers = std::max(layers, std::stoi(idx) + 1);
  }
  if (layers == 0) missing.push_back("transformer_encoder.layers.0.*");
  if (!missing.empty())
    throw Error("cannot infer the architecture: missing or mis-shaped " + name_list(missing) +
                " (is this a StickFigureTransformer checkpoint?)");
  ModelConfig c;
  c.d_model = static_cast<int>(text3[0]);
  c.embedding_dim = static_cast<int>(text0[1]);
  c.input_dim = static_cast<int>(motion0[1]);
  c.output_dim = static_cast<int>(pose3[0]);
  c.num_actions = static_cast<int>(actions[0]);
  c.num_layers = layers;
  auto inv = state.find("transformer_encoder.layers.0.self_attn.rope.inv_freq");
  if (inv != state.end()) {
    if (inv->second.shape.size() != 1 || inv->second.shape[0] < 1 || c.d_model % (2 * inv->second.shape[0]) != 0)
      throw Error("cannot infer nhead: transformer_encoder.layers.0.self_attn.rope.inv_freq has shape " +
                  shape_str(inv->second.shape) + ", which does not divide d_model " + std::to_string(c.d_model));
    const int from_buffer = static_cast<int>(c.d_model / (2 * inv->second.shape[0]));
    if (nhead && *nhead != from_buffer)
      throw Error("--nhead " + std::to_string(*nhead) + " contradicts the checkpoint's rope.inv_freq (nhead " +
                  std::to_string(from_buffer) + ")");
    c.nhead = from_buffer;
  } else if (nhead) {
    c.nhead = *nhead;
  } else {
    throw Error("cannot infer nhead: the checkpoint has no transformer_encoder.layers.0.self_attn.rope.inv_freq; pass --nhead");
  }
  c.validate();
  return c;
}

CheckpointConvertReport convert_reference_checkpoint(const fs::path& in, const fs::path& out,
                                                     const CheckpointConvertOptions& options) {
  CheckpointConvertReport report;
  auto state = read_reference_state_dict(in, options, &report);
  const std::string where = in.string();
  ModelConfig config;
  try {
    config = infer_model_config(state, options.nhead);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  config.attention = options.attention;
  report.config = config;

  const auto expected = reference_tensor_shapes(config);
  // Checkpoints whose rope buffers were not persistent: the buffer is a pure function of head_dim.
  std::vector<float> inv_freq(config.head_dim() / 2);
  for (size_t i = 0; i < inv_freq.size(); ++i)
    inv_freq[i] = static_cast<float>(1.0 / std::pow(10000.0, (2.0 * i) / config.head_dim()));
  int synthesized = 0;
  for (const auto& [name, shape] : expected) {
    if (!name.ends_with("rope.inv_freq")) continue;
    auto it = state.find(name);
    if (it == state.end()) {
      state[name] = NamedTensor{shape, inv_freq};
      ++synthesized;
      continue;
    }
    if (it->second.values.size() != inv_freq.size()) continue;  // reported as a shape mismatch below
    for (size_t i = 0; i < inv_freq.size(); ++i)
      if (std::fabs(it->second.values[i] - inv_freq[i]) > 1e-5f * std::max(1.f, std::fabs(inv_freq[i])))
        throw Error(where + ": " + name + " differs from 1/10000^(2i/head_dim) at index " + std::to_string(i) +
                    " (a different RoPE base is not supported)");
  }
  if (synthesized) report.notes.push_back("rope.inv_freq buffers were absent and have been recomputed from head_dim");

  std::vector<std::string> missing, wrong, unexpected;
  std::set<std::string> names;
  for (const auto& [name, shape] : expected) {
    names.insert(name);
    auto it = state.find(name);
    if (it == state.end()) missing.push_back(name);
    else if (it->second.shape != shape)
      wrong.push_back(name + " " + shape_str(it->second.shape) + " (expected " + shape_str(shape) + ")");
  }
  for (const auto& [name, t] : state)
    if (!names.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !wrong.empty() || !unexpected.empty()) {
    std::string msg = where + ": does not fit a StickFigureTransformer (d_model " + std::to_string(config.d_model) +
                      ", " + std::to_string(config.num_layers) + " layers):";
    if (!missing.empty()) msg += " missing " + name_list(missing) + ";";
    if (!wrong.empty()) msg += " wrong shape " + name_list(wrong) + ";";
    if (!unexpected.empty()) msg += " unexpected " + name_list(unexpected) + ";";
    msg.pop_back();
    throw Error(msg);
  }
  for (const auto& [name, t] : state)
    for (float v : t.values)
      if (!std::isfinite(v)) throw Error(where + ": tensor '" + name + "' holds a non-finite value");

  SafeTensorsWriter writer;
  writer.set_metadata(model_meta::kFormat, "model");
  writer.set_metadata(model_meta::kConfig, config.to_json());
  if (config.embedding_dim == 1024) writer.set_metadata(model_meta::kTextEncoder, "BAAI/bge-large-en-v1.5");
  nlohmann::json source{{"converted_from", in.filename().string()}, {"layout", report.layout}};
  if (report.lora_folded) source["lora"] = {{"layers", report.lora_folded}, {"alpha_source", report.lora_alpha_source}};
  writer.set_metadata("stickgen.source", source.dump());
  for (const auto& [name, shape] : expected) writer.add_f32(name, shape, state.at(name).values);
  writer.write(out);

  if (config.attention == AttentionMode::bidirectional)
    report.notes.push_back("attention: bidirectional (reference checkpoints were trained that way); "
                           "pass --attention causal for a checkpoint trained causally");
  return report;
}

// ------------------------------------------------------------------ datasets

DatasetConvertReport convert_reference_dataset(const fs::path& in, const fs::path& out_dir, const std::string& source) {
  const std::string where = in.string();
  const TorchArchive archive = TorchArchive::open(in);
  const PyValue* list = &archive.root();
  if (list->is_dict())
    for (const char* key : {"samples", "data", "clips"})
      if (const PyValue* v = list->get(key); v && v->kind == PyValue::Kind::list) list = v;
  if (list->kind != PyValue::Kind::list)
    throw Error(where + ": expected a list of dicts (a reference dataset), got " + archive.root().describe());
  if (list->items.empty()) throw Error(where + ": the dataset is empty");

  DatasetConvertReport report;
  std::vector<Clip> clips;
  std::vector<std::vector<float>> embeddings;
  std::optional<SkeletonFormat> format;
  size_t zero_frames = 0, dropped_slots = 0;
  for (size_t i = 0; i < list->items.size(); ++i) {
    const PyValue* item = list->items[i];
    const std::string at = where + ": sample " + std::to_string(i);
    if (!item->is_dict()) throw Error(at + ": expected a dict, got " + item->describe());
    const PyValue* motion = item->get("motion");
    if (!motion || !motion->is_tensor()) throw Error(at + ": 'motion' tensor missing");
    const Shape& ms = motion->tensor->shape;
    if ((ms.size() != 2 && ms.size() != 3) || ms[0] < 1)
      throw Error(at + ": 'motion' has shape " + shape_str(ms) + ", expected [T, D] or [T, A, D]");
    const int frames = static_cast<int>(ms[0]);
    const int slots = ms.size() == 3 ? static_cast<int>(ms[1]) : 1;
    const auto f = format_from_dims(static_cast<int>(ms.back()));
    if (!f) throw Error(at + ": 'motion' has " + std::to_string(ms.back()) + " values per pose, expected 20 or 48");
    if (format && *format != *f)
      throw Error(at + ": skeleton " + std::string(format_name(*f)) + " but earlier samples are " + std::string(format_name(*format)));
    if (slots < 1 || slots > 64) throw Error(at + ": " + std::to_string(slots) + " actor slots, expected 1..64");
    format = f;
    const int dims = static_cast<int>(*f);
    const std::vector<float> values = motion->tensor->view().to_f32();
    for (float v : values)
      if (!std::isfinite(v)) throw Error(at + ": 'motion' holds a non-finite value");

    // Empty actor slots were zero-filled by the reference: those become absent frames, and a slot
    // empty in every frame is dropped.
    std::vector<int> keep;
    std::vector<uint8_t> present(static_cast<size_t>(frames) * slots);
    for (int a = 0; a < slots; ++a) {
      int absent = 0;
      for (int t = 0; t < frames; ++t) {
        const float* p = values.data() + (static_cast<size_t>(t) * slots + a) * dims;
        const bool here = std::any_of(p, p + dims, [](float v) { return v != 0.f; });
        present[static_cast<size_t>(t) * slots + a] = here;
        absent += !here;
      }
      if (absent < frames) {
        keep.push_back(a);
        zero_frames += static_cast<size_t>(absent);
      } else {
        ++dropped_slots;
      }
    }
    if (keep.empty()) throw Error(at + ": 'motion' is all zeros");
    Clip clip = Clip::make(*f, frames, static_cast<int>(keep.size()));
    for (int t = 0; t < frames; ++t)
      for (size_t k = 0; k < keep.size(); ++k) {
        const size_t src = static_cast<size_t>(t) * slots + keep[k];
        std::copy_n(values.data() + src * dims, dims, clip.pose(t, static_cast<int>(k)));
        clip.actor_mask[clip.slot(t, static_cast<int>(k))] = present[src];
      }
    if (const PyValue* acts = item->get("actions"); acts && acts->is_tensor()) {
      const Shape& as = acts->tensor->shape;
      const bool per_actor = as.size() == 2 && as[1] == slots;
      if (!(as.size() == 1 && as[0] == frames) && !(per_actor && as[0] == frames))
        throw Error(at + ": 'actions' has shape " + shape_str(as) + ", expected [" + std::to_string(frames) + "]");
      const auto ids = acts->tensor->view().to_i64();
      for (int t = 0; t < frames; ++t)
        for (size_t k = 0; k < keep.size(); ++k) {
          const int64_t id = per_actor ? ids[static_cast<size_t>(t) * slots + keep[k]] : ids[t];
          if (id >= 64) throw Error(at + ": action id " + std::to_string(id) + " is outside 0..63");
          clip.actions[clip.slot(t, static_cast<int>(k))] =
              id < 0 || !clip.present(t, static_cast<int>(k)) ? kNoAction : static_cast<int16_t>(id);
        }
    }
    if (const PyValue* cam = item->get("camera"); cam && cam->is_tensor()) {
      if (cam->tensor->shape != Shape{frames, 3}) throw Error(at + ": 'camera' has shape " + shape_str(cam->tensor->shape) + ", expected [T, 3]");
      clip.camera = cam->tensor->view().to_f32();
    }
    if (const PyValue* d = item->get("description"); d && d->is_string()) clip.description = d->text;
    clip.source = source;
    clip.id = "ref_" + std::to_string(i);
    compute_physics(clip);
    std::vector<float> emb;
    if (const PyValue* e = item->get("embedding"); e && e->is_tensor()) {
      const Shape& es = e->tensor->shape;
      if (!(es.size() == 1 || (es.size() == 2 && es[0] == 1)) || es.back() < 1)
        throw Error(at + ": 'embedding' has shape " + shape_str(es) + ", expected [E] or [1, E]");
      emb = e->tensor->view().to_f32();
    }
    if (i > 0 && emb.size() != static_cast<size_t>(report.embedding_dim))
      throw Error(at + ": embedding of " + std::to_string(emb.size()) + " values, earlier samples have " +
                  std::to_string(report.embedding_dim));
    report.embedding_dim = static_cast<int>(emb.size());
    report.max_actors = std::max(report.max_actors, clip.actors);
    report.frames += static_cast<size_t>(frames);
    embeddings.push_back(std::move(emb));
    clips.push_back(std::move(clip));
  }

  DatasetWriter writer(out_dir, *format, report.max_actors, report.embedding_dim);
  for (size_t i = 0; i < clips.size(); ++i) {
    ClipRecord rec;
    rec.id = clips[i].id;
    rec.description = clips[i].description;
    rec.source = source;
    writer.add(clips[i], rec, embeddings[i].empty() ? nullptr : embeddings[i].data());
  }
  writer.finish();
  report.clips = clips.size();
  report.notes.push_back("physics recomputed from the motion (root velocity/acceleration in real seconds); the "
                         "reference's stored physics is not imported");
  if (dropped_slots)
    report.notes.push_back(std::to_string(dropped_slots) + " actor slots that were all zeros (empty padding) dropped");
  if (zero_frames)
    report.notes.push_back(std::to_string(zero_frames) + " all-zero frames of present actors marked absent");
  return report;
}

}  // namespace stickgen
