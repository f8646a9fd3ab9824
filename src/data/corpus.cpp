// Sharded, resumable, deterministic corpus synthesis (include/stickgen/corpus.hpp, docs/DATA.md).
#include "stickgen/corpus.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "stickgen/common.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/synth.hpp"

namespace stickgen {
namespace fs = std::filesystem;
namespace {

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string shard_name(int64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shard-%05lld", static_cast<long long>(k));
  return buf;
}

fs::path normalized(fs::path dir) {
  dir = dir.lexically_normal();
  if (dir.filename() == "." || dir.filename() == "..") dir = fs::absolute(dir).lexically_normal();
  if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();
  return dir;
}

std::string manifest_text(const CorpusOptions& o) {
  nlohmann::ordered_json j;
  j["stickgen"] = "synthetic corpus";
  j["version"] = 1;
  j["clips"] = o.clips;
  j["seed"] = o.seed;
  j["format"] = std::string(format_name(o.format));
  j["shard_size"] = o.shard_size;
  j["augment"] = o.augment;
  j["max_attempts"] = o.max_attempts;
  j["scene"] = {{"full_seconds", o.scene.full_seconds}, {"full_share", o.scene.full_share},
                {"min_seconds", o.scene.min_seconds},   {"max_actors", o.scene.max_actors},
                {"max_actions", o.scene.max_actions}};
  const auto& a = o.augmentation;
  j["augmentation"] = {{"speed", {a.min_speed, a.max_speed}}, {"max_seconds", a.max_seconds},
                       {"scale", {a.min_scale, a.max_scale}},  {"max_shift", a.max_shift},
                       {"noise", {a.min_noise, a.max_noise}}};
  return j.dump(2) + "\n";
}

struct Tally {
  int64_t base = 0, augmented = 0, redraws = 0, augment_dropped = 0;
  std::map<std::string, int64_t> reasons;
  void add(const Tally& t) {
    base += t.base, augmented += t.augmented, redraws += t.redraws, augment_dropped += t.augment_dropped;
    for (const auto& [k, v] : t.reasons) reasons[k] += v;
  }
};

// Base clip i plus its variants, appended to `w`.
void make_clip(const CorpusOptions& o, int64_t i, DatasetWriter& w, Tally& tally) {
  std::string last;
  for (int attempt = 0; attempt < o.max_attempts; ++attempt) {
    const Scene sc = sample_scene(o.seed, static_cast<uint64_t>(i), attempt, o.scene);
    SynthOptions so;
    so.format = o.format;
    so.seed = mix(mix(o.seed) ^ (static_cast<uint64_t>(i) * 0xD1B54A32D192ED03ull) ^ static_cast<uint64_t>(attempt));
    Clip c = synthesize(sc.plan, so);
    const ValidationReport v = validate_data_clip(c);
    if (!v.ok()) last = v.issues.front().code;
    else if (!check_description(c, sc.description).empty()) last = "description";
    else last.clear();
    if (!last.empty()) {
      ++tally.redraws;
      ++tally.reasons[last];
      continue;
    }
    const std::string id = corpus_clip_id(o.seed, i);
    c.id = id;
    c.description = sc.description;
    c.source = "synthetic";
    ClipRecord r;
    r.id = id;
    r.description = sc.description;
    r.source = "synthetic";
    r.extra["layout"] = sc.layout;
    r.extra["engine"] = "procedural";
    if (attempt > 0) r.extra["attempt"] = std::to_string(attempt);
    w.add(c, r);
    ++tally.base;
    if (o.augment > 0) {
      auto variants = augment_clip(c, sc.description, o.augment, mix(so.seed ^ 0xA06A06ull), o.augmentation);
      int k = 0;
      for (auto& v2 : variants) {
        if (!check_description(v2.clip, v2.description).empty()) {
          ++tally.augment_dropped;
          continue;
        }
        ClipRecord ar;
        ar.id = id + "-a" + std::to_string(k++);
        ar.description = v2.description;
        ar.source = "synthetic";
        ar.base_id = id;
        ar.extra["layout"] = sc.layout;
        ar.extra["engine"] = "procedural";
        ar.extra["augment"] = v2.tag;
        v2.clip.id = ar.id;
        w.add(v2.clip, ar);
        ++tally.augmented;
      }
      tally.augment_dropped += o.augment - static_cast<int64_t>(variants.size());
    }
    return;
  }
  throw Error("synth: clip " + std::to_string(i) + ": no scene passed in " + std::to_string(o.max_attempts) +
              " attempts (last failure: " + last + ")");
}

}  // namespace

std::string corpus_clip_id(uint64_t seed, int64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "syn%llu-%07lld", static_cast<unsigned long long>(seed), static_cast<long long>(index));
  return buf;
}

CorpusSummary synthesize_corpus(const fs::path& out_dir, const CorpusOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.clips < 1) throw Error("synth: -n must be at least 1");
  if (o.shard_size < 1) throw Error("synth: --shard-size must be at least 1");
  if (o.augment < 0 || o.augment > 16) throw Error("synth: --augment must be 0..16");
  if (o.max_attempts < 1) throw Error("synth: max_attempts must be at least 1");
  const fs::path dir = normalized(out_dir);
  fs::path partial = dir;
  partial += ".partial";
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && (fs::is_empty(dir, ec) || fs::exists(dir / "clips.safetensors", ec))))
    throw Error(dir.string() + ": exists and is not a dataset directory; refusing to replace it");

  // The manifest ties DIR.partial to the options that made it.
  const std::string manifest = manifest_text(o);
  if (fs::exists(partial, ec)) {
    std::string old;
    try {
      old = read_file(partial / "manifest.json");
    } catch (const Error&) {
      throw Error(partial.string() + ": has no manifest.json; it was not made by stickgen data synth (remove it)");
    }
    if (old != manifest)
      throw Error(partial.string() + ": was started with different options (see its manifest.json); rerun with those "
                  "options to resume, or remove it to start again");
  } else {
    fs::create_directories(partial, ec);
    if (ec) throw Error(partial.string() + ": cannot create (" + ec.message() + ")");
    write_file_atomic(partial / "manifest.json", manifest);
  }
  // Spools of a killed run: inside DIR.partial (shards) and beside DIR (the merge).
  for (const auto& e : fs::directory_iterator(partial, ec))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove_all(e.path(), ec);
  if (fs::exists(dir.parent_path().empty() ? fs::path(".") : dir.parent_path(), ec))
    for (const auto& e : fs::directory_iterator(dir.parent_path().empty() ? fs::path(".") : dir.parent_path(), ec))
      if (e.path().filename().string().rfind(dir.filename().string() + ".tmp-", 0) == 0) fs::remove_all(e.path(), ec);

  const int64_t shards = (o.clips + o.shard_size - 1) / o.shard_size;
  const int max_actors = std::clamp(o.scene.max_actors, 1, 3);
  std::vector<uint8_t> have(static_cast<size_t>(shards), 0);
  CorpusSummary s;
  s.shards = shards;
  int64_t reused_clips = 0;
  for (int64_t k = 0; k < shards; ++k)
    if (fs::exists(partial / shard_name(k) / "clips.safetensors", ec)) {
      have[static_cast<size_t>(k)] = 1;
      ++s.shards_reused;
      reused_clips += std::min<int64_t>(o.shard_size, o.clips - k * o.shard_size);
    }

  std::atomic<int64_t> next{0}, done{reused_clips}, finished_here{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::mutex m;
  Tally total;
  auto work = [&] {
    try {
      for (;;) {
        const int64_t k = next++;
        if (k >= shards || stop) return;
        if (have[static_cast<size_t>(k)]) continue;
        DatasetWriter w(partial / shard_name(k), o.format, max_actors);
        Tally t;
        const int64_t begin = k * o.shard_size, end = std::min(o.clips, begin + o.shard_size);
        for (int64_t i = begin; i < end; ++i) {
          if (stop) return;  // abandoned: the writer's destructor drops the spool
          make_clip(o, i, w, t);
          ++done;
        }
        w.finish();
        {
          std::lock_guard<std::mutex> lock(m);
          total.add(t);
        }
        if (o.stop_after_shards >= 0 && ++finished_here >= o.stop_after_shards) stop = true;
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(m);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };
  int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  jobs = static_cast<int>(std::min<int64_t>(jobs, std::max<int64_t>(1, shards)));
  if (o.stop_after_shards == 0) stop = true;
  {
    std::atomic<int> running{jobs};
    std::vector<std::thread> pool;
    for (int t = 0; t < jobs; ++t)
      pool.emplace_back([&] {
        work();
        --running;
      });
    while (running > 0) {
      if (o.progress) o.progress(done.load(), o.clips);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (auto& th : pool) th.join();
  }
  if (failure) std::rethrow_exception(failure);
  s.base = total.base;
  s.augmented = total.augmented;
  s.redraws = total.redraws;
  s.redraw_reasons = total.reasons;
  s.augment_dropped = total.augment_dropped;
  s.synth_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (o.progress) o.progress(done.load(), o.clips);
  for (int64_t k = 0; k < shards; ++k) s.shards_done += fs::exists(partial / shard_name(k) / "clips.safetensors", ec);
  if (s.shards_done < shards) {
    s.seconds = s.synth_seconds;
    return s;  // stopped early: resume later
  }

  // Merge the shards in order into DIR.
  const auto t1 = std::chrono::steady_clock::now();
  {
    DatasetWriter w(dir, o.format, max_actors);
    for (int64_t k = 0; k < shards; ++k) {
      DatasetReader r(partial / shard_name(k));
      for (size_t i = 0; i < r.size(); ++i) w.add(r.clip(i), r.record(i));
    }
    s.clips = static_cast<int64_t>(w.size());
    w.finish();
  }
  fs::remove_all(partial, ec);
  s.complete = true;
  s.merge_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace stickgen
