// Metric primitives of include/stickgen/eval.hpp: feature statistics, Fréchet distance with a real
// matrix square root, diversity/multimodality, and the motion measures (docs/EVALUATION.md).
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "stickgen/common.hpp"
#include "stickgen/eval.hpp"

namespace stickgen::eval {
namespace {
using MatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double distance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(s);
}

float median(std::vector<float> v) {
  if (v.empty()) return 0.f;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}
}  // namespace

// ---------------------------------------------------------------- feature statistics

FeatureStats feature_stats(const std::vector<std::vector<float>>& features, const std::vector<double>& weights) {
  FeatureStats s;
  if (features.empty()) return s;
  if (!weights.empty() && weights.size() != features.size()) throw Error("feature_stats: one weight per vector expected");
  const int d = static_cast<int>(features[0].size());
  for (const auto& f : features)
    if (static_cast<int>(f.size()) != d) throw Error("feature_stats: vectors of different sizes");
  const size_t n = features.size();
  std::vector<double> w(n, 1.0 / n);
  if (!weights.empty()) {
    double total = 0;
    for (double x : weights) total += x;
    if (!(total > 0)) throw Error("feature_stats: weights must sum to a positive number");
    for (size_t i = 0; i < n; ++i) w[i] = weights[i] / total;
  }
  s.dim = d;
  s.count = static_cast<double>(n);
  s.mean.assign(d, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < d; ++k) s.mean[k] += w[i] * features[i][k];
  MatrixXd cov = MatrixXd::Zero(d, d);
  Eigen::VectorXd x(d);
  double w2 = 0;
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) x[k] = features[i][k] - s.mean[k];
    cov.noalias() += w[i] * x * x.transpose();
    w2 += w[i] * w[i];
  }
  if (n > 1 && w2 < 1.0) cov /= (1.0 - w2);  // reliability-weights correction (n / (n - 1) when equal)
  s.cov.assign(cov.data(), cov.data() + static_cast<size_t>(d) * d);
  return s;
}

FeatureStats balanced_feature_stats(const std::vector<std::vector<float>>& features, const std::vector<int>& labels) {
  if (labels.size() != features.size()) throw Error("balanced_feature_stats: one label per vector expected");
  std::map<int, double> counts;
  for (int l : labels) counts[l] += 1;
  std::vector<double> w(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) w[i] = 1.0 / counts[labels[i]];
  return feature_stats(features, w);
}

std::vector<double> sqrt_psd(const std::vector<double>& m, int d) {
  if (static_cast<int64_t>(m.size()) != static_cast<int64_t>(d) * d) throw Error("sqrt_psd: matrix is not d x d");
  Eigen::Map<const MatrixXd> a(m.data(), d, d);
  const MatrixXd sym = 0.5 * (a + a.transpose());
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(sym);
  if (es.info() != Eigen::Success) throw Error("sqrt_psd: eigendecomposition did not converge");
  const Eigen::VectorXd root = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  const MatrixXd r = es.eigenvectors() * root.asDiagonal() * es.eigenvectors().transpose();
  return std::vector<double>(r.data(), r.data() + static_cast<size_t>(d) * d);
}

double frechet_distance(const FeatureStats& a, const FeatureStats& b) {
  if (a.dim != b.dim || a.dim == 0) throw Error("frechet_distance: feature sets of different (or zero) dimension");
  const int d = a.dim;
  double mean_term = 0;
  for (int k = 0; k < d; ++k) mean_term += (a.mean[k] - b.mean[k]) * (a.mean[k] - b.mean[k]);
  Eigen::Map<const MatrixXd> s1(a.cov.data(), d, d), s2(b.cov.data(), d, d);
  // tr((S1 S2)^1/2) = tr((S1^1/2 S2 S1^1/2)^1/2): the inner matrix is symmetric PSD, so both roots
  // come from symmetric eigendecompositions (no complex parts, no iteration).
  const std::vector<double> r1 = sqrt_psd(a.cov, d);
  Eigen::Map<const MatrixXd> root1(r1.data(), d, d);
  const MatrixXd inner = root1 * s2 * root1;
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(0.5 * (inner + inner.transpose()), Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw Error("frechet_distance: eigendecomposition did not converge");
  const double cross = es.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return std::max(0.0, mean_term + s1.trace() + s2.trace() - 2.0 * cross);
}

double diversity(const std::vector<std::vector<float>>& features, int pairs, uint64_t seed) {
  if (features.size() < 2 || pairs < 1) return 0;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, features.size() - 1);
  double sum = 0;
  for (int p = 0; p < pairs; ++p) {
    size_t i = pick(rng), j = pick(rng);
    while (j == i) j = pick(rng);
    sum += distance(features[i], features[j]);
  }
  return sum / pairs;
}

double multimodality(const std::vector<std::vector<float>>& features, const std::vector<int>& labels, int pairs,
                     uint64_t seed) {
  std::map<int, std::vector<size_t>> by_label;
  for (size_t i = 0; i < labels.size(); ++i) by_label[labels[i]].push_back(i);
  double sum = 0;
  int groups = 0;
  for (const auto& [label, idx] : by_label) {
    if (idx.size() < 2) continue;
    std::vector<std::vector<float>> group;
    for (size_t i : idx) group.push_back(features[i]);
    sum += diversity(group, pairs, seed * 1000003ull + static_cast<uint64_t>(label));
    ++groups;
  }
  return groups ? sum / groups : 0;
}

// ---------------------------------------------------------------- motion measures

void MotionMeasures::add(const MotionMeasures& o) {
  frames += o.frames, frozen += o.frozen, accel_energy += o.accel_energy, accel_flip_energy += o.accel_flip_energy;
  jerk += o.jerk, jerk_count += o.jerk_count, contact += o.contact, contact_slip += o.contact_slip;
  ground += o.ground, ground_count += o.ground_count, penetration += o.penetration;
  bone_drift += o.bone_drift, bone_count += o.bone_count, connectivity += o.connectivity;
}

float median_body_height(const Clip& clip, int actor, int begin, int end) {
  const SkeletonSchema& s = clip.skeleton();
  std::vector<Vec2> joints(s.joint_count());
  std::vector<float> h;
  for (int t = begin; t < end; ++t) {
    segments_to_joints(s, clip.pose(t, actor), joints.data());
    h.push_back(body_height(s, joints.data()));
  }
  const float m = median(h);
  return m > 1e-6f ? m : 1.f;
}

std::vector<float> median_segment_lengths(const Clip& clip, int actor, int begin, int end) {
  const SkeletonSchema& s = clip.skeleton();
  std::vector<float> out;
  for (int g = 0; g < s.segment_count(); ++g) {
    std::vector<float> len;
    for (int t = begin; t < end; ++t) {
      const float* p = clip.pose(t, actor) + 4 * g;
      len.push_back(std::hypot(p[2] - p[0], p[3] - p[1]));
    }
    out.push_back(median(len));
  }
  return out;
}

MotionMeasures measure_track(const Clip& c, int actor, int begin, int end) {
  MotionMeasures m;
  if (end - begin < 2) return m;
  const SkeletonSchema& s = c.skeleton();
  const int J = s.joint_count();
  const int n = end - begin;
  const double fps = c.fps;
  const double H = median_body_height(c, actor, begin, end);
  std::vector<Vec2> joints(static_cast<size_t>(n) * J);
  for (int i = 0; i < n; ++i) segments_to_joints(s, c.pose(begin + i, actor), &joints[static_cast<size_t>(i) * J]);
  auto p = [&](int i, int j) -> const Vec2& { return joints[static_cast<size_t>(i) * J + j]; };
  // Feet: v1 l_foot/r_foot, v3 ankles.
  const int feet[2] = {c.format == SkeletonFormat::v1 ? static_cast<int>(v1::l_foot) : static_cast<int>(v3::l_ankle),
                       c.format == SkeletonFormat::v1 ? static_cast<int>(v1::r_foot) : static_cast<int>(v3::r_ankle)};
  for (int i = 0; i < n; ++i) {
    float lowest = 1e30f;
    for (int j = 0; j < J; ++j) lowest = std::min(lowest, p(i, j).y);
    m.ground += std::fabs(lowest) / H;
    m.penetration += std::max(0.f, -lowest) / H;
    m.ground_count += 1;
  }
  for (int i = 1; i < n; ++i) {
    double fastest = 0;
    for (int j = 0; j < J; ++j) fastest = std::max(fastest, static_cast<double>((p(i, j) - p(i - 1, j)).norm()));
    m.frames += 1;
    if (fastest * fps / H < kFrozenSpeed) m.frozen += 1;
    for (int foot : feet) {
      if (p(i, foot).y <= kContactHeight * H && p(i - 1, foot).y <= kContactHeight * H) {
        m.contact += 1;
        m.contact_slip += std::fabs(p(i, foot).x - p(i - 1, foot).x) * fps / H;
      }
    }
  }
  // Accelerations in body heights / s^2; below kAccelFloor they are rounding, not motion.
  const double floor2 = std::pow(kAccelFloor * H / (fps * fps), 2);
  for (int i = 1; i + 1 < n; ++i)
    for (int j = 0; j < J; ++j) {
      const Vec2 a = p(i + 1, j) - p(i, j) * 2.f + p(i - 1, j);
      const double e = static_cast<double>(a.x) * a.x + static_cast<double>(a.y) * a.y;
      if (e < floor2) continue;
      const double scale = fps * fps / H;
      m.accel_energy += e * scale * scale;
      if (i >= 2) {
        const Vec2 prev = p(i, j) - p(i - 1, j) * 2.f + p(i - 2, j);
        if (a.x * prev.x + a.y * prev.y < 0.f) m.accel_flip_energy += e * scale * scale;
      }
    }
  for (int i = 1; i + 2 < n; ++i)
    for (int j = 0; j < J; ++j) {
      const Vec2 k = p(i + 2, j) - p(i + 1, j) * 3.f + p(i, j) * 3.f - p(i - 1, j);
      m.jerk += k.norm() * fps * fps * fps / H;
      m.jerk_count += 1;
    }
  const std::vector<float> ref = median_segment_lengths(c, actor, begin, end);
  for (int g = 0; g < s.segment_count(); ++g) {
    if (!s.rigid[g] || ref[g] <= 1e-6f) continue;
    for (int t = begin; t < end; ++t) {
      const float* q = c.pose(t, actor) + 4 * g;
      m.bone_drift += std::fabs(std::hypot(q[2] - q[0], q[3] - q[1]) / ref[g] - 1.0);
      m.bone_count += 1;
    }
  }
  return m;
}

MotionMeasures measure_raw_poses(SkeletonFormat format, const std::vector<float>& poses, int frames,
                                 const std::vector<float>& ref, float body_height_units) {
  MotionMeasures m;
  const SkeletonSchema& s = schema(format);
  const int D = s.dims;
  if (static_cast<int64_t>(poses.size()) < static_cast<int64_t>(frames) * D) throw Error("measure_raw_poses: too few values");
  if (static_cast<int>(ref.size()) != s.segment_count()) throw Error("measure_raw_poses: one reference length per segment expected");
  const double H = body_height_units > 1e-6f ? body_height_units : 1.0;
  for (int t = 0; t < frames; ++t) {
    const float* q = &poses[static_cast<size_t>(t) * D];
    float lowest = 1e30f;
    for (int k = 1; k < D; k += 2) lowest = std::min(lowest, q[k]);
    m.ground += std::fabs(lowest) / H;
    m.penetration += std::max(0.f, -lowest) / H;
    m.connectivity += connectivity_error(s, q) / H;
    m.ground_count += 1;
    for (int g = 0; g < s.segment_count(); ++g) {
      if (!s.rigid[g] || ref[g] <= 1e-6f) continue;
      const float* e = q + 4 * g;
      m.bone_drift += std::fabs(std::hypot(e[2] - e[0], e[3] - e[1]) / ref[g] - 1.0);
      m.bone_count += 1;
    }
  }
  return m;
}

}  // namespace stickgen::eval
