// The per-clip quality score (docs/DATA.md "Quality"): six terms, each from one measurement, combined by a
// weighted geometric mean so that one failed term fails the clip.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "stickgen/actions.hpp"
#include "stickgen/curate.hpp"

namespace stickgen {
namespace {

using Joints = std::array<Vec2, v3::kJointCount>;

float percentile(std::vector<float> v, float q) {
  if (v.empty()) return 0.f;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<float>(v.size() - 1) + 0.5f));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

uint64_t hash_mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h;
}

struct ActorMeasures {
  float speed = 0, accel = 0, ground = 0, bone_drift = 0, limb_jitter = 0, jitter = 0, spikes = 0, slip = 0, statics = 0,
        repeats = 0;
};

ActorMeasures measure_actor(const Clip& clip, const Clip& fresh, int a) {
  ActorMeasures m;
  const auto& s = clip.skeleton();
  const int T = clip.frames, J = s.joint_count();
  const float fps = clip.fps;
  std::vector<Joints> P(T);
  std::vector<uint8_t> on(T, 0);
  std::vector<float> heights;
  int present = 0;
  for (int t = 0; t < T; ++t) {
    if (!clip.present(t, a)) continue;
    on[t] = 1;
    ++present;
    segments_to_joints(s, clip.pose(t, a), P[t].data());
    heights.push_back(body_height(s, P[t].data()));
  }
  if (present == 0) return m;
  const float h = std::max(0.3f, percentile(heights, 0.5f));

  // Physics: root speed and acceleration (recomputed), joints below the floor.
  for (int t = 0; t < T; ++t) {
    if (!on[t]) continue;
    const float* p = fresh.physics_at(t, a);
    m.speed = std::max(m.speed, std::hypot(p[0], p[1]));
    m.accel = std::max(m.accel, std::hypot(p[2], p[3]));
    for (int j = 0; j < J; ++j) m.ground = std::max(m.ground, -P[t][j].y);
  }

  // Bones: rigid segments against their clip median (v1: the torso only).
  for (int i = 0; i < s.segment_count(); ++i) {
    const bool rigid = clip.format == SkeletonFormat::v1 ? i == v1::torso : s.rigid[i];
    if (!rigid) continue;
    std::vector<float> len;
    for (int t = 0; t < T; ++t)
      if (on[t]) {
        const float* p = clip.pose(t, a);
        len.push_back(std::hypot(p[4 * i + 2] - p[4 * i], p[4 * i + 3] - p[4 * i + 1]));
      }
    const float med = percentile(len, 0.5f);
    if (med < 1e-6f) continue;
    for (float l : len) m.bone_drift = std::max(m.bone_drift, std::fabs(l / med - 1.f));
  }
  // v1 legs and arms bend: their length may change smoothly, not shake. Per frame, the share of the limbs'
  // length second-difference energy that flips sign by the next frame (changes below 1 % of the length per
  // frame^2 count as still); the median over frames.
  if (clip.format == SkeletonFormat::v1) {
    const int limbs[4] = {v1::l_leg, v1::r_leg, v1::l_arm, v1::r_arm};
    std::array<std::vector<float>, 4> len;
    std::array<float, 4> med{};
    for (int k = 0; k < 4; ++k) {
      const int i = limbs[k];
      len[k].assign(T, 0.f);
      std::vector<float> all;
      for (int t = 0; t < T; ++t)
        if (on[t]) {
          const float* p = clip.pose(t, a);
          len[k][t] = std::hypot(p[4 * i + 2] - p[4 * i], p[4 * i + 3] - p[4 * i + 1]);
          all.push_back(len[k][t]);
        }
      med[k] = std::max(1e-6f, percentile(all, 0.5f));
    }
    std::vector<float> share;
    for (int t = 1; t + 2 < T; ++t) {
      if (!(on[t - 1] && on[t] && on[t + 1] && on[t + 2])) continue;
      double flips = 0.0, energy = 0.0;
      for (int k = 0; k < 4; ++k) {
        const auto& L = len[k];
        const double d0 = (L[t + 1] - 2.f * L[t] + L[t - 1]) / med[k], d1 = (L[t + 2] - 2.f * L[t + 1] + L[t]) / med[k];
        flips += std::max(0.0, -d0 * d1);
        energy += d0 * d0 + 1e-4;
      }
      share.push_back(static_cast<float>(flips / energy));
    }
    m.limb_jitter = percentile(share, 0.5f);
  }

  // Jitter: in each frame, the share of joint-acceleration energy that flips direction by the next frame
  // (white noise: about 2/3; smooth motion, however fast: little); the median over frames, so that the few
  // frames of a take-off or a landing do not count as jitter. Accelerations below 2 body heights/s^2
  // (white noise of about 0.1 % of the body height) are hard to see and count as still (the floor in the
  // denominator).
  {
    std::vector<float> share;
    const double floor2 = std::pow(2.0 * h, 2.0);
    for (int t = 1; t + 2 < T; ++t) {
      if (!(on[t - 1] && on[t] && on[t + 1] && on[t + 2])) continue;
      double flips = 0.0, energy = 0.0;
      for (int j = 0; j < J; ++j) {
        const Vec2 a0 = (P[t + 1][j] - P[t][j] * 2.f + P[t - 1][j]) * (fps * fps);
        const Vec2 a1 = (P[t + 2][j] - P[t + 1][j] * 2.f + P[t][j]) * (fps * fps);
        flips += std::max(0.0, -static_cast<double>(a0.x * a1.x + a0.y * a1.y));
        energy += static_cast<double>(a0.x * a0.x + a0.y * a0.y) + floor2;
      }
      share.push_back(static_cast<float>(flips / energy));
    }
    m.jitter = percentile(share, 0.5f);
    // Isolated spikes (a teleporting hand; a fast but smooth swing does not qualify): a joint that steps more
    // than 10 % of the body height in one frame and over four times as far as in the frames either side, or
    // that sits that far off the midpoint of its neighbours while they are close together.
    int spikes = 0, steps = 0;
    for (int t = 1; t + 2 < T; ++t) {
      if (!(on[t - 1] && on[t] && on[t + 1] && on[t + 2])) continue;
      ++steps;
      for (int j = 0; j < J; ++j) {
        const float d = (P[t + 1][j] - P[t][j]).norm();
        const float around = std::max((P[t][j] - P[t - 1][j]).norm(), (P[t + 2][j] - P[t + 1][j]).norm());
        const float off = (P[t][j] - (P[t - 1][j] + P[t + 1][j]) * 0.5f).norm();
        const float span = 0.5f * (P[t + 1][j] - P[t - 1][j]).norm();
        if ((d > 0.1f * h && d > 4.f * around) || (off > 0.1f * h && off > 4.f * span)) {
          ++spikes;
          break;
        }
      }
    }
    m.spikes = steps ? static_cast<float>(spikes) / static_cast<float>(steps) : 0.f;
  }

  // Foot skating: a foot low on the floor and nearly still is planted; its horizontal slip while planted.
  {
    const int feet[2] = {clip.format == SkeletonFormat::v1 ? static_cast<int>(v1::l_foot) : static_cast<int>(v3::l_ankle),
                         clip.format == SkeletonFormat::v1 ? static_cast<int>(v1::r_foot) : static_cast<int>(v3::r_ankle)};
    float floor = 0.f;
    for (int t = 0; t < T; ++t)
      if (on[t]) floor = std::min({floor, P[t][feet[0]].y, P[t][feet[1]].y});
    const float contact = floor + 0.012f * h;
    // Only plants count: runs of at least 0.2 s on the floor. Shorter touches are a foot in transit
    // (stepping down from a raised support in motion capture, a swinging foot brushing the floor),
    // and a clip with under 0.4 s of plants in all has nothing to judge (slip 0).
    const int min_run = std::max(2, static_cast<int>(std::lround(0.2f * fps)));
    double slip = 0.0, time = 0.0;
    for (int f : feet) {
      double run_slip = 0.0;
      int run = 0;
      auto close_run = [&] {
        if (run >= min_run) slip += run_slip, time += run / static_cast<double>(fps);
        run_slip = 0.0;
        run = 0;
      };
      for (int t = 1; t < T; ++t) {
        const Vec2 p0 = P[t - 1][f], p1 = P[t][f];
        const bool planted = on[t] && on[t - 1] && p0.y <= contact && p1.y <= contact &&
                             (p1 - p0).norm() * fps / h <= 1.f;  // faster: a swinging foot brushing the floor
        if (!planted) {
          close_run();
          continue;
        }
        run_slip += std::fabs(p1.x - p0.x) / h;
        ++run;
      }
      close_run();
    }
    m.slip = time >= 0.4 ? static_cast<float>(slip / time) : 0.f;
  }

  // Static frames: no joint moved more than 0.05 % of the body height since the previous frame.
  {
    int still = 0, pairs = 0;
    const float eps = 5e-4f * h;
    for (int t = 1; t < T; ++t) {
      if (!(on[t] && on[t - 1])) continue;
      ++pairs;
      float most = 0.f;
      for (int j = 0; j < J; ++j) most = std::max(most, (P[t][j] - P[t - 1][j]).norm());
      if (most < eps) ++still;
    }
    m.statics = pairs ? static_cast<float>(still) / static_cast<float>(pairs) : 0.f;
  }

  // Repetition: a window of root-relative poses in which the pose changes, reappearing (nearly) exactly later
  // in the clip - copy-paste, not a periodic gait, whose cycles differ far more than the tolerance.
  {
    constexpr int W = 10;
    const float tol = 1e-4f * h, q = 2e-3f * h, moving = 0.01f * h;
    std::vector<Joints> R(T);
    for (int t = 0; t < T; ++t)
      if (on[t]) {
        const Vec2 root = P[t][s.root];
        for (int j = 0; j < J; ++j) R[t][j] = P[t][j] - root;
      }
    std::vector<uint8_t> window_ok(T, 0), repeated(T, 0);
    for (int t = 0; t + W <= T; ++t) {
      bool all = true;
      float most = 0.f;
      for (int k = 0; k < W && all; ++k) {
        all = on[t + k] != 0;
        if (all)  // the pose must change inside the window (a glide in one pose is not a copy)
          for (int j = 0; j < J; ++j) most = std::max(most, (R[t + k][j] - R[t][j]).norm());
      }
      window_ok[t] = all && most >= moving;
    }
    std::unordered_map<uint64_t, std::vector<int>> buckets;
    for (int t = 0; t + W <= T; ++t) {
      if (!window_ok[t]) continue;
      uint64_t key = 1469598103934665603ull;
      for (int j = 0; j < J; ++j) {
        key = hash_mix(key, static_cast<uint64_t>(static_cast<int64_t>(std::floor(R[t][j].x / q))));
        key = hash_mix(key, static_cast<uint64_t>(static_cast<int64_t>(std::floor(R[t][j].y / q))));
      }
      auto& list = buckets[key];
      for (int u : list) {
        if (u + W > t) continue;  // overlapping windows are the same motion, not a copy
        bool same = true;
        for (int k = 0; k < W && same; ++k)
          for (int j = 0; j < J && same; ++j)
            same = std::fabs(R[t + k][j].x - R[u + k][j].x) <= tol && std::fabs(R[t + k][j].y - R[u + k][j].y) <= tol;
        if (same) {
          for (int k = 0; k < W; ++k) repeated[t + k] = 1;
          break;
        }
      }
      list.push_back(t);
    }
    int n = 0;
    for (int t = 0; t < T; ++t) n += repeated[t];
    m.repeats = static_cast<float>(n) / static_cast<float>(present);
  }
  return m;
}

}  // namespace

float Ramp::operator()(float x) const {
  if (!std::isfinite(x)) return 0.f;
  if (x <= good) return 1.f;
  if (x >= bad) return 0.f;
  return (bad - x) / (bad - good);
}

QualityScore score_clip(const Clip& clip, const QualityThresholds& th, const QualityWeights& w) {
  clip.check_shapes();
  QualityScore q;
  Clip fresh = clip;
  compute_physics(fresh);
  if (!clip.physics.empty()) {
    float diff = 0.f, mag = 0.f;
    for (size_t i = 0; i < fresh.physics.size(); ++i) {
      const size_t slot = i / kPhysicsDims;
      if (!clip.actor_mask[slot]) continue;
      diff = std::max(diff, std::fabs(clip.physics[i] - fresh.physics[i]));
      mag = std::max(mag, std::fabs(fresh.physics[i]));
    }
    q.physics_error = diff / (1.f + mag);
  }
  for (int a = 0; a < clip.actors; ++a) {
    const ActorMeasures m = measure_actor(clip, fresh, a);
    q.max_speed = std::max(q.max_speed, m.speed);
    q.max_accel = std::max(q.max_accel, m.accel);
    q.ground_depth = std::max(q.ground_depth, m.ground);
    q.bone_drift = std::max(q.bone_drift, m.bone_drift);
    q.limb_jitter = std::max(q.limb_jitter, m.limb_jitter);
    q.jitter_value = std::max(q.jitter_value, m.jitter);
    q.spike_rate = std::max(q.spike_rate, m.spikes);
    q.foot_slip = std::max(q.foot_slip, m.slip);
    q.static_ratio = std::max(q.static_ratio, m.statics);
    q.repeat_ratio = std::max(q.repeat_ratio, m.repeats);
  }
  q.physics = std::min({th.speed(q.max_speed), th.accel(q.max_accel), th.physics_error(q.physics_error),
                        th.ground(q.ground_depth)});
  q.bones = th.bone_drift(q.bone_drift);
  if (clip.format == SkeletonFormat::v1) q.bones = std::min(q.bones, th.limb_jitter(q.limb_jitter));
  q.jitter = std::min(th.jitter(q.jitter_value), th.spikes(q.spike_rate));
  q.skating = th.skating(q.foot_slip);
  q.statics = th.statics(q.static_ratio);
  q.repetition = th.repetition(q.repeat_ratio);
  const std::pair<const char*, float> terms[] = {{"physics", q.physics}, {"bones", q.bones},   {"jitter", q.jitter},
                                                 {"skating", q.skating}, {"static", q.statics}, {"repetition", q.repetition}};
  const float weights[] = {w.physics, w.bones, w.jitter, w.skating, w.statics, w.repetition};
  double log_sum = 0.0, wsum = 0.0;
  bool zero = false;
  float low = 2.f;
  for (int i = 0; i < 6; ++i) {
    if (terms[i].second < low) low = terms[i].second, q.lowest = terms[i].first;
    if (weights[i] <= 0.f) continue;
    wsum += weights[i];
    if (terms[i].second <= 0.f) zero = true;
    else log_sum += weights[i] * std::log(terms[i].second);
  }
  q.quality = zero || wsum <= 0.0 ? 0.f : static_cast<float>(std::exp(log_sum / wsum));
  return q;
}

int primary_action(const Clip& clip) {
  std::array<int64_t, kNumActions> count{};
  for (size_t i = 0; i < clip.actions.size(); ++i) {
    const int x = clip.actions[i];
    if (clip.actor_mask[i] && x >= 0 && x < kNumActions) ++count[x];
  }
  int best = -1;
  for (int x = 0; x < kNumActions; ++x)
    if (count[x] > 0 && (best < 0 || count[x] > count[best])) best = x;
  return best;
}

float source_weight(const std::string& source) {
  static const std::unordered_map<std::string, float> kWeights = {
      {"humanml3d", 1.f}, {"kit", 1.f},     {"amass", 0.95f},    {"cmu", 0.95f},      {"aist", 0.9f},
      {"interhuman", 0.85f}, {"ntu", 0.8f}, {"100style", 0.75f}, {"synthetic", 0.6f},
  };
  auto it = kWeights.find(source);
  return it == kWeights.end() ? 0.75f : it->second;
}

}  // namespace stickgen
