// The default text encoder: deterministic, normalised, meaning-aware through the planner lexicon.
#include <gtest/gtest.h>

#include <cmath>

#include "stickgen/common.hpp"
#include "stickgen/text_encoder.hpp"

using namespace stickgen;

namespace {
float cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i];
  return static_cast<float>(dot / std::sqrt(na * nb + 1e-30));
}
}  // namespace

TEST(TextEncoder, DeterministicUnitNorm) {
  auto enc = make_text_encoder("hashed-v1");
  EXPECT_EQ(enc->dim(), 1024);
  EXPECT_EQ(enc->name(), "hashed-v1-1024");
  auto a = enc->encode("A person walks slowly to the left, then waves.");
  auto b = make_hashed_encoder(1024)->encode("A person walks slowly to the left, then waves.");
  EXPECT_EQ(a, b);
  double n = 0;
  for (float x : a) n += x * x;
  EXPECT_NEAR(n, 1.0, 1e-5);
}

TEST(TextEncoder, EmptyAndHostileTextGiveZerosOrUnitVectors) {
  auto enc = make_hashed_encoder();
  auto z = enc->encode("   ,,, !!! ");
  for (float x : z) EXPECT_EQ(x, 0.f);
  std::string junk(20000, '\x01');
  junk += "\xff\xfe walks";
  auto j = enc->encode(junk);
  EXPECT_EQ(j.size(), 1024u);
}

TEST(TextEncoder, ParaphrasesAreCloserThanDifferentActions) {
  auto enc = make_hashed_encoder();
  auto walk = enc->encode("a person walks forward");
  auto stroll = enc->encode("someone strolls forward");
  auto dance = enc->encode("a person dances");
  EXPECT_GT(cosine(walk, stroll), cosine(walk, dance));
  auto jump = enc->encode("a man jumps");
  auto leap = enc->encode("a man leaps");
  EXPECT_GT(cosine(jump, leap), cosine(jump, dance));
}

TEST(TextEncoder, OrderMatters) {
  auto enc = make_hashed_encoder();
  auto a = enc->encode("a person walks then waves");
  auto b = enc->encode("a person waves then walks");
  EXPECT_LT(cosine(a, b), 0.999f);
  EXPECT_GT(cosine(a, b), 0.5f);  // same words, different order
}

TEST(TextEncoder, UnknownNameIsAnError) {
  EXPECT_THROW(make_text_encoder("bert"), Error);
  EXPECT_THROW(make_text_encoder("hashed-v1-x"), Error);
  EXPECT_EQ(make_text_encoder("hashed-v1-64")->dim(), 64);
}
