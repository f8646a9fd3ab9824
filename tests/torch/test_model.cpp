// The LibTorch StickFigureTransformer: parameter counts, names, init, model files, KV-cached
// decoding, padding masks, and parity with the PyTorch oracle (scripts/reference_model.py) through
// `stickgen-train convert` for every checkpoint layout the reference produces.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>

#include <cmath>
#include <map>
#include <set>

#include "stickgen/dataset.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/safetensors.hpp"
#include "stickgen/torch_convert.hpp"
#include "stickgen/torch_model.hpp"
#include "test_util.hpp"

namespace stickgen {
namespace {
namespace fs = std::filesystem;
using namespace torch_model;
using test::TempDir;

// Python fixtures are generated once per script version and shared by every test process (ctest
// runs each test in its own process): a directory named after a hash of the generating scripts,
// created atomically (written beside it, then renamed into place).
fs::path cached_fixtures(const std::string& tag, const std::vector<fs::path>& scripts, std::string* log) {
  std::string key;
  for (const auto& s : scripts) key += read_file(s);
  const fs::path dir = fs::temp_directory_path() / ("stickgen-fixtures-" + tag + "-" + std::to_string(std::hash<std::string>{}(key)));
  if (fs::exists(dir / "done")) return dir;
  fs::path tmp = dir;
  tmp += ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const auto r = test::run_command(test::shell_quote(test::python()) + " " + test::shell_quote(scripts[0].string()) + " " +
                                   test::shell_quote(tmp.string()));
  *log = r.output;
  if (r.exit_code != 0) {
    fs::remove_all(tmp);
    return {};
  }
  write_file_atomic(tmp / "done", "");
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec) fs::remove_all(tmp);  // another process got there first; its copy is identical
  return fs::exists(dir / "done") ? dir : fs::path();
}

torch::Tensor to_torch(const TensorView& v) {
  if (v.dtype == DType::I64 || v.dtype == DType::I32) {
    auto ids = v.to_i64();
    return torch::from_blob(ids.data(), v.shape, torch::kLong).clone();
  }
  auto values = v.to_f32();
  return torch::from_blob(values.data(), v.shape, torch::kFloat).clone();
}

std::map<std::string, torch::Tensor> read_tensors(const fs::path& path) {
  std::map<std::string, torch::Tensor> out;
  auto f = SafeTensorsFile::open(path);
  for (const auto& t : f.tensors()) out[t.name] = to_torch(t);
  return out;
}

double max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e9;
  return (a - b).abs().max().item<double>();
}

std::map<std::string, torch::Tensor> heads(const ModelOutputs& o) {
  return {{"pose", o.pose},         {"action_logits", o.action_logits}, {"physics", o.physics},
          {"position", o.position}, {"velocity", o.velocity},           {"environment", o.environment}};
}

ModelInputs random_inputs(const ModelConfig& c, int64_t T, int64_t B, uint64_t seed) {
  torch::manual_seed(seed);
  ModelInputs in;
  in.motion = torch::randn({T, B, c.input_dim});
  in.text_embedding = torch::randn({B, c.embedding_dim});
  in.actions = torch::randint(0, c.num_actions, {T, B}, torch::kLong);
  in.camera = torch::randn({T, B, 3});
  in.partner = torch::randn({T, B, c.input_dim});
  return in;
}

// ------------------------------------------------------------------ the two tiers

// Writes `in` as the inputs file of `stickgen forward` (the optional inputs when `optional`).
void write_forward_inputs(const fs::path& path, const ModelInputs& in, bool optional) {
  SafeTensorsWriter w;
  auto add = [&](const char* name, const torch::Tensor& t) {
    auto v = t.contiguous();
    w.add_f32(name, v.sizes().vec(), std::span<const float>(v.data_ptr<float>(), v.numel()));
  };
  add("motion", in.motion);
  add("text_embedding", in.text_embedding);
  if (optional) {
    add("camera", in.camera);
    add("partner", in.partner);
    auto acts = in.actions.contiguous();
    w.add_i64("actions", acts.sizes().vec(), std::span<const int64_t>(acts.data_ptr<int64_t>(), acts.numel()));
  }
  w.write(path);
}


// A LibTorch model file run by the lean runtime (`stickgen forward`): every head within 1e-4 of
// LibTorch's own forward, for tiny and small, causal and bidirectional, with every optional input.
TEST(TierParity, RuntimeMatchesLibTorchOnEveryHead) {
  TempDir dir;
  for (const char* preset : {"tiny", "small"}) {
    for (AttentionMode mode : {AttentionMode::causal, AttentionMode::bidirectional}) {
      ModelConfig c = ModelConfig::preset(preset);
      c.attention = mode;
      torch::manual_seed(11);
      StickFigureTransformer model(c);
      model->eval();
      const fs::path model_file = dir / (std::string(preset) + ".safetensors");
      save_model(model, model_file);
      const int64_t T = 7, B = 2;
      ModelInputs in = random_inputs(c, T, B, 12);
      write_forward_inputs(dir / "in.safetensors", in, true);
      const std::string mode_name = mode == AttentionMode::causal ? "causal" : "bidirectional";
      auto r = test::run_stickgen("forward --model " + test::shell_quote(model_file.string()) + " --inputs " +
                                  test::shell_quote((dir / "in.safetensors").string()) + " -o " +
                                  test::shell_quote((dir / "out.safetensors").string()) + " --attention " + mode_name);
      ASSERT_EQ(r.exit_code, 0) << r.output;
      torch::NoGradGuard no_grad;
      auto ours = heads(model->forward(in));
      auto runtime = read_tensors(dir / "out.safetensors");
      for (const auto& [name, t] : ours) {
        ASSERT_TRUE(runtime.count(name)) << name;
        EXPECT_LE(max_abs(runtime.at(name), t), 1e-4) << preset << " " << mode_name << " " << name;
      }
    }
  }
}

// A model with pose hypotheses: its wider pose head (K candidates + K logits) in both tiers, the
// config round trip through the file, and the likeliest-candidate selection the evaluation uses.
TEST(TierParity, PoseHypothesesMatchAndSelect) {
  TempDir dir;
  ModelConfig c = ModelConfig::preset("tiny");
  c.pose_hypotheses = 3;
  EXPECT_EQ(c.pose_width(), 3 * (c.output_dim + 1));
  EXPECT_EQ(ModelConfig::from_json(c.to_json()).pose_hypotheses, 3);
  EXPECT_EQ(ModelConfig::from_json(ModelConfig::preset("tiny").to_json()).pose_hypotheses, 1);
  EXPECT_EQ(ModelConfig::preset("tiny").to_json().find("pose_hypotheses"), std::string::npos);
  torch::manual_seed(5);
  StickFigureTransformer model(c);
  model->eval();
  scaled_init(model);
  const int64_t params = count_parameters(model);
  EXPECT_EQ(params, c.parameter_count());
  const fs::path model_file = dir / "hyp.safetensors";
  save_model(model, model_file);
  const int64_t T = 6, B = 2;
  ModelInputs in = random_inputs(c, T, B, 3);
  write_forward_inputs(dir / "in.safetensors", in, true);
  auto r = test::run_stickgen("forward --model " + test::shell_quote(model_file.string()) + " --inputs " +
                              test::shell_quote((dir / "in.safetensors").string()) + " -o " +
                              test::shell_quote((dir / "out.safetensors").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  torch::NoGradGuard no_grad;
  auto ours = model->forward(in);
  ASSERT_EQ(ours.pose.size(-1), c.pose_width());
  auto runtime = read_tensors(dir / "out.safetensors");
  EXPECT_LE(max_abs(runtime.at("pose"), ours.pose), 1e-4);
  // The hypotheses start apart (scaled init draws the last layer instead of zeroing it).
  auto means = ours.pose.narrow(-1, 0, 3 * c.output_dim).reshape({T, B, 3, c.output_dim});
  EXPECT_GT((means.select(2, 0) - means.select(2, 1)).abs().max().item<double>(), 1e-3);
  // keep_likeliest_hypotheses picks, per row, the candidate with the largest logit.
  auto flat = ours.pose.contiguous();
  std::vector<float> buffer(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  keep_likeliest_hypotheses(buffer, static_cast<size_t>(T * B), c);
  ASSERT_EQ(buffer.size(), static_cast<size_t>(T * B * c.output_dim));
  auto pick = ours.pose.narrow(-1, 3 * c.output_dim, 3).argmax(-1);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b) {
      const int64_t k = pick[t][b].item<int64_t>();
      EXPECT_EQ(likeliest_hypothesis(flat[t][b].data_ptr<float>(), c), k);
      for (int d = 0; d < c.output_dim; ++d)
        EXPECT_FLOAT_EQ(buffer[static_cast<size_t>((t * B + b) * c.output_dim + d)], means[t][b][k][d].item<float>());
    }
  // draw_hypothesis follows the softmax: u just below 1 takes the last index, u = 0 the first
  // candidate with any weight.
  const float* row = flat[0][0].data_ptr<float>();
  EXPECT_EQ(draw_hypothesis(row, c, 0.0), 0);
  EXPECT_EQ(draw_hypothesis(row, c, 0.999999), 2);
}

// `stickgen model-export`: f16 matrices, the same metadata, outputs close to the f32 file's.
TEST(TierParity, ModelExportToF16KeepsMetadataAndOutputs) {
  TempDir dir;
  ModelConfig c = ModelConfig::preset("tiny");
  torch::manual_seed(21);
  StickFigureTransformer model(c);
  MotionNormalization norm;
  norm.mean.assign(c.input_dim, 0.1f);
  norm.std.assign(c.input_dim, 2.f);
  save_model(model, dir / "f32.safetensors", &norm, {{"stickgen.text_encoder", "hashed-v1-1024"}});
  auto r = test::run_stickgen("model-export " + test::shell_quote((dir / "f32.safetensors").string()) + " -o " +
                              test::shell_quote((dir / "f16.safetensors").string()) + " --dtype f16");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto a = SafeTensorsFile::open(dir / "f32.safetensors"), b = SafeTensorsFile::open(dir / "f16.safetensors");
  EXPECT_EQ(a.metadata(), b.metadata());
  EXPECT_LT(fs::file_size(dir / "f16.safetensors"), 0.6 * fs::file_size(dir / "f32.safetensors"));
  for (const auto& t : b.tensors()) EXPECT_EQ(t.dtype, t.shape.size() >= 2 ? DType::F16 : DType::F32) << t.name;
  // Both files through the runtime on the same inputs.
  write_forward_inputs(dir / "in.safetensors", random_inputs(c, 5, 1, 22), false);
  for (const char* f : {"f32", "f16"}) {
    auto fr = test::run_stickgen("forward --model " + test::shell_quote((dir / (std::string(f) + ".safetensors")).string()) +
                                 " --inputs " + test::shell_quote((dir / "in.safetensors").string()) + " -o " +
                                 test::shell_quote((dir / (std::string(f) + "_out.safetensors")).string()));
    ASSERT_EQ(fr.exit_code, 0) << fr.output;
  }
  auto o32 = read_tensors(dir / "f32_out.safetensors"), o16 = read_tensors(dir / "f16_out.safetensors");
  const double d = max_abs(o32.at("pose"), o16.at("pose"));
  EXPECT_GT(d, 0.0);  // the weights really changed type
  EXPECT_LT(d, 0.05);
  // Refusals are one-line errors.
  auto same = test::run_stickgen("model-export " + test::shell_quote((dir / "f32.safetensors").string()) + " -o " +
                                 test::shell_quote((dir / "f32.safetensors").string()));
  EXPECT_NE(same.exit_code, 0);
  auto bad = test::run_stickgen("model-export " + test::shell_quote((dir / "f32.safetensors").string()) + " -o " +
                                test::shell_quote((dir / "x.safetensors").string()) + " --dtype f8");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--dtype"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir / "x.safetensors"));
}

// ------------------------------------------------------------------ structure

TEST(TorchModel, ParameterCountsMatchTheCard) {
  const std::pair<const char*, int64_t> presets[] = {
      {"small", 7'248'894}, {"medium", 20'595'646}, {"large", 44'619'646}};
  for (const auto& [name, count] : presets) {
    const ModelConfig c = ModelConfig::preset(name);
    StickFigureTransformer model(c);
    EXPECT_EQ(count_parameters(model), count) << name;
    EXPECT_EQ(c.parameter_count(), count) << name;
  }
  StickFigureTransformer tiny(ModelConfig::preset("tiny"));
  EXPECT_EQ(count_parameters(tiny), ModelConfig::preset("tiny").parameter_count());
}

TEST(TorchModel, StateDictNamesAndShapesAreTheReferences) {
  for (const char* preset : {"small", "tiny"}) {
    const ModelConfig c = ModelConfig::preset(preset);
    StickFigureTransformer model(c);
    std::map<std::string, std::vector<int64_t>> ours;
    for (const auto& [name, t] : state_dict(model)) ours[name] = t.sizes().vec();
    const auto expected = reference_tensor_shapes(c);
    std::map<std::string, std::vector<int64_t>> want(expected.begin(), expected.end());
    EXPECT_EQ(ours, want) << preset;
    if (std::string(preset) == "small") {
      EXPECT_EQ(expected.size(), 137u);
    }
  }
  StickFigureTransformer model(ModelConfig::small());
  std::set<std::string> names;
  for (const auto& [name, t] : state_dict(model)) names.insert(name);
  for (const char* key : {"text_projection.4.weight", "motion_embedding.3.bias", "action_projection.1.weight",
                          "transformer_encoder.layers.5.self_attn.rope.inv_freq",
                          "transformer_encoder.layers.0.ffn.value_proj.weight", "environment_decoder.3.bias"})
    EXPECT_TRUE(names.count(key)) << key;
}

TEST(TorchModel, ScaledInitStartsResidualHeadsAtRepeatAndKeepsNorms) {
  torch::manual_seed(0);
  const ModelConfig c = ModelConfig::preset("small");
  StickFigureTransformer model(c);
  scaled_init(model);
  torch::NoGradGuard no_grad;
  const double residual = 0.02 / std::sqrt(2.0 * c.num_layers);
  for (const auto& [name, t] : state_dict(model)) {
    if (name.ends_with("inv_freq") || t.dim() < 2) continue;
    const double sd = t.std().item<double>();
    if (name == "pose_decoder.3.weight") EXPECT_EQ(t.abs().max().item<double>(), 0.0);
    else if (name.starts_with("action_embedding")) EXPECT_NEAR(sd, 1.0, 0.1) << name;
    else if (name.ends_with("out_proj.weight") || name.ends_with("output_proj.weight")) EXPECT_NEAR(sd, residual, 0.2 * residual) << name;
    else EXPECT_NEAR(sd, 0.02, 0.004) << name;
  }
  for (const auto& [name, t] : state_dict(model))
    if (name.ends_with("norm1.weight") || name.ends_with("norm2.weight")) EXPECT_TRUE(torch::all(t == 1).item<bool>()) << name;
  // The pose head outputs exactly zero: a residual model starts by repeating its input.
  model->eval();
  auto out = model->forward(random_inputs(c, 6, 2, 9));
  EXPECT_EQ(out.pose.abs().max().item<double>(), 0.0);
  EXPECT_GT(out.action_logits.abs().max().item<double>(), 0.0);
  EXPECT_EQ(count_parameters(model), c.parameter_count());
}

TEST(TorchModel, InitIsXavierWithUnitNorms) {
  torch::manual_seed(0);
  StickFigureTransformer model(ModelConfig::preset("tiny"));
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : state_dict(model)) {
    if (name.ends_with("inv_freq")) {
      const int64_t hd = 2 * t.size(0);
      for (int64_t i = 0; i < t.size(0); ++i)
        EXPECT_NEAR(t[i].item<float>(), 1.0 / std::pow(10000.0, 2.0 * i / hd), 1e-7) << name;
    } else if (t.dim() > 1) {
      const double bound = std::sqrt(6.0 / static_cast<double>(t.size(0) + t.size(1)));
      EXPECT_LE(t.abs().max().item<double>(), bound + 1e-6) << name;
      EXPECT_GT(t.abs().max().item<double>(), 0.5 * bound) << name;
    } else if (name.ends_with("norm1.weight") || name.ends_with("norm2.weight") || name == "text_projection.4.weight") {
      EXPECT_TRUE(torch::all(t == 1).item<bool>()) << name;
    }
  }
  EXPECT_TRUE(torch::all(model->text_projection[4]->named_parameters()["bias"] == 0).item<bool>());
}

// ------------------------------------------------------------------ forward pass behaviour

TEST(TorchModel, KvCachedDecodingEqualsFullCausalForward) {
  for (const char* preset : {"tiny", "small"}) {
    const ModelConfig c = ModelConfig::preset(preset);
    torch::manual_seed(1);
    StickFigureTransformer model(c);
    model->eval();
    torch::NoGradGuard no_grad;
    const int64_t T = 9, B = 2;
    auto in = random_inputs(c, T, B, 5);
    auto full = model->forward(in);
    auto cache = model->start(in.text_embedding, /*capacity_frames=*/4);  // forces the cache to grow
    ModelOutputs last;
    for (int64_t t = 0; t < T; ++t) {
      FrameInputs f{in.motion[t], in.actions[t], in.camera[t], in.partner[t]};
      last = model->step(cache, f);
      EXPECT_LT(max_abs(last.pose, full.pose[t]), 1e-5) << preset << " frame " << t;
      EXPECT_LT(max_abs(last.action_logits, full.action_logits[t]), 1e-5) << preset << " frame " << t;
      EXPECT_LT(max_abs(last.physics, full.physics[t]), 1e-5) << preset << " frame " << t;
    }
    EXPECT_EQ(cache.frames(), T);
    EXPECT_LT(max_abs(last.position, full.position), 1e-5) << preset;
    EXPECT_LT(max_abs(last.velocity, full.velocity), 1e-5) << preset;
    EXPECT_LT(max_abs(last.environment, full.environment), 1e-5) << preset;
  }
}

TEST(TorchModel, KvCacheUnderAutogradMatchesAndBackpropagates) {
  const ModelConfig c = ModelConfig::preset("tiny");
  torch::manual_seed(2);
  StickFigureTransformer model(c);
  model->eval();
  auto in = random_inputs(c, 5, 1, 3);
  auto full = model->forward(in);
  auto cache = model->start(in.text_embedding);
  torch::Tensor loss = torch::zeros({});
  for (int64_t t = 0; t < 5; ++t) {
    auto o = model->step(cache, {in.motion[t], in.actions[t], in.camera[t], in.partner[t]});
    EXPECT_LT(max_abs(o.pose, full.pose[t]), 1e-5);
    loss = loss + o.pose.sum();
  }
  loss.backward();
  EXPECT_TRUE(model->motion_embedding[0]->named_parameters()["weight"].grad().defined());
}

TEST(TorchModel, BidirectionalModelsRefuseIncrementalDecoding) {
  ModelConfig c = ModelConfig::preset("tiny");
  c.attention = AttentionMode::bidirectional;
  StickFigureTransformer model(c);
  EXPECT_THROW(model->start(torch::randn({1, c.embedding_dim})), Error);
}

TEST(TorchModel, CausalOutputsDoNotSeeTheFuture) {
  const ModelConfig c = ModelConfig::preset("tiny");
  StickFigureTransformer model(c);
  model->eval();
  torch::NoGradGuard no_grad;
  auto in = random_inputs(c, 8, 1, 4);
  auto a = model->forward(in);
  in.motion[6] += 1.0;  // change frame 6 only
  auto b = model->forward(in);
  EXPECT_LT(max_abs(a.pose.narrow(0, 0, 6), b.pose.narrow(0, 0, 6)), 1e-6);
  EXPECT_GT(max_abs(a.pose.narrow(0, 6, 2), b.pose.narrow(0, 6, 2)), 1e-4);
  model->set_attention(AttentionMode::bidirectional);
  auto c1 = model->forward(in);
  in.motion[6] -= 1.0;
  auto c2 = model->forward(in);
  EXPECT_GT(max_abs(c1.pose.narrow(0, 0, 6), c2.pose.narrow(0, 0, 6)), 1e-4);
}

TEST(TorchModel, PaddedFramesAreIgnored) {
  for (auto mode : {AttentionMode::causal, AttentionMode::bidirectional}) {
    ModelConfig c = ModelConfig::preset("tiny");
    c.attention = mode;
    torch::manual_seed(6);
    StickFigureTransformer model(c);
    model->eval();
    torch::NoGradGuard no_grad;
    const int64_t T = 7, keep = 4;
    auto in = random_inputs(c, T, 2, 8);
    in.padding_mask = torch::zeros({2, T}, torch::kBool);
    in.padding_mask[1].narrow(0, keep, T - keep).fill_(true);
    auto padded = model->forward(in);
    // Sample 1 alone, truncated to its real frames.
    ModelInputs one;
    one.motion = in.motion.narrow(0, 0, keep).narrow(1, 1, 1);
    one.text_embedding = in.text_embedding.narrow(0, 1, 1);
    one.actions = in.actions.narrow(0, 0, keep).narrow(1, 1, 1);
    one.camera = in.camera.narrow(0, 0, keep).narrow(1, 1, 1);
    one.partner = in.partner.narrow(0, 0, keep).narrow(1, 1, 1);
    auto alone = model->forward(one);
    EXPECT_LT(max_abs(padded.pose.narrow(0, 0, keep).narrow(1, 1, 1), alone.pose), 1e-5);
    EXPECT_LT(max_abs(padded.position.narrow(0, 1, 1), alone.position), 1e-5);
    EXPECT_LT(max_abs(padded.environment.narrow(0, 1, 1), alone.environment), 1e-5);
    // Sample 0 is unaffected by sample 1's padding.
    in.padding_mask.reset();
    auto unpadded = model->forward(in);
    EXPECT_LT(max_abs(padded.pose.narrow(1, 0, 1), unpadded.pose.narrow(1, 0, 1)), 1e-6);
  }
}

TEST(TorchModel, MisShapedInputsAreOneLineErrors) {
  const ModelConfig c = ModelConfig::preset("tiny");
  StickFigureTransformer model(c);
  auto in = random_inputs(c, 3, 1, 1);
  in.camera = torch::randn({3, 1, 2});
  try {
    model->forward(in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'camera'"), std::string::npos) << e.what();
  }
}

TEST(TorchModel, ComputeThreadsGoToOpenBlasNotOpenMP) {
  set_compute_threads(2);
  EXPECT_EQ(torch::get_num_threads(), 1);
  using GetThreads = int (*)();
  auto* get = reinterpret_cast<GetThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  ASSERT_NE(get, nullptr) << "LibTorch is expected to load OpenBLAS on Debian";
  EXPECT_EQ(get(), 2);
  set_compute_threads(1);
  EXPECT_EQ(get(), 1);
  EXPECT_THROW(set_compute_threads(0), Error);
}

// ------------------------------------------------------------------ model files

TEST(TorchModel, SaveLoadRoundTrip) {
  TempDir dir;
  ModelConfig c = ModelConfig::preset("tiny");
  StickFigureTransformer model(c);
  MotionNormalization norm;
  norm.mean.assign(20, 0.5f);
  norm.std.assign(20, 2.f);
  save_model(model, dir / "m.safetensors", &norm, {{"stickgen.run", "test"}});
  auto loaded = load_model(dir / "m.safetensors");
  EXPECT_EQ(loaded.model->config().to_json(), c.to_json());
  EXPECT_EQ(loaded.normalization.mean, norm.mean);
  EXPECT_EQ(loaded.metadata.at("stickgen.run"), "test");
  auto a = state_dict(model), b = state_dict(loaded.model);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
  auto bi = load_model(dir / "m.safetensors", AttentionMode::bidirectional);
  EXPECT_EQ(bi.model->config().attention, AttentionMode::bidirectional);

  // A file missing a tensor, or holding an extra one, is refused with the names.
  auto file = SafeTensorsFile::open(dir / "m.safetensors");
  SafeTensorsWriter w;
  for (const auto& [k, v] : file.metadata()) w.set_metadata(k, v);
  for (const auto& t : file.tensors())
    if (t.name != "pose_decoder.3.bias") w.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
  w.add_f32("extra.weight", {1}, std::vector<float>{1.f});
  w.write(dir / "bad.safetensors");
  try {
    load_model(dir / "bad.safetensors");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("pose_decoder.3.bias"), std::string::npos) << msg;
    EXPECT_NE(msg.find("extra.weight"), std::string::npos) << msg;
  }
}

// ------------------------------------------------------------------ the oracle and the converter

class OracleParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path src = test::source_dir();
    dir_ = cached_fixtures("oracle", {src / "tests/torch/make_checkpoints.py", src / "scripts/reference_model.py"}, &log_);
  }
  void SetUp() override { ASSERT_FALSE(dir_.empty()) << "make_checkpoints.py failed:\n" << log_; }
  // Inputs come from the shared fixture directory; everything a test writes goes to its own.
  fs::path file(const std::string& name) {
    return fs::exists(dir_ / name) ? dir_ / name : out_.path() / name;
  }
  test::CommandResult convert(const std::string& in, const std::string& out, const std::string& flags = "") {
    return test::run_stickgen_train("convert " + test::shell_quote(file(in).string()) + " -o " +
                                    test::shell_quote((out_.path() / out).string()) + " " + flags);
  }
  // Converted tensors equal the oracle's own model file.
  void expect_same_weights(const std::string& converted, const std::string& reference, double tol) {
    auto a = read_tensors(file(converted)), b = read_tensors(file(reference));
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, t] : b) {
      ASSERT_TRUE(a.count(name)) << name;
      EXPECT_LE(max_abs(a[name], t), tol) << name;
    }
  }
  void expect_parity(const std::string& model_file, const std::string& preset, AttentionMode mode) {
    auto loaded = load_model(file(model_file), mode);
    auto x = read_tensors(file(preset + "_in.safetensors"));
    ModelInputs in{x["motion"], x["text_embedding"], x["actions"], x["camera"], x["partner"], {}};
    torch::NoGradGuard no_grad;
    auto ours = heads(loaded.model->forward(in));
    auto theirs = read_tensors(
        file(preset + "_out_" + (mode == AttentionMode::causal ? "causal" : "bidirectional") + ".safetensors"));
    for (const auto& [name, t] : theirs)
      EXPECT_LE(max_abs(ours.at(name), t), 1e-4) << preset << " " << name;
  }
  static fs::path dir_;
  static std::string log_;
  TempDir out_;
};
fs::path OracleParity::dir_;
std::string OracleParity::log_;

TEST_F(OracleParity, ConvertedStateDictMatchesPythonOnEveryHead) {
  for (const char* preset : {"tiny", "small"}) {
    const std::string p = preset;
    auto r = convert(p + ".bin", p + "_conv.safetensors", "--attention causal");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    expect_same_weights(p + "_conv.safetensors", p + "_ref.safetensors", 0.0);
    for (auto mode : {AttentionMode::causal, AttentionMode::bidirectional}) expect_parity(p + "_conv.safetensors", p, mode);
    auto meta = SafeTensorsFile::open(file(p + "_conv.safetensors")).metadata();
    EXPECT_EQ(ModelConfig::from_json(meta.at(model_meta::kConfig)).to_json(),
              [&] { auto c = ModelConfig::preset(p); return c.to_json(); }());
  }
}

TEST_F(OracleParity, ReferenceCheckpointsDefaultToBidirectional) {
  auto r = convert("tiny.bin", "tiny_default.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("bidirectional"), std::string::npos) << r.output;
  auto c = ModelConfig::from_json(SafeTensorsFile::open(file("tiny_default.safetensors")).metadata().at(model_meta::kConfig));
  EXPECT_EQ(c.attention, AttentionMode::bidirectional);
  expect_parity("tiny_default.safetensors", "tiny", AttentionMode::bidirectional);
}

TEST_F(OracleParity, AcceptsWrapperAndDataParallelLayouts) {
  auto r = convert("tiny_wrapper.pth", "w.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model_state_dict"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("optimizer_state_dict"), std::string::npos) << r.output;  // listed as ignored
  expect_same_weights("w.safetensors", "tiny_ref.safetensors", 0.0);
  r = convert("tiny_dp.bin", "dp.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("module."), std::string::npos) << r.output;
  expect_same_weights("dp.safetensors", "tiny_ref.safetensors", 0.0);
}

TEST_F(OracleParity, FoldsLoRA) {
  // PEFT layout with alpha recorded in adapter_config.json beside the file.
  auto r = convert("lora/adapter_model.bin", "lora.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("folded LoRA into 5 layers"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("adapter_config.json"), std::string::npos) << r.output;
  expect_same_weights("lora.safetensors", "tiny_ref.safetensors", 1e-5);
  expect_parity("lora.safetensors", "tiny", AttentionMode::causal);
  // Bare lora_A/lora_B with the alpha from the flag.
  r = convert("tiny_lora_raw.bin", "lora_raw.safetensors", "--lora-alpha 8");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_same_weights("lora_raw.safetensors", "tiny_ref.safetensors", 1e-5);
  // Without an alpha the default is alpha = r (scale 1), which is not what these were made with.
  r = convert("tiny_lora_raw.bin", "lora_default.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("default (alpha = r"), std::string::npos) << r.output;
  auto a = read_tensors(file("lora_default.safetensors")), b = read_tensors(file("tiny_ref.safetensors"));
  EXPECT_GT(max_abs(a["pose_decoder.0.weight"], b["pose_decoder.0.weight"]), 1e-3);
}

TEST_F(OracleParity, RefusesCheckpointsThatDoNotFit) {
  const std::pair<const char*, const char*> cases[] = {
      {"tiny_missing.bin", "transformer_encoder.layers.1.ffn.gate_proj.weight"},
      {"tiny_extra.bin", "final_norm.weight"},
      {"tiny_badshape.bin", "action_predictor.3.weight [46, 16] (expected [64, 16])"},
      {"tiny_evil.bin", "'os.system'"},
      {"dataset.pt", "expected a state_dict"},
  };
  for (const auto& [in, needle] : cases) {
    const std::string out = std::string(in) + ".safetensors";
    auto r = convert(in, out);
    EXPECT_NE(r.exit_code, 0) << in << ": " << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << in << ": " << r.output;
    EXPECT_NE(r.output.find("stickgen-train: error:"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(file(out))) << "nothing may be written for " << in;
  }
}

TEST_F(OracleParity, ImportsReferenceDatasets) {
  auto r = test::run_stickgen_train("convert-dataset " + test::shell_quote(file("dataset.pt").string()) + " -o " +
                                    test::shell_quote(file("ds").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  DatasetReader ds(file("ds"));
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.embedding_dim(), 1024);
  EXPECT_EQ(ds.max_actors(), 2);  // the all-zero third slot is dropped
  EXPECT_EQ(ds.record(1).description, "clip 1");
  Clip c0 = ds.clip(0), c1 = ds.clip(1), c2 = ds.clip(2);
  EXPECT_EQ(c0.actors, 2);
  EXPECT_EQ(c0.frames, 5);
  EXPECT_EQ(c2.actors, 1);
  EXPECT_TRUE(c1.present(2, 1));
  EXPECT_FALSE(c1.present(3, 1));  // the second actor left: absent, not a zero pose
  EXPECT_EQ(c0.action(0, 0), 1);
  EXPECT_EQ(ds.embedding(2).size(), 1024u);
}

}  // namespace
}  // namespace stickgen
