// The BERT encoder's forward pass (Hugging Face BertModel, post-LayerNorm) on the CPU, and its
// place among the text encoders ("bert:<dir or name>").
//
//   x = LayerNorm(word[id] + position[i] + token_type[0])
//   per layer:  a = LayerNorm(x + Dense(Attention(x)))          (all tokens see all tokens)
//               x = LayerNorm(a + Dense(GELU(Dense(a))))
//   embedding = x[0] / |x[0]|                                    ([CLS], as bge pools)
//
// The last layer only needs [CLS]'s row: its keys and values use every token, but its queries, the
// output projection and the feed-forward block run for row 0 alone. Matrix products go through the
// runtime's SIMD kernel (weights stay (out, in) as stored), split over output columns by a thread
// team; attention splits over heads.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "runtime/kernels.hpp"
#include "runtime/thread_pool.hpp"
#include "stickgen/bert.hpp"
#include "stickgen/common.hpp"
#include "stickgen/safetensors.hpp"

namespace stickgen {
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// config.json
// ---------------------------------------------------------------------------------------------
BertConfig BertConfig::load(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw Error(path.string() + ": missing (a BERT directory needs its config.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw Error(path.string() + ": expected a JSON object");
  auto integer = [&](const char* key, int fallback, bool required) {
    if (!j.contains(key) || j[key].is_null()) {
      if (required) throw Error(path.string() + ": '" + key + "' is missing");
      return fallback;
    }
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 1 || j[key].get<int64_t>() > (1 << 24))
      throw Error(path.string() + ": '" + key + "' should be a positive integer");
    return j[key].get<int>();
  };
  BertConfig c;
  c.vocab_size = integer("vocab_size", 0, true);
  c.hidden_size = integer("hidden_size", 0, true);
  c.num_layers = integer("num_hidden_layers", 0, true);
  c.num_heads = integer("num_attention_heads", 0, true);
  c.intermediate_size = integer("intermediate_size", 0, true);
  c.max_positions = integer("max_position_embeddings", 0, true);
  c.type_vocab_size = integer("type_vocab_size", 2, false);
  if (j.contains("layer_norm_eps")) {
    if (!j["layer_norm_eps"].is_number() || !(j["layer_norm_eps"].get<double>() > 0))
      throw Error(path.string() + ": 'layer_norm_eps' should be a positive number");
    c.layer_norm_eps = j["layer_norm_eps"].get<float>();
  }
  if (j.contains("hidden_act")) {
    if (!j["hidden_act"].is_string()) throw Error(path.string() + ": 'hidden_act' should be a string");
    c.hidden_act = j["hidden_act"].get<std::string>();
  }
  if (c.hidden_act != "gelu" && c.hidden_act != "gelu_new" && c.hidden_act != "gelu_pytorch_tanh")
    throw Error(path.string() + ": hidden_act '" + c.hidden_act + "' is not supported (expected gelu)");
  if (j.contains("position_embedding_type") && j["position_embedding_type"] != "absolute")
    throw Error(path.string() + ": position_embedding_type " + j["position_embedding_type"].dump() +
                " is not supported (expected \"absolute\")");
  if (j.contains("model_type") && j["model_type"].is_string() && j["model_type"] != "bert")
    throw Error(path.string() + ": model_type '" + j["model_type"].get<std::string>() + "' is not a BERT model");
  if (c.hidden_size % c.num_heads != 0)
    throw Error(path.string() + ": hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
                std::to_string(c.num_heads));
  return c;
}

// ---------------------------------------------------------------------------------------------
// Directories and names
// ---------------------------------------------------------------------------------------------
std::string bert_model_name(const fs::path& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(dir, ec);
  if (ec) p = fs::absolute(dir);
  if (p.filename().empty()) p = p.parent_path();  // a trailing '/'
  const fs::path parent = p.parent_path();
  const std::string repo = parent.parent_path().filename().string();
  if (parent.filename() == "snapshots" && repo.rfind("models--", 0) == 0) {
    const size_t cut = repo.rfind("--");
    if (cut != std::string::npos && cut + 2 < repo.size() && cut >= 8) return repo.substr(cut + 2);
  }
  return p.filename().string();
}

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The snapshot of a Hugging Face cache entry models--ORG--NAME: the one refs/main names, else the
// newest that holds a config.json.
std::optional<fs::path> hf_snapshot(const fs::path& repo) {
  std::error_code ec;
  if (fs::is_regular_file(repo / "refs" / "main", ec)) {
    std::string rev = read_file(repo / "refs" / "main");
    while (!rev.empty() && std::isspace(static_cast<unsigned char>(rev.back()))) rev.pop_back();
    if (!rev.empty() && fs::is_regular_file(repo / "snapshots" / rev / "config.json", ec)) return repo / "snapshots" / rev;
  }
  std::optional<fs::path> best;
  fs::file_time_type best_time{};
  for (const auto& e : fs::directory_iterator(repo / "snapshots", ec)) {
    if (!fs::is_regular_file(e.path() / "config.json", ec)) continue;
    const auto t = fs::last_write_time(e.path(), ec);
    if (!best || t > best_time) best = e.path(), best_time = t;
  }
  return best;
}

}  // namespace

fs::path find_bert_directory(const std::string& spec) {
  if (spec.empty()) throw Error("text encoder 'bert:': expected bert:<directory> or bert:<model name>");
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return fs::weakly_canonical(spec, ec);
  std::vector<std::string> looked{spec};
  std::vector<fs::path> caches;  // Hugging Face hub caches
  if (!env("HF_HUB_CACHE").empty()) caches.push_back(env("HF_HUB_CACHE"));
  if (!env("HF_HOME").empty()) caches.push_back(fs::path(env("HF_HOME")) / "hub");
  if (!env("XDG_CACHE_HOME").empty()) caches.push_back(fs::path(env("XDG_CACHE_HOME")) / "huggingface" / "hub");
  if (!env("HOME").empty()) caches.push_back(fs::path(env("HOME")) / ".cache" / "huggingface" / "hub");
  const size_t slash = spec.find('/');
  const bool plain = slash == std::string::npos && spec != "." && spec != "..";
  // "ORG/NAME", a Hugging Face model id: its cache entry models--ORG--NAME.
  const bool hub_id = slash != std::string::npos && slash > 0 && spec.find('/', slash + 1) == std::string::npos &&
                      slash + 1 < spec.size() && spec[0] != '.' && spec[0] != '~';
  if (plain) {
    const std::string list = env("STICKGEN_TEXT_ENCODERS");
    for (size_t i = 0; i <= list.size();) {
      size_t j = list.find(':', i);
      if (j == std::string::npos) j = list.size();
      if (j > i) {
        const fs::path candidate = fs::path(list.substr(i, j - i)) / spec;
        if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec);
        looked.push_back(candidate.string());
      }
      i = j + 1;
    }
  }
  if (plain || hub_id) {
    const std::string suffix = "--" + (plain ? spec : spec.substr(slash + 1));
    const std::string exact = hub_id ? "models--" + spec.substr(0, slash) + suffix : "";
    for (const fs::path& cache : caches) {
      std::vector<fs::path> repos;
      for (const auto& e : fs::directory_iterator(cache, ec)) {
        const std::string n = e.path().filename().string();
        const bool match = hub_id ? n == exact
                                  : n.rfind("models--", 0) == 0 && n.size() > suffix.size() + 8 &&
                                        n.compare(n.size() - suffix.size(), std::string::npos, suffix) == 0;
        if (match) repos.push_back(e.path());
      }
      std::sort(repos.begin(), repos.end());
      for (const fs::path& repo : repos)
        if (auto snap = hf_snapshot(repo)) return *snap;
      looked.push_back((cache / (hub_id ? exact : "models--*" + suffix)).string());
    }
  }
  std::string where;
  for (const auto& l : looked) where += (where.empty() ? "" : ", ") + l;
  throw Error("text encoder 'bert:" + spec + "': no such model directory (looked in " + where +
              "; set STICKGEN_TEXT_ENCODERS to the folder that holds it)");
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------
namespace {

struct LayerWeights {
  const float *wq, *bq, *wk, *bk, *wv, *bv;  // (H, H), (H) each
  const float *wo, *bo;                      // attention output (H, H), (H)
  const float *ln1_w, *ln1_b;                // (H)
  const float *wi, *bi;                      // intermediate (I, H), (I)
  const float *wd, *bd;                      // output (H, I), (H)
  const float *ln2_w, *ln2_b;                // (H)
};

}  // namespace

struct BertEncoder::Model {
  fs::path dir;
  std::string name;
  BertConfig config;
  WordPieceTokenizer tokenizer;
  int max_tokens = 0;
  int word_rows = 0;  // rows of the word-embedding table
  std::vector<SafeTensorsFile> files;
  std::map<std::string, std::pair<const TensorView*, std::string>> tensors;  // name -> (view, file)
  std::string prefix;  // "" or "bert."

  // Filled on first use.
  std::once_flag prepared;
  std::vector<std::vector<float>> owned;  // converted (or realigned) tensors
  const float *word = nullptr, *position = nullptr, *token_type = nullptr;  // (V, H), (P, H), (T, H)
  const float *emb_ln_w = nullptr, *emb_ln_b = nullptr;                     // (H)
  std::vector<LayerWeights> layers;

  Model(fs::path d, BertConfig c, WordPieceTokenizer t) : dir(std::move(d)), config(c), tokenizer(std::move(t)) {}

  const TensorView& view(const std::string& key) const { return *tensors.at(key).first; }

  // The tensor `key` (prefix applied; "weight"/"bias" LayerNorm names fall back to the old
  // "gamma"/"beta") with the expected shape; Error naming the file and tensor otherwise.
  std::string check(std::string key, std::vector<int64_t> shape) {
    auto find = [&](const std::string& k) -> std::pair<const TensorView*, std::string> {
      for (const auto& f : files)
        if (f.contains(k)) return {&f.get(k), f.origin()};
      return {nullptr, ""};
    };
    std::string full = prefix + key;
    auto found = find(full);
    if (!found.first && key.find("LayerNorm.") != std::string::npos) {
      std::string old = full;
      if (old.size() > 7 && old.compare(old.size() - 7, 7, ".weight") == 0) old.replace(old.size() - 7, 7, ".gamma");
      else if (old.size() > 5 && old.compare(old.size() - 5, 5, ".bias") == 0) old.replace(old.size() - 5, 5, ".beta");
      if ((found = find(old)).first) full = old;
    }
    const std::string where = files.size() == 1 ? files[0].origin() : (dir / "model.safetensors.index.json").string();
    if (!found.first) throw Error(where + ": tensor '" + full + "' is missing (expected a Hugging Face BertModel)");
    const TensorView& v = *found.first;
    auto shape_str = [](const std::vector<int64_t>& s) {
      std::string r = "[";
      for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
      return r + "]";
    };
    if (v.shape != shape)
      throw Error(found.second + ": tensor '" + full + "' has shape " + shape_str(v.shape) + ", config.json implies " +
                  shape_str(shape));
    if (v.dtype != DType::F32 && v.dtype != DType::F16 && v.dtype != DType::BF16 && v.dtype != DType::F64)
      throw Error(found.second + ": tensor '" + full + "' has dtype " + std::string(dtype_name(v.dtype)) +
                  ", expected F32, F16 or BF16");
    tensors[key] = {&v, found.second};
    return key;
  }

  void validate() {
    const BertConfig& c = config;
    const int64_t H = c.hidden_size, I = c.intermediate_size;
    prefix.clear();
    for (const auto& f : files)
      if (!f.contains("embeddings.word_embeddings.weight") && f.contains("bert.embeddings.word_embeddings.weight"))
        prefix = "bert.";
    // The word table may be larger than the tokenizer's vocabulary (padded), never smaller.
    const TensorView* any_word = [&]() -> const TensorView* {
      for (const auto& f : files)
        if (f.contains(prefix + "embeddings.word_embeddings.weight")) return &f.get(prefix + "embeddings.word_embeddings.weight");
      return nullptr;
    }();
    word_rows = any_word && any_word->shape.size() == 2 ? int(any_word->shape[0]) : c.vocab_size;
    check("embeddings.word_embeddings.weight", {word_rows, H});
    if (word_rows < tokenizer.vocab_size())
      throw Error(tensors["embeddings.word_embeddings.weight"].second + ": the word-embedding table has " +
                  std::to_string(word_rows) + " rows but vocab.txt has " + std::to_string(tokenizer.vocab_size()) + " tokens");
    check("embeddings.position_embeddings.weight", {c.max_positions, H});
    check("embeddings.token_type_embeddings.weight", {c.type_vocab_size, H});
    check("embeddings.LayerNorm.weight", {H});
    check("embeddings.LayerNorm.bias", {H});
    for (int l = 0; l < c.num_layers; ++l) {
      const std::string p = "encoder.layer." + std::to_string(l) + ".";
      for (const char* qkv : {"query", "key", "value"}) {
        check(p + "attention.self." + qkv + ".weight", {H, H});
        check(p + "attention.self." + qkv + ".bias", {H});
      }
      check(p + "attention.output.dense.weight", {H, H});
      check(p + "attention.output.dense.bias", {H});
      check(p + "attention.output.LayerNorm.weight", {H});
      check(p + "attention.output.LayerNorm.bias", {H});
      check(p + "intermediate.dense.weight", {I, H});
      check(p + "intermediate.dense.bias", {I});
      check(p + "output.dense.weight", {H, I});
      check(p + "output.dense.bias", {H});
      check(p + "output.LayerNorm.weight", {H});
      check(p + "output.LayerNorm.bias", {H});
    }
  }

  // fp32 tensors are used in place when aligned; others are converted once.
  const float* f32(const std::string& key) {
    const TensorView& v = view(key);
    if (v.dtype == DType::F32 && reinterpret_cast<uintptr_t>(v.data) % alignof(float) == 0)
      return reinterpret_cast<const float*>(v.data);
    owned.push_back(v.to_f32());
    return owned.back().data();
  }

  void prepare() {
    word = f32("embeddings.word_embeddings.weight");
    position = f32("embeddings.position_embeddings.weight");
    token_type = f32("embeddings.token_type_embeddings.weight");
    emb_ln_w = f32("embeddings.LayerNorm.weight");
    emb_ln_b = f32("embeddings.LayerNorm.bias");
    layers.resize(config.num_layers);
    for (int l = 0; l < config.num_layers; ++l) {
      const std::string p = "encoder.layer." + std::to_string(l) + ".";
      LayerWeights& w = layers[l];
      w.wq = f32(p + "attention.self.query.weight"), w.bq = f32(p + "attention.self.query.bias");
      w.wk = f32(p + "attention.self.key.weight"), w.bk = f32(p + "attention.self.key.bias");
      w.wv = f32(p + "attention.self.value.weight"), w.bv = f32(p + "attention.self.value.bias");
      w.wo = f32(p + "attention.output.dense.weight"), w.bo = f32(p + "attention.output.dense.bias");
      w.ln1_w = f32(p + "attention.output.LayerNorm.weight"), w.ln1_b = f32(p + "attention.output.LayerNorm.bias");
      w.wi = f32(p + "intermediate.dense.weight"), w.bi = f32(p + "intermediate.dense.bias");
      w.wd = f32(p + "output.dense.weight"), w.bd = f32(p + "output.dense.bias");
      w.ln2_w = f32(p + "output.LayerNorm.weight"), w.ln2_b = f32(p + "output.LayerNorm.bias");
    }
  }
};

namespace {

std::shared_ptr<BertEncoder::Model> open_model(const fs::path& dir) {
  auto config = BertConfig::load(dir / "config.json");
  auto tokenizer = WordPieceTokenizer::load(dir);
  auto m = std::make_shared<BertEncoder::Model>(dir, config, std::move(tokenizer));
  m->name = bert_model_name(dir);

  // model.safetensors, or the shards a model.safetensors.index.json lists.
  const fs::path single = dir / "model.safetensors", index = dir / "model.safetensors.index.json";
  if (fs::is_regular_file(single)) {
    m->files.push_back(SafeTensorsFile::open(single));
  } else if (fs::is_regular_file(index)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(index));
    } catch (const nlohmann::json::exception& e) {
      throw Error(index.string() + ": not valid JSON (" + e.what() + ")");
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      throw Error(index.string() + ": expected {\"weight_map\": {tensor: file}}");
    std::vector<std::string> shards;
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string()) throw Error(index.string() + ": weight_map['" + name + "'] should be a file name");
      shards.push_back(file.get<std::string>());
    }
    std::sort(shards.begin(), shards.end());
    shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
    for (const auto& s : shards) {
      if (s.find('/') != std::string::npos) throw Error(index.string() + ": shard '" + s + "' is not a file name");
      m->files.push_back(SafeTensorsFile::open(dir / s));
    }
  } else if (fs::exists(dir / "pytorch_model.bin")) {
    throw Error(single.string() + ": missing (only pytorch_model.bin is present; download model.safetensors)");
  } else {
    throw Error(single.string() + ": missing (a BERT directory needs its weights as safetensors)");
  }
  m->max_tokens = config.max_positions;
  // The tokenizer's and sentence-transformers' limits, when they are smaller.
  for (const auto& [file, key] : {std::pair{"tokenizer_config.json", "model_max_length"},
                                  {"sentence_bert_config.json", "max_seq_length"}}) {
    if (!fs::is_regular_file(dir / file)) continue;
    try {
      const auto j = nlohmann::json::parse(read_file(dir / file));
      if (j.is_object() && j.contains(key) && j[key].is_number() && j[key].get<double>() >= 2 &&
          j[key].get<double>() < m->max_tokens)
        m->max_tokens = int(j[key].get<double>());
    } catch (const nlohmann::json::exception& e) {
      throw Error((dir / file).string() + ": not valid JSON (" + e.what() + ")");
    }
  }
  if (m->max_tokens < 2) throw Error((dir / "config.json").string() + ": max_position_embeddings must be at least 2");
  m->validate();
  return m;
}

// One model per directory per process: every encoder of it shares the weights.
std::shared_ptr<BertEncoder::Model> shared_model(const fs::path& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<BertEncoder::Model>> cache;
  std::error_code ec;
  const std::string key = fs::weakly_canonical(dir, ec).string();
  std::lock_guard lock(mutex);
  if (auto m = cache[key].lock()) return m;
  auto m = open_model(dir);
  cache[key] = m;
  return m;
}

void layer_norm(float* x, const float* w, const float* b, int n, int d, float eps) {
  for (int t = 0; t < n; ++t, x += d) {
    double mean = 0;
    for (int i = 0; i < d; ++i) mean += x[i];
    mean /= d;
    double var = 0;
    for (int i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean);
    const float inv = float(1.0 / std::sqrt(var / d + eps));
    const float m = float(mean);
    for (int i = 0; i < d; ++i) x[i] = (x[i] - m) * inv * w[i] + b[i];
  }
}

float gelu_tanh(float x) { return 0.5f * x * (1.f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x))); }

}  // namespace

// The thread team of one encoder; one encode at a time uses it.
struct BertEncoder::Workers {
  std::mutex mutex;
  int threads = 1;
  std::unique_ptr<runtime::ThreadPool> pool;  // made on first use
  // Embeddings of recent token sequences: a training set repeats its descriptions many times.
  std::mutex cache_mutex;
  std::unordered_map<std::string, std::vector<float>> cache;  // key: the ids' bytes
  static constexpr size_t kCacheEntries = 4096;
};

// ---------------------------------------------------------------------------------------------
// The encoder
// ---------------------------------------------------------------------------------------------
BertEncoder::BertEncoder(const fs::path& dir, BertOptions options)
    : model_(shared_model(dir)), workers_(std::make_unique<Workers>()) {
  int threads = options.threads;
  if (threads < 0 || threads > 256) throw Error("bert encoder: threads must be 0..256, got " + std::to_string(threads));
  if (threads == 0) threads = std::clamp(int(std::thread::hardware_concurrency()), 1, 8);
  workers_->threads = threads;
}

BertEncoder::~BertEncoder() = default;

std::string BertEncoder::name() const { return "bert:" + model_->name; }
int BertEncoder::dim() const { return model_->config.hidden_size; }
const WordPieceTokenizer& BertEncoder::tokenizer() const { return model_->tokenizer; }
const BertConfig& BertEncoder::config() const { return model_->config; }
int BertEncoder::max_tokens() const { return model_->max_tokens; }

std::vector<int32_t> BertEncoder::token_ids(std::string_view text) const {
  return model_->tokenizer.encode(text, model_->max_tokens);
}

std::vector<float> BertEncoder::encode(std::string_view text) const {
  const std::vector<int32_t> ids = token_ids(text);
  std::string key(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t));
  {
    std::lock_guard lock(workers_->cache_mutex);
    if (auto it = workers_->cache.find(key); it != workers_->cache.end()) return it->second;
  }
  std::vector<float> v = embed_ids(ids);
  std::lock_guard lock(workers_->cache_mutex);
  if (workers_->cache.size() >= Workers::kCacheEntries) workers_->cache.clear();
  workers_->cache.emplace(std::move(key), v);
  return v;
}

std::vector<float> BertEncoder::embed_ids(const std::vector<int32_t>& ids) const {
  Model& m = *model_;
  const BertConfig& c = m.config;
  if (ids.empty() || ids.size() > size_t(m.max_tokens))
    throw Error("bert encoder: expected 1.." + std::to_string(m.max_tokens) + " token ids, got " + std::to_string(ids.size()));
  for (int32_t id : ids)
    if (id < 0 || id >= m.word_rows) throw Error("bert encoder: token id " + std::to_string(id) + " is out of range");
  std::call_once(m.prepared, [&] { m.prepare(); });

  std::lock_guard lock(workers_->mutex);
  if (!workers_->pool) workers_->pool = std::make_unique<runtime::ThreadPool>(workers_->threads);
  runtime::ThreadPool& pool = *workers_->pool;

  const int H = c.hidden_size, I = c.intermediate_size, heads = c.num_heads, hd = H / heads;
  const float eps = c.layer_norm_eps, scale = 1.f / std::sqrt(float(hd));
  const bool tanh_gelu = c.hidden_act != "gelu";
  int n = int(ids.size());

  std::vector<float> x(size_t(n) * H);        // (n, H) hidden states
  std::vector<float> q(size_t(n) * H), k(size_t(n) * H), v(size_t(n) * H), ctx(size_t(n) * H);  // (n, H)
  std::vector<float> a(size_t(n) * H);        // (n, H) after attention + LayerNorm
  std::vector<float> inter(size_t(n) * I);    // (n, I)
  // Per thread, one head at a time: q_h (n, hd), k_h (n, hd), v_h^T (hd, n), scores (n, n), out (n, hd).
  const size_t scratch_each = size_t(n) * hd * 3 + size_t(n) * n + size_t(n) * hd;
  std::vector<float> scratch(scratch_each * pool.size());

  for (int t = 0; t < n; ++t) {
    const float* w = m.word + size_t(ids[t]) * H;
    const float* p = m.position + size_t(t) * H;
    float* row = x.data() + size_t(t) * H;
    for (int i = 0; i < H; ++i) row[i] = w[i] + p[i] + m.token_type[i];
  }
  layer_norm(x.data(), m.emb_ln_w, m.emb_ln_b, n, H, eps);

  // y (rows, out) = x (rows, in) W^T + b, split over output columns; GELU on the way out if asked.
  // A parallel region, or the calling thread alone when the work (multiply-adds) is too small to
  // pay for waking the team.
  auto parallel = [&](double work, auto&& f) {
    if (pool.size() == 1 || work < double(1 << 20)) f(0, 1);
    else pool.run(f);
  };
  // Thread `index` of `count`: its share of the output columns of y (rows, out) = x (rows, in) W^T + b,
  // with GELU on the way out if asked.
  auto linear_part = [&](int index, int count, const float* in_x, int rows, int in, const float* w, const float* b,
                         float* y, int out, bool gelu) {
    int o0, o1;
    runtime::split_range(out, index, count, 8, o0, o1);
    if (o0 >= o1) return;
    // Token blocks of about 256 kB keep the input rows in cache while the weight rows stream by.
    const int block = std::clamp(65536 / in, 4, 64);
    for (int t = 0; t < rows; t += block)
      runtime::linear(in_x + size_t(t) * in, std::min(block, rows - t), in, w, b, y + size_t(t) * out, out, o0, o1);
    if (gelu)
      for (int t = 0; t < rows; ++t) {
        float* r = y + size_t(t) * out;
        if (tanh_gelu) {
          for (int i = o0; i < o1; ++i) r[i] = gelu_tanh(r[i]);
        } else {
          for (int i = o0; i < o1; ++i) r[i] = runtime::gelu(r[i]);
        }
      }
  };
  auto linear = [&](const float* in_x, int rows, int in, const float* w, const float* b, float* y, int out, bool gelu) {
    parallel(double(rows) * in * out,
             [&](int index, int count) { linear_part(index, count, in_x, rows, in, w, b, y, out, gelu); });
  };

  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = m.layers[l];
    const int rows = l + 1 == c.num_layers ? 1 : n;  // the last layer: [CLS] only
    parallel(double(rows + 2 * n) * H * H, [&](int index, int count) {  // queries, keys, values in one region
      linear_part(index, count, x.data(), rows, H, w.wq, w.bq, q.data(), H, false);
      linear_part(index, count, x.data(), n, H, w.wk, w.bk, k.data(), H, false);
      linear_part(index, count, x.data(), n, H, w.wv, w.bv, v.data(), H, false);
    });

    parallel(2.0 * rows * n * H, [&](int index, int count) {
      int h0, h1;
      runtime::split_range(heads, index, count, 1, h0, h1);
      float* qh = scratch.data() + scratch_each * index;
      float* kh = qh + size_t(n) * hd;
      float* vt = kh + size_t(n) * hd;
      float* s = vt + size_t(n) * hd;
      float* oh = s + size_t(n) * n;
      for (int h = h0; h < h1; ++h) {
        for (int t = 0; t < n; ++t)
          for (int j = 0; j < hd; ++j) {
            const size_t src = size_t(t) * H + size_t(h) * hd + j;
            if (t < rows) qh[size_t(t) * hd + j] = q[src];
            kh[size_t(t) * hd + j] = k[src];
            vt[size_t(j) * n + t] = v[src];
          }
        runtime::linear(qh, rows, hd, kh, nullptr, s, n, 0, n);  // scores (rows, n) = q_h k_h^T
        for (int t = 0; t < rows; ++t) {
          float* r = s + size_t(t) * n;
          for (int j = 0; j < n; ++j) r[j] *= scale;
          runtime::softmax(r, n);
        }
        runtime::linear(s, rows, n, vt, nullptr, oh, hd, 0, hd);  // (rows, hd) = P v_h
        for (int t = 0; t < rows; ++t)
          std::copy(oh + size_t(t) * hd, oh + size_t(t + 1) * hd, ctx.data() + size_t(t) * H + size_t(h) * hd);
      }
    });

    linear(ctx.data(), rows, H, w.wo, w.bo, a.data(), H, false);
    runtime::add_inplace(a.data(), x.data(), rows * H);
    layer_norm(a.data(), w.ln1_w, w.ln1_b, rows, H, eps);
    linear(a.data(), rows, H, w.wi, w.bi, inter.data(), I, true);
    linear(inter.data(), rows, I, w.wd, w.bd, x.data(), H, false);
    runtime::add_inplace(x.data(), a.data(), rows * H);
    layer_norm(x.data(), w.ln2_w, w.ln2_b, rows, H, eps);
  }

  std::vector<float> out(x.begin(), x.begin() + H);
  double norm = 0;
  for (float f : out) norm += double(f) * f;
  const float inv = float(1.0 / std::max(std::sqrt(norm), 1e-12));  // F.normalize's eps
  for (float& f : out) f *= inv;
  return out;
}

}  // namespace stickgen
