// Converters: BVH parser + FK + joint maps, the real CMU clips (assimp-testmodels), NTU .skeleton, HumanML3D,
// InterHuman, AMASS joints (npy/npz, stored and deflated), the NPY reader and inflate, the CLI and
// load_motion_any. Every non-BVH format gets a fixture written here in its real on-disk layout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <set>

#include "stickgen/actions.hpp"
#include "stickgen/convert.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/render.hpp"
#include "test_util.hpp"

using namespace stickgen;
using namespace stickgen::convert;
namespace fs = std::filesystem;

namespace {

const fs::path kCmuDir = "/usr/share/assimp/models/BVH";

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// ---------------------------------------------------------------- fixtures: a walking SMPL-22 body

// SMPL joint rest positions (metres, y up, facing +z, the body's left at +x).
const float kSmplRest[22][3] = {
    {0, 0.93f, 0},      {0.09f, 0.85f, 0},  {-0.09f, 0.85f, 0}, {0, 1.05f, 0},      {0.10f, 0.47f, 0.01f},
    {-0.10f, 0.47f, 0.01f}, {0, 1.18f, 0},  {0.10f, 0.08f, -0.02f}, {-0.10f, 0.08f, -0.02f}, {0, 1.24f, 0},
    {0.12f, 0.02f, 0.12f}, {-0.12f, 0.02f, 0.12f}, {0, 1.45f, 0}, {0.08f, 1.38f, 0}, {-0.08f, 1.38f, 0},
    {0, 1.62f, 0.02f},  {0.18f, 1.40f, 0},  {-0.18f, 1.40f, 0}, {0.22f, 1.12f, -0.02f}, {-0.22f, 1.12f, -0.02f},
    {0.24f, 0.86f, 0.03f}, {-0.24f, 0.86f, 0.03f}};

// [T, 22, 3]: walking along +z at `speed` m/s, legs and arms swinging rigidly in the sagittal plane.
// `up` 'z' writes a Z-up world ((x, y, z) -> (x, -z, y)).
std::vector<float> smpl_walk(int frames, float fps, float speed, char up = 'y', float x_offset = 0.f) {
  std::vector<float> out(static_cast<size_t>(frames) * 22 * 3);
  const int left_leg[] = {4, 7, 10}, right_leg[] = {5, 8, 11}, left_arm[] = {18, 20}, right_arm[] = {19, 21};
  for (int t = 0; t < frames; ++t) {
    const float time = t / fps, phase = 0.45f * std::sin(2.f * 3.14159265f * 0.9f * time);
    float p[22][3];
    std::memcpy(p, kSmplRest, sizeof p);
    auto swing = [&](const int* chain, int n, int pivot, float angle) {  // about the x axis through the pivot
      for (int k = 0; k < n; ++k) {
        const int j = chain[k];
        const float dy = p[j][1] - kSmplRest[pivot][1], dz = p[j][2] - kSmplRest[pivot][2];
        p[j][1] = kSmplRest[pivot][1] + dy * std::cos(angle) - dz * std::sin(angle);
        p[j][2] = kSmplRest[pivot][2] + dy * std::sin(angle) + dz * std::cos(angle);
      }
    };
    swing(left_leg, 3, 1, phase);
    swing(right_leg, 3, 2, -phase);
    swing(left_arm, 2, 16, -0.6f * phase);
    swing(right_arm, 2, 17, 0.6f * phase);
    for (int j = 0; j < 22; ++j) {
      const float x = p[j][0] + x_offset, y = p[j][1], z = p[j][2] + speed * time;
      float* o = &out[(static_cast<size_t>(t) * 22 + j) * 3];
      if (up == 'z') o[0] = x, o[1] = -z, o[2] = y;
      else o[0] = x, o[1] = y, o[2] = z;
    }
  }
  return out;
}

// A .npy file: format 1.0 (or 2.0), little-endian float32 (or float64) in C order.
std::string npy_bytes(const std::vector<float>& data, const std::vector<int64_t>& shape, bool f8 = false, int version = 1) {
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) shape_text += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  if (shape.size() > 1) shape_text.resize(shape_text.size());
  shape_text += ")";
  std::string header = "{'descr': '" + std::string(f8 ? "<f8" : "<f4") + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  const size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  const uint32_t len = static_cast<uint32_t>(header.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (version != 1) out += static_cast<char>((len >> 16) & 0xff), out += static_cast<char>(len >> 24);
  out += header;
  for (float v : data) {
    if (f8) {
      const double d = v;
      out.append(reinterpret_cast<const char*>(&d), 8);
    } else {
      out.append(reinterpret_cast<const char*>(&v), 4);
    }
  }
  return out;
}

// A zip archive with stored entries (what np.savez writes).
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, central;
  auto le16 = [](std::string& s, uint32_t v) { s += static_cast<char>(v & 0xff), s += static_cast<char>((v >> 8) & 0xff); };
  auto le32 = [&](std::string& s, uint32_t v) { le16(s, v & 0xffff), le16(s, v >> 16); };
  for (const auto& [name, data] : files) {
    const uint32_t offset = static_cast<uint32_t>(out.size()), crc = crc32(data);
    le32(out, 0x04034b50), le16(out, 20), le16(out, 0), le16(out, 0), le16(out, 0), le16(out, 0);
    le32(out, crc), le32(out, static_cast<uint32_t>(data.size())), le32(out, static_cast<uint32_t>(data.size()));
    le16(out, static_cast<uint32_t>(name.size())), le16(out, 0);
    out += name + data;
    le32(central, 0x02014b50), le16(central, 20), le16(central, 20), le16(central, 0), le16(central, 0);
    le16(central, 0), le16(central, 0), le32(central, crc), le32(central, static_cast<uint32_t>(data.size()));
    le32(central, static_cast<uint32_t>(data.size())), le16(central, static_cast<uint32_t>(name.size()));
    le16(central, 0), le16(central, 0), le16(central, 0), le16(central, 0), le32(central, 0), le32(central, offset);
    central += name;
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  le32(out, 0x06054b50), le16(out, 0), le16(out, 0), le16(out, static_cast<uint32_t>(files.size()));
  le16(out, static_cast<uint32_t>(files.size())), le32(out, static_cast<uint32_t>(central.size())), le32(out, cd_offset), le16(out, 0);
  return out;
}

// NTU Kinect v2 joints from SMPL positions, in camera space: the person ~3 m in front of the camera, facing it.
void write_ntu(const fs::path& path, int frames, bool second_body, const std::vector<int>& second_missing = {}) {
  const auto a = smpl_walk(frames, 30.f, 0.f, 'y', 0.f);
  const auto b = smpl_walk(frames, 30.f, 0.f, 'y', 0.f);
  const int from_smpl[25] = {0, 6, 12, 15, 16, 18, 20, 20, 17, 19, 21, 21, 1, 4, 7, 10, 2, 5, 8, 11, 9, 20, 20, 21, 21};
  std::string s = std::to_string(frames) + "\r\n";
  for (int t = 0; t < frames; ++t) {
    const bool two = second_body && std::find(second_missing.begin(), second_missing.end(), t) == second_missing.end();
    s += std::to_string(two ? 2 : 1) + "\r\n";
    for (int body = 0; body < (two ? 2 : 1); ++body) {
      const auto& src = body == 0 ? a : b;
      s += std::to_string(72057594037931101ull + body) + " 0 1 1 1 1 0 0.01 -0.02 2\r\n25\r\n";
      for (int j = 0; j < 25; ++j) {
        const float* p = &src[(static_cast<size_t>(t) * 22 + from_smpl[j]) * 3];
        // facing the camera: rotate 180 degrees about y, then place at z = 3 m, camera 0.8 m above the pelvis
        const float x = -p[0] + (body == 0 ? -0.5f : 0.5f), y = p[1] - 0.8f, z = -p[2] + 3.f;
        char line[256];
        std::snprintf(line, sizeof line, "%.5f %.5f %.5f 250.1 180.2 900.3 500.4 0.1 0.2 0.3 0.9 2\r\n", x, y, z);
        s += line;
      }
    }
  }
  write_text(path, s);
}

struct Pose {
  std::vector<Vec2> j;
};
Pose joints_at(const Clip& c, int t, int a = 0) {
  Pose p;
  p.j.resize(c.skeleton().joint_count());
  segments_to_joints(c.skeleton(), c.pose(t, a), p.j.data());
  return p;
}

// Largest deviation of any rigid segment from its clip mean, per actor.
double max_rigid_drift(const Clip& c) {
  const auto& s = c.skeleton();
  double worst = 0;
  for (int a = 0; a < c.actors; ++a)
    for (int i = 0; i < s.segment_count(); ++i) {
      if (!s.rigid[i]) continue;
      double sum = 0;
      int n = 0;
      std::vector<double> len;
      for (int t = 0; t < c.frames; ++t) {
        if (!c.present(t, a)) continue;
        const float* p = c.pose(t, a);
        len.push_back(std::hypot(p[4 * i + 2] - p[4 * i], p[4 * i + 3] - p[4 * i + 1]));
        sum += len.back(), ++n;
      }
      for (double l : len) worst = std::max(worst, std::fabs(l / (sum / n) - 1.0));
    }
  return worst;
}

ConvertOptions whole_takes() {
  ConvertOptions o;
  o.window_seconds = 0.f;
  return o;
}

const char* kTinyBvh =
    "HIERARCHY\n"
    "ROOT Hips\n"
    "{\n"
    "  OFFSET 0 0 0\n"
    "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
    "  JOINT Arm\n"
    "  {\n"
    "    OFFSET 1 0 0\n"
    "    CHANNELS 3 Xrotation Zrotation Yrotation\n"
    "    End Site\n"
    "    {\n"
    "      OFFSET 0 2 0\n"
    "    }\n"
    "  }\n"
    "}\n"
    "MOTION\n"
    "Frames: 2\n"
    "Frame Time: 0.04\n"
    "0 0 0 0 0 0 0 0 0\n"
    "5 6 7 90 0 0 90 90 0\n";

// A generic rig with any names and a given up axis, for mapping tests: 2 s standing with swaying arms.
std::string rig_bvh(const std::map<std::string, std::string>& names, bool z_up = false, int frames = 50) {
  auto n = [&](const char* k) { return names.count(k) ? names.at(k) : std::string(k); };
  auto off = [&](double x, double y, double z) {
    char b[96];
    if (z_up) std::snprintf(b, sizeof b, "OFFSET %g %g %g", x, -z, y);
    else std::snprintf(b, sizeof b, "OFFSET %g %g %g", x, y, z);
    return std::string(b);
  };
  std::string s = "HIERARCHY\nROOT " + n("Hips") + "\n{\n" + off(0, 0, 0) +
                  "\nCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n";
  auto joint = [&](const std::string& name, std::string offset, const std::string& inner) {
    return "JOINT " + name + "\n{\n" + offset + "\nCHANNELS 3 Zrotation Yrotation Xrotation\n" + inner + "}\n";
  };
  const std::string end = "End Site\n{\n" + off(0, 0.18, 0) + "\n}\n";
  auto leg = [&](const char* side, double x) {
    return joint(n((std::string(side) + "UpLeg").c_str()), off(x, -0.08, 0),
                 joint(n((std::string(side) + "Leg").c_str()), off(0, -0.42, 0.01),
                       joint(n((std::string(side) + "Foot").c_str()), off(0, -0.40, -0.02), "End Site\n{\n" + off(0, -0.05, 0.12) + "\n}\n")));
  };
  auto arm = [&](const char* side, double x) {
    return joint(n((std::string(side) + "Arm").c_str()), off(x, -0.02, 0),
                 joint(n((std::string(side) + "ForeArm").c_str()), off(x * 0.2, -0.28, -0.02),
                       joint(n((std::string(side) + "Hand").c_str()), off(x * 0.1, -0.26, 0.02), "End Site\n{\n" + off(0, -0.08, 0) + "\n}\n")));
  };
  s += leg("Left", 0.09) + leg("Right", -0.09);
  s += joint(n("Spine"), off(0, 0.25, 0),
             joint(n("Neck"), off(0, 0.27, 0), joint(n("Head"), off(0, 0.12, 0), end) + arm("Left", 0.18) + arm("Right", -0.18)));
  s += "}\nMOTION\nFrames: " + std::to_string(frames) + "\nFrame Time: 0.02\n";
  const int channels = 6 + 3 * 15;
  for (int f = 0; f < frames; ++f) {
    std::string line = z_up ? "0 0 0.93" : "0 0.93 0";
    line += " 0 0 0";
    for (int c = 6; c < channels; ++c) line += (c % 3 == 0) ? " " + std::to_string(10.0 * std::sin(f * 0.1)) : " 0";
    s += line + "\n";
  }
  return s;
}

}  // namespace

// ================================================================ BVH parser

TEST(Bvh, ParsesHierarchyChannelsAndFrames) {
  const BvhFile b = parse_bvh(kTinyBvh, "tiny.bvh");
  ASSERT_EQ(b.joints.size(), 3u);
  EXPECT_EQ(b.joints[0].name, "Hips");
  EXPECT_EQ(b.joints[1].parent, 0);
  EXPECT_TRUE(b.joints[2].end_site);
  EXPECT_EQ(b.channel_count, 9);
  EXPECT_EQ(b.joints[1].first_channel, 6);
  ASSERT_EQ(b.joints[1].channels.size(), 3u);
  EXPECT_EQ(b.joints[1].channels[0], Channel::x_rotation);
  EXPECT_EQ(b.frames, 2);
  EXPECT_DOUBLE_EQ(b.frame_time, 0.04);
  EXPECT_EQ(b.values.size(), 18u);
}

TEST(Bvh, ForwardKinematicsUsesEachJointsChannelOrderIntrinsically) {
  const BvhFile b = parse_bvh(kTinyBvh, "tiny.bvh");
  std::vector<Vec3> w;
  bvh_forward_kinematics(b, 0, w);
  EXPECT_NEAR(w[1].x, 1, 1e-9);
  EXPECT_NEAR(w[2].y, 2, 1e-9);
  // Frame 1: root at (5,6,7) rotated Rz(90); Arm rotated Rx(90) then Rz(90) (its own order X Z Y).
  bvh_forward_kinematics(b, 1, w);
  // Arm = root + Rz(90)(1,0,0) = (5,7,7).
  EXPECT_NEAR(w[1].x, 5, 1e-9);
  EXPECT_NEAR(w[1].y, 7, 1e-9);
  EXPECT_NEAR(w[1].z, 7, 1e-9);
  // End = Arm + Rz(90) Rx(90) Rz(90) (0,2,0): Rz(90)(0,2,0) = (-2,0,0); Rx(90) keeps x; Rz(90)(-2,0,0) = (0,-2,0).
  EXPECT_NEAR(w[2].x, 5, 1e-9);
  EXPECT_NEAR(w[2].y, 5, 1e-9);
  EXPECT_NEAR(w[2].z, 7, 1e-9);
}

TEST(Bvh, ToleratesCrlfTabsAndInlineBraces) {
  std::string t = kTinyBvh;
  std::string crlf;
  for (char c : t) {
    if (c == '\n') crlf += "\r\n";
    else if (c == ' ') crlf += "\t ";
    else crlf += c;
  }
  const BvhFile b = parse_bvh(crlf, "crlf.bvh");
  EXPECT_EQ(b.frames, 2);
  std::string inline_brace = "HIERARCHY\nROOT Hips {\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\nEnd Site {\nOFFSET 0 1 0\n}\n}\n"
                             "MOTION\nFrames:1\nFrame Time:.5\n1 2 3\n";
  EXPECT_EQ(parse_bvh(inline_brace, "x.bvh").joints.size(), 2u);
}

TEST(Bvh, ExtraFrameLinesBeyondTheCountAreCheckedThenDropped) {
  std::string t = std::string(kTinyBvh) + "1 1 1 1 1 1 1 1 1\n";
  const BvhFile b = parse_bvh(t, "x.bvh");
  EXPECT_EQ(b.frames, 2);
  EXPECT_EQ(b.values.size(), 18u);
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_NE(error_of([&] { parse_bvh(std::string(kTinyBvh) + "1 1 x\n", "x.bvh"); }).find("x.bvh:21: frame 2 value 3"), std::string::npos);
}

TEST(Bvh, MalformedFilesGiveOneLineErrorsWithLineNumbers) {
  auto err = [](std::string text) { return error_of([&] { parse_bvh(text, "bad.bvh"); }); };
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    return at == std::string::npos ? s : s.replace(at, from.size(), to);
  };
  const std::string tiny = kTinyBvh;
  struct Case {
    std::string text, expect;
  } cases[] = {
      {replace(tiny, "HIERARCHY", "HIERARCH"), "bad.bvh:1: expected HIERARCHY"},
      {replace(tiny, "CHANNELS 3 Xrotation", "CHANNELS 3 Wrotation"), "bad.bvh:9: unknown channel 'Wrotation'"},
      {replace(tiny, "CHANNELS 3 Xrotation Zrotation", "CHANNELS 3 Xrotation Xrotation"), "bad.bvh:9: channel Xrotation listed twice"},
      {replace(tiny, "CHANNELS 3", "CHANNELS 7"), "bad.bvh:9: CHANNELS count must be 0..6"},
      {replace(tiny, "    OFFSET 1 0 0\n", ""), "no OFFSET"},
      {replace(tiny, "OFFSET 1 0 0", "OFFSET 1 0 zero"), "bad.bvh:8: expected OFFSET z, got 'zero'"},
      {replace(tiny, "Frames: 2", "Frames: two"), "bad.bvh:17: Frames: expected a whole number"},
      {replace(tiny, "Frame Time: 0.04", "Frame Time: 0"), "bad.bvh:18: Frame Time: expected seconds"},
      {replace(tiny, "5 6 7 90 0 0 90 90 0", "5 6 7 90 0 0 90 90"), "bad.bvh:20: frame 1 has 8 values, expected 9"},
      {replace(tiny, "5 6 7 90 0 0 90 90 0", "5 6 7 90 nan 0 90 90 0"), "bad.bvh:20: frame 1 value 5: expected a number, got 'nan'"},
      {replace(tiny, "5 6 7 90 0 0 90 90 0\n", ""), "file ends after 1 frames, 'Frames:' said 2"},
      {replace(tiny, "MOTION", "MOTON"), "expected ROOT or MOTION"},
      {tiny.substr(0, tiny.find("  }\n}")), "is not closed"},
  };
  for (const auto& c : cases) {
    const std::string e = err(c.text);
    EXPECT_NE(e.find(c.expect), std::string::npos) << "expected '" << c.expect << "' in: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(Bvh, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string s = "HIERARCHY\nROOT a\n{\nOFFSET 0 0 0\n";
  for (int i = 0; i < 2000; ++i) s += "JOINT j\n{\nOFFSET 0 1 0\n";
  EXPECT_NE(error_of([&] { parse_bvh(s, "deep.bvh"); }).find("nested deeper"), std::string::npos);
}

// ================================================================ joint mapping

TEST(BvhMap, MapsCmuAnatomicalAndMixamoNames) {
  {
    const BvhFile b = read_bvh(kCmuDir / "01_01.bvh");
    const BvhJointMap m = map_bvh_joints(b);
    EXPECT_EQ(m.rig, "cmu");
    EXPECT_EQ(b.joints[m.joint[v3::l_shoulder]].name, "LeftArm");  // not the clavicle "LeftShoulder"
    EXPECT_EQ(b.joints[m.joint[v3::l_elbow]].name, "LeftForeArm");
    EXPECT_EQ(b.joints[m.joint[v3::l_wrist]].name, "LeftHand");
    EXPECT_EQ(b.joints[m.joint[v3::l_hip]].name, "LeftUpLeg");
    EXPECT_EQ(b.joints[m.joint[v3::r_ankle]].name, "RightFoot");
    EXPECT_EQ(b.joints[m.joint[v3::neck]].name, "Neck");
    EXPECT_GE(m.head_top, 0);
  }
  {
    const BvhFile b = read_bvh(kCmuDir / "Boxing_Toes.bvh");
    const BvhJointMap m = map_bvh_joints(b);
    EXPECT_EQ(b.joints[m.joint[v3::l_shoulder]].name, "LeftShoulder");  // anatomical: the upper arm
    EXPECT_EQ(b.joints[m.joint[v3::l_ankle]].name, "LeftAnkle");
    EXPECT_EQ(b.joints[m.joint[v3::l_hip]].name, "LeftHip");
    EXPECT_EQ(b.joints[m.joint[v3::chest]].name, "Chest");
  }
  {
    std::map<std::string, std::string> names;
    for (const char* j : {"Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "RightUpLeg", "RightLeg", "RightFoot", "Spine", "Neck", "Head",
                          "LeftArm", "LeftForeArm", "LeftHand", "RightArm", "RightForeArm", "RightHand"})
      names[j] = std::string("mixamorig:") + j;
    const BvhFile b = parse_bvh(rig_bvh(names), "mixamo.bvh");
    const BvhJointMap m = map_bvh_joints(b);
    EXPECT_EQ(m.rig, "mixamo");
    EXPECT_EQ(b.joints[m.joint[v3::r_elbow]].name, "mixamorig:RightForeArm");
  }
}

TEST(BvhMap, UnknownRigNeedsAJointMapFile) {
  std::map<std::string, std::string> names{{"LeftUpLeg", "Femur_A"}, {"RightUpLeg", "Femur_B"}};
  const std::string text = rig_bvh(names);
  test::TempDir dir;
  write_text(dir / "odd.bvh", text);
  const std::string e = error_of([&] { convert_file(ConvertSource::bvh, dir / "odd.bvh"); });
  EXPECT_NE(e.find("no joint for l_hip"), std::string::npos) << e;
  EXPECT_NE(e.find("--joint-map"), std::string::npos) << e;
  write_text(dir / "map.txt", "# stickgen joint -> BVH joint\nl_hip Femur_A\nr_hip = Femur_B\n");
  ConvertOptions o;
  o.joint_map = dir / "map.txt";
  const auto clips = convert_file(ConvertSource::bvh, dir / "odd.bvh", o);
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_TRUE(clips[0].validation.ok()) << clips[0].validation.summary();
  EXPECT_EQ(clips[0].clip.metadata.at("bvh_rig"), "map");
  // Map files are checked line by line.
  EXPECT_NE(error_of([&] { parse_joint_map("l_hip Femur_A\nelbow X\n", "m.txt"); }).find("m.txt:2: unknown stickgen joint 'elbow'"),
            std::string::npos);
  write_text(dir / "bad.txt", "l_hip NoSuchJoint\n");
  o.joint_map = dir / "bad.txt";
  EXPECT_NE(error_of([&] { convert_file(ConvertSource::bvh, dir / "odd.bvh", o); }).find("'NoSuchJoint': no such joint"),
            std::string::npos);
}

TEST(BvhMap, ZUpRigIsDetectedFromTheRestPose) {
  test::TempDir dir;
  write_text(dir / "zup.bvh", rig_bvh({}, true));
  const auto clips = convert_file(ConvertSource::bvh, dir / "zup.bvh");
  ASSERT_FALSE(clips.empty());
  EXPECT_EQ(clips[0].clip.metadata.at("up_axis"), "z");
  const Pose p = joints_at(clips[0].clip, 0);
  EXPECT_GT(p.j[v3::head_center].y, p.j[v3::pelvis_center].y + 0.5f);
  EXPECT_NEAR(std::min(p.j[v3::l_ankle].y, p.j[v3::r_ankle].y), 0.f, 1e-4f);
  EXPECT_EQ(clips[0].clip.metadata.at("unit"), "m");
}

// ================================================================ the real CMU clips

struct CmuCase {
  const char* file;
  int frames;
  double frame_time;
};
// ctest shows the parameter; print the file name rather than its bytes.
void PrintTo(const CmuCase& c, std::ostream* os) { *os << c.file; }

class CmuClips : public ::testing::TestWithParam<CmuCase> {};

TEST_P(CmuClips, ConvertRigidUprightGroundedAt25Fps) {
  const CmuCase c = GetParam();
  const fs::path path = kCmuDir / c.file;
  if (!fs::exists(path)) GTEST_SKIP() << path << " missing (install assimp-testmodels)";
  const auto clips = convert_file(ConvertSource::bvh, path, whole_takes());
  ASSERT_EQ(clips.size(), 1u);
  const Clip& clip = clips[0].clip;
  EXPECT_TRUE(clips[0].validation.ok()) << clips[0].validation.summary();
  // fps and duration: resampled by time, the last frame no later than the source's last.
  EXPECT_FLOAT_EQ(clip.fps, 25.f);
  const double source_last = (c.frames - 1) * c.frame_time;
  EXPECT_EQ(clip.frames, static_cast<int>(std::floor(source_last * 25.0 + 1e-6)) + 1);
  EXPECT_NEAR(clip.duration(), c.frames * c.frame_time, 1.0 / 25.0);
  // Rigid v3 segments: constant within 1 %.
  EXPECT_LT(max_rigid_drift(clip), 0.01);
  EXPECT_LT(clips[0].validation.max_bone_drift, 0.01f);
  // Upright: the neck above the pelvis in (nearly) every frame.
  int upright = 0;
  std::vector<float> lowest(clip.frames);
  for (int t = 0; t < clip.frames; ++t) {
    const Pose p = joints_at(clip, t);
    upright += p.j[v3::neck].y > p.j[v3::pelvis_center].y;
    lowest[t] = std::min(p.j[v3::l_ankle].y, p.j[v3::r_ankle].y);
  }
  EXPECT_GE(upright, 0.95 * clip.frames);
  // Feet on the ground at the start (a standing pose in all three takes) ...
  for (int t = 0; t < 12; ++t) EXPECT_NEAR(lowest[t], 0.f, 0.08f) << "frame " << t;
  // ... and near it whenever the figure stands: pelvis at its standing height and not travelling.
  const Pose start = joints_at(clip, 0);
  const float stand_pelvis = start.j[v3::pelvis_center].y;
  int standing = 0, grounded = 0;
  for (int t = 1; t < clip.frames; ++t) {
    const Pose p = joints_at(clip, t);
    const float* phys = clip.physics_at(t, 0);
    if (std::fabs(p.j[v3::pelvis_center].y - stand_pelvis) < 0.12f && std::hypot(phys[0], phys[1]) < 1.f) {
      ++standing;
      grounded += std::fabs(lowest[t]) < 0.2f;
    }
  }
  ASSERT_GT(standing, clip.frames / 10);
  EXPECT_GE(grounded, 0.9 * standing) << grounded << " of " << standing << " standing frames have a foot on the ground";
  // Body height normalised to the figure's.
  const float h = body_height(clip.skeleton(), start.j.data());
  EXPECT_GT(h, 2.2f);
  EXPECT_LT(h, 2.7f);
}

INSTANTIATE_TEST_SUITE_P(AssimpTestModels, CmuClips,
                         ::testing::Values(CmuCase{"01_01.bvh", 2752, 0.0083333}, CmuCase{"01_03.bvh", 4511, 0.0083333},
                                           CmuCase{"Boxing_Toes.bvh", 3069, 0.01}),
                         [](const auto& info) {
                           std::string n = info.param.file;
                           n = n.substr(0, n.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(CmuClips, WindowsShareTheTakeAsBaseIdAndCoverIt) {
  if (!fs::exists(kCmuDir / "01_01.bvh")) GTEST_SKIP();
  const auto clips = convert_file(ConvertSource::bvh, kCmuDir / "01_01.bvh");  // 22.96 s -> 10 + 10 + 2.96
  ASSERT_EQ(clips.size(), 3u);
  EXPECT_EQ(clips[0].clip.frames, 250);
  EXPECT_EQ(clips[1].clip.frames, 250);
  EXPECT_EQ(clips[2].clip.frames, 74);
  for (const auto& c : clips) {
    EXPECT_EQ(c.record.base_id, "01_01");
    EXPECT_EQ(c.record.source, "cmu");
    EXPECT_TRUE(c.validation.ok()) << c.validation.summary();
    EXPECT_NEAR(root_position(c.clip.skeleton(), c.clip.pose(0, 0)).x, 0.f, 1e-4f);  // each window starts at x = 0
  }
  EXPECT_EQ(clips[0].record.id, "01_01_w00");
  EXPECT_EQ(clips[0].clip.metadata.at("unit"), "cmu-asf (1/0.45 in)");
  ConvertOptions o;
  o.overlap_seconds = 5.f;
  EXPECT_EQ(convert_file(ConvertSource::bvh, kCmuDir / "01_01.bvh", o).size(), 4u);  // 0, 5, 10, 15 (15..22.96)
}

TEST(CmuClips, ViewsSideFrontAndAuto) {
  if (!fs::exists(kCmuDir / "01_01.bvh")) GTEST_SKIP();
  // 01_01 jumps forward: in the side view the root travels far along x; in the front view barely.
  auto travel = [](ProjectionView v) {
    ConvertOptions o = whole_takes();
    o.view = v;
    const Clip c = convert_file(ConvertSource::bvh, kCmuDir / "01_01.bvh", o)[0].clip;
    float lo = 1e9f, hi = -1e9f;
    for (int t = 0; t < c.frames; ++t) {
      const float x = root_position(c.skeleton(), c.pose(t, 0)).x;
      lo = std::min(lo, x), hi = std::max(hi, x);
    }
    return hi - lo;
  };
  const float side = travel(ProjectionView::side), front = travel(ProjectionView::front), automatic = travel(ProjectionView::automatic);
  EXPECT_GT(side, 2.f * front);
  EXPECT_GE(automatic, 0.95f * std::max(side, front));  // the plane with the most motion
  // Front view: the body's left at -x.
  ConvertOptions o = whole_takes();
  o.view = ProjectionView::front;
  const Pose p = joints_at(convert_file(ConvertSource::bvh, kCmuDir / "01_01.bvh", o)[0].clip, 0);
  EXPECT_LT(p.j[v3::l_hip].x, p.j[v3::r_hip].x);
  EXPECT_LT(p.j[v3::l_shoulder].x, p.j[v3::r_shoulder].x);
}

TEST(CmuClips, LabelsFromFileNamesIndexAndStyleNames) {
  if (!fs::exists(kCmuDir / "Boxing_Toes.bvh")) GTEST_SKIP();
  const auto boxing = convert_file(ConvertSource::bvh, kCmuDir / "Boxing_Toes.bvh");
  EXPECT_EQ(boxing[0].record.source, "bvh");
  EXPECT_EQ(boxing[0].record.description, "boxing toes");
  EXPECT_EQ(boxing[0].clip.action(0, 0), act::fight);
  EXPECT_EQ(boxing[0].clip.metadata.at("unit"), "cm");
  // A CMU index file names the takes.
  test::TempDir dir;
  fs::copy_file(kCmuDir / "01_01.bvh", dir / "01_01.bvh");
  write_text(dir / "cmu-mocap-index-text.txt", "Subject #1 (climb, swing, hang on playground equipment)\n\n01_01\tplayground - forward jumps, turn around\n");
  const auto indexed = convert_file(ConvertSource::bvh, dir / "01_01.bvh");
  EXPECT_EQ(indexed[0].record.description, "playground - forward jumps, turn around");
  EXPECT_EQ(indexed[0].clip.action(0, 0), act::jump);
  // 100STYLE: <Style>_<gait>.bvh
  fs::copy_file(kCmuDir / "Boxing_Toes.bvh", dir / "ArmsAboveHead_FW.bvh");
  const auto style = convert_file(ConvertSource::bvh, dir / "ArmsAboveHead_FW.bvh");
  EXPECT_EQ(style[0].record.source, "100style");
  EXPECT_EQ(style[0].record.description, "a person walks forwards in the style arms above head");
  EXPECT_EQ(style[0].clip.action(0, 0), act::walk);
  fs::copy_file(kCmuDir / "Boxing_Toes.bvh", dir / "Skip_FR.bvh");
  EXPECT_EQ(convert_file(ConvertSource::bvh, dir / "Skip_FR.bvh")[0].clip.action(0, 0), act::skip);
}

TEST(CmuClips, RenderToGifAndV1) {
  if (!fs::exists(kCmuDir / "01_03.bvh")) GTEST_SKIP();
  ConvertOptions o;
  o.format = SkeletonFormat::v1;
  const Clip v1 = load_motion_any(kCmuDir / "01_03.bvh", o);
  EXPECT_EQ(v1.format, SkeletonFormat::v1);
  EXPECT_EQ(v1.frames, 250);
  EXPECT_TRUE(validate(v1).ok()) << validate(v1).summary();
  EXPECT_LT(max_rigid_drift(v1), 0.01);  // five straight segments of fixed length
  const Pose first = joints_at(v1, 0);
  EXPECT_NEAR(std::min(first.j[v1::l_foot].y, first.j[v1::r_foot].y), 0.f, 0.08f);
  test::TempDir dir;
  RenderOptions r;
  r.width = 160, r.height = 120;
  const Clip v3 = load_motion_any(kCmuDir / "01_03.bvh");
  render_to_file(slice_frames(v3, 0, 50), dir / "cmu.gif", r);
  const std::string gif = read_file(dir / "cmu.gif");
  EXPECT_EQ(gif.substr(0, 6), "GIF89a");
}

// ================================================================ NTU RGB+D

TEST(Ntu, TwoBodiesBecomeTwoActorsWithMasksAt25Fps) {
  test::TempDir dir;
  std::vector<int> missing;
  for (int t = 20; t < 30; ++t) missing.push_back(t);
  const fs::path file = dir / "S001C002P003R001A058.skeleton";
  write_ntu(file, 60, true, missing);
  const auto clips = convert_file(ConvertSource::ntu, file);
  ASSERT_EQ(clips.size(), 1u);
  const Clip& c = clips[0].clip;
  EXPECT_TRUE(clips[0].validation.ok()) << clips[0].validation.summary();
  EXPECT_EQ(c.actors, 2);
  EXPECT_FLOAT_EQ(c.fps, 25.f);
  EXPECT_EQ(c.frames, static_cast<int>(std::floor(59 * 25.0 / 30.0 + 1e-6)) + 1);  // 30 -> 25 fps by time
  int absent = 0;
  for (int t = 0; t < c.frames; ++t) {
    EXPECT_TRUE(c.present(t, 0));
    absent += !c.present(t, 1);
  }
  EXPECT_GE(absent, 7);  // 10 source frames at 30 fps ~ 8 frames at 25
  EXPECT_LE(absent, 9);
  EXPECT_EQ(c.action(0, 0), act::handshake);
  EXPECT_EQ(c.action(0, 1), act::handshake);
  EXPECT_EQ(clips[0].record.description, "handshaking");
  EXPECT_EQ(clips[0].record.source, "ntu");
  EXPECT_EQ(clips[0].record.base_id, "S001P003R001A058");  // the camera is not part of the take
  EXPECT_LT(max_rigid_drift(c), 0.01);
  // Upright after levelling the camera, both on the ground, side by side.
  const Pose a = joints_at(c, 0, 0), b = joints_at(c, 0, 1);
  EXPECT_GT(a.j[v3::neck].y, a.j[v3::pelvis_center].y + 0.5f);
  EXPECT_NEAR(std::min(a.j[v3::l_ankle].y, a.j[v3::r_ankle].y), 0.f, 0.05f);
  EXPECT_NEAR(std::min(b.j[v3::l_ankle].y, b.j[v3::r_ankle].y), 0.f, 0.05f);
  EXPECT_GT(std::fabs(a.j[v3::pelvis_center].x - b.j[v3::pelvis_center].x), 0.3f);
}

TEST(Ntu, ClassTableHasSixtyClassesMappedToValidActions) {
  ASSERT_EQ(ntu_classes().size(), 60u);
  for (size_t i = 0; i < 60; ++i) {
    EXPECT_EQ(ntu_classes()[i].code, static_cast<int>(i + 1));
    EXPECT_GE(ntu_classes()[i].action, 0);
    EXPECT_LT(ntu_classes()[i].action, kNumActions);
    EXPECT_EQ(ntu_classes()[i].mutual, i + 1 >= 50);
  }
  EXPECT_EQ(ntu_classes()[0].action, act::drinking);
  EXPECT_EQ(ntu_classes()[22].action, act::wave);
  EXPECT_EQ(ntu_classes()[42].action, act::fall);
  auto n = parse_ntu_name("S017C003P020R002A060");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->setup, 17);
  EXPECT_EQ(n->camera, 3);
  EXPECT_EQ(n->action, 60);
  EXPECT_FALSE(parse_ntu_name("walk01"));
}

TEST(Ntu, MalformedFilesNameTheLineAndField) {
  test::TempDir dir;
  write_ntu(dir / "S001C001P001R001A001.skeleton", 12, false);
  const std::string good = read_file(dir / "S001C001P001R001A001.skeleton");
  auto err = [&](const std::string& text) { return error_of([&] { parse_ntu_skeleton(text, "x.skeleton"); }); };
  EXPECT_NE(err("2\r\n1\r\n").find("x.skeleton:2: file ends where a body info line was expected"), std::string::npos);
  std::string s = good;
  s.replace(s.find("\r\n25\r\n"), 6, "\r\n24\r\n");
  EXPECT_NE(err(s).find("x.skeleton:4: joint count: expected 25"), std::string::npos) << err(s);
  s = good;
  s.replace(s.find("0 1 1 1 1 0 0.01"), 16, "0 1 1 1 1 0 oops");
  EXPECT_NE(err(s).find("x.skeleton:3: body value 8: expected a number, got 'oops'"), std::string::npos) << err(s);
  s = good;
  const size_t j = s.find("250.1");
  s.replace(s.rfind('\n', j) + 1, 1, "q");
  EXPECT_NE(err(s).find("x.skeleton:5: joint 0 value 1: expected a number"), std::string::npos) << err(s);
  EXPECT_NE(err("abc\n").find("x.skeleton:1: the frame count: expected"), std::string::npos) << err("abc\n");
  EXPECT_NE(err(good + "7\n").find("unexpected data after the last of 12 frames"), std::string::npos);
  write_text(dir / "S001C001P001R001A002.skeleton", "0\n");
  EXPECT_NE(error_of([&] { convert_file(ConvertSource::ntu, dir / "S001C001P001R001A002.skeleton"); }).find("no frames"),
            std::string::npos);
}

// ================================================================ NPY, NPZ, inflate

TEST(Npy, ReadsVersionsAndDtypes) {
  const std::vector<float> v{1.5f, -2.f, 3.25f, 4.f, 5.f, 6.f};
  for (int version : {1, 2}) {
    for (bool f8 : {false, true}) {
      const NpyArray a = parse_npy(npy_bytes(v, {2, 3}, f8, version), "a.npy");
      EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
      EXPECT_EQ(a.data, v);
      EXPECT_EQ(a.descr, f8 ? "<f8" : "<f4");
    }
  }
  // big-endian float32 and a scalar
  std::string be = npy_bytes({1.f}, {1});
  be.replace(be.find("<f4"), 3, ">f4");
  const float one = 1.f;
  uint32_t bits;
  std::memcpy(&bits, &one, 4);
  for (int k = 0; k < 4; ++k) be[be.size() - 4 + k] = static_cast<char>((bits >> (24 - 8 * k)) & 0xff);
  EXPECT_EQ(parse_npy(be, "be.npy").data[0], 1.f);
  std::string scalar = npy_bytes({120.f}, {}, true);
  const NpyArray s = parse_npy(scalar, "s.npy");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s.data[0], 120.f);
}

TEST(Npy, MalformedFilesNameTheField) {
  const std::string good = npy_bytes({1, 2, 3, 4}, {2, 2});
  auto err = [](const std::string& b) { return error_of([&] { parse_npy(b, "m.npy"); }); };
  EXPECT_NE(err("hello").find("m.npy: not a .npy file"), std::string::npos);
  std::string s = good;
  s.replace(s.find("False"), 5, "True ");
  EXPECT_NE(err(s).find("fortran_order: True is not supported"), std::string::npos) << err(s);
  s = good;
  s.replace(s.find("<f4"), 3, "<c8");
  EXPECT_NE(err(s).find("descr: unsupported dtype '<c8'"), std::string::npos);
  s = good;
  s.replace(s.find("(2, 2)"), 6, "(2, 3)");
  EXPECT_NE(err(s).find("m.npy: data: 16 bytes for shape needing 24"), std::string::npos) << err(s);
  s = good;
  s.replace(s.find("'shape'"), 7, "'shapf'");
  EXPECT_NE(err(s).find("npy header header: unexpected key 'shapf'"), std::string::npos) << err(s);
  EXPECT_NE(err(good.substr(0, 20)).find("npy header: length"), std::string::npos);
  s = good;
  s.replace(s.find("(2, 2)"), 6, "(99999999999, 99999999999)");
  EXPECT_NE(err(s).find("shape"), std::string::npos);
}

TEST(Zip, StoredAndDeflatedEntriesMatchPython) {
  const std::string payload = npy_bytes(smpl_walk(30, 30.f, 1.f), {30, 22, 3});
  const std::string zip = stored_zip({{"joints.npy", payload}, {"mocap_framerate.npy", npy_bytes({60.f}, {}, true)}});
  ZipReader r(zip, "t.npz");
  EXPECT_EQ(r.names().size(), 2u);
  EXPECT_EQ(r.read("joints.npy"), payload);
  EXPECT_NE(error_of([&] { r.read("nope.npy"); }).find("not in the archive"), std::string::npos);
  std::string corrupt = zip;
  corrupt[100] ^= 1;
  EXPECT_NE(error_of([&] { ZipReader(corrupt, "c.npz").read("joints.npy"); }).find("CRC-32 mismatch"), std::string::npos);

  // Deflate: raw streams from Python's zlib at levels 0 (stored blocks), 1 (fixed), 9 (dynamic), checked byte for byte.
  test::TempDir dir;
  write_text(dir / "in.bin", payload + std::string(5000, 'a') + "tail");
  const std::string py = test::python() + " -c " + test::shell_quote(
      "import sys, zlib\n"
      "data = open(sys.argv[1], 'rb').read()\n"
      "for level in (0, 1, 9):\n"
      "    c = zlib.compressobj(level, zlib.DEFLATED, -15)\n"
      "    open(sys.argv[1] + '.%d' % level, 'wb').write(c.compress(data) + c.flush())\n") + " " + (dir / "in.bin").string();
  const auto res = test::run_command(py);
  if (res.exit_code != 0) GTEST_SKIP() << "python3 unavailable: " << res.output;
  const std::string original = read_file(dir / "in.bin");
  for (int level : {0, 1, 9}) {
    const std::string comp = read_file(dir / ("in.bin." + std::to_string(level)));
    EXPECT_EQ(inflate(comp, original.size(), "z"), original) << "level " << level;
  }
  const std::string comp = read_file(dir / "in.bin.9");
  EXPECT_NE(error_of([&] { inflate(comp, original.size() - 1, "z"); }).find("z: deflate: inflates past"), std::string::npos);
  EXPECT_NE(error_of([&] { inflate(comp.substr(0, comp.size() / 2), original.size(), "z"); }).find("ends early"), std::string::npos);
}

// ================================================================ HumanML3D

TEST(HumanML3D, JointsAndCaptionsWithTimeSpans) {
  test::TempDir dir;
  const int T = 80;  // 4 s at 20 fps
  write_text(dir / "HumanML3D/new_joints/000021.npy", npy_bytes(smpl_walk(T, 20.f, 1.2f), {T, 22, 3}));
  write_text(dir / "HumanML3D/new_joints/M000021.npy", npy_bytes(smpl_walk(T, 20.f, 1.2f), {T, 22, 3}, true, 2));
  write_text(dir / "HumanML3D/texts/000021.txt",
             "a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0\n"
             "someone strolls ahead slowly#someone/PRON stroll/VERB ahead/ADV slowly/ADV#nan#nan\n"
             "the person jumps up#the/DET person/NOUN jump/VERB up/ADP#1.0#2.5\n");
  const auto clips = convert_file(ConvertSource::humanml3d, dir / "HumanML3D/new_joints/000021.npy");
  ASSERT_EQ(clips.size(), 2u);
  const Clip& whole = clips[0].clip;
  EXPECT_TRUE(clips[0].validation.ok()) << clips[0].validation.summary();
  EXPECT_EQ(clips[0].record.description, "a person walks forward.");
  EXPECT_EQ(whole.metadata.at("captions"), "[\"a person walks forward.\",\"someone strolls ahead slowly\"]");
  EXPECT_EQ(whole.action(0, 0), act::walk);
  EXPECT_EQ(whole.frames, static_cast<int>(std::floor(79 * 25.0 / 20.0 + 1e-6)) + 1);
  EXPECT_EQ(clips[0].record.source, "humanml3d");
  EXPECT_EQ(clips[0].record.base_id, "000021");
  // Side view of a walk along +z: the root travels ~1.2 m/s * 4 s = 4.8 m ~ 7 units (to the right: facing +x).
  const float travel = root_position(whole.skeleton(), whole.pose(whole.frames - 1, 0)).x;
  EXPECT_GT(travel, 5.f);
  EXPECT_LT(travel, 9.f);
  // The span caption is its own take, frames [20, 50) at 20 fps.
  EXPECT_EQ(clips[1].record.description, "the person jumps up");
  EXPECT_EQ(clips[1].clip.action(0, 0), act::jump);
  EXPECT_EQ(clips[1].clip.frames, static_cast<int>(std::floor(29 * 25.0 / 20.0 + 1e-6)) + 1);
  EXPECT_EQ(clips[1].record.base_id, "000021");
  // The mirrored copy belongs to the same take (splits must not separate them).
  write_text(dir / "HumanML3D/texts/M000021.txt", "a person walks forward.#x#0.0#0.0\n");
  const auto mirrored = convert_file(ConvertSource::humanml3d, dir / "HumanML3D/new_joints/M000021.npy");
  EXPECT_EQ(mirrored[0].record.base_id, "000021");
  EXPECT_EQ(collect_inputs(ConvertSource::humanml3d, {dir / "HumanML3D"}).size(), 2u);
  // new_joint_vecs are features, not positions.
  write_text(dir / "vecs.npy", npy_bytes(std::vector<float>(10 * 263), {10, 263}));
  EXPECT_NE(error_of([&] { convert_file(ConvertSource::humanml3d, dir / "vecs.npy"); }).find("new_joint_vecs"), std::string::npos);
  write_text(dir / "HumanML3D/texts/000021.txt", "a#b#zero#1\n");
  EXPECT_NE(error_of([&] { convert_file(ConvertSource::humanml3d, dir / "HumanML3D/new_joints/000021.npy"); })
                .find("000021.txt:1: start: expected seconds, got 'zero'"),
            std::string::npos);
}

// ================================================================ InterHuman

TEST(InterHuman, TwoPeopleZUpWithAnnotations) {
  test::TempDir dir;
  const int T = 90;  // 3 s at 30 fps
  auto person = [&](float x, float speed) {
    const auto joints = smpl_walk(T, 30.f, speed, 'z', x);
    std::vector<float> rows(static_cast<size_t>(T) * 492, 0.f);  // positions, velocities, 6D rotations, contacts
    for (int t = 0; t < T; ++t) std::copy_n(&joints[static_cast<size_t>(t) * 66], 66, &rows[static_cast<size_t>(t) * 492]);
    return npy_bytes(rows, {T, 492});
  };
  write_text(dir / "InterHuman/motions/person1/1234.npy", person(-0.6f, 0.5f));
  write_text(dir / "InterHuman/motions/person2/1234.npy", person(0.6f, 0.5f));
  write_text(dir / "InterHuman/annots/1234.txt",
             "two people walk side by side.\nThe two walk forward together.\nside by side, they stroll.\n");
  const auto inputs = collect_inputs(ConvertSource::interhuman, {dir / "InterHuman"});
  ASSERT_EQ(inputs.size(), 1u);
  const auto clips = convert_file(ConvertSource::interhuman, inputs[0]);
  ASSERT_EQ(clips.size(), 1u);
  const Clip& c = clips[0].clip;
  EXPECT_TRUE(clips[0].validation.ok()) << clips[0].validation.summary();
  EXPECT_EQ(c.actors, 2);
  EXPECT_EQ(clips[0].record.source, "interhuman");
  EXPECT_EQ(clips[0].record.description, "two people walk side by side.");
  EXPECT_EQ(c.action(0, 1), act::walk);
  for (int a = 0; a < 2; ++a) {
    const Pose p = joints_at(c, c.frames / 2, a);
    EXPECT_GT(p.j[v3::head_center].y, p.j[v3::pelvis_center].y + 0.5f) << "actor " << a << " is not upright";
  }
  EXPECT_NE(error_of([&] {
              fs::remove(dir / "InterHuman/motions/person2/1234.npy");
              convert_file(ConvertSource::interhuman, inputs[0]);
            }).find("person2/1234.npy: missing"),
            std::string::npos);
}

// ================================================================ AMASS joints

TEST(Amass, JointsFromNpzStoredAndDeflatedZUp) {
  test::TempDir dir;
  const int T = 120;  // 2 s at 60 fps
  const std::string joints = npy_bytes(smpl_walk(T, 60.f, 1.0f, 'z'), {T, 22, 3});
  write_text(dir / "CMU/01/01_01_joints.npz",
             stored_zip({{"joints.npy", joints}, {"mocap_framerate.npy", npy_bytes({60.f}, {}, true)}}));
  const auto clips = convert_file(ConvertSource::amass_joints, dir / "CMU/01/01_01_joints.npz");
  ASSERT_EQ(clips.size(), 1u);
  EXPECT_TRUE(clips[0].validation.ok()) << clips[0].validation.summary();
  EXPECT_EQ(clips[0].record.source, "amass");
  EXPECT_EQ(clips[0].record.id, "01_01_01_joints");
  EXPECT_EQ(clips[0].clip.frames, static_cast<int>(std::floor(119 * 25.0 / 60.0 + 1e-6)) + 1);
  const Pose p = joints_at(clips[0].clip, 10);
  EXPECT_GT(p.j[v3::head_center].y, p.j[v3::pelvis_center].y + 0.5f);
  // np.savez_compressed writes deflated entries.
  const std::string py = test::python() + " -c " + test::shell_quote(
      "import sys, numpy as np\n"
      "src = np.load(sys.argv[1])\n"
      "np.savez_compressed(sys.argv[2], joints=src['joints'].astype(np.float64), mocap_framerate=np.array(60.0))\n") + " " +
      (dir / "CMU/01/01_01_joints.npz").string() + " " + (dir / "compressed.npz").string();
  const auto res = test::run_command(py);
  if (res.exit_code == 0) {
    const auto c2 = convert_file(ConvertSource::amass_joints, dir / "compressed.npz");
    ASSERT_EQ(c2.size(), 1u);
    EXPECT_EQ(c2[0].clip.frames, clips[0].clip.frames);
    for (size_t k = 0; k < c2[0].clip.motion.size(); ++k) ASSERT_NEAR(c2[0].clip.motion[k], clips[0].clip.motion[k], 1e-4f);
  } else {
    ADD_FAILURE() << "numpy unavailable in " << test::python() << ": " << res.output;
  }
  // A plain .npy has no frame rate: --fps is required.
  write_text(dir / "plain.npy", joints);
  EXPECT_NE(error_of([&] { convert_file(ConvertSource::amass_joints, dir / "plain.npy"); }).find("--fps"), std::string::npos);
  ConvertOptions o;
  o.fps = 60.f;
  EXPECT_EQ(convert_file(ConvertSource::amass_joints, dir / "plain.npy", o).size(), 1u);
}

TEST(Amass, SmplParametersNeedTheLicensedBodyModel) {
  test::TempDir dir;
  write_text(dir / "poses.npz", stored_zip({{"poses.npy", npy_bytes(std::vector<float>(4 * 156), {4, 156})},
                                            {"betas.npy", npy_bytes(std::vector<float>(16), {16})},
                                            {"trans.npy", npy_bytes(std::vector<float>(12), {4, 3})}}));
  const std::string e = error_of([&] { convert_file(ConvertSource::amass_joints, dir / "poses.npz"); });
  EXPECT_NE(e.find("licensed SMPL body model"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

// ================================================================ CLI, dataset output, load_motion_any

TEST(ConvertCli, CmuClipsIntoADatasetCurationCanRead) {
  if (!fs::exists(kCmuDir / "01_01.bvh")) GTEST_SKIP();
  test::TempDir dir;
  const auto r = test::run_stickgen("data convert --from bvh " + kCmuDir.string() + " -o " + (dir / "cmu").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("converted 3 of 3 files from bvh"), std::string::npos) << r.output;
  DatasetReader ds(dir / "cmu");
  EXPECT_EQ(ds.format(), SkeletonFormat::v3);
  EXPECT_EQ(ds.max_actors(), 1);
  ASSERT_GE(ds.size(), 9u);
  std::set<std::string> bases;
  for (size_t i = 0; i < ds.size(); ++i) {
    const Clip c = ds.clip(i);
    EXPECT_FLOAT_EQ(c.fps, 25.f);
    EXPECT_LE(c.frames, 250);
    EXPECT_TRUE(validate(c).ok()) << ds.record(i).id << ": " << validate(c).summary();
    bases.insert(ds.record(i).base_id);
    EXPECT_EQ(ds.record(i).extra.at("validation"), "ok");
  }
  EXPECT_EQ(bases, (std::set<std::string>{"01_01", "01_03", "Boxing_Toes"}));
  const auto v1 = test::run_stickgen("data convert --from bvh " + (kCmuDir / "Boxing_Toes.bvh").string() + " --format v1 --view front --window 5 -o " +
                                     (dir / "v1").string());
  ASSERT_EQ(v1.exit_code, 0) << v1.output;
  EXPECT_EQ(DatasetReader(dir / "v1").format(), SkeletonFormat::v1);
  EXPECT_EQ(DatasetReader(dir / "v1").size(), 6u);  // 30.72 s in 5 s windows; the 0.72 s tail is under --min-window
}

TEST(ConvertCli, RenderReadsMotionCaptureFilesDirectly) {
  if (!fs::exists(kCmuDir / "Boxing_Toes.bvh")) GTEST_SKIP();
  test::TempDir dir;
  const auto r = test::run_stickgen("render " + (kCmuDir / "Boxing_Toes.bvh").string() + " -o " + (dir / "box.gif").string() +
                                    " --size 96x72");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_file(dir / "box.gif").substr(0, 6), "GIF89a");
  write_ntu(dir / "S001C001P001R001A023.skeleton", 30, true);
  const auto n = test::run_stickgen("render " + (dir / "S001C001P001R001A023.skeleton").string() + " -o " + (dir / "ntu.png").string());
  EXPECT_EQ(n.exit_code, 0) << n.output;
  EXPECT_TRUE(fs::exists(dir / "ntu.png"));
}

TEST(ConvertCli, ErrorsAreOneLine) {
  test::TempDir dir;
  auto one_line_error = [](const test::CommandResult& r, const std::string& expect) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find(expect), std::string::npos) << r.output;
  };
  one_line_error(test::run_stickgen("data convert --from fbx x -o " + (dir / "o").string()), "--from: expected bvh, ntu");
  one_line_error(test::run_stickgen("data convert --from bvh " + (dir / "none").string() + " -o " + (dir / "o").string()),
                 "none: no such file or directory");
  write_text(dir / "broken.bvh", "HIERARCHY\nROOT x\n{\nOFFSET 0 0\n}\n");
  const auto r = test::run_stickgen("data convert --from bvh " + (dir / "broken.bvh").string() + " -o " + (dir / "o").string());
  one_line_error(r, "broken.bvh:5: expected OFFSET z, got '}'");
  EXPECT_FALSE(fs::exists(dir / "o"));  // nothing half-written
  one_line_error(test::run_stickgen("data convert --from bvh " + (dir / "broken.bvh").string() + " --view top -o " + (dir / "o").string()),
                 "--view: expected side, front or auto");
  // --keep-going skips the broken file and writes the rest.
  write_ntu(dir / "ntu/S001C001P001R001A023.skeleton", 40, false);
  write_text(dir / "ntu/S001C001P001R001A024.skeleton", "1\n1\n");
  const auto k = test::run_stickgen("data convert --from ntu -k " + (dir / "ntu").string() + " -o " + (dir / "ntu_out").string());
  EXPECT_EQ(k.exit_code, 0) << k.output;
  EXPECT_NE(k.output.find("skipped:"), std::string::npos) << k.output;
  EXPECT_EQ(DatasetReader(dir / "ntu_out").size(), 1u);
  EXPECT_EQ(DatasetReader(dir / "ntu_out").max_actors(), 2);
}

TEST(LoadMotionAny, DispatchesByExtension) {
  test::TempDir dir;
  write_ntu(dir / "S001C001P001R001A027.skeleton", 40, false);
  const Clip ntu = load_motion_any(dir / "S001C001P001R001A027.skeleton");
  EXPECT_EQ(ntu.action(0, 0), act::jump);
  write_text(dir / "new_joints/7.npy", npy_bytes(smpl_walk(40, 20.f, 1.f), {40, 22, 3}));
  EXPECT_EQ(load_motion_any(dir / "new_joints/7.npy").frames, static_cast<int>(std::floor(39 * 25.0 / 20.0 + 1e-6)) + 1);
  write_motion_file(dir / "c.motion", ntu);
  EXPECT_EQ(load_motion_any(dir / "c.motion").frames, ntu.frames);
  EXPECT_NE(error_of([&] { load_motion_any(dir / "x.fbx"); }).find("unknown motion file type"), std::string::npos);
  EXPECT_TRUE(is_convertible_motion("a.BVH"));
  EXPECT_FALSE(is_convertible_motion("a.motion"));
}

TEST(Labels, TextToActionAndNames) {
  EXPECT_EQ(action_for_text("a man is walking slowly"), act::walk);
  EXPECT_EQ(action_for_text("he sits down on a chair"), act::sit);
  EXPECT_EQ(action_for_text("two people shake hands"), act::handshake);
  EXPECT_EQ(action_for_text("jogging in place"), act::run);
  EXPECT_EQ(action_for_text("the person dances"), act::dance);
  EXPECT_FALSE(action_for_text("01 01"));
  EXPECT_EQ(words_of_name("ArmsAboveHead"), "arms above head");
  EXPECT_EQ(words_of_name("walk_fast-02"), "walk fast 02");
  EXPECT_EQ(words_of_name("Boxing_Toes"), "boxing toes");
  const auto idx = parse_cmu_index("Subject #2 (various expressions)\n02_01\twalk\n 02_05  punch/strike \njunk\n");
  EXPECT_EQ(idx.at("02"), "various expressions");
  EXPECT_EQ(idx.at("02_01"), "walk");
  EXPECT_EQ(idx.at("02_05"), "punch/strike");
}
