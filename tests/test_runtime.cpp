// The runtime against the PyTorch oracle (scripts/reference_model.py): every head within 1e-4 on
// random weights, small and tiny, causal and bidirectional, with and without the optional inputs;
// KV-cached decoding against the full causal forward; fp16/bf16 files; malformed model files.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <cmath>
#include <cstdlib>
#include <map>
#include <new>
#include <random>

#include "stickgen/common.hpp"
#include "stickgen/generate.hpp"
#include "stickgen/runtime.hpp"
#include "stickgen/safetensors.hpp"
#include "test_util.hpp"

// Counts heap allocations, to show that the decode loop makes none.
static std::atomic<long> g_allocations{0};
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, std::align_val_t a) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::aligned_alloc(size_t(a), (n + size_t(a) - 1) / size_t(a) * size_t(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace stickgen {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

constexpr float kParity = 1e-4f;   // runtime vs PyTorch, every head (the bound)
constexpr float kDecode = 1e-5f;   // KV-cached decoding vs the full causal forward
// An fp16 file against the fp32 file it was cast from (same seed). Weights rounded to 11-bit
// mantissas move the heads by ~1e-3 on these random small/tiny models; 2e-2 leaves a margin
// while still catching a wrong conversion (which shifts outputs by O(1)).
constexpr float kHalfVsFloat = 2e-2f;
constexpr float kBf16VsFloat = 1.5e-1f;  // bf16 keeps only 8 mantissa bits

const char* kHeads[] = {"pose", "action_logits", "physics", "position", "velocity", "environment"};

std::string script() { return (test::source_dir() / "scripts" / "reference_model.py").string(); }

void python(const std::string& args) {
  const auto r = test::run_command(test::shell_quote(test::python()) + " " + test::shell_quote(script()) + " " + args);
  ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.output;
}

// Random inputs for a model, written as the inputs file of `stickgen forward` / `reference_model.py run`.
struct Inputs {
  int T = 0, B = 0;
  std::vector<float> motion, text, camera, partner;
  std::vector<int64_t> actions;
  ForwardInputs view() const {
    ForwardInputs in;
    in.frames = T, in.batch = B;
    in.motion = motion, in.text_embedding = text, in.actions = actions, in.camera = camera, in.partner = partner;
    return in;
  }
};

Inputs make_inputs(const ModelConfig& c, int T, int B, bool extras, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  auto fill = [&](std::vector<float>& v, size_t n) {
    v.resize(n);
    for (auto& x : v) x = normal(rng);
  };
  Inputs in;
  in.T = T, in.B = B;
  fill(in.motion, size_t(T) * B * c.input_dim);
  fill(in.text, size_t(B) * c.embedding_dim);
  for (int b = 0; b < B; ++b) {  // unit length, like CLS-pooled bge embeddings
    double ss = 0;
    for (int i = 0; i < c.embedding_dim; ++i) ss += double(in.text[size_t(b) * c.embedding_dim + i]) * in.text[size_t(b) * c.embedding_dim + i];
    for (int i = 0; i < c.embedding_dim; ++i) in.text[size_t(b) * c.embedding_dim + i] /= float(std::sqrt(ss));
  }
  if (extras) {
    std::uniform_int_distribution<int> action(0, c.num_actions - 1);
    in.actions.resize(size_t(T) * B);
    for (auto& a : in.actions) a = action(rng);
    fill(in.camera, size_t(T) * B * 3);
    fill(in.partner, size_t(T) * B * c.input_dim);
  }
  return in;
}

void write_inputs(const Inputs& in, const ModelConfig& c, const fs::path& path, bool actions_i32 = false) {
  SafeTensorsWriter w;
  w.add_f32("motion", {in.T, in.B, c.input_dim}, in.motion);
  w.add_f32("text_embedding", {in.B, c.embedding_dim}, in.text);
  if (!in.actions.empty()) {
    if (actions_i32) {
      std::vector<int32_t> a(in.actions.begin(), in.actions.end());
      w.add("actions", DType::I32, {in.T, in.B}, a.data(), a.size() * 4);
    } else {
      w.add_i64("actions", {in.T, in.B}, in.actions);
    }
  }
  if (!in.camera.empty()) w.add_f32("camera", {in.T, in.B, 3}, in.camera);
  if (!in.partner.empty()) w.add_f32("partner", {in.T, in.B, c.input_dim}, in.partner);
  w.write(path);
}

std::map<std::string, std::vector<float>> heads_of(const ForwardOutputs& o) {
  return {{"pose", o.pose},         {"action_logits", o.action_logits}, {"physics", o.physics},
          {"position", o.position}, {"velocity", o.velocity},           {"environment", o.environment}};
}

std::map<std::string, std::vector<float>> heads_of(const fs::path& path) {
  const auto f = SafeTensorsFile::open(path);
  std::map<std::string, std::vector<float>> out;
  for (const char* h : kHeads) out[h] = f.get(h).to_f32();
  return out;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0.f;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// Every head of `got` within `tol` of `want`; returns the worst difference.
float expect_heads_near(const std::map<std::string, std::vector<float>>& got,
                        const std::map<std::string, std::vector<float>>& want, float tol, const std::string& what) {
  float worst = 0.f;
  for (const char* h : kHeads) {
    const float d = max_abs_diff(got.at(h), want.at(h));
    EXPECT_LE(d, tol) << what << ": head " << h;
    worst = std::max(worst, d);
  }
  std::printf("[ parity ] %-52s max |diff| %.2e\n", what.c_str(), double(worst));
  return worst;
}

// Models saved once for the whole suite: random weights with perturbed norms and biases, so a
// swapped LayerNorm weight/bias or a forgotten bias cannot pass.
class Runtime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    python("save --preset small --seed 7 --perturb-norms --out " + test::shell_quote(small().string()));
    python("save --preset tiny --seed 3 --perturb-norms --attention bidirectional --out " +
           test::shell_quote(tiny().string()));
    python("save --preset small --seed 7 --perturb-norms --dtype f16 --out " + test::shell_quote(small_f16().string()));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path small() { return *dir_ / "small.safetensors"; }
  static fs::path tiny() { return *dir_ / "tiny_bidirectional.safetensors"; }
  static fs::path small_f16() { return *dir_ / "small_f16.safetensors"; }
  static fs::path path(const std::string& name) { return *dir_ / name; }

  // Runs the oracle on `in` (optionally overriding the attention) and returns its heads.
  static std::map<std::string, std::vector<float>> oracle(const fs::path& model, const Inputs& in,
                                                          const std::string& name, const std::string& attention = "") {
    const auto model_config = Model::load(model).config();
    write_inputs(in, model_config, path(name + ".in.safetensors"));
    python("run --model " + test::shell_quote(model.string()) + " --inputs " +
           test::shell_quote(path(name + ".in.safetensors").string()) + " --out " +
           test::shell_quote(path(name + ".ref.safetensors").string()) +
           (attention.empty() ? "" : " --attention " + attention));
    return heads_of(path(name + ".ref.safetensors"));
  }

  static TempDir* dir_;
};
TempDir* Runtime::dir_ = nullptr;

TEST_F(Runtime, LoadsConfigAndWeightsFromTheFile) {
  const Model m = Model::load(small());
  EXPECT_EQ(m.config().d_model, 256);
  EXPECT_EQ(m.config().num_layers, 6);
  EXPECT_EQ(m.config().attention, AttentionMode::causal);
  EXPECT_EQ(m.weight_dtype(), "F32");
  const Model t = Model::load(tiny());
  EXPECT_EQ(t.config().d_model, 32);
  EXPECT_EQ(t.config().attention, AttentionMode::bidirectional);
  EXPECT_EQ(Model::load(small_f16()).weight_dtype(), "F16");
}

// small, causal, B=3, with actions + camera + partner, through the `stickgen forward` CLI
// (actions as int32, as numpy/torch users often write them).
TEST_F(Runtime, SmallCausalWithEveryInputMatchesPyTorchThroughTheCli) {
  const ModelConfig c = Model::load(small()).config();
  const Inputs in = make_inputs(c, 12, 3, true, 1);
  const auto want = oracle(small(), in, "small_causal_all");
  write_inputs(in, c, path("cli_i32.in.safetensors"), true);
  const auto r = test::run_stickgen("forward --model " + test::shell_quote(small().string()) + " --inputs " +
                                    test::shell_quote(path("cli_i32.in.safetensors").string()) + " -o " +
                                    test::shell_quote(path("cli.out.safetensors").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_heads_near(heads_of(path("cli.out.safetensors")), want, kParity, "small causal B=3 +actions/camera/partner (CLI)");
  // the same through the library, one and two threads
  const Model m = Model::load(small());
  expect_heads_near(heads_of(m.forward(in.view())), want, kParity, "small causal B=3 all inputs (API, 1 thread)");
  expect_heads_near(heads_of(m.forward(in.view(), {2})), want, kParity, "small causal B=3 all inputs (API, 2 threads)");
}

// small weights run bidirectionally (--attention override), B=1, motion and text only.
TEST_F(Runtime, SmallBidirectionalWithoutOptionalInputsMatchesPyTorch) {
  const Model m = Model::load(small());
  const Inputs in = make_inputs(m.config(), 9, 1, false, 2);
  const auto want = oracle(small(), in, "small_bidir", "bidirectional");
  expect_heads_near(heads_of(m.forward(in.view(), AttentionMode::bidirectional)), want, kParity,
                    "small bidirectional B=1 motion+text only");
  const auto r = test::run_stickgen("forward --attention bidirectional -q --model " + test::shell_quote(small().string()) +
                                    " --inputs " + test::shell_quote(path("small_bidir.in.safetensors").string()) +
                                    " -o " + test::shell_quote(path("bidir.out.safetensors").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_heads_near(heads_of(path("bidir.out.safetensors")), want, kParity, "small bidirectional B=1 (CLI)");
}

// tiny, bidirectional by its own config, B=3, every input; and the same weights run causally, B=1.
TEST_F(Runtime, TinyMatchesPyTorchInBothModes) {
  const Model m = Model::load(tiny());
  const Inputs all = make_inputs(m.config(), 7, 3, true, 3);
  expect_heads_near(heads_of(m.forward(all.view())), oracle(tiny(), all, "tiny_bidir_all"), kParity,
                    "tiny bidirectional (config) B=3 all inputs");
  const Inputs plain = make_inputs(m.config(), 11, 1, false, 4);
  expect_heads_near(heads_of(m.forward(plain.view(), AttentionMode::causal)),
                    oracle(tiny(), plain, "tiny_causal", "causal"), kParity, "tiny causal B=1 motion+text only");
}

// fp16 matrices used in place (F16C) and converted at load both equal PyTorch on the same
// (upcast) weights; the decoder on the in-place weights equals the full forward.
TEST_F(Runtime, Fp16FileMatchesPyTorchAndStaysNearTheFp32File) {
  const Model in_place = Model::load(small_f16());
  const Model converted = Model::load(small_f16(), LoadOptions{.f16_in_place = false});
  EXPECT_FALSE(converted.f16_in_place());
  const Inputs in = make_inputs(in_place.config(), 10, 2, true, 5);
  const auto want = oracle(small_f16(), in, "small_f16");
  const auto got = heads_of(converted.forward(in.view()));
  expect_heads_near(got, want, kParity, "small fp16 file B=2 converted at load vs PyTorch");
  if (in_place.f16_in_place()) {
    const ForwardOutputs full = in_place.forward(in.view());
    expect_heads_near(heads_of(full), want, kParity, "small fp16 file B=2 fp16 in place vs PyTorch");
    Decoder dec(in_place, 2, in.T);
    dec.reset(in.text);
    float worst = 0.f;
    for (int t = 0; t < in.T; ++t) {
      DecoderFrame f;
      f.motion = std::span(in.motion).subspan(size_t(t) * 2 * 20, 40);
      f.actions = std::span(in.actions).subspan(size_t(t) * 2, 2);
      f.camera = std::span(in.camera).subspan(size_t(t) * 6, 6);
      f.partner = std::span(in.partner).subspan(size_t(t) * 2 * 20, 40);
      const auto y = dec.step(f);
      worst = std::max(worst, max_abs_diff({y.pose.begin(), y.pose.end()},
                                           {full.pose.begin() + t * 40, full.pose.begin() + (t + 1) * 40}));
    }
    EXPECT_LE(worst, kDecode);
  } else {
    std::printf("[ note   ] this CPU lacks AVX2/FMA/F16C: fp16 weights are converted at load\n");
  }
  expect_heads_near(got, heads_of(Model::load(small()).forward(in.view())), kHalfVsFloat,
                    "small fp16 file vs the fp32 file (tolerance)");
}

TEST_F(Runtime, Bf16FileLoadsAndStaysNearTheFp32File) {
  const auto f32 = SafeTensorsFile::open(small());
  SafeTensorsWriter w;
  for (const auto& [k, v] : f32.metadata()) w.set_metadata(k, v);
  for (const auto& t : f32.tensors()) {
    if (t.name.ends_with("rope.inv_freq")) {  // exact constants, kept in f32 as our writers do
      w.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
      continue;
    }
    const auto values = t.to_f32();
    std::vector<uint16_t> b(values.size());
    for (size_t i = 0; i < values.size(); ++i) b[i] = float_to_bf16(values[i]);
    w.add(t.name, DType::BF16, t.shape, b.data(), b.size() * 2);
  }
  w.write(path("small_bf16.safetensors"));
  const Model bf16 = Model::load(path("small_bf16.safetensors"));
  EXPECT_EQ(bf16.weight_dtype(), "BF16");
  const Inputs in = make_inputs(bf16.config(), 6, 1, false, 6);
  expect_heads_near(heads_of(bf16.forward(in.view())), heads_of(Model::load(small()).forward(in.view())),
                    kBf16VsFloat, "small bf16 file vs the fp32 file (tolerance)");
}

// Decoding frame by frame with the KV cache equals the full causal forward, for every head,
// including the pooled heads from the running mean; B=3 with every input, 1 and 2 threads.
// forward declaration: defined with the malformed-file helpers below
void rewrite(const fs::path& from, const fs::path& to,
             const std::function<bool(const TensorView&, SafeTensorsWriter&)>& edit,
             std::map<std::string, std::string> meta_override = {}, std::vector<std::string> meta_drop = {});

TEST_F(Runtime, KvCachedDecodingEqualsTheFullCausalForward) {
  ModelConfig causal_tiny = Model::load(tiny()).config();
  causal_tiny.attention = AttentionMode::causal;
  rewrite(tiny(), path("tiny_causal.safetensors"), [](const TensorView&, SafeTensorsWriter&) { return true; },
          {{"stickgen.config", causal_tiny.to_json()}});
  for (const fs::path& file : {small(), tiny(), path("tiny_causal.safetensors")}) {
    const Model m = Model::load(file);
    const ModelConfig& c = m.config();
    const int T = 14, B = 3;
    const Inputs in = make_inputs(c, T, B, true, 8);
    const ForwardOutputs full = m.forward(in.view(), AttentionMode::causal);
    for (int threads : {1, 2}) {
      if (c.attention != AttentionMode::causal) {
        EXPECT_THROW(Decoder(m, B, T, {threads}), Error);
        continue;
      }
      Decoder dec(m, B, T, {threads});
      dec.reset(in.text);
      float worst = 0.f;
      for (int t = 0; t < T; ++t) {
        DecoderFrame f;
        f.motion = std::span(in.motion).subspan(size_t(t) * B * c.input_dim, size_t(B) * c.input_dim);
        f.actions = std::span(in.actions).subspan(size_t(t) * B, B);
        f.camera = std::span(in.camera).subspan(size_t(t) * B * 3, size_t(B) * 3);
        f.partner = std::span(in.partner).subspan(size_t(t) * B * c.input_dim, size_t(B) * c.input_dim);
        const DecoderOutput y = dec.step(f);
        auto row = [&](const std::vector<float>& v, size_t width) {
          return std::vector<float>(v.begin() + long(size_t(t) * B * width), v.begin() + long(size_t(t + 1) * B * width));
        };
        worst = std::max(worst, max_abs_diff({y.pose.begin(), y.pose.end()}, row(full.pose, c.output_dim)));
        worst = std::max(worst, max_abs_diff({y.action_logits.begin(), y.action_logits.end()},
                                             row(full.action_logits, c.num_actions)));
        worst = std::max(worst, max_abs_diff({y.physics.begin(), y.physics.end()}, row(full.physics, 6)));
      }
      const PooledOutput p = dec.pooled();
      worst = std::max(worst, max_abs_diff({p.position.begin(), p.position.end()}, full.position));
      worst = std::max(worst, max_abs_diff({p.velocity.begin(), p.velocity.end()}, full.velocity));
      worst = std::max(worst, max_abs_diff({p.environment.begin(), p.environment.end()}, full.environment));
      EXPECT_LE(worst, kDecode) << file << " threads " << threads;
      std::printf("[ decode ] %-52s max |diff| %.2e\n",
                  (file.filename().string() + " KV cache vs full causal, " + std::to_string(threads) + " thread(s)").c_str(),
                  double(worst));
      EXPECT_THROW(dec.step({std::span(in.motion).first(size_t(B) * c.input_dim)}), Error);  // past max_frames
    }
  }
}

// kNoAction: an item with that id decodes exactly as without action input, while its neighbours in the
// batch keep theirs (what action guidance relies on); other negative ids are still refused.
TEST_F(Runtime, NoActionItemsDecodeAsWithoutActions) {
  const Model m = Model::load(small());
  const ModelConfig& c = m.config();
  const int T = 5, B = 2;
  const Inputs in = make_inputs(c, T, B, false, 21);
  Decoder mixed(m, B, T), plain(m, B, T), fed(m, B, T);
  for (Decoder* d : {&mixed, &plain, &fed}) d->reset(in.text);
  float no_action_gap = 0.f, fed_gap = 0.f, differs = 0.f;
  for (int t = 0; t < T; ++t) {
    const auto motion = std::span(in.motion).subspan(size_t(t) * B * c.input_dim, size_t(B) * c.input_dim);
    const std::vector<int64_t> both{3, 7}, half{3, kNoAction};
    const auto y_mixed = mixed.step({motion, half});
    const std::vector<float> mixed_pose(y_mixed.pose.begin(), y_mixed.pose.end());
    const auto y_plain = plain.step({motion});
    const std::vector<float> plain_pose(y_plain.pose.begin(), y_plain.pose.end());
    const auto y_fed = fed.step({motion, both});
    const std::vector<float> fed_pose(y_fed.pose.begin(), y_fed.pose.end());
    const size_t D = size_t(c.output_dim);
    for (size_t k = 0; k < D; ++k) {
      fed_gap = std::max(fed_gap, std::fabs(mixed_pose[k] - fed_pose[k]));                     // item 0: action 3
      no_action_gap = std::max(no_action_gap, std::fabs(mixed_pose[D + k] - plain_pose[D + k]));  // item 1: none
      differs = std::max(differs, std::fabs(fed_pose[D + k] - plain_pose[D + k]));
    }
  }
  EXPECT_EQ(fed_gap, 0.f);
  EXPECT_EQ(no_action_gap, 0.f);
  EXPECT_GT(differs, 1e-4f);  // the action input matters, so the equalities above say something
  Decoder bad(m, 1, 1);
  bad.reset(std::span(in.text).first(size_t(c.embedding_dim)));
  const std::vector<int64_t> minus_two{-2};
  EXPECT_THROW(bad.step({std::span(in.motion).first(size_t(c.input_dim)), minus_two}), Error);
}

// A file without stickgen's training config (here written by the PyTorch oracle) never learned the
// no-action case, so generation does not apply action guidance to it.
TEST_F(Runtime, GuidanceNeedsAModelTrainedWithActionDropout) {
  EXPECT_FALSE(guidance_applies(Model::load(small())));
}

TEST_F(Runtime, DecoderRestartsCleanlyAfterReset) {
  const Model m = Model::load(small());
  const ModelConfig& c = m.config();
  const Inputs a = make_inputs(c, 3, 1, false, 9), b = make_inputs(c, 3, 1, false, 10);
  Decoder dec(m, 1, 3);
  auto run = [&](const Inputs& in) {
    dec.reset(in.text);
    std::vector<float> last;
    for (int t = 0; t < in.T; ++t) {
      auto y = dec.step({std::span(in.motion).subspan(size_t(t) * c.input_dim, c.input_dim)});
      last.assign(y.pose.begin(), y.pose.end());
    }
    return last;
  };
  const auto first = run(a);
  run(b);
  EXPECT_EQ(run(a), first);
}

// copy_sequence branches a search: the copy goes on exactly as the original would, text token and
// pooled state included, whatever the target held before.
TEST_F(Runtime, DecoderCopySequenceContinuesExactlyAsTheOriginal) {
  const Model m = Model::load(small());
  const ModelConfig& c = m.config();
  const int D = c.input_dim, E = c.embedding_dim;
  const Inputs a = make_inputs(c, 6, 1, false, 21), b = make_inputs(c, 6, 1, false, 22);
  auto frame_of = [&](const Inputs& in, int t) { return std::span(in.motion).subspan(size_t(t) * D, D); };
  Decoder single(m, 1, 6);
  single.reset(a.text);
  std::vector<float> want_pose, want_logits;
  for (int t = 0; t < 6; ++t) {
    auto y = single.step({frame_of(a, t)});
    want_pose.assign(y.pose.begin(), y.pose.end());
    want_logits.assign(y.action_logits.begin(), y.action_logits.end());
  }
  const std::vector<float> want_velocity(single.pooled().velocity.begin(), single.pooled().velocity.end());

  Decoder pair(m, 2, 6);
  std::vector<float> texts(a.text);
  texts.insert(texts.end(), b.text.begin(), b.text.end());
  ASSERT_EQ(texts.size(), size_t(2) * E);
  pair.reset(texts);
  std::vector<float> two(size_t(2) * D);
  auto step_pair = [&](const Inputs& x, const Inputs& y, int t) {
    std::copy_n(frame_of(x, t).begin(), D, two.begin());
    std::copy_n(frame_of(y, t).begin(), D, two.begin() + D);
    return pair.step({two});
  };
  for (int t = 0; t < 4; ++t) step_pair(a, b, t);  // sequence 1 has its own text and frames
  pair.copy_sequence(0, 1);
  DecoderOutput y{};
  for (int t = 4; t < 6; ++t) y = step_pair(a, a, t);
  for (int row = 0; row < 2; ++row) {
    for (int k = 0; k < c.output_dim; ++k) EXPECT_NEAR(y.pose[size_t(row) * c.output_dim + k], want_pose[k], 1e-5f) << row;
    for (int k = 0; k < c.num_actions; ++k)
      EXPECT_NEAR(y.action_logits[size_t(row) * c.num_actions + k], want_logits[k], 1e-5f) << row;
  }
  const auto pooled = pair.pooled();
  for (int row = 0; row < 2; ++row)
    for (int k = 0; k < 2; ++k) EXPECT_NEAR(pooled.velocity[size_t(row) * 2 + k], want_velocity[k], 1e-5f);
  EXPECT_THROW(pair.copy_sequence(0, 2), Error);
  EXPECT_THROW(pair.copy_sequence(-1, 0), Error);
}

// The decode loop allocates nothing: every buffer is sized by the Decoder's constructor.
TEST_F(Runtime, DecodeLoopDoesNotAllocate) {
  const Model m = Model::load(small());
  const ModelConfig& c = m.config();
  const Inputs in = make_inputs(c, 20, 2, true, 11);
  for (int threads : {1, 2}) {
    Decoder dec(m, 2, 20, {threads});
    auto decode = [&] {
      dec.reset(in.text);
      for (int t = 0; t < 20; ++t) {
        DecoderFrame f;
        f.motion = std::span(in.motion).subspan(size_t(t) * 2 * c.input_dim, size_t(2) * c.input_dim);
        f.actions = std::span(in.actions).subspan(size_t(t) * 2, 2);
        f.camera = std::span(in.camera).subspan(size_t(t) * 2 * 3, 6);
        dec.step(f);
      }
      dec.pooled();
    };
    // The first use in a process may initialise process-wide state once (the kernel choice reads
    // $STICKGEN_KERNEL); every decode after that must allocate nothing.
    decode();
    const long before = g_allocations.load();
    decode();
    EXPECT_EQ(g_allocations.load() - before, 0) << threads << " thread(s)";
  }
}

// Every kernel build (AVX-512, AVX2, portable SIMD, Eigen) on fp32 weights and on fp16 weights in
// place, single tokens and blocks (B=1 decode-shaped and T*B=15 rows).
TEST_F(Runtime, EveryKernelAgrees) {
  const std::string chosen = runtime_kernel_name();
  for (const fs::path& file : {small(), small_f16()}) {
    const Model m = Model::load(file);
    for (int B : {1, 3}) {
      const Inputs in = make_inputs(m.config(), 5, B, true, 12);
      set_runtime_kernel(chosen);
      const auto want = heads_of(m.forward(in.view()));
      for (const auto& k : runtime_available_kernels()) {
        set_runtime_kernel(k);
        expect_heads_near(heads_of(m.forward(in.view())), want, 2e-5f,
                          "kernel " + k + " vs " + chosen + ", " + file.filename().string() + " B=" + std::to_string(B));
      }
    }
  }
  set_runtime_kernel(chosen);
  EXPECT_THROW(set_runtime_kernel("no-such-kernel"), Error);
}

// ------------------------------------------------------------------------------------------------
// Malformed model files and inputs: one-line errors naming the file and the tensor or key.
// ------------------------------------------------------------------------------------------------

// A copy of `from` with tensors edited by `edit` (return false to drop) and metadata overridden.
void rewrite(const fs::path& from, const fs::path& to,
             const std::function<bool(const TensorView&, SafeTensorsWriter&)>& edit,
             std::map<std::string, std::string> meta_override, std::vector<std::string> meta_drop) {
  const auto f = SafeTensorsFile::open(from);
  SafeTensorsWriter w;
  for (auto [k, v] : f.metadata()) {
    if (std::find(meta_drop.begin(), meta_drop.end(), k) != meta_drop.end()) continue;
    if (meta_override.count(k)) v = meta_override[k];
    w.set_metadata(k, v);
  }
  for (const auto& [k, v] : meta_override)
    if (!f.metadata().count(k)) w.set_metadata(k, v);
  for (const auto& t : f.tensors())
    if (edit(t, w)) w.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
  w.write(to);
}

std::string load_error(const fs::path& p) {
  try {
    Model::load(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

void expect_one_line_error(const std::string& message, const std::vector<std::string>& parts) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  for (const auto& p : parts) EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' not in: " << message;
}

TEST_F(Runtime, MalformedModelFilesGiveOneLineErrors) {
  const fs::path bad = path("bad.safetensors");
  auto keep = [](const TensorView&, SafeTensorsWriter&) { return true; };

  rewrite(tiny(), bad, [](const TensorView& t, SafeTensorsWriter&) {
    return t.name != "transformer_encoder.layers.1.ffn.gate_proj.weight";
  });
  expect_one_line_error(load_error(bad), {bad.string(), "missing tensor 'transformer_encoder.layers.1.ffn.gate_proj.weight'",
                                          "[128, 32]"});

  rewrite(tiny(), bad, [](const TensorView& t, SafeTensorsWriter& w) {
    if (t.name != "pose_decoder.3.weight") return true;
    std::vector<float> v(size_t(t.numel()), 0.f);
    w.add_f32(t.name, {16, 20}, v);  // transposed
    return false;
  });
  expect_one_line_error(load_error(bad), {"tensor 'pose_decoder.3.weight' has shape [16, 20], expected [20, 16]"});

  rewrite(tiny(), bad, [](const TensorView& t, SafeTensorsWriter& w) {
    if (t.name == "pose_decoder.3.bias") {
      std::vector<int64_t> v(size_t(t.numel()), 0);
      w.add_i64(t.name, t.shape, v);
      return false;
    }
    return true;
  });
  expect_one_line_error(load_error(bad), {"tensor 'pose_decoder.3.bias' has dtype I64, expected F32, F16 or BF16"});

  rewrite(tiny(), bad, [](const TensorView& t, SafeTensorsWriter& w) {
    if (t.name == "pose_decoder.0.weight") {
      std::vector<float> v(4, 0.f);
      w.add_f32("pose_decoder.0.weight.lora_A", {2, 2}, v);
    }
    return true;
  });
  expect_one_line_error(load_error(bad), {"unexpected tensor 'pose_decoder.0.weight.lora_A'"});

  rewrite(tiny(), bad, keep, {{"stickgen.config", "{\"input_dim\": 20, \"d_model\": "}});
  expect_one_line_error(load_error(bad), {bad.string(), "model config: not valid JSON"});

  rewrite(tiny(), bad, keep, {{"stickgen.config", "{\"input_dim\": 20}"}});
  expect_one_line_error(load_error(bad), {bad.string(), "model config: missing 'd_model'"});

  rewrite(tiny(), bad, keep, {{"stickgen.config", Model::load(small()).config().to_json()}});  // wrong architecture
  expect_one_line_error(load_error(bad), {"missing tensor", "(expected shape"});

  rewrite(tiny(), bad, keep, {}, {"stickgen.config"});
  expect_one_line_error(load_error(bad), {"metadata has no 'stickgen.config'"});

  rewrite(tiny(), bad, keep, {}, {"stickgen.format"});
  expect_one_line_error(load_error(bad), {"not a stickgen model file", "stickgen-train convert"});

  rewrite(tiny(), bad, keep, {{"stickgen.normalization", "{\"mean\": [0, 0], \"std\": [1, 1]}"}});
  expect_one_line_error(load_error(bad), {"normalization has 2 values, expected input_dim = 20"});

  write_file_atomic(bad, "not a safetensors file at all");
  expect_one_line_error(load_error(bad), {bad.string()});
}

TEST_F(Runtime, ForwardRejectsMissingOrMisShapedInputs) {
  const ModelConfig c = Model::load(tiny()).config();
  const Inputs good = make_inputs(c, 4, 2, true, 13);
  const fs::path in = path("bad.in.safetensors"), out = path("bad.out.safetensors");
  auto forward = [&] {
    return test::run_stickgen("forward --model " + test::shell_quote(tiny().string()) + " --inputs " +
                              test::shell_quote(in.string()) + " -o " + test::shell_quote(out.string()));
  };
  auto expect_fails = [&](const std::vector<std::string>& parts) {
    const auto r = forward();
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    for (const auto& p : parts) EXPECT_NE(r.output.find(p), std::string::npos) << "'" << p << "' not in: " << r.output;
    EXPECT_FALSE(fs::exists(out));
  };
  {
    SafeTensorsWriter w;
    w.add_f32("motion", {4, 2, c.input_dim}, good.motion);
    w.write(in);
    expect_fails({"missing input 'text_embedding' [B, 64]"});
  }
  {
    SafeTensorsWriter w;
    w.add_f32("motion", {4, 2, c.input_dim}, good.motion);
    w.add_f32("text_embedding", {2, c.embedding_dim}, good.text);
    w.add_f32("camera", {4, 2, 2}, std::span(good.camera).first(16));
    w.write(in);
    expect_fails({"input 'camera' has shape [4, 2, 2], expected [4, 2, 3]"});
  }
  {
    SafeTensorsWriter w;
    w.add_f32("motion", {8, c.input_dim}, std::span(good.motion).first(size_t(8) * c.input_dim));
    w.add_f32("text_embedding", {2, c.embedding_dim}, good.text);
    w.write(in);
    expect_fails({"input 'motion' has shape [8, 20], expected [T, B, 20]"});
  }
  {
    SafeTensorsWriter w;
    w.add_f32("motion", {4, 2, c.input_dim}, good.motion);
    w.add_f32("text_embedding", {2, c.embedding_dim}, good.text);
    std::vector<int64_t> actions(8, c.num_actions);
    w.add_i64("actions", {4, 2}, actions);
    w.write(in);
    expect_fails({"action id 64 is out of range [0, 64)"});
  }
  // and the library API names the mis-sized input
  ForwardInputs v = good.view();
  v.camera = std::span(good.camera).first(5);
  try {
    Model::load(tiny()).forward(v);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    expect_one_line_error(e.what(), {"'camera' has 5 values, expected [4, 2, 3] = 24"});
  }
}

}  // namespace
}  // namespace stickgen
