// stickgen encode "<text>" [--encoder NAME] [--json]: the text embedding a model would be given,
// so our encoders can be checked against another implementation (e.g. sentence-transformers with
// BAAI/bge-large-en-v1.5: compare `--json` output with model.encode(text, normalize_embeddings=True)).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "stickgen/bert.hpp"
#include "stickgen/common.hpp"
#include "stickgen/text_encoder.hpp"

namespace stickgen::cli {
namespace {

struct EncodeArgs {
  std::string text;
  std::string encoder = "hashed-v1";
  bool json = false;
  int values = 8;
  int threads = 0;
};

void run_encode(const EncodeArgs& a) {
  std::string text = a.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());

  std::unique_ptr<TextEncoder> encoder;
  if (a.encoder.rfind("bert:", 0) == 0)
    encoder = std::make_unique<BertEncoder>(find_bert_directory(a.encoder.substr(5)), BertOptions{a.threads});
  else
    encoder = make_text_encoder(a.encoder);
  const auto* bert = dynamic_cast<const BertEncoder*>(encoder.get());

  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> embedding = encoder->encode(text);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::vector<int32_t> ids;
  if (bert) ids = bert->token_ids(text);

  if (a.json) {
    nlohmann::json j;
    j["encoder"] = encoder->name();
    j["dim"] = encoder->dim();
    if (bert) {
      j["ids"] = ids;
      std::vector<std::string> tokens;
      for (int32_t id : ids) tokens.push_back(bert->tokenizer().token(id));
      j["tokens"] = tokens;
    }
    j["embedding"] = embedding;  // shortest round-trip decimal form of each float
    std::cout << j.dump() << "\n";
    return;
  }
  double norm = 0;
  for (float x : embedding) norm += double(x) * x;
  std::printf("%s: %d dimensions, |v| = %.6f, %.1f ms\n", encoder->name().c_str(), encoder->dim(), std::sqrt(norm), ms);
  if (bert) {
    std::printf("tokens (%zu):", ids.size());
    for (int32_t id : ids) std::printf(" %s", bert->tokenizer().token(id).c_str());
    std::printf("\n");
  }
  const int shown = a.values < 0 || a.values > encoder->dim() ? encoder->dim() : a.values;
  for (int i = 0; i < shown; ++i) std::printf("%s% .7f", i % 8 == 0 ? (i ? "\n" : "") : " ", embedding[i]);
  if (shown > 0) std::printf("%s\n", shown < encoder->dim() ? " ..." : "");
}

void add_encode(CLI::App& app) {
  auto args = std::make_shared<EncodeArgs>();
  auto* cmd = app.add_subcommand("encode", "Print the text embedding of a sentence (for checking encoders)");
  cmd->add_option("text", args->text, "The sentence ('-' reads standard input)")->required();
  cmd->add_option("--encoder", args->encoder, "hashed-v1[-<dim>] or bert:<directory or model name>")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print {encoder, dim, ids, tokens, embedding} as JSON");
  cmd->add_option("--values", args->values, "How many leading values to print (-1 = all)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads for a BERT encoder (0 = all cores)")->check(CLI::Range(0, 256));
  cmd->callback([args] { run_encode(*args); });
}

STICKGEN_COMMAND(45, add_encode);

}  // namespace
}  // namespace stickgen::cli
