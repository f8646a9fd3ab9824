// Label-preserving augmentation (docs/DATA.md): each transform works on joints and rebuilds the segments,
// so endpoints that name one joint stay together; physics is recomputed from the result.
#include "stickgen/augment.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <regex>

namespace stickgen {
namespace {

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(mix(seed)) {}
  uint64_t next() { return s = mix(s); }
  float uniform() { return static_cast<float>(next() >> 40) * (1.f / 16777216.f); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  float normal() {  // Box-Muller
    const float u1 = std::max(uniform(), 1e-7f), u2 = uniform();
    return std::sqrt(-2.f * std::log(u1)) * std::cos(6.2831853f * u2);
  }
};

// Applies f(joints) to every present pose.
template <typename F>
void for_each_pose(Clip& c, F f) {
  const auto& s = c.skeleton();
  std::array<Vec2, v3::kJointCount> j;
  for (int t = 0; t < c.frames; ++t)
    for (int a = 0; a < c.actors; ++a) {
      if (!c.present(t, a)) continue;
      segments_to_joints(s, c.pose(t, a), j.data());
      f(j.data(), s.joint_count(), t, a);
      joints_to_segments(s, j.data(), c.pose(t, a));
    }
}

std::string fmt_seconds(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

}  // namespace

ValidationLimits data_limits(SkeletonFormat format) {
  ValidationLimits l;
  if (format == SkeletonFormat::v1) l.bone_tolerance = 1e9f;  // the torso is checked on its own
  return l;
}

ValidationReport validate_data_clip(const Clip& clip) {
  ValidationReport r = validate(clip, data_limits(clip.format));
  if (clip.format != SkeletonFormat::v1 || !r.ok()) return r;
  // v1 torso (neck -> hip) is one rigid bone: within +-15 % of its clip mean.
  const float tol = ValidationLimits{}.bone_tolerance;
  for (int a = 0; a < clip.actors; ++a) {
    double sum = 0.0;
    int n = 0;
    for (int t = 0; t < clip.frames; ++t)
      if (clip.present(t, a)) {
        const float* p = clip.pose(t, a);
        sum += std::hypot(p[2] - p[0], p[3] - p[1]);
        ++n;
      }
    if (n == 0 || sum <= 0.0) continue;
    const double mean = sum / n;
    float worst = 0.f;
    int frame = -1;
    for (int t = 0; t < clip.frames; ++t)
      if (clip.present(t, a)) {
        const float* p = clip.pose(t, a);
        const float d = static_cast<float>(std::fabs(std::hypot(p[2] - p[0], p[3] - p[1]) / mean - 1.0));
        if (d > worst) worst = d, frame = t;
      }
    r.max_bone_drift = std::max(r.max_bone_drift, worst);
    if (worst > tol) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "torso length deviates %.1f%% from its clip mean (limit %.1f%%)", 100.0 * worst,
                    100.0 * tol);
      r.issues.push_back({"bone_drift", frame, a, buf});
    }
  }
  return r;
}

Clip mirror_clip(const Clip& clip) {
  clip.check_shapes();
  Clip out = clip;
  const auto& s = clip.skeleton();
  for_each_pose(out, [&](Vec2* j, int n, int, int) {
    std::array<Vec2, v3::kJointCount> src;
    std::copy(j, j + n, src.begin());
    for (int k = 0; k < n; ++k) j[s.mirror[k]] = {-src[k].x, src[k].y};
  });
  for (size_t t = 0; t + 2 < out.camera.size(); t += 3) out.camera[t] = -out.camera[t];
  compute_physics(out);
  return out;
}

Clip turn_clip_around(const Clip& clip) {
  clip.check_shapes();
  Clip out = clip;
  const auto& s = clip.skeleton();
  for (int t = 0; t < out.frames; ++t)
    for (int a = 0; a < out.actors; ++a) {
      if (!out.present(t, a)) continue;
      turn_around_mirrored(s, out.pose(t, a), 0.f);
    }
  for (size_t t = 0; t + 2 < out.camera.size(); t += 3) out.camera[t] = -out.camera[t];
  compute_physics(out);
  return out;
}

std::string mirror_text(std::string_view text) {
  static const std::pair<std::string_view, std::string_view> kSwaps[] = {
      {"left", "right"}, {"leftward", "rightward"}, {"leftwards", "rightwards"}};
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isalpha(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    std::string word(text.substr(i, j - i)), low = word;
    for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string repl;
    for (const auto& [a, b] : kSwaps) {
      if (low == a) repl = b;
      else if (low == b) repl = a;
    }
    if (repl.empty()) {
      out += word;
    } else {
      if (std::isupper(static_cast<unsigned char>(word[0])))
        repl[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(repl[0])));
      out += repl;
    }
    i = j;
  }
  return out;
}

Clip time_stretch_clip(const Clip& clip, float speed) {
  if (!(speed > 0.f) || !std::isfinite(speed)) throw Error("time stretch: speed must be a positive number");
  Clip out = resample(clip, clip.fps / speed);  // frame i samples source time i * speed / fps
  out.fps = clip.fps;
  compute_physics(out);
  return out;
}

std::string stretch_text(std::string_view text, float speed) {
  static const std::regex kDuration(
      R"(\b(for )((?:about|around|roughly|approximately|nearly|almost|exactly|just|only) )?)"
      R"((\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|)"
      R"(fifteen|sixteen|seventeen|eighteen|nineteen|twenty)( and a half)? (seconds?|secs?)( and a half)?\b)",
      std::regex::icase);
  static const char* kWords[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                 "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                                 "eighteen", "nineteen", "twenty"};
  std::string s(text), out;
  auto begin = std::sregex_iterator(s.begin(), s.end(), kDuration);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    std::string num = m[3].str();
    for (char& c : num) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double v = 0.0;
    if (std::isdigit(static_cast<unsigned char>(num[0]))) {
      v = std::strtod(num.c_str(), nullptr);
    } else if (num == "a" || num == "an") {
      v = 1.0;
    } else {
      for (int k = 0; k <= 20; ++k)
        if (num == kWords[k]) v = k;
    }
    if (m[4].matched || m[6].matched) v += 0.5;
    const float nv = static_cast<float>(v) / speed;
    const std::string n = fmt_seconds(nv);
    out += s.substr(last, static_cast<size_t>(m.position(0)) - last);
    out += m[1].str() + m[2].str() + n + (n == "1" ? " second" : " seconds");
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  out += s.substr(last);
  return out;
}

Clip scale_clip(const Clip& clip, float factor) {
  clip.check_shapes();
  Clip out = clip;
  const auto& s = clip.skeleton();
  float cx = 0.f;
  int n = 0;
  for (int a = 0; a < clip.actors; ++a)
    for (int t = 0; t < clip.frames; ++t)
      if (clip.present(t, a)) {
        cx += root_position(s, clip.pose(t, a)).x;
        ++n;
        break;
      }
  if (n) cx /= static_cast<float>(n);
  for_each_pose(out, [&](Vec2* j, int k, int, int) {
    for (int i = 0; i < k; ++i) j[i] = {cx + factor * (j[i].x - cx), factor * j[i].y};
  });
  for (size_t t = 0; t + 2 < out.camera.size(); t += 3) {
    out.camera[t] = cx + factor * (out.camera[t] - cx);
    out.camera[t + 1] *= factor;
  }
  compute_physics(out);
  return out;
}

Clip translate_clip(const Clip& clip, float dx) {
  clip.check_shapes();
  Clip out = clip;
  for_each_pose(out, [&](Vec2* j, int k, int, int) {
    for (int i = 0; i < k; ++i) j[i].x += dx;
  });
  for (size_t t = 0; t + 2 < out.camera.size(); t += 3) out.camera[t] += dx;
  compute_physics(out);
  return out;
}

Clip noise_clip(const Clip& clip, float sigma, uint64_t seed, float smooth_frames) {
  clip.check_shapes();
  Clip out = clip;
  Rng rng(seed);
  const int T = clip.frames, J = clip.skeleton().joint_count();
  // noise[a][j][axis][t]: white, then (optionally) smoothed and rescaled to the same standard deviation.
  std::vector<float> noise(static_cast<size_t>(clip.actors) * J * 2 * T);
  for (auto& v : noise) v = rng.normal();
  if (smooth_frames > 0.f && T > 1) {
    const int r = static_cast<int>(std::ceil(3.f * smooth_frames));
    std::vector<float> kernel(2 * r + 1);
    float k2 = 0.f;
    for (int i = -r; i <= r; ++i) {
      kernel[i + r] = std::exp(-0.5f * static_cast<float>(i * i) / (smooth_frames * smooth_frames));
      k2 += kernel[i + r] * kernel[i + r];
    }
    const float norm = 1.f / std::sqrt(k2);  // white noise through the kernel keeps unit variance
    std::vector<float> tmp(T);
    for (size_t base = 0; base < noise.size(); base += T) {
      for (int t = 0; t < T; ++t) {
        float sum = 0.f;
        for (int i = -r; i <= r; ++i) {
          const int u = std::clamp(t + i, 0, T - 1);
          sum += kernel[i + r] * noise[base + u];
        }
        tmp[t] = sum * norm;
      }
      std::copy(tmp.begin(), tmp.end(), noise.begin() + static_cast<std::ptrdiff_t>(base));
    }
  }
  for_each_pose(out, [&](Vec2* j, int k, int t, int a) {
    for (int i = 0; i < k; ++i) {
      const size_t base = ((static_cast<size_t>(a) * J + i) * 2) * T;
      j[i] += Vec2{sigma * noise[base + t], sigma * noise[base + T + t]};
    }
  });
  compute_physics(out);
  return out;
}

std::vector<AugmentedClip> augment_clip(const Clip& clip, std::string_view description, int count, uint64_t seed,
                                        const AugmentOptions& o) {
  std::vector<AugmentedClip> out;
  const int offset = static_cast<int>(mix(seed ^ 0xA5A5ull) % 4);
  for (int j = 0; j < count; ++j) {
    Rng rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(j) * 0xD1B54A32D192ED03ull + 1);
    const int kind = (j + offset) % 4;
    AugmentedClip v{clip, std::string(description), ""};
    auto tag = [&](const std::string& t) { v.tag += (v.tag.empty() ? "" : "+") + t; };
    char buf[48];
    const bool mirror = kind == 0 || rng.uniform() < 0.5f;
    if (kind == 1) {
      // Slowing down may not make the clip longer than max_seconds (or its own length, if longer).
      const float longest = std::max(o.max_seconds, clip.duration());
      const float lo = std::max(o.min_speed, clip.duration() / std::max(longest, 1e-3f));
      const float speed = rng.uniform(std::min(lo, o.max_speed), o.max_speed);
      v.clip = time_stretch_clip(v.clip, speed);
      v.description = stretch_text(v.description, speed);
      std::snprintf(buf, sizeof buf, "stretch%.2f", speed);
      tag(buf);
    } else if (kind == 2) {
      const float k = rng.uniform(o.min_scale, o.max_scale), dx = rng.uniform(-o.max_shift, o.max_shift);
      v.clip = translate_clip(scale_clip(v.clip, k), dx);
      std::snprintf(buf, sizeof buf, "scale%.3f+shift%.2f", k, dx);
      tag(buf);
    } else if (kind == 3) {
      const float sigma = rng.uniform(o.min_noise, o.max_noise);
      v.clip = noise_clip(v.clip, sigma, rng.next(), o.noise_frames);
      std::snprintf(buf, sizeof buf, "noise%.4f", sigma);
      tag(buf);
    }
    if (mirror) {
      v.clip = mirror_clip(v.clip);
      v.description = mirror_text(v.description);
      tag("mirror");
    }
    v.clip.description = v.description;
    if (!validate_data_clip(v.clip).ok()) continue;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace stickgen
