// The dataset directory: clips.safetensors (every clip's frames packed end to end) and
// clips.jsonl (one record per clip). Layout in docs/FORMATS.md.
#include "stickgen/dataset.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "io/safetensors_layout.hpp"
#include "stickgen/actions.hpp"

namespace stickgen {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kTensorsFile = "clips.safetensors";
constexpr const char* kRecordsFile = "clips.jsonl";
constexpr const char* kDatasetVersion = "1";
constexpr int kMaxActors = 64;
constexpr const char* kStandardKeys[] = {"id", "description", "source", "split", "base_id", "quality"};

bool is_standard_key(const std::string& key) {
  for (const char* k : kStandardKeys)
    if (key == k) return true;
  return false;
}

// The double whose shortest decimal text is the float's shortest text, so JSON shows 0.8, not
// 0.800000011920929.
double float_as_double(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

fs::path normalized(fs::path dir) {
  dir = dir.lexically_normal();
  if (dir.filename() == "." || dir.filename() == "..") dir = fs::absolute(dir).lexically_normal();
  if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();
  return dir;
}

fs::path sibling_temp(const fs::path& dir, const char* tag) {
  static std::atomic<uint64_t> counter{0};
  fs::path p = dir;
  p += std::string(".tmp-") + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return p;
}

// A directory we may replace: absent, empty, or holding a dataset.
bool replaceable(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  if (!fs::is_directory(dir, ec)) return false;
  if (fs::exists(dir / kTensorsFile, ec)) return true;
  return fs::is_empty(dir, ec);
}

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

template <typename T>
void write_raw(std::ofstream& out, const std::vector<T>& v) {
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

// ---------------------------------------------------------------- writer

struct DatasetWriter::Impl {
  fs::path dir, spool;
  SkeletonFormat format = SkeletonFormat::v1;
  int max_actors = 1, embedding_dim = 0;
  std::ofstream motion, actions, mask, physics, camera, embeddings, records;
  std::vector<int64_t> offsets{0};
  std::vector<float> fps;
  std::vector<uint8_t> camera_mask;
  std::set<std::string> ids;
  bool any_camera = false, finished = false, broken = false;

  std::string what() const { return "dataset " + dir.string(); }
  fs::path spool_file(const char* name) const { return spool / name; }

  void open(std::ofstream& s, const char* name) {
    s.open(spool_file(name), std::ios::binary | std::ios::trunc);
    if (!s) throw Error(what() + ": cannot create spool file " + spool_file(name).string() + " (" + std::strerror(errno) + ")");
  }

  void discard() {
    for (auto* s : {&motion, &actions, &mask, &physics, &camera, &embeddings, &records})
      if (s->is_open()) s->close();
    std::error_code ec;
    fs::remove_all(spool, ec);
  }
};

DatasetWriter::DatasetWriter(fs::path dir, SkeletonFormat format, int max_actors, int embedding_dim)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.dir = normalized(std::move(dir));
  d.format = format;
  d.max_actors = max_actors;
  d.embedding_dim = embedding_dim;
  if (max_actors < 1 || max_actors > kMaxActors)
    throw Error(d.what() + ": max_actors must be 1.." + std::to_string(kMaxActors) + ", got " + std::to_string(max_actors));
  if (embedding_dim < 0 || embedding_dim > (1 << 20))
    throw Error(d.what() + ": embedding_dim must be 0..1048576, got " + std::to_string(embedding_dim));
  if (!replaceable(d.dir))
    throw Error(d.what() + ": exists and is not a dataset directory (no " + kTensorsFile + "); refusing to replace it");
  std::error_code ec;
  if (d.dir.has_parent_path()) fs::create_directories(d.dir.parent_path(), ec);
  d.spool = sibling_temp(d.dir, "spool");
  if (!fs::create_directory(d.spool, ec))
    throw Error(d.what() + ": cannot create spool directory " + d.spool.string() + " (" + ec.message() + ")");
  try {
    d.open(d.motion, "motion.bin");
    d.open(d.actions, "actions.bin");
    d.open(d.mask, "actor_mask.bin");
    d.open(d.physics, "physics.bin");
    d.open(d.camera, "camera.bin");
    if (embedding_dim > 0) d.open(d.embeddings, "embeddings.bin");
    d.open(d.records, kRecordsFile);
  } catch (...) {
    d.discard();
    throw;
  }
}

DatasetWriter::~DatasetWriter() {
  if (impl_ && !impl_->finished) impl_->discard();
}

size_t DatasetWriter::size() const { return impl_->fps.size(); }

void DatasetWriter::add(const Clip& input, const ClipRecord& rec, const float* embedding) {
  Impl& d = *impl_;
  if (d.finished) throw Error(d.what() + ": add() after finish()");
  if (d.broken) throw Error(d.what() + ": an earlier write failed; the dataset cannot be finished");

  ClipRecord record = rec;
  if (record.id.empty()) record.id = input.id;
  if (record.description.empty()) record.description = input.description;
  if (record.source.empty()) record.source = input.source;
  for (const auto& [k, v] : input.metadata) record.extra.emplace(k, v);  // the record's own fields win
  const std::string clip_what = d.what() + ": clip " + std::to_string(size()) +
                                (record.id.empty() ? "" : " '" + one_line(record.id) + "'");

  // Validate everything before the first byte goes to the spool.
  if (record.id.empty()) throw Error(clip_what + ": empty id");
  if (d.ids.count(record.id)) throw Error(clip_what + ": id already used by an earlier clip");
  for (const auto& [k, v] : record.extra)
    if (is_standard_key(k)) throw Error(clip_what + ": extra field '" + one_line(k) + "' clashes with a standard field");
  if (!std::isfinite(record.quality)) throw Error(clip_what + ": quality is not finite");
  try {
    input.check_shapes();
  } catch (const Error& e) {
    throw Error(clip_what + ": " + e.what());
  }
  if (input.format != d.format)
    throw Error(clip_what + ": skeleton " + std::string(format_name(input.format)) + ", but the dataset is " +
                std::string(format_name(d.format)));
  if (input.frames < 1) throw Error(clip_what + ": no frames");
  if (input.actors < 1 || input.actors > d.max_actors)
    throw Error(clip_what + ": " + std::to_string(input.actors) + " actors, expected 1.." + std::to_string(d.max_actors));
  bool any_present = false;
  for (uint8_t m : input.actor_mask) {
    if (m > 1) throw Error(clip_what + ": actor_mask holds " + std::to_string(m) + ", expected 0 or 1");
    any_present = any_present || m;
  }
  if (!any_present) throw Error(clip_what + ": no actor is present in any frame");
  for (int16_t a : input.actions)
    if (a != kNoAction && (a < 0 || a >= kNumActions))
      throw Error(clip_what + ": action id " + std::to_string(a) + " outside 0.." + std::to_string(kNumActions - 1));
  auto finite = [&](const std::vector<float>& v, const char* field) {
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) throw Error(clip_what + ": " + field + "[" + std::to_string(i) + "] is not finite");
  };
  finite(input.motion, "motion");
  finite(input.physics, "physics");
  finite(input.camera, "camera");
  if (d.embedding_dim > 0) {
    if (!embedding) throw Error(clip_what + ": the dataset has " + std::to_string(d.embedding_dim) + "-d embeddings, none given");
    for (int i = 0; i < d.embedding_dim; ++i)
      if (!std::isfinite(embedding[i])) throw Error(clip_what + ": embedding[" + std::to_string(i) + "] is not finite");
  } else if (embedding) {
    throw Error(clip_what + ": an embedding was given, but the dataset has none (embedding_dim 0)");
  }

  const Clip* clip = &input;
  Clip with_physics;
  if (input.physics.empty()) {
    with_physics = input;
    compute_physics(with_physics);
    clip = &with_physics;
  }

  // Pack into max_actors slots; missing actors are absent (mask 0, no action, zero pose).
  const int T = clip->frames, A = d.max_actors, D = clip->dims();
  std::vector<float> motion(static_cast<size_t>(T) * A * D, 0.f), physics(static_cast<size_t>(T) * A * kPhysicsDims, 0.f);
  std::vector<int16_t> actions(static_cast<size_t>(T) * A, kNoAction);
  std::vector<uint8_t> mask(static_cast<size_t>(T) * A, 0);
  for (int t = 0; t < T; ++t) {
    for (int a = 0; a < clip->actors; ++a) {
      const size_t slot = static_cast<size_t>(t) * A + a;
      std::copy_n(clip->pose(t, a), D, motion.data() + slot * D);
      std::copy_n(clip->physics_at(t, a), kPhysicsDims, physics.data() + slot * kPhysicsDims);
      actions[slot] = clip->action(t, a);
      mask[slot] = clip->actor_mask[clip->slot(t, a)];
    }
  }
  std::vector<float> camera = clip->camera;
  if (camera.empty()) camera.assign(static_cast<size_t>(T) * 3, 0.f);

  nlohmann::ordered_json line;
  line["id"] = record.id;
  line["description"] = record.description;
  line["source"] = record.source;
  line["split"] = record.split;
  line["base_id"] = record.base_id;
  line["quality"] = float_as_double(record.quality);
  for (const auto& [k, v] : record.extra) line[k] = v;

  write_raw(d.motion, motion);
  write_raw(d.physics, physics);
  write_raw(d.actions, actions);
  write_raw(d.mask, mask);
  write_raw(d.camera, camera);
  if (d.embedding_dim > 0)
    d.embeddings.write(reinterpret_cast<const char*>(embedding), static_cast<std::streamsize>(d.embedding_dim * sizeof(float)));
  d.records << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  for (auto* s : {&d.motion, &d.physics, &d.actions, &d.mask, &d.camera, &d.records})
    if (!*s) d.broken = true;
  if (d.embedding_dim > 0 && !d.embeddings) d.broken = true;
  if (d.broken) throw Error(d.what() + ": cannot write the spool in " + d.spool.string() + " (disk full?)");

  d.offsets.push_back(d.offsets.back() + T);
  d.fps.push_back(clip->fps);
  d.camera_mask.push_back(clip->camera.empty() ? 0 : 1);
  d.any_camera = d.any_camera || !clip->camera.empty();
  d.ids.insert(record.id);
}

void DatasetWriter::finish() {
  Impl& d = *impl_;
  if (d.finished) throw Error(d.what() + ": finish() called twice");
  if (d.broken) throw Error(d.what() + ": an earlier write failed; the dataset cannot be finished");
  for (auto* s : {&d.motion, &d.actions, &d.mask, &d.physics, &d.camera, &d.embeddings, &d.records}) {
    if (!s->is_open()) continue;
    s->flush();
    if (!*s) throw Error(d.what() + ": cannot write the spool in " + d.spool.string() + " (disk full?)");
    s->close();
  }
  if (!replaceable(d.dir))
    throw Error(d.what() + ": exists and is not a dataset directory (no " + kTensorsFile + "); refusing to replace it");

  const int64_t N = static_cast<int64_t>(d.fps.size()), F = d.offsets.back(), A = d.max_actors;
  const int64_t D = static_cast<int>(d.format), E = d.embedding_dim;
  struct Source {
    fs::path file;                  // spool file, or
    const void* memory = nullptr;   // an in-memory buffer
  };
  std::vector<io::TensorLayout> layout;
  std::map<std::string, Source> sources;
  auto from_file = [&](const char* name, DType dt, std::vector<int64_t> shape, const char* file) {
    layout.push_back({name, dt, std::move(shape), fs::file_size(d.spool_file(file))});
    sources[name] = {d.spool_file(file), nullptr};
  };
  auto from_memory = [&](const char* name, DType dt, std::vector<int64_t> shape, const void* p, size_t nbytes) {
    layout.push_back({name, dt, std::move(shape), nbytes});
    sources[name] = {{}, p};
  };
  from_file("motion", DType::F32, {F, A, D}, "motion.bin");
  from_file("actions", DType::I16, {F, A}, "actions.bin");
  from_file("actor_mask", DType::U8, {F, A}, "actor_mask.bin");
  from_file("physics", DType::F32, {F, A, kPhysicsDims}, "physics.bin");
  from_memory("offsets", DType::I64, {N + 1}, d.offsets.data(), d.offsets.size() * sizeof(int64_t));
  from_memory("fps", DType::F32, {N}, d.fps.data(), d.fps.size() * sizeof(float));
  if (d.any_camera) {
    from_file("camera", DType::F32, {F, 3}, "camera.bin");
    from_memory("camera_mask", DType::U8, {N}, d.camera_mask.data(), d.camera_mask.size());
  }
  if (E > 0) from_file("embeddings", DType::F32, {N, E}, "embeddings.bin");

  std::map<std::string, std::string> metadata{{"format", std::string(format_name(d.format))},
                                               {"max_actors", std::to_string(A)},
                                               {"embedding_dim", std::to_string(E)},
                                               {"version", kDatasetVersion},
                                               {"stickgen.format", "dataset"}};
  const std::string prefix = io::layout_safetensors(layout, metadata);  // checks every size

  const fs::path tensors_path = d.spool_file(kTensorsFile);
  {
    std::ofstream out(tensors_path, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(d.what() + ": cannot create " + tensors_path.string() + " (" + std::strerror(errno) + ")");
    out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    std::vector<char> chunk(1 << 20);
    for (const auto& t : layout) {
      const Source& src = sources.at(t.name);
      if (src.memory) {
        out.write(static_cast<const char*>(src.memory), static_cast<std::streamsize>(t.nbytes));
        continue;
      }
      std::ifstream in(src.file, std::ios::binary);
      uint64_t left = t.nbytes;
      while (left > 0 && in) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
        in.read(chunk.data(), static_cast<std::streamsize>(n));
        out.write(chunk.data(), in.gcount());
        left -= static_cast<uint64_t>(in.gcount());
      }
      if (left != 0) throw Error(d.what() + ": spool file " + src.file.string() + " is shorter than expected");
    }
    out.flush();
    if (!out) throw Error(d.what() + ": cannot write " + tensors_path.string() + " (disk full?)");
  }
  for (const char* f : {"motion.bin", "actions.bin", "actor_mask.bin", "physics.bin", "camera.bin", "embeddings.bin"}) {
    std::error_code ec;
    fs::remove(d.spool_file(f), ec);
  }
  fsync_path(tensors_path, false);
  fsync_path(d.spool_file(kRecordsFile), false);
  fsync_path(d.spool, true);

  // Swap the finished directory in. An existing dataset is exchanged atomically where the
  // filesystem supports it, then deleted.
  std::error_code ec;
  if (!fs::exists(d.dir, ec)) {
    fs::rename(d.spool, d.dir, ec);
    if (ec) throw Error(d.what() + ": cannot move the finished dataset into place (" + ec.message() + ")");
  } else if (::renameat2(AT_FDCWD, d.spool.c_str(), AT_FDCWD, d.dir.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(d.spool, ec);  // now holds the old dataset
  } else {
    const fs::path old = sibling_temp(d.dir, "old");
    fs::rename(d.dir, old, ec);
    if (ec) throw Error(d.what() + ": cannot move the old dataset aside (" + ec.message() + ")");
    fs::rename(d.spool, d.dir, ec);
    if (ec) {
      std::error_code ec2;
      fs::rename(old, d.dir, ec2);
      throw Error(d.what() + ": cannot move the finished dataset into place (" + ec.message() + ")");
    }
    fs::remove_all(old, ec);
  }
  if (d.dir.has_parent_path()) fsync_path(d.dir.parent_path(), true);
  d.finished = true;
}

// ---------------------------------------------------------------- reader

DatasetReader::DatasetReader(const fs::path& dir) : dir_(normalized(dir)) {
  const fs::path tensors_path = dir_ / kTensorsFile, records_path = dir_ / kRecordsFile;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) throw Error(dir_.string() + ": not a dataset directory (expected a directory)");
  file_ = SafeTensorsFile::open(tensors_path);
  const std::string where = tensors_path.string();
  auto fail = [&](const std::string& what) -> Error { return Error(where + ": " + what); };

  const auto& meta = file_.metadata();
  auto meta_value = [&](const char* key) -> const std::string& {
    auto it = meta.find(key);
    if (it == meta.end()) throw fail(std::string("__metadata__.") + key + ": missing (not a stickgen dataset?)");
    return it->second;
  };
  auto meta_int = [&](const char* key, int lo, int hi) {
    const std::string& s = meta_value(key);
    int v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
      throw fail(std::string("__metadata__.") + key + ": expected an integer " + std::to_string(lo) + ".." +
                 std::to_string(hi) + ", got '" + s + "'");
    return v;
  };
  if (meta_value("version") != kDatasetVersion)
    throw fail("__metadata__.version: expected \"" + std::string(kDatasetVersion) + "\", got \"" + meta_value("version") + "\"");
  if (auto kind = meta.find("stickgen.format"); kind != meta.end() && kind->second != "dataset")
    throw fail("__metadata__.stickgen.format: expected \"dataset\", got \"" + kind->second + "\" (not a dataset file)");
  auto fmt = parse_format(meta_value("format"));
  if (!fmt) throw fail("__metadata__.format: expected \"v1\" or \"v3\", got \"" + meta_value("format") + "\"");
  format_ = *fmt;
  max_actors_ = meta_int("max_actors", 1, kMaxActors);
  embedding_dim_ = meta_int("embedding_dim", 0, 1 << 20);

  auto expect = [&](const char* name, DType dt, std::vector<int64_t> shape) -> const TensorView& {
    if (!file_.contains(name)) throw fail("tensor '" + std::string(name) + "' missing");
    const TensorView& t = file_.get(name);
    if (t.dtype != dt || t.shape != shape)
      throw fail("tensor '" + std::string(name) + "': expected " + std::string(dtype_name(dt)) + " " + shape_text(shape) +
                 ", got " + std::string(dtype_name(t.dtype)) + " " + shape_text(t.shape));
    return t;
  };
  if (!file_.contains("offsets")) throw fail("tensor 'offsets' missing");
  const TensorView& off = file_.get("offsets");
  if (off.dtype != DType::I64 || off.shape.size() != 1 || off.shape[0] < 1)
    throw fail("tensor 'offsets': expected I64 [N+1], got " + std::string(dtype_name(off.dtype)) + " " + shape_text(off.shape));
  offsets_ = off.to_i64();
  const int64_t N = off.shape[0] - 1;
  if (offsets_[0] != 0) throw fail("tensor 'offsets': offsets[0] is " + std::to_string(offsets_[0]) + ", expected 0");
  for (int64_t i = 0; i < N; ++i)
    if (offsets_[i + 1] <= offsets_[i])
      throw fail("tensor 'offsets': offsets[" + std::to_string(i + 1) + "] = " + std::to_string(offsets_[i + 1]) +
                 " is not after offsets[" + std::to_string(i) + "] = " + std::to_string(offsets_[i]));
  const int64_t F = offsets_.back(), A = max_actors_, D = static_cast<int>(format_);
  if (!file_.contains("motion")) throw fail("tensor 'motion' missing");
  expect("motion", DType::F32, {F, A, D});
  expect("physics", DType::F32, {F, A, kPhysicsDims});
  const auto& mask = expect("actor_mask", DType::U8, {F, A});
  for (size_t i = 0; i < mask.nbytes; ++i)
    if (mask.data[i] > 1) throw fail("tensor 'actor_mask': value " + std::to_string(mask.data[i]) + " at " + std::to_string(i) + ", expected 0 or 1");
  const auto& acts = expect("actions", DType::I16, {F, A});
  for (int64_t i = 0; i < F * A; ++i) {
    const int16_t a = load<int16_t>(acts.data + 2 * i);
    if (a != kNoAction && (a < 0 || a >= kNumActions))
      throw fail("tensor 'actions': value " + std::to_string(a) + " at " + std::to_string(i) + ", expected -1.." +
                 std::to_string(kNumActions - 1));
  }
  const auto& fps = expect("fps", DType::F32, {N});
  for (int64_t i = 0; i < N; ++i) {
    const float f = load<float>(fps.data + 4 * i);
    if (!(f > 0.f) || !std::isfinite(f)) throw fail("tensor 'fps': clip " + std::to_string(i) + " has fps " + std::to_string(f));
  }
  const bool camera = file_.contains("camera"), camera_mask = file_.contains("camera_mask");
  if (camera != camera_mask) throw fail("tensors 'camera' and 'camera_mask' must come together");
  if (camera) {
    expect("camera", DType::F32, {F, 3});
    expect("camera_mask", DType::U8, {N});
  }
  if (embedding_dim_ > 0) expect("embeddings", DType::F32, {N, embedding_dim_});
  else if (file_.contains("embeddings")) throw fail("tensor 'embeddings' present but __metadata__.embedding_dim is 0");

  // clips.jsonl: exactly N records
  const std::string text = read_file(records_path);
  const std::string rwhere = records_path.string();
  std::set<std::string> ids;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string at = rwhere + ":" + std::to_string(line_no);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) throw Error(at + ": empty line, expected a clip record");
    json j;
    try {
      j = json::parse(line.begin(), line.end());
    } catch (const json::exception& e) {
      std::string msg = e.what();
      if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
      throw Error(at + ": not valid JSON (" + msg + ")");
    }
    if (!j.is_object()) throw Error(at + ": expected a JSON object, got " + std::string(j.type_name()));
    ClipRecord r;
    for (const auto& [key, value] : j.items()) {
      if (key == "quality") {
        if (!value.is_number() || !std::isfinite(value.get<double>()) || std::fabs(value.get<double>()) > 1e30)
          throw Error(at + ": quality: expected a number, got " + std::string(value.type_name()));
        r.quality = static_cast<float>(value.get<double>());
        continue;
      }
      if (!value.is_string()) throw Error(at + ": " + key + ": expected a string, got " + std::string(value.type_name()));
      const std::string& s = value.get_ref<const std::string&>();
      if (key == "id") r.id = s;
      else if (key == "description") r.description = s;
      else if (key == "source") r.source = s;
      else if (key == "split") r.split = s;
      else if (key == "base_id") r.base_id = s;
      else r.extra[key] = s;
    }
    if (r.id.empty()) throw Error(at + ": id: missing or empty");
    if (!ids.insert(r.id).second) throw Error(at + ": id '" + r.id + "' appears twice");
    records_.push_back(std::move(r));
  }
  if (static_cast<int64_t>(records_.size()) != N)
    throw Error(rwhere + ": " + std::to_string(records_.size()) + " records, but " + where + " holds " +
                std::to_string(N) + " clips");
}

int64_t DatasetReader::frames(size_t i) const {
  if (i >= size()) throw Error(dir_.string() + ": clip " + std::to_string(i) + " out of range (" + std::to_string(size()) + " clips)");
  return offsets_[i + 1] - offsets_[i];
}

Clip DatasetReader::clip(size_t i) const {
  const int T = static_cast<int>(frames(i));
  const int S = max_actors_, D = static_cast<int>(format_);
  const int64_t f0 = offsets_[i];
  const uint8_t* mask = file_.get("actor_mask").data + f0 * S;
  int actors = 1;  // one more than the last slot present in any frame
  for (int t = 0; t < T; ++t)
    for (int a = 0; a < S; ++a)
      if (mask[static_cast<size_t>(t) * S + a]) actors = std::max(actors, a + 1);

  const float fps = load<float>(file_.get("fps").data + 4 * i);
  Clip c = Clip::make(format_, T, actors, fps);
  const uint8_t* motion = file_.get("motion").data + f0 * S * D * 4;
  const uint8_t* physics = file_.get("physics").data + f0 * S * kPhysicsDims * 4;
  const uint8_t* actions = file_.get("actions").data + f0 * S * 2;
  c.physics.resize(static_cast<size_t>(T) * actors * kPhysicsDims);
  for (int t = 0; t < T; ++t) {
    for (int a = 0; a < actors; ++a) {
      const size_t src = static_cast<size_t>(t) * S + a;
      std::memcpy(c.pose(t, a), motion + src * D * 4, static_cast<size_t>(D) * 4);
      std::memcpy(c.physics_at(t, a), physics + src * kPhysicsDims * 4, kPhysicsDims * 4);
      c.actions[c.slot(t, a)] = load<int16_t>(actions + src * 2);
      c.actor_mask[c.slot(t, a)] = mask[src];
    }
  }
  if (file_.contains("camera_mask") && file_.get("camera_mask").data[i]) {
    c.camera.resize(static_cast<size_t>(T) * 3);
    std::memcpy(c.camera.data(), file_.get("camera").data + f0 * 3 * 4, c.camera.size() * 4);
  }
  const ClipRecord& r = records_[i];
  c.id = r.id;
  c.description = r.description;
  c.source = r.source;
  c.metadata = r.extra;
  return c;
}

std::vector<float> DatasetReader::embedding(size_t i) const {
  if (i >= size()) throw Error(dir_.string() + ": clip " + std::to_string(i) + " out of range (" + std::to_string(size()) + " clips)");
  if (embedding_dim_ == 0) return {};
  std::vector<float> e(static_cast<size_t>(embedding_dim_));
  std::memcpy(e.data(), file_.get("embeddings").data + i * embedding_dim_ * 4, e.size() * 4);
  return e;
}

}  // namespace stickgen
