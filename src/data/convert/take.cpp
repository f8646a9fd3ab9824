// The pipeline every converter shares: a 3-D take (v3 joints, +y up) -> projection onto a vertical plane
// -> height normalisation -> 25 fps by time -> constant bone lengths -> feet on the ground -> windows.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "stickgen/convert.hpp"

namespace stickgen::convert {
namespace {

std::string fixed(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// thigh + shin + lower torso + upper torso + 2 x head, from one set of bone lengths.
double height_from(double thigh, double shin, double lower, double upper, double head) {
  return thigh + shin + lower + upper + 2.0 * head;
}

// The same measure on our rest pose: the height a converted figure is scaled to.
double target_height() {
  const auto j = rest_pose_joints(SkeletonFormat::v3);
  auto d = [&](int a, int b) { return static_cast<double>((j[a] - j[b]).norm()); };
  const double thigh = 0.5 * (d(v3::l_hip, v3::l_knee) + d(v3::r_hip, v3::r_knee));
  const double shin = 0.5 * (d(v3::l_knee, v3::l_ankle) + d(v3::r_knee, v3::r_ankle));
  return height_from(thigh, shin, d(v3::chest, v3::pelvis_center), d(v3::neck, v3::chest), d(v3::head_center, v3::neck));
}

// The length unit whose reading of `height` is closest to a typical adult (this measure omits the feet
// and the crown: ~1.55 m for a 1.75 m person); "unknown" when none is within a factor of 1.45.
std::pair<std::string, double> guess_unit(double height, const std::string& rig) {
  struct Unit {
    const char* name;
    double metres;
  };
  static constexpr Unit kUnits[] = {{"m", 1.0},   {"cm", 0.01},  {"mm", 0.001},
                                    {"in", 0.0254}, {"dm", 0.1}, {"cmu-asf (1/0.45 in)", 0.0254 / 0.45}};
  std::pair<std::string, double> best{"unknown", 0.0};
  double best_err = std::log(1.45);
  for (const Unit& u : kUnits) {
    if (std::string_view(u.name).rfind("cmu", 0) == 0 && rig != "cmu") continue;
    const double err = std::fabs(std::log(height * u.metres / 1.55));
    if (err < best_err) best_err = err, best = {u.name, u.metres};
  }
  return best;
}

Vec3 horizontal(Vec3 v) { return {v.x, 0.0, v.z}; }

// v1 segments' lengths per actor over the whole take: the torso's median; each limb's 90th percentile,
// its (nearly) straight length, so a standing figure keeps its feet on the ground.
std::vector<std::array<float, v1::kSegmentCount>> median_v1_lengths(const Clip& c) {
  std::vector<std::array<float, v1::kSegmentCount>> out(c.actors);
  for (int a = 0; a < c.actors; ++a)
    for (int i = 0; i < v1::kSegmentCount; ++i) {
      std::vector<double> len;
      for (int t = 0; t < c.frames; ++t)
        if (c.present(t, a)) {
          const float* p = c.pose(t, a);
          len.push_back(std::hypot(p[4 * i + 2] - p[4 * i], p[4 * i + 3] - p[4 * i + 1]));
        }
      if (len.empty()) continue;
      if (i == v1::torso) {
        out[a][i] = static_cast<float>(median(len));
      } else {
        const size_t k = std::min(len.size() - 1, len.size() * 9 / 10);
        std::nth_element(len.begin(), len.begin() + static_cast<std::ptrdiff_t>(k), len.end());
        out[a][i] = static_cast<float>(len[k]);
      }
    }
  return out;
}

// A v1 figure is five straight segments of fixed length (the validator holds all five to +-15 %): each
// keeps its direction from the hip or neck and takes its length for the take, the torso first.
void fix_v1_lengths(Clip& c, const std::vector<std::array<float, v1::kSegmentCount>>& lengths) {
  const auto& s = c.skeleton();
  std::array<Vec2, v1::kJointCount> j;
  for (int t = 0; t < c.frames; ++t)
    for (int a = 0; a < c.actors; ++a) {
      if (!c.present(t, a)) continue;
      segments_to_joints(s, c.pose(t, a), j.data());
      const std::array<Vec2, v1::kJointCount> original = j;
      auto place = [&](int from, int to, int seg) {
        Vec2 d = original[to] - original[from];
        const float n = d.norm();
        d = n > 1e-6f ? d * (1.f / n) : Vec2{0.f, to == v1::neck ? 1.f : -1.f};
        j[to] = j[from] + d * lengths[a][seg];
      };
      place(v1::hip, v1::neck, v1::torso);
      place(v1::hip, v1::l_foot, v1::l_leg);
      place(v1::hip, v1::r_foot, v1::r_leg);
      place(v1::neck, v1::l_hand, v1::l_arm);
      place(v1::neck, v1::r_hand, v1::r_arm);
      joints_to_segments(s, j.data(), c.pose(t, a));
    }
}

Vec3 normalized(Vec3 v, Vec3 fallback) {
  const double n = v.norm();
  return n > 1e-9 ? v * (1.0 / n) : fallback;
}

}  // namespace

void make_y_up(Take& take, std::string_view up) {
  bool negative = false;
  if (!up.empty() && (up[0] == '-' || up[0] == '+')) negative = up[0] == '-', up.remove_prefix(1);
  if (up.size() != 1 || (up[0] != 'x' && up[0] != 'y' && up[0] != 'z'))
    throw Error("up axis: expected x, y or z (optionally signed), got '" + std::string(up) + "'");
  const char axis = up[0];
  for (Vec3& p : take.joints) {
    Vec3 q = p;
    if (axis == 'y') q = negative ? Vec3{p.x, -p.y, -p.z} : p;                  // 180 degrees about x
    else if (axis == 'z') q = negative ? Vec3{p.x, -p.z, p.y} : Vec3{p.x, p.z, -p.y};  // -90 / +90 about x
    else q = negative ? Vec3{p.y, -p.x, p.z} : Vec3{-p.y, p.x, p.z};           // about z
    p = q;
  }
}

double standing_height(const Take& take, int a) {
  std::vector<double> thigh, shin, lower, upper, head;
  for (int t = 0; t < take.frames; ++t) {
    if (!take.present[static_cast<size_t>(t) * take.actors + a]) continue;
    auto d = [&](int i, int j) { return (take.at(t, a, i) - take.at(t, a, j)).norm(); };
    const Vec3 pelvis = (take.at(t, a, v3::l_hip) + take.at(t, a, v3::r_hip)) * 0.5;
    thigh.push_back(0.5 * (d(v3::l_hip, v3::l_knee) + d(v3::r_hip, v3::r_knee)));
    shin.push_back(0.5 * (d(v3::l_knee, v3::l_ankle) + d(v3::r_knee, v3::r_ankle)));
    lower.push_back((take.at(t, a, v3::chest) - pelvis).norm());
    upper.push_back(d(v3::neck, v3::chest));
    head.push_back(d(v3::head_center, v3::neck));
  }
  if (thigh.empty()) return 0.0;
  return height_from(median(thigh), median(shin), median(lower), median(upper), median(head));
}

std::vector<ConvertedClip> take_to_clips(const Take& input, const ConvertOptions& opts) {
  const std::string what = input.id.empty() ? std::string("take") : input.id;
  if (input.frames < 1) throw Error(what + ": no frames");
  if (input.actors < 1) throw Error(what + ": no actors");
  if (!(input.fps >= 1.f) || !std::isfinite(input.fps) || input.fps > 10000.f)
    throw Error(what + ": frame rate " + std::to_string(input.fps) + " is not in [1, 10000]");
  const size_t slots = static_cast<size_t>(input.frames) * input.actors;
  if (input.joints.size() != slots * v3::kJointCount || input.present.size() != slots)
    throw Error(what + ": joint array does not match frames x actors");
  if (std::find(input.present.begin(), input.present.end(), 1) == input.present.end())
    throw Error(what + ": no actor is present in any frame");
  for (const Vec3& p : input.joints)
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) throw Error(what + ": a joint position is not finite");

  Take take = input;
  const int T = take.frames, A = take.actors;
  auto present = [&](int t, int a) { return take.present[static_cast<size_t>(t) * A + a] != 0; };
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < A; ++a) take.at(t, a, v3::pelvis_center) = (take.at(t, a, v3::l_hip) + take.at(t, a, v3::r_hip)) * 0.5;

  // ---- scale: one factor for the scene, from the actors' standing heights
  double height_sum = 0.0;
  int measured = 0;
  for (int a = 0; a < A; ++a)
    if (const double h = standing_height(take, a); h > 0.0) height_sum += h, ++measured;
  const double height = measured ? height_sum / measured : 0.0;
  if (!(height > 1e-6) || !std::isfinite(height)) throw Error(what + ": the skeleton has no size (all bones have zero length)");
  const double scale = target_height() / height;
  const auto [unit, metres] = guess_unit(height, input.metadata.count("bvh_rig") ? input.metadata.at("bvh_rig") : "");

  // ---- projection: a fixed camera for the whole take, from the best-tracked actor's first pose
  int ref = 0, best_count = -1;
  for (int a = 0; a < A; ++a) {
    int n = 0;
    for (int t = 0; t < T; ++t) n += present(t, a);
    if (n > best_count) best_count = n, ref = a;
  }
  int first = 0;
  while (!present(first, ref)) ++first;
  const Vec3 up{0, 1, 0};
  Vec3 right = horizontal(take.at(first, ref, v3::r_hip) - take.at(first, ref, v3::l_hip));
  if (right.norm() < 1e-9) right = horizontal(take.at(first, ref, v3::r_shoulder) - take.at(first, ref, v3::l_shoulder));
  right = normalized(right, {1, 0, 0});
  const Vec3 forward = normalized(up.cross(right), {0, 0, 1});  // right-handed: up x right = forward
  Vec3 axis;
  std::string view_text;
  if (opts.view == ProjectionView::side) {
    axis = forward, view_text = "side";
  } else if (opts.view == ProjectionView::front) {
    axis = right, view_text = "front";
  } else {
    // Horizontal covariance of every joint's trajectory about its mean (the body's static shape drops out).
    // The mean is over all actors, so where several people stand apart their layout counts as well.
    double sxx = 0, sxz = 0, szz = 0;
    for (int j = 0; j < v3::kJointCount; ++j) {
      double mx = 0, mz = 0;
      int n = 0;
      for (int a = 0; a < A; ++a)
        for (int t = 0; t < T; ++t)
          if (present(t, a)) mx += take.at(t, a, j).x, mz += take.at(t, a, j).z, ++n;
      if (n < 2) continue;
      mx /= n, mz /= n;
      for (int a = 0; a < A; ++a)
        for (int t = 0; t < T; ++t) {
          if (!present(t, a)) continue;
          const double dx = take.at(t, a, j).x - mx, dz = take.at(t, a, j).z - mz;
          sxx += dx * dx, sxz += dx * dz, szz += dz * dz;
        }
    }
    const double tr = sxx + szz, det = sxx * szz - sxz * sxz;
    const double disc = std::sqrt(std::max(0.0, tr * tr / 4 - det));
    const double l1 = tr / 2 + disc, l2 = tr / 2 - disc;
    if (!(l1 > 1e-12) || l1 <= 1.1 * l2) {
      axis = forward, view_text = "auto: side (no dominant direction)";
    } else {
      Vec3 e = std::fabs(sxz) > 1e-12 ? Vec3{l1 - szz, 0, sxz} : (sxx >= szz ? Vec3{1, 0, 0} : Vec3{0, 0, 1});
      e = normalized(e, forward);
      if (std::fabs(e.dot(forward)) >= std::fabs(e.dot(right))) {
        if (e.dot(forward) < 0) e = e * -1.0;
      } else if (e.dot(right) < 0) {
        e = e * -1.0;
      }
      axis = e;
      const double deg = std::acos(std::clamp(e.dot(forward), -1.0, 1.0)) * 180.0 / 3.14159265358979;
      view_text = "auto: " + fixed(deg, 0) + " deg from side";
    }
  }

  // ---- 2-D clip at the source rate
  Clip clip = Clip::make(SkeletonFormat::v3, T, A, input.fps);
  const auto& s3 = schema(SkeletonFormat::v3);
  std::array<Vec2, v3::kJointCount> j2;
  for (int a = 0; a < A; ++a) {
    int last = -1;
    for (int t = 0; t < T; ++t) {
      clip.actor_mask[clip.slot(t, a)] = present(t, a);
      if (!present(t, a)) continue;
      for (int j = 0; j < v3::kJointCount; ++j) {
        const Vec3 p = take.at(t, a, j);
        j2[j] = {static_cast<float>(p.dot(axis) * scale), static_cast<float>(p.y * scale)};
      }
      joints_to_segments(s3, j2.data(), clip.pose(t, a));
      // absent frames hold the nearest earlier pose (the first present one before it appears)
      for (int u = last + 1; u < t; ++u) std::copy_n(clip.pose(t, a), s3.dims, clip.pose(u, a));
      last = t;
    }
    for (int u = last + 1; u < T && last >= 0; ++u) std::copy_n(clip.pose(last, a), s3.dims, clip.pose(u, a));
  }
  compute_physics(clip);
  if (std::fabs(clip.fps - kDefaultFps) > 1e-4f) clip = resample(clip, kDefaultFps);
  reconcile(clip);  // the projection foreshortens limbs; each bone keeps its direction at its median length

  // ---- ground: the lowest ankle of the first frame at y = 0
  int t0 = 0;
  while (t0 < clip.frames && std::none_of(clip.actor_mask.begin() + static_cast<long>(clip.slot(t0, 0)),
                                          clip.actor_mask.begin() + static_cast<long>(clip.slot(t0, 0)) + A,
                                          [](uint8_t m) { return m != 0; }))
    ++t0;
  float ground = std::numeric_limits<float>::infinity();
  std::array<Vec2, v3::kJointCount> j3;
  for (int a = 0; a < A && t0 < clip.frames; ++a) {
    if (!clip.present(t0, a)) continue;
    segments_to_joints(s3, clip.pose(t0, a), j3.data());
    ground = std::min({ground, j3[v3::l_ankle].y, j3[v3::r_ankle].y});
  }
  if (!std::isfinite(ground)) ground = 0.f;
  for (size_t k = 0; k < clip.motion.size(); k += 2) clip.motion[k + 1] -= ground;

  // ---- windows
  const int W = opts.window_seconds > 0.f ? static_cast<int>(std::lround(opts.window_seconds * kDefaultFps)) : 0;
  const int step = std::max(1, static_cast<int>(std::lround((opts.window_seconds - std::max(0.f, opts.overlap_seconds)) * kDefaultFps)));
  const int min_frames = std::max(2, static_cast<int>(std::lround(opts.min_window_seconds * kDefaultFps)));
  std::vector<std::pair<int, int>> windows;
  if (W <= 0 || clip.frames <= W) {
    windows.push_back({0, clip.frames});
  } else {
    for (int start = 0; start < clip.frames; start += step) {
      const int end = std::min(start + W, clip.frames);
      if (end - start >= min_frames || start == 0) windows.push_back({start, end});
      if (end == clip.frames) break;
    }
  }

  std::vector<std::array<float, v1::kSegmentCount>> v1_lengths;
  if (opts.format == SkeletonFormat::v1) v1_lengths = median_v1_lengths(to_v1(clip));

  std::vector<ConvertedClip> out;
  for (size_t w = 0; w < windows.size(); ++w) {
    auto [begin, end] = windows[w];
    Clip c = slice_frames(clip, begin, end);
    // x = 0 where the reference actor's root starts in this window (the trajectory is kept, not re-centred)
    int f = 0;
    while (f < c.frames && !c.present(f, ref)) ++f;
    const float x0 = f < c.frames ? root_position(s3, c.pose(f, ref)).x : 0.f;
    for (size_t k = 0; k < c.motion.size(); k += 2) c.motion[k] -= x0;
    for (size_t k = 0; k < c.actions.size(); ++k) c.actions[k] = c.actor_mask[k] ? static_cast<int16_t>(input.action) : kNoAction;
    if (opts.format == SkeletonFormat::v1) {
      c = to_v1(c);
      fix_v1_lengths(c, v1_lengths);
    }
    compute_physics(c);
    c.id = windows.size() > 1 ? input.id + "_w" + (w < 10 ? "0" : "") + std::to_string(w) : input.id;
    c.description = input.description;
    c.source = input.source;
    c.metadata = input.metadata;
    c.metadata["take_seconds"] = fixed(clip.duration(), 2);
    c.metadata["window"] = std::to_string(w) + "/" + std::to_string(windows.size());
    c.metadata["window_start_s"] = fixed(begin / kDefaultFps, 2);
    c.metadata["source_fps"] = fixed(input.fps, 3);
    c.metadata["view"] = view_text;
    c.metadata["source_height"] = fixed(height, 4);
    c.metadata["unit"] = unit;
    if (metres > 0) c.metadata["metres_per_unit"] = fixed(metres, 5);
    c.metadata["scale"] = fixed(scale, 6);
    ConvertedClip cc;
    cc.validation = validate(c);
    cc.record.id = c.id;
    cc.record.description = c.description;
    cc.record.source = c.source;
    cc.record.base_id = input.base_id.empty() ? input.id : input.base_id;
    cc.clip = std::move(c);
    out.push_back(std::move(cc));
  }
  return out;
}

}  // namespace stickgen::convert
