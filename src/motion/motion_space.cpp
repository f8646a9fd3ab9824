#include "stickgen/motion_space.hpp"

#include <algorithm>
#include <cmath>

namespace stickgen {

MotionSpace::MotionSpace(SkeletonFormat format, MotionNormalization norm) : format_(format), norm_(std::move(norm)) {
  const size_t d = static_cast<size_t>(dims());
  if (!norm_.mean.empty() && (norm_.mean.size() != d || norm_.std.size() != d))
    throw Error("motion space: normalization has " + std::to_string(norm_.mean.size()) + " dims, the skeleton " +
                std::to_string(d));
}

void MotionSpace::encode_pose(const float* pose, float reference_x, float* out) const {
  const int d = dims();
  for (int k = 0; k < d; ++k) {
    float v = pose[k];
    if (norm_.root_relative_x && k % 2 == 0) v -= reference_x;
    out[k] = norm_.mean.empty() ? v : (v - norm_.mean[k]) / norm_.std[k];
  }
}

void MotionSpace::encode_pose(const float* pose, float* out) const {
  encode_pose(pose, norm_.root_relative_x ? root_position(schema(format_), pose).x : 0.f, out);
}

void MotionSpace::decode_pose(const float* net, float root_x, float* out) const {
  const int d = dims();
  for (int k = 0; k < d; ++k) {
    float v = norm_.mean.empty() ? net[k] : net[k] * norm_.std[k] + norm_.mean[k];
    if (norm_.root_relative_x && k % 2 == 0) v += root_x;
    out[k] = v;
  }
}

void MotionSpace::encode_physics(const float* physics, float* out) const {
  for (int k = 0; k < kPhysicsDims; ++k)
    out[k] = norm_.physics_mean.empty() ? physics[k] : (physics[k] - norm_.physics_mean[k]) / norm_.physics_std[k];
}

void MotionSpace::decode_physics(const float* net, float* out) const {
  for (int k = 0; k < kPhysicsDims; ++k)
    out[k] = norm_.physics_mean.empty() ? net[k] : net[k] * norm_.physics_std[k] + norm_.physics_mean[k];
}

void MotionSpace::next_from_head(const float* input, const float* head, float* out) const {
  const int d = dims();
  for (int k = 0; k < d; ++k) out[k] = norm_.delta_output ? input[k] + head[k] * norm_.delta_std[k] : head[k];
}

MotionNormalization MotionSpace::fit(const std::vector<const Clip*>& clips, SkeletonFormat format, bool root_relative_x,
                                     bool delta_output) {
  const int d = static_cast<int>(format);
  MotionNormalization identity;
  identity.root_relative_x = root_relative_x;
  MotionSpace raw(format, identity);
  std::vector<double> sum(d, 0.0), sq(d, 0.0), psum(kPhysicsDims, 0.0), psq(kPhysicsDims, 0.0);
  std::vector<float> enc(d);
  double n = 0;
  for (const Clip* clip : clips) {
    if (clip->format != format) throw Error("motion space: clip '" + clip->id + "' is not " + std::string(format_name(format)));
    Clip withphys;
    const Clip* c = clip;
    if (clip->physics.empty()) {
      withphys = *clip;
      compute_physics(withphys);
      c = &withphys;
    }
    for (int t = 0; t < c->frames; ++t)
      for (int a = 0; a < c->actors; ++a) {
        if (!c->present(t, a)) continue;
        raw.encode_pose(c->pose(t, a), enc.data());
        for (int k = 0; k < d; ++k) sum[k] += enc[k], sq[k] += double(enc[k]) * enc[k];
        const float* p = c->physics_at(t, a);
        for (int k = 0; k < kPhysicsDims; ++k) psum[k] += p[k], psq[k] += double(p[k]) * p[k];
        n += 1;
      }
  }
  if (n < 2) throw Error("motion space: need at least two present frames to fit normalisation statistics");
  MotionNormalization out;
  out.root_relative_x = root_relative_x;
  auto finish = [n](const std::vector<double>& s, const std::vector<double>& q, std::vector<float>& mean,
                    std::vector<float>& std) {
    for (size_t k = 0; k < s.size(); ++k) {
      const double m = s[k] / n;
      mean.push_back(static_cast<float>(m));
      std.push_back(static_cast<float>(std::max(1e-3, std::sqrt(std::max(0.0, q[k] / n - m * m)))));
    }
  };
  finish(sum, sq, out.mean, out.std);
  finish(psum, psq, out.physics_mean, out.physics_std);
  if (delta_output) {
    // second pass: changes between consecutive present frames, in the space just fitted
    MotionNormalization pose_only = out;
    pose_only.delta_output = false;
    MotionSpace space(format, pose_only);
    std::vector<double> dsq(d, 0.0);
    std::vector<float> prev(d), cur(d);
    double m = 0;
    for (const Clip* c : clips)
      for (int a = 0; a < c->actors; ++a)
        for (int t = 1; t < c->frames; ++t) {
          if (!c->present(t, a) || !c->present(t - 1, a)) continue;
          const float rx = root_position(schema(format), c->pose(t - 1, a)).x;  // same reference, as the network sees it
          space.encode_pose(c->pose(t - 1, a), rx, prev.data());
          space.encode_pose(c->pose(t, a), root_position(schema(format), c->pose(t, a)).x, cur.data());
          for (int k = 0; k < d; ++k) dsq[k] += double(cur[k] - prev[k]) * (cur[k] - prev[k]);
          m += 1;
        }
    if (m < 1) throw Error("motion space: need consecutive present frames to fit delta statistics");
    out.delta_output = true;
    // Coordinates that never change (the root's x when root-relative) get a floor tied to the others,
    // so that dividing errors by delta_std cannot blow the loss up.
    std::vector<double> raw(d);
    for (int k = 0; k < d; ++k) raw[k] = std::sqrt(dsq[k] / m);
    std::vector<double> sorted = raw;
    std::nth_element(sorted.begin(), sorted.begin() + d / 2, sorted.end());
    const double floor = std::max(1e-3, 0.1 * sorted[d / 2]);
    for (int k = 0; k < d; ++k) out.delta_std.push_back(static_cast<float>(std::max(floor, raw[k])));
  }
  return out;
}

}  // namespace stickgen
