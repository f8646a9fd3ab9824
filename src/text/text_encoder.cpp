#include "stickgen/text_encoder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <unordered_set>

#include "stickgen/actions.hpp"
#include "stickgen/bert.hpp"
#include "stickgen/common.hpp"
#include "stickgen/planner.hpp"

namespace stickgen {
namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  // final avalanche so that nearby strings spread over the whole table
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

bool is_word(const std::string& t) {
  return !t.empty() && (std::isalnum(static_cast<unsigned char>(t[0])) || static_cast<unsigned char>(t[0]) >= 0x80);
}

bool is_number(const std::string& t) {
  return !t.empty() && std::isdigit(static_cast<unsigned char>(t[0]));
}

// Words that carry little meaning for motion get a small weight instead of none.
const std::unordered_set<std::string>& light_words() {
  static const std::unordered_set<std::string> words{
      "a", "an", "the", "and", "then", "to", "of", "in", "on", "at", "for", "with", "is", "are", "it", "its",
      "his", "her", "their", "they", "he", "she", "person", "someone", "figure", "stick", "by", "as", "that"};
  return words;
}

class HashedEncoder final : public TextEncoder {
 public:
  explicit HashedEncoder(int dim) : dim_(dim) {
    if (dim < 16) throw Error("text encoder: dimension must be at least 16, got " + std::to_string(dim));
  }
  std::string name() const override { return "hashed-v1-" + std::to_string(dim_); }
  int dim() const override { return dim_; }

  std::vector<float> encode(std::string_view text) const override {
    std::vector<float> v(dim_, 0.f);
    auto add = [&](const std::string& feature, float weight) {
      const uint64_t h = fnv1a(feature);
      // two probes halve the damage of any one collision
      v[h % dim_] += ((h >> 63) ? -0.7071f : 0.7071f) * weight;
      const uint64_t h2 = h * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
      v[(h2 >> 7) % dim_] += ((h2 >> 62) & 1 ? -0.7071f : 0.7071f) * weight;
    };
    std::vector<std::string> lemmas;
    for (const std::string& tok : tokenize(text)) {
      if (!is_word(tok)) continue;
      lemmas.push_back(is_number(tok) ? tok : verb_base_form(tok));
    }
    int ordinal = 0;
    for (size_t i = 0; i < lemmas.size(); ++i) {
      const std::string& w = lemmas[i];
      const float base = light_words().count(w) ? 0.25f : 1.f;
      add("w:" + w, base);
      if (i + 1 < lemmas.size()) add("b:" + w + "_" + lemmas[i + 1], 0.6f * base);
      if (is_number(w)) continue;
      const std::string padded = "<" + w + ">";
      if (padded.size() >= 3) {
        const float tw = 0.35f * base / std::sqrt(static_cast<float>(padded.size() - 2));
        for (size_t k = 0; k + 3 <= padded.size(); ++k) add("c:" + padded.substr(k, 3), tw);
      }
      if (base < 1.f) continue;
      if (auto a = nearest_action(w)) {
        const std::string name(action_name(*a));
        add("a:" + name, 2.f);
        if (ordinal < 6) add("o:" + std::to_string(ordinal++) + ":" + name, 1.f);
      }
    }
    double norm = 0;
    for (float x : v) norm += double(x) * x;
    if (norm > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (float& x : v) x *= inv;
    }
    return v;
  }

 private:
  int dim_;
};

}  // namespace

std::unique_ptr<TextEncoder> make_hashed_encoder(int dim) { return std::make_unique<HashedEncoder>(dim); }

std::unique_ptr<TextEncoder> make_text_encoder(const std::string& name) {
  if (name == "hashed-v1") return make_hashed_encoder(1024);
  if (name.rfind("hashed-v1-", 0) == 0) {
    const std::string digits = name.substr(10);
    if (!digits.empty() && digits.size() < 6 && std::all_of(digits.begin(), digits.end(), ::isdigit))
      return make_hashed_encoder(std::stoi(digits));
  }
  if (name.rfind("bert:", 0) == 0) return std::make_unique<BertEncoder>(find_bert_directory(name.substr(5)));
  throw Error("text encoder: unknown encoder '" + name + "' (expected hashed-v1, hashed-v1-<dim> or bert:<directory>)");
}

}  // namespace stickgen
