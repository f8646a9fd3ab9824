// The BERT text encoder against the Python oracle (scripts/bert_reference.py): tiny random BERTs
// written by the oracle (fp32; fp16 cased with 40 positions; bf16 with "bert."-prefixed names),
// token ids equal and embeddings within 1e-4 for sentences with punctuation, accents, unknown and
// overlong words, special tokens, CJK and a text past 512 tokens; the basic tokenizer over the
// Unicode range; finding directories by name; the CLI; and every malformed input we can think of.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "stickgen/bert.hpp"
#include "stickgen/common.hpp"
#include "stickgen/safetensors.hpp"
#include "stickgen/text_encoder.hpp"
#include "test_util.hpp"

namespace stickgen {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

constexpr double kParity = 1e-4;  // the bound
// What fp32 arithmetic actually reaches against the float64 oracle on these tiny models (~2e-7);
// tight enough to tell erf GELU from the tanh form (~1e-4 apart here).
constexpr double kTight = 1e-5;

// The oracle's fixtures are made once per script version and shared by the test processes (ctest
// runs each test in its own): a directory named after a hash of the script, renamed into place.
fs::path fixtures(std::string* log) {
  const fs::path script = test::source_dir() / "scripts" / "bert_reference.py";
  const fs::path dir =
      fs::temp_directory_path() / ("stickgen-fixtures-bert-" + std::to_string(std::hash<std::string>{}(read_file(script))));
  if (fs::exists(dir / "done")) return dir;
  fs::path tmp = dir;
  tmp += ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  const auto r = test::run_command(test::shell_quote(test::python()) + " " + test::shell_quote(script.string()) +
                                   " fixtures --out " + test::shell_quote(tmp.string()));
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

class Bert : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = fixtures(&log_); }
  void SetUp() override { ASSERT_FALSE(dir_.empty()) << "bert_reference.py fixtures failed:\n" << log_; }
  static nlohmann::json reference() { return nlohmann::json::parse(read_file(dir_ / "reference.json")); }
  // A private copy of fixture model `name`, to break.
  fs::path copy(const std::string& name) {
    const fs::path d = tmp_.path() / name;
    fs::copy(dir_ / name, d, fs::copy_options::recursive);
    return d;
  }
  // The message of the Error that constructing an encoder for `d` throws ("" when none).
  static std::string load_error(const fs::path& d) {
    try {
      BertEncoder enc(d);
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  }
  static inline fs::path dir_;
  static inline std::string log_;
  TempDir tmp_;
};

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return 1e9;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
  return m;
}

std::string code_points(const std::string& s) {
  std::string out;
  char buf[16];
  for (char32_t c : utf8_to_u32(s)) {
    std::snprintf(buf, sizeof buf, "U+%04X ", unsigned(c));
    out += buf;
  }
  return out;
}

// ------------------------------------------------------------------ parity with the oracle

TEST_F(Bert, TokenIdsMatchPython) {
  const auto ref = reference();
  for (const auto& [model, rows] : ref.items()) {
    BertEncoder enc(dir_ / model);
    for (const auto& row : rows) {
      const std::string text = row["text"];
      const auto ids = enc.token_ids(text);
      EXPECT_EQ(ids, row["ids"].get<std::vector<int32_t>>()) << model << ": '" << text.substr(0, 60) << "'";
      EXPECT_LE(ids.size(), size_t(enc.max_tokens()));
    }
  }
}

TEST_F(Bert, EmbeddingsMatchPython) {
  const auto ref = reference();
  int long_texts = 0;
  for (const auto& [model, rows] : ref.items()) {
    BertEncoder enc(dir_ / model);
    for (const auto& row : rows) {
      const std::string text = row["text"];
      const auto v = enc.encode(text);
      ASSERT_EQ(v.size(), size_t(enc.dim()));
      EXPECT_LT(max_abs_diff(v, row["embedding"].get<std::vector<double>>()), kTight)
          << model << ": '" << text.substr(0, 60) << "'";
      double norm = 0;
      for (float x : v) norm += double(x) * x;
      EXPECT_NEAR(norm, 1.0, 1e-5);
      long_texts += row["ids"].size() == size_t(enc.max_tokens());
    }
  }
  EXPECT_GE(long_texts, 3) << "the fixtures should include texts truncated to the model's length";
}

TEST_F(Bert, ReferenceSentencesTokenizeAsExpected) {
  // A few hand-checked cases, so a change to the oracle and the encoder together still shows.
  BertEncoder enc(dir_ / "uncased");
  EXPECT_EQ(enc.tokenizer().tokenize("The man walks quickly, then jumps!"),
            (std::vector<std::string>{"the", "man", "walk", "##s", "quick", "##ly", ",", "then", "jump", "##s", "!"}));
  EXPECT_EQ(enc.tokenizer().tokenize("Café naïve"), (std::vector<std::string>{"cafe", "naive"}));
  EXPECT_EQ(enc.tokenizer().tokenize("a [MASK] xylophone"), (std::vector<std::string>{"a", "[MASK]", "[UNK]"}));
  BertEncoder cased(dir_ / "cased_f16");
  EXPECT_EQ(cased.tokenizer().tokenize("Cafe\u0301 The"), (std::vector<std::string>{"Café", "The"}));  // NFC
  EXPECT_EQ(cased.max_tokens(), 40);  // max_position_embeddings below model_max_length
  EXPECT_EQ(enc.max_tokens(), 512);
}

TEST_F(Bert, BasicTokenizerMatchesPythonOverUnicode) {
  const auto sweep = nlohmann::json::parse(read_file(dir_ / "sweep.json"));
  for (const auto& [name, rows] : sweep.items()) {
    WordPieceOptions o;
    o.lower_case = name == "uncased";
    WordPieceTokenizer tok({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, o);
    int mismatches = 0;
    for (const auto& row : rows) {
      const std::string text = row[0];
      const auto got = tok.basic_tokenize(text);
      const auto want = row[1].get<std::vector<std::string>>();
      if (got != want && ++mismatches <= 10) {
        std::string g, w;
        for (const auto& t : got) g.append("[").append(code_points(t)).append("] ");
        for (const auto& t : want) w.append("[").append(code_points(t)).append("] ");
        ADD_FAILURE() << name << ": " << code_points(text) << "\n  got  " << g << "\n  want " << w;
      }
    }
    EXPECT_EQ(mismatches, 0) << name << ", of " << rows.size() << " texts";
    EXPECT_GT(rows.size(), 10000u);
  }
}

// ------------------------------------------------------------------ the encoder as a TextEncoder

TEST_F(Bert, NamedByDirectoryAndBuiltByName) {
  auto enc = make_text_encoder("bert:" + (dir_ / "uncased").string());
  EXPECT_EQ(enc->name(), "bert:uncased");
  EXPECT_EQ(enc->dim(), 32);
  BertEncoder direct(dir_ / "uncased");
  EXPECT_EQ(enc->encode("a person walks"), direct.encode("a person walks"));
  // A trailing slash or a relative path names the same model.
  EXPECT_EQ(make_text_encoder("bert:" + (dir_ / "uncased").string() + "/")->name(), "bert:uncased");

  // By name alone, through $STICKGEN_TEXT_ENCODERS...
  ::setenv("STICKGEN_TEXT_ENCODERS", ("/nonexistent:" + dir_.string()).c_str(), 1);
  auto by_name = make_text_encoder("bert:uncased");
  ::unsetenv("STICKGEN_TEXT_ENCODERS");
  EXPECT_EQ(by_name->name(), "bert:uncased");
  EXPECT_EQ(by_name->encode("walk"), direct.encode("walk"));

  // ...and through a Hugging Face cache (refs/main picks the snapshot).
  const fs::path repo = tmp_.path() / "hub" / "models--Org--tiny-bert";
  fs::create_directories(repo / "snapshots" / "old");
  fs::copy(dir_ / "uncased", repo / "snapshots" / "abc123", fs::copy_options::recursive);
  fs::copy(dir_ / "cased_f16", repo / "snapshots" / "old", fs::copy_options::recursive);
  fs::create_directories(repo / "refs");
  write_file_atomic(repo / "refs" / "main", "abc123\n");
  ::setenv("HF_HUB_CACHE", (tmp_.path() / "hub").c_str(), 1);
  auto cached = make_text_encoder("bert:tiny-bert");
  ::unsetenv("HF_HUB_CACHE");
  EXPECT_EQ(cached->name(), "bert:tiny-bert");
  EXPECT_EQ(cached->encode("walk"), direct.encode("walk"));
  EXPECT_EQ(bert_model_name(repo / "snapshots" / "abc123"), "tiny-bert");
  ::setenv("HF_HUB_CACHE", (tmp_.path() / "hub").c_str(), 1);
  EXPECT_EQ(make_text_encoder("bert:Org/tiny-bert")->name(), "bert:tiny-bert");  // a Hugging Face model id
  EXPECT_THROW(make_text_encoder("bert:Other/tiny-bert"), Error);
  ::unsetenv("HF_HUB_CACHE");

  // The name recorded in a model file rebuilds the encoder wherever the directory is found.
  EXPECT_THROW(make_text_encoder("bert:no-such-model-here"), Error);
  EXPECT_THROW(make_text_encoder("bert:"), Error);
  EXPECT_THROW(make_text_encoder("bert"), Error);
}

TEST_F(Bert, ThreadCountDoesNotChangeTheResult) {
  // 512 tokens: enough work that the query/key/value products and attention go to the thread team.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "walk run ";
  const auto ref = BertEncoder(dir_ / "uncased", {1}).encode(text);
  for (int threads : {2, 3, 5}) {
    const auto v = BertEncoder(dir_ / "uncased", {threads}).encode(text);
    ASSERT_EQ(v.size(), ref.size());
    for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], ref[i], 1e-6) << threads << " threads, " << i;
  }
  EXPECT_THROW(BertEncoder(dir_ / "uncased", {-1}), Error);
}

TEST_F(Bert, EmbedIdsChecksItsInput) {
  BertEncoder enc(dir_ / "uncased");
  EXPECT_THROW(enc.embed_ids({}), Error);
  EXPECT_THROW(enc.embed_ids({2, 1000, 3}), Error);
  EXPECT_THROW(enc.embed_ids(std::vector<int32_t>(513, 1)), Error);
  EXPECT_EQ(enc.embed_ids(enc.token_ids("walk")), enc.encode("walk"));
  EXPECT_EQ(enc.encode("walk"), enc.encode("walk"));  // the second from the cache
  EXPECT_EQ(enc.encode("WALK"), enc.encode("walk"));  // same ids, same vector
  EXPECT_NE(enc.encode("run"), enc.encode("walk"));
}

TEST_F(Bert, CommandLinePrintsTheEmbedding) {
  const auto ref = reference();
  const auto& row = ref["uncased"][1];
  const auto r = test::run_stickgen("encode " + test::shell_quote(row["text"].get<std::string>()) + " --json --encoder " +
                                    test::shell_quote("bert:" + (dir_ / "uncased").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["encoder"], "bert:uncased");
  EXPECT_EQ(j["dim"], 32);
  EXPECT_EQ(j["ids"], row["ids"]);
  EXPECT_EQ(j["tokens"], row["tokens"]);
  EXPECT_LT(max_abs_diff(j["embedding"].get<std::vector<float>>(), row["embedding"].get<std::vector<double>>()), kParity);

  const auto plain = test::run_stickgen("encode 'a person walks' --encoder " + test::shell_quote("bert:" + (dir_ / "uncased").string()));
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("tokens (6): [CLS] a person walk ##s [SEP]"), std::string::npos) << plain.output;

  const auto hashed = test::run_stickgen("encode 'a person walks' --json");
  ASSERT_EQ(hashed.exit_code, 0) << hashed.output;
  EXPECT_EQ(nlohmann::json::parse(hashed.output)["encoder"], "hashed-v1-1024");

  const auto bad = test::run_stickgen("encode walk --encoder bert:" + test::shell_quote((tmp_.path() / "none").string()));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("stickgen: error: text encoder 'bert:"), std::string::npos) << bad.output;
  EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;
}

// ------------------------------------------------------------------ WordPiece details

TEST(WordPiece, GreedyLongestMatchAndUnknowns) {
  WordPieceTokenizer tok({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "##a", "aff", "##ff"});
  EXPECT_EQ(tok.tokenize("unaffable"), (std::vector<std::string>{"un", "##aff", "##able"}));
  EXPECT_EQ(tok.tokenize("unaffablex"), (std::vector<std::string>{"[UNK]"}));  // an unmatched rest spoils the word
  EXPECT_EQ(tok.tokenize("UNAFF, aff"), (std::vector<std::string>{"un", "##aff", "[UNK]", "aff"}));
  // 100 characters are looked up; 101 are [UNK] without a look.
  WordPieceTokenizer letters({"[UNK]", "[CLS]", "[SEP]", "a", "##a"});
  EXPECT_EQ(letters.tokenize(std::string(100, 'a')).size(), 100u);
  EXPECT_EQ(letters.tokenize(std::string(101, 'a')), (std::vector<std::string>{"[UNK]"}));
  // [CLS] ... [SEP] and truncation of the pieces.
  EXPECT_EQ(letters.encode("a a a a", 4), (std::vector<int32_t>{1, 3, 3, 2}));
  EXPECT_EQ(letters.encode("", 4), (std::vector<int32_t>{1, 2}));
  EXPECT_THROW(letters.encode("a", 1), Error);
  // Invalid UTF-8 is dropped like the U+FFFD Python would have had to put there.
  EXPECT_EQ(letters.tokenize("a\xff\xc3"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(letters.tokenize("a \xed\xa0\x80 a"), (std::vector<std::string>{"a", "a"}));  // an encoded surrogate
  EXPECT_THROW(WordPieceTokenizer({"[CLS]", "[SEP]"}), Error);  // no [UNK]
  // Special tokens written in the text, back to back or inside words, stay whole.
  WordPieceTokenizer specials({"[UNK]", "[CLS]", "[SEP]", "[MASK]", "walk", "[", "]"});
  EXPECT_EQ(specials.tokenize("[SEP][SEP]walk[MASK] [MASK"),
            (std::vector<std::string>{"[SEP]", "[SEP]", "walk", "[MASK]", "[", "[UNK]"}));
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "[SEP]walk";
  EXPECT_EQ(specials.tokenize(many).size(), 40000u);
}

TEST(WordPiece, Utf8RoundTrip) {
  const std::string s = "a\xc3\xa9\xe4\xba\xba\xf0\x9f\x98\x80";  // a é 人 😀
  EXPECT_EQ(utf8_to_u32(s), (std::u32string{U'a', 0xE9, 0x4EBA, 0x1F600}));
  EXPECT_EQ(u32_to_utf8(utf8_to_u32(s)), s);
  EXPECT_EQ(utf8_to_u32("\xc0\x80"), std::u32string(1, 0xFFFD));  // overlong NUL
}

TEST_F(Bert, VocabularyFileAsPythonReadsIt) {
  const fs::path d = copy("uncased");
  // CRLF and CR line ends, and a token repeated later (the later line wins, as in a dict).
  std::string vocab = read_file(d / "vocab.txt");
  std::string crlf;
  for (char c : vocab) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  write_file_atomic(d / "vocab.txt", crlf);
  auto tok = WordPieceTokenizer::load(d);
  EXPECT_EQ(tok.vocab_size(), BertEncoder(dir_ / "uncased").tokenizer().vocab_size());
  EXPECT_EQ(tok.token(5), "a");
  WordPieceTokenizer dup({"[UNK]", "[CLS]", "[SEP]", "walk", "walk"});
  EXPECT_EQ(dup.id("walk"), 4);
}

// ------------------------------------------------------------------ malformed directories

TEST_F(Bert, ErrorsNameTheFileAndWhatWasExpected) {
  struct Case {
    std::string what;
    std::function<void(const fs::path&)> breakit;
    std::vector<std::string> expect;  // substrings of the message
  };
  auto edit_json = [](const fs::path& file, const std::function<void(nlohmann::json&)>& f) {
    auto j = nlohmann::json::parse(read_file(file));
    f(j);
    write_file_atomic(file, j.dump());
  };
  // Rewrites model.safetensors with `f` deciding each tensor (return false to drop it).
  auto rewrite = [](const fs::path& d, const std::function<bool(SafeTensorsWriter&, const TensorView&)>& f) {
    std::string bytes = read_file(d / "model.safetensors");
    auto file = SafeTensorsFile::from_bytes(bytes);
    SafeTensorsWriter w;
    for (const auto& t : file.tensors())
      if (f(w, t)) w.add(t.name, t.dtype, t.shape, t.data, t.nbytes);
    w.write(d / "model.safetensors");
  };
  const std::string layer = "encoder.layer.1.";
  const std::vector<Case> cases = {
      {"no config.json", [](const fs::path& d) { fs::remove(d / "config.json"); }, {"config.json", "missing"}},
      {"config.json not JSON", [](const fs::path& d) { write_file_atomic(d / "config.json", "{hidden"); },
       {"config.json", "not valid JSON"}},
      {"no hidden_size", [&](const fs::path& d) { edit_json(d / "config.json", [](auto& j) { j.erase("hidden_size"); }); },
       {"config.json", "'hidden_size' is missing"}},
      {"hidden_size a string",
       [&](const fs::path& d) { edit_json(d / "config.json", [](auto& j) { j["hidden_size"] = "32"; }); },
       {"config.json", "'hidden_size' should be a positive integer"}},
      {"relu", [&](const fs::path& d) { edit_json(d / "config.json", [](auto& j) { j["hidden_act"] = "relu"; }); },
       {"config.json", "hidden_act 'relu'"}},
      {"heads do not divide",
       [&](const fs::path& d) { edit_json(d / "config.json", [](auto& j) { j["num_attention_heads"] = 5; }); },
       {"config.json", "not a multiple of num_attention_heads"}},
      {"roberta", [&](const fs::path& d) { edit_json(d / "config.json", [](auto& j) { j["model_type"] = "roberta"; }); },
       {"config.json", "not a BERT model"}},
      {"relative_key",
       [&](const fs::path& d) { edit_json(d / "config.json", [](auto& j) { j["position_embedding_type"] = "relative_key"; }); },
       {"config.json", "position_embedding_type"}},
      {"no vocab.txt", [](const fs::path& d) { fs::remove(d / "vocab.txt"); }, {"vocab.txt", "missing"}},
      {"vocab without [UNK]", [](const fs::path& d) { write_file_atomic(d / "vocab.txt", "[CLS]\n[SEP]\na\n"); },
       {"vocab.txt", "'[UNK]' is not in the vocabulary"}},
      {"vocab not UTF-8", [](const fs::path& d) { write_file_atomic(d / "vocab.txt", "[UNK]\n[CLS]\n[SEP]\nwa\xfflk\n"); },
       {"vocab.txt", "line 4", "UTF-8"}},
      {"vocab larger than the table",
       [](const fs::path& d) { write_file_atomic(d / "vocab.txt", read_file(d / "vocab.txt") + std::string(40, '\n')); },
       {"word-embedding table has", "rows"}},
      {"tokenizer_config not JSON", [](const fs::path& d) { write_file_atomic(d / "tokenizer_config.json", "[1,"); },
       {"tokenizer_config.json", "not valid JSON"}},
      {"another tokenizer",
       [&](const fs::path& d) {
         edit_json(d / "tokenizer_config.json", [](auto& j) { j["tokenizer_class"] = "RobertaTokenizer"; });
       },
       {"tokenizer_config.json", "RobertaTokenizer"}},
      {"do_lower_case a string",
       [&](const fs::path& d) { edit_json(d / "tokenizer_config.json", [](auto& j) { j["do_lower_case"] = "yes"; }); },
       {"tokenizer_config.json", "'do_lower_case' should be true or false"}},
      {"no weights", [](const fs::path& d) { fs::remove(d / "model.safetensors"); }, {"model.safetensors", "missing"}},
      {"only pytorch_model.bin",
       [](const fs::path& d) {
         fs::remove(d / "model.safetensors");
         write_file_atomic(d / "pytorch_model.bin", "x");
       },
       {"model.safetensors", "pytorch_model.bin"}},
      {"truncated weights",
       [](const fs::path& d) { write_file_atomic(d / "model.safetensors", read_file(d / "model.safetensors").substr(0, 300)); },
       {"model.safetensors"}},
      {"missing tensor",
       [&](const fs::path& d) { rewrite(d, [&](auto&, const TensorView& t) { return t.name != layer + "output.dense.bias"; }); },
       {"model.safetensors", "'encoder.layer.1.output.dense.bias' is missing"}},
      {"wrong shape",
       [&](const fs::path& d) {
         rewrite(d, [&](SafeTensorsWriter& w, const TensorView& t) {
           if (t.name != layer + "intermediate.dense.weight") return true;
           w.add(t.name, t.dtype, {t.shape[1], t.shape[0]}, t.data, t.nbytes);
           return false;
         });
       },
       {"model.safetensors", "intermediate.dense.weight", "has shape [32, 48]", "[48, 32]"}},
      {"integer tensor",
       [&](const fs::path& d) {
         rewrite(d, [&](SafeTensorsWriter& w, const TensorView& t) {
           if (t.name != "embeddings.LayerNorm.bias") return true;
           w.add(t.name, DType::I32, t.shape, t.data, t.nbytes);
           return false;
         });
       },
       {"model.safetensors", "embeddings.LayerNorm.bias", "dtype I32"}},
  };
  for (const Case& c : cases) {
    const fs::path d = tmp_.path() / ("case" + std::to_string(&c - cases.data()));
    fs::copy(dir_ / "uncased", d, fs::copy_options::recursive);
    c.breakit(d);
    const std::string msg = load_error(d);
    EXPECT_FALSE(msg.empty()) << c.what << ": no error";
    for (const auto& s : c.expect) EXPECT_NE(msg.find(s), std::string::npos) << c.what << ": " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.what << ": " << msg;
  }
}

TEST_F(Bert, OldLayerNormNamesAndShardedWeights) {
  // gamma/beta LayerNorm names (old checkpoints) and a model split over two shards with an index.
  const fs::path d = copy("uncased");
  const std::string bytes = read_file(d / "model.safetensors");
  auto file = SafeTensorsFile::from_bytes(bytes);
  SafeTensorsWriter a, b;
  nlohmann::json index{{"weight_map", nlohmann::json::object()}};
  for (const auto& t : file.tensors()) {
    std::string name = t.name;
    if (name == "embeddings.LayerNorm.weight") name = "embeddings.LayerNorm.gamma";
    if (name == "embeddings.LayerNorm.bias") name = "embeddings.LayerNorm.beta";
    const bool first = name.rfind("encoder.layer.1.", 0) != 0;
    (first ? a : b).add(name, t.dtype, t.shape, t.data, t.nbytes);
    index["weight_map"][name] = first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  a.write(d / "model-00001-of-00002.safetensors");
  b.write(d / "model-00002-of-00002.safetensors");
  fs::remove(d / "model.safetensors");
  write_file_atomic(d / "model.safetensors.index.json", index.dump());
  const auto ref = reference()["uncased"][0];
  EXPECT_LT(max_abs_diff(BertEncoder(d).encode(ref["text"].get<std::string>()), ref["embedding"].get<std::vector<double>>()),
            kParity);
}

}  // namespace
}  // namespace stickgen
