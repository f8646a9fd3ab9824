// Real motion capture in: BVH (CMU, 100STYLE, Mixamo, any rig with a joint map), NTU RGB+D .skeleton,
// HumanML3D new_joints .npy, InterHuman two-person .npy, AMASS precomputed joint positions (.npy/.npz).
// Every source becomes 3-D joint positions in our v3 joint order with +y up (a "take"), which one shared
// pipeline projects onto a vertical plane, scales to our ~2.5-unit figure, resamples to 25 fps by time,
// makes rigid (constant bone lengths), puts on the ground and splits into windows. Layouts, axes, units,
// joint maps and the NTU class table: docs/CONVERTERS.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/dataset.hpp"
#include "stickgen/motion.hpp"

namespace stickgen {

enum class ConvertSource : int { bvh, ntu, humanml3d, interhuman, amass_joints };
std::string_view convert_source_name(ConvertSource s);  // "bvh", "ntu", "humanml3d", "interhuman", "amass-joints"
std::optional<ConvertSource> parse_convert_source(std::string_view name);

// side: the plane of the body's forward and up directions (walking goes left to right);
// front: the plane of its left-right and up directions (the body's left at -x, SPEC §3);
// automatic: the vertical plane whose horizontal axis carries the most motion (PCA of the joints'
// horizontal trajectories); side when the two horizontal variances are within 10 %. Never the ground.
enum class ProjectionView : int { side, front, automatic };
std::string_view view_name(ProjectionView v);  // "side", "front", "auto"
std::optional<ProjectionView> parse_view(std::string_view name);

struct ConvertOptions {
  SkeletonFormat format = SkeletonFormat::v3;
  ProjectionView view = ProjectionView::automatic;
  float window_seconds = 10.f;      // long takes are split into windows of this length; <= 0: never split
  float overlap_seconds = 0.f;      // windows start every window - overlap seconds
  float min_window_seconds = 1.f;   // a shorter trailing window is dropped (a shorter whole take is kept)
  std::filesystem::path joint_map;  // BVH: "stickgen_joint bvh_joint" lines (docs/CONVERTERS.md)
  std::filesystem::path index;      // BVH: a CMU index text ("01_01 <description>" lines)
  std::optional<float> fps;         // source frame rate for files that carry none (.npy joints)
  std::optional<char> up;           // 'x', 'y' or 'z': override the source's up axis
  int max_actors = 0;               // 0: the source's own (ntu 2, interhuman 2, others 1)
  std::string action;               // label every clip with this action instead of the files' text
  std::string description;          // ... and this description
};

// One converted window, ready for DatasetWriter::add.
struct ConvertedClip {
  Clip clip;
  ClipRecord record;            // id, description, source, base_id (the take), extra from clip.metadata
  ValidationReport validation;  // validate(clip); convert_to_dataset writes only clips that pass
};

// Converts one input file into clips (one per window; HumanML3D captions with time spans give their own
// takes). Throws Error("<file>: <what>") when the file cannot be read or converted.
std::vector<ConvertedClip> convert_file(ConvertSource source, const std::filesystem::path& path,
                                        const ConvertOptions& opts = {});

// The input files for `paths` (files, or directories searched for the source's files in its layout),
// sorted; throws Error naming a path that does not exist or holds nothing to convert.
std::vector<std::filesystem::path> collect_inputs(ConvertSource source,
                                                  const std::vector<std::filesystem::path>& paths);

// The default actor slots of a source's dataset (ntu 2, interhuman 2, others 1).
int default_max_actors(ConvertSource source);

struct ConvertSummary {
  int files = 0, files_failed = 0;
  int clips_written = 0, clips_rejected = 0;
  std::map<std::string, int> reject_reasons;  // validation issue code -> clips
  std::vector<std::string> errors;            // one line per failed file
  std::vector<std::string> rejections;        // one line per rejected clip ("id: summary")
};
// Converts `inputs` into the dataset at `out_dir` (written only when everything succeeded, or with
// keep_going when at least one clip was written). Clips failing validate() are not written; they are
// counted with their reasons. `progress(done, total, file)` may be empty.
ConvertSummary convert_to_dataset(ConvertSource source, const std::vector<std::filesystem::path>& inputs,
                                  const std::filesystem::path& out_dir, const ConvertOptions& opts,
                                  bool keep_going = false,
                                  const std::function<void(int, int, const std::filesystem::path&)>& progress = {});

// Any motion file as a clip, by extension: .motion (read_motion_file), .bvh, .skeleton (NTU), .npy
// (HumanML3D new_joints; InterHuman when under person1/person2; else [T, J>=22, 3] SMPL-order joints,
// y up, 20 fps unless opts.fps), .npz (AMASS joints). Converted formats give their first window
// (opts.window_seconds, default 10 s); the clip is v3 unless opts.format says v1.
Clip load_motion_any(const std::filesystem::path& path, const ConvertOptions& opts = {});
// True for the extensions load_motion_any converts (bvh, skeleton, npy, npz), not .motion.
bool is_convertible_motion(const std::filesystem::path& path);

// ================================================================ building blocks (exposed for tests and fuzzing)
namespace convert {

struct Vec3 {
  double x = 0, y = 0, z = 0;
  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  double dot(const Vec3& o) const { return x * o.x + y * o.y + z * o.z; }
  Vec3 cross(const Vec3& o) const { return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x}; }
  double norm() const;
};

// ---------------------------------------------------------------- BVH
enum class Channel : uint8_t { x_position, y_position, z_position, x_rotation, y_rotation, z_rotation };
std::string_view channel_name(Channel c);  // "Xposition", ...

struct BvhJoint {
  std::string name;            // "End Site" joints are named "<parent> End"
  int parent = -1;             // index into BvhFile::joints, -1 for a ROOT
  Vec3 offset;                 // from the parent, in file units
  std::vector<Channel> channels;  // in file order (rotation order = this order, intrinsic)
  int first_channel = 0;       // column of channels[0] in a frame line
  bool end_site = false;
  int line = 0;                // where it was declared
};

struct BvhFile {
  std::vector<BvhJoint> joints;  // parents before children
  int channel_count = 0;
  int frames = 0;
  double frame_time = 0;         // seconds
  std::vector<float> values;     // [frames, channel_count], degrees and file units
  std::vector<std::string> warnings;  // tolerated oddities (frame lines beyond 'Frames:')
  int children_of(int joint, std::vector<int>& out) const;
  int find(std::string_view name) const;  // exact name, -1 when absent
};

// Strict parser: errors are one line "<origin>:<line>: <what>".
BvhFile parse_bvh(std::string_view text, std::string_view origin = "<bvh>");
BvhFile read_bvh(const std::filesystem::path& path);

// World positions of every joint (End Sites included) in `frame`; frame -1 gives the rest pose (OFFSETs,
// no rotation). A joint's position channels replace its OFFSET; rotations apply in channel order.
void bvh_forward_kinematics(const BvhFile& bvh, int frame, std::vector<Vec3>& world);

// Which BVH joint feeds each v3 joint. pelvis_center is always the midpoint of the hips; head_center is
// the midpoint of the head joint and its top (an End Site or a HeadTop joint) when it has one; chest is
// the spine joint nearest 52.5 % of the way from the hips' midpoint to the neck in the rest pose (the
// midpoint of those two when the rig has no spine joint between them).
struct BvhJointMap {
  std::array<int, v3::kJointCount> joint{};  // BVH joint index per v3 joint (-1 = derived)
  int head_top = -1;                          // BVH joint marking the top of the head, or -1
  std::string rig;                            // "cmu", "mixamo", "100style", "generic", "map"
};
// By name patterns (docs/CONVERTERS.md); `overrides` (v3 joint name -> BVH joint name, from a
// --joint-map file) win. Throws Error naming the v3 joint it cannot place.
BvhJointMap map_bvh_joints(const BvhFile& bvh, const std::map<std::string, std::string>& overrides = {},
                           std::string_view origin = "<bvh>");
// Parses a joint-map file: "stickgen_joint bvh_joint" per line ('=' or ':' also separate), # comments.
std::map<std::string, std::string> parse_joint_map(std::string_view text, std::string_view origin);

// ---------------------------------------------------------------- NPY / NPZ
struct NpyArray {
  std::string descr;            // as written ("<f4", "<f8", ...)
  std::vector<int64_t> shape;   // () for a scalar
  std::vector<float> data;      // converted to float, C order
  int64_t size() const;
};
// .npy v1.0/2.0/3.0, dtypes <f4 <f8 >f4 >f8 <f2 (and integer types, converted), C order; errors
// "<origin>: <field>: <what>".
NpyArray parse_npy(std::string_view bytes, std::string_view origin = "<npy>");
NpyArray read_npy(const std::filesystem::path& path);

// A zip archive (.npz): entries stored or deflated. `names` lists them; read(name) decompresses one.
class ZipReader {
 public:
  ZipReader(std::string bytes, std::string origin);
  const std::vector<std::string>& names() const { return names_; }
  bool contains(std::string_view name) const;
  std::string read(std::string_view name) const;  // throws Error for a missing or corrupt entry

 private:
  struct Entry {
    std::string name;
    uint16_t method = 0;
    uint64_t compressed = 0, size = 0, local = 0;
    uint32_t crc = 0;
  };
  std::string bytes_, origin_;
  std::vector<Entry> entries_;
  std::vector<std::string> names_;
};
// Raw DEFLATE (RFC 1951) decompression of exactly `expected` bytes; Error on any inconsistency.
std::string inflate(std::string_view compressed, size_t expected, std::string_view origin);
uint32_t crc32(std::string_view bytes);

// ---------------------------------------------------------------- NTU RGB+D
constexpr int kNtuJoints = 25;
struct NtuBody {
  uint64_t id = 0;
  std::array<Vec3, kNtuJoints> joints;  // camera space, metres
};
struct NtuSkeleton {
  std::vector<std::vector<NtuBody>> frames;
};
NtuSkeleton parse_ntu_skeleton(std::string_view text, std::string_view origin = "<skeleton>");
// NTU RGB+D 60 classes: A001..A060 -> (class name, our action).
struct NtuClass {
  int code;                  // 1..60
  std::string_view name;     // as published ("drink water", ...)
  int action;                // our nearest action
  bool mutual;               // a two-person class (A050..A060)
};
std::span<const NtuClass> ntu_classes();
// S###C###P###R###A### fields of an NTU file name; nullopt when the name does not have them.
struct NtuName {
  int setup = 0, camera = 0, performer = 0, replication = 0, action = 0;
};
std::optional<NtuName> parse_ntu_name(std::string_view stem);

// ---------------------------------------------------------------- labels
// The action a text asks for (a description, a caption, a file name split into words), through the
// planner's lexicon words; nullopt when no word names an action.
std::optional<int> action_for_text(std::string_view text);
// "ArmsAboveHead" -> "arms above head", "walk_fast-02" -> "walk fast 02".
std::string words_of_name(std::string_view name);
// CMU index text: "01_01  playground - forward jumps" lines -> take id -> description; also
// "Subject #1 (climb, swing)" -> "01" -> description.
std::map<std::string, std::string> parse_cmu_index(std::string_view text);

// ---------------------------------------------------------------- the shared pipeline
// 3-D joint positions of one take in the v3 joint order, +y up (any unit; scale is normalised).
struct Take {
  float fps = 0.f;
  int frames = 0, actors = 0;
  std::vector<Vec3> joints;      // [frames, actors, 16]; pelvis_center is recomputed from the hips
  std::vector<uint8_t> present;  // [frames, actors]
  std::string id, base_id, source, description;
  int action = kNoAction;
  std::map<std::string, std::string> metadata;
  Vec3& at(int t, int a, int j) { return joints[(static_cast<size_t>(t) * actors + a) * v3::kJointCount + j]; }
  const Vec3& at(int t, int a, int j) const {
    return joints[(static_cast<size_t>(t) * actors + a) * v3::kJointCount + j];
  }
};
// Rotation taking `up` ('x','y','z' or '-x', ...) to +y with det +1, applied to every joint.
void make_y_up(Take& take, std::string_view up_axis);
// Standing height of an actor from its median bone lengths: thigh + shin + lower and upper torso + two
// head lengths (the figure's head circle), in the take's units. 0 when the actor never appears.
double standing_height(const Take& take, int actor);
// Project, scale, resample to 25 fps, make rigid, ground, window: the clips of one take.
std::vector<ConvertedClip> take_to_clips(const Take& take, const ConvertOptions& opts);
// The take of one BVH or NTU file's text; `path` names it in errors, labels it and locates companion
// files (a CMU index beside it). convert_file reads the file and calls these.
Take bvh_take(std::string_view text, const std::filesystem::path& path, const ConvertOptions& opts = {});
Take ntu_take(std::string_view text, const std::filesystem::path& path, const ConvertOptions& opts = {}, int max_actors = 2);

}  // namespace convert
}  // namespace stickgen
