// Curation (docs/DATA.md): score every clip, hold out val/test by base clip, keep the pretrain split by
// quality, draw the SFT split stratified by action under stricter gates, write both datasets and a report.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include "stickgen/actions.hpp"
#include "stickgen/augment.hpp"
#include "stickgen/common.hpp"
#include "stickgen/curate.hpp"
#include "stickgen/dataset.hpp"
#include "stickgen/plot.hpp"

namespace stickgen {
namespace fs = std::filesystem;
namespace {

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// A uniform number in [0, 1) from (seed, text): the same for the same key on every machine.
double hash01(uint64_t seed, const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return static_cast<double>(mix(h ^ mix(seed)) >> 11) * (1.0 / 9007199254740992.0);
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string action_label(int a) { return a < 0 ? std::string("(none)") : std::string(action_name(a)); }

int hardware_jobs(int jobs) {
  if (jobs > 0) return jobs;
  const unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 2;
}

// Runs f(i) for i in [0, n) on `jobs` threads; progress(done) from the calling thread.
template <typename F>
void parallel_for(size_t n, int jobs, F f, const std::function<void(int64_t)>& progress) {
  std::atomic<size_t> next{0}, done{0};
  std::exception_ptr failure;
  std::mutex m;
  auto work = [&] {
    for (;;) {
      const size_t i = next++;
      if (i >= n) return;
      try {
        f(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!failure) failure = std::current_exception();
        next = n;
        return;
      }
      ++done;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < jobs; ++t) pool.emplace_back(work);
  if (jobs <= 1 || !progress) {
    work();
  } else {
    std::thread last(work);
    while (done < n && !failure) {
      progress(static_cast<int64_t>(done));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (next >= n && done >= n) break;
    }
    last.join();
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (progress) progress(static_cast<int64_t>(n));
}

double max_over_median(const std::map<int, int64_t>& counts) {
  std::vector<int64_t> v;
  for (const auto& [a, n] : counts)
    if (a >= 0 && n > 0) v.push_back(n);
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double med = v.size() % 2 ? static_cast<double>(v[v.size() / 2])
                                  : 0.5 * static_cast<double>(v[v.size() / 2 - 1] + v[v.size() / 2]);
  return med > 0 ? static_cast<double>(v.back()) / med : 0.0;
}

// Terms written into each curated record.
void put_terms(ClipRecord& r, const QualityScore& q) {
  r.extra["q_physics"] = fmt("%.3f", q.physics);
  r.extra["q_bones"] = fmt("%.3f", q.bones);
  r.extra["q_jitter"] = fmt("%.3f", q.jitter);
  r.extra["q_skating"] = fmt("%.3f", q.skating);
  r.extra["q_static"] = fmt("%.3f", q.statics);
  r.extra["q_repetition"] = fmt("%.3f", q.repetition);
}

struct Item {
  size_t input = 0, index = 0;
  QualityScore q;
  std::string invalid;   // first validation issue code, "" when valid
  int primary = -1;
  std::string key;       // base clip id
  std::string split;     // train / val / test
  bool augmented = false;
  bool pretrain = false, sft = false;
  std::string reject, sft_reject;
};

std::string sft_gate(const QualityScore& q, const SftGate& g) {
  if (q.quality < g.min_quality) return "sft:quality";
  if (q.max_speed > g.max_speed) return "sft:speed";
  if (q.max_accel > g.max_accel) return "sft:acceleration";
  if (q.physics_error > g.max_physics_error) return "sft:physics_error";
  if (q.ground_depth > g.max_ground_depth) return "sft:ground";
  if (q.foot_slip > g.max_foot_slip) return "sft:skating";
  if (q.bones < g.min_bones) return "sft:bones";
  if (q.jitter < g.min_jitter) return "sft:jitter";
  if (q.spike_rate > g.max_spike_rate) return "sft:spikes";
  if (q.repeat_ratio > g.max_repeat_ratio) return "sft:repetition";
  return "";
}

bool is_curate_output(const fs::path& out) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return true;
  if (!fs::is_directory(out, ec)) return false;
  if (fs::is_empty(out, ec)) return true;
  return fs::exists(out / "report.md", ec) || fs::exists(out / "pretrain", ec);
}

std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '|' ? '/' : c;
  return o;
}

}  // namespace

// ======================================================================================== curate

CurateSummary curate(const std::vector<fs::path>& inputs, const fs::path& out, const CurateOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (inputs.empty()) throw Error("curate: no input dataset");
  if (!(o.val_share >= 0.f) || !(o.test_share >= 0.f) || o.val_share + o.test_share >= 1.f)
    throw Error("curate: val and test shares must be >= 0 and add up to less than 1");
  if (o.sft_size < 1) throw Error("curate: --sft-size must be at least 1");
  if (!is_curate_output(out))
    throw Error(out.string() + ": exists and is not a curation output (no report.md or pretrain/); refusing to write into it");

  std::vector<std::unique_ptr<DatasetReader>> readers;
  for (const auto& p : inputs) readers.push_back(std::make_unique<DatasetReader>(p));
  const SkeletonFormat format = readers[0]->format();
  int max_actors = 1;
  for (size_t k = 0; k < readers.size(); ++k) {
    if (readers[k]->format() != format)
      throw Error(inputs[k].string() + ": skeleton " + std::string(format_name(readers[k]->format())) + ", but " +
                  inputs[0].string() + " is " + std::string(format_name(format)) + "; curate one format at a time");
    max_actors = std::max(max_actors, readers[k]->max_actors());
  }
  std::vector<Item> items;
  std::set<std::string> ids;
  for (size_t k = 0; k < readers.size(); ++k)
    for (size_t i = 0; i < readers[k]->size(); ++i) {
      Item it;
      it.input = k, it.index = i;
      const ClipRecord& r = readers[k]->record(i);
      if (!ids.insert(r.id).second)
        throw Error(inputs[k].string() + ": clip id '" + r.id + "' also appears in an earlier input; ids must be unique");
      it.key = r.base_id.empty() ? r.id : r.base_id;
      // Augmented variants carry an "augment" tag; records that only share a base id (the windows of
      // one motion-capture take) are originals that travel to the same split together.
      it.augmented = !r.base_id.empty() && r.base_id != r.id && r.extra.count("augment");
      items.push_back(std::move(it));
    }

  CurateSummary s;
  s.input = static_cast<int64_t>(items.size());
  const int jobs = hardware_jobs(o.jobs);
  auto report = [&](const char* stage) {
    return [&, stage](int64_t done) {
      if (o.progress) o.progress(done, s.input, stage);
    };
  };

  // 1. Score and validate.
  parallel_for(
      items.size(), jobs,
      [&](size_t n) {
        Item& it = items[n];
        const Clip c = readers[it.input]->clip(it.index);
        it.q = score_clip(c, o.thresholds, o.weights);
        const ValidationReport v = validate_data_clip(c);
        if (!v.ok()) it.invalid = v.issues.front().code;
        it.primary = primary_action(c);
      },
      report("score"));

  // 2. Splits by base clip; the pretrain bar; augmentations stay out of val/test.
  for (Item& it : items) {
    const double u = hash01(o.seed, it.key);
    it.split = u < o.val_share ? "val" : u < o.val_share + o.test_share ? "test" : "train";
    if (!it.invalid.empty()) it.reject = "invalid:" + it.invalid;
    else if (it.q.quality < o.pretrain_min) it.reject = "low_quality:" + it.q.lowest;
    else if (it.augmented && it.split != "train") it.reject = "heldout_augmentation";
    it.pretrain = it.reject.empty();
    if (!it.reject.empty()) ++s.rejections[it.reject];
  }

  // 3. SFT: the same val/test; train drawn from the gated pool, stratified by primary action.
  std::map<int, std::vector<size_t>> strata;
  std::set<int> pretrain_actions;
  for (size_t n = 0; n < items.size(); ++n) {
    Item& it = items[n];
    if (!it.pretrain) continue;
    if (it.split != "train") {
      it.sft = true;
      continue;
    }
    pretrain_actions.insert(it.primary);
    it.sft_reject = sft_gate(it.q, o.sft);
    if (it.sft_reject.empty()) strata[it.primary].push_back(n);
    else ++s.sft_rejections[it.sft_reject];
  }
  for (int a : pretrain_actions)
    if (a >= 0 && !strata.count(a)) s.sft_missing_actions.push_back(a);
  {
    std::vector<int64_t> c;
    for (const auto& [a, v] : strata)
      if (a >= 0) c.push_back(static_cast<int64_t>(v.size()));
    std::sort(c.begin(), c.end());
    int64_t quota = 0;
    if (!c.empty()) {
      // The median of the capped counts is min(median, quota), so a quota <= 2 x median keeps max/median <= 2.
      const double med = c.size() % 2 ? static_cast<double>(c[c.size() / 2])
                                      : 0.5 * static_cast<double>(c[c.size() / 2 - 1] + c[c.size() / 2]);
      int64_t q = std::max<int64_t>(1, static_cast<int64_t>(std::floor(2.0 * med)));
      q = std::min(q, c.back());
      auto total = [&](int64_t cap) {
        int64_t t = 0;
        for (const auto& [a, v] : strata) t += std::min<int64_t>(cap, static_cast<int64_t>(v.size()));
        return t;
      };
      while (q > 1 && total(q) > o.sft_size) --q;
      quota = q;
    }
    s.sft_quota = static_cast<int>(quota);
    // Source balance: weighted sampling without replacement (key u^(1/w), largest first), w relative to
    // the best source present, so a single source is sampled uniformly and nothing is dropped for it.
    float best = 0.f;
    for (const Item& it : items)
      if (it.pretrain) best = std::max(best, source_weight(readers[it.input]->record(it.index).source));
    for (auto& [a, list] : strata) {
      std::vector<std::pair<double, size_t>> keyed;
      for (size_t n : list) {
        const ClipRecord& r = readers[items[n].input]->record(items[n].index);
        const double w = best > 0.f ? source_weight(r.source) / best : 1.0;
        keyed.push_back({std::pow(std::max(1e-12, hash01(o.seed ^ 0x5F7A11ull, r.id)), 1.0 / w), n});
      }
      std::sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      for (size_t k = 0; k < keyed.size(); ++k) {
        Item& it = items[keyed[k].second];
        if (static_cast<int64_t>(k) < quota) {
          it.sft = true;
          ++s.sft_action_counts[a];
        } else {
          it.sft_reject = "sft:stratum_cap";
          ++s.sft_rejections[it.sft_reject];
        }
      }
    }
    s.sft_max_over_median = max_over_median(s.sft_action_counts);
  }

  // 4. Write both datasets.
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw Error(out.string() + ": cannot create (" + ec.message() + ")");
  float best = 0.f;
  for (const Item& it : items)
    if (it.pretrain) best = std::max(best, source_weight(readers[it.input]->record(it.index).source));
  auto write = [&](const fs::path& dir, bool sft, std::map<std::string, int64_t>& splits, int64_t& count) {
    DatasetWriter w(dir, format, max_actors);
    int64_t done = 0, total = 0;
    for (const Item& it : items) total += sft ? it.sft : it.pretrain;
    for (const Item& it : items) {
      if (!(sft ? it.sft : it.pretrain)) continue;
      const Clip c = readers[it.input]->clip(it.index);
      ClipRecord r = readers[it.input]->record(it.index);
      r.split = it.split;
      r.quality = it.q.quality;
      put_terms(r, it.q);
      r.extra["primary_action"] = action_label(it.primary);
      r.extra["weight"] = fmt("%.3f", best > 0.f ? source_weight(r.source) / best : 1.0);
      w.add(c, r);
      ++splits[it.split];
      ++count;
      if (o.progress && (++done % 256 == 0 || done == total)) o.progress(done, total, sft ? "write sft" : "write pretrain");
    }
    w.finish();
  };
  write(out / "pretrain", false, s.pretrain_splits, s.pretrain);
  write(out / "sft", true, s.sft_splits, s.sft);
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // 5. Report.
  {
    std::map<int, int64_t> in_primary, pre_primary;
    std::map<std::string, int64_t> in_sources, pre_sources, sft_sources;
    std::map<int, int64_t> rejected_by_action;
    std::vector<double> quality;
    for (const Item& it : items) {
      const std::string& src = readers[it.input]->record(it.index).source;
      ++in_primary[it.primary];
      ++in_sources[src.empty() ? "(none)" : src];
      quality.push_back(it.q.quality);
      if (it.pretrain) ++pre_primary[it.primary], ++pre_sources[src.empty() ? "(none)" : src];
      else if (it.reject != "heldout_augmentation") ++rejected_by_action[it.primary];
      if (it.sft) ++sft_sources[src.empty() ? "(none)" : src];
    }
    std::map<int, int64_t> sft_all_primary;
    for (const Item& it : items)
      if (it.sft) ++sft_all_primary[it.primary];
    // Charts.
    {
      plot::BarChart b;
      b.title = "Clips per primary action: pretrain vs SFT train";
      b.y_label = "clips";
      b.value_name = "pretrain";
      b.reference_name = "SFT train";
      for (int a = -1; a < kNumActions; ++a) {
        if (!in_primary.count(a)) continue;
        b.labels.push_back(action_label(a));
        b.values.push_back(static_cast<double>(pre_primary[a]));
        b.reference.push_back(static_cast<double>(s.sft_action_counts.count(a) ? s.sft_action_counts.at(a) : 0));
      }
      plot::write_png(b, out / "actions.png", 1400, 600);
    }
    {
      plot::BarChart b;
      b.title = "SFT train clips per primary action (quota " + std::to_string(s.sft_quota) + ", max/median " +
                fmt("%.2f", s.sft_max_over_median) + ")";
      b.y_label = "clips";
      for (const auto& [a, n] : s.sft_action_counts) b.labels.push_back(action_label(a)), b.values.push_back(static_cast<double>(n));
      plot::write_png(b, out / "sft_actions.png", 1400, 600);
    }
    {
      plot::BarChart b;
      b.title = "Clips per source: input, pretrain, SFT";
      b.y_label = "clips";
      b.value_name = "input";
      b.reference_name = "pretrain";
      for (const auto& [src, n] : in_sources) {
        b.labels.push_back(src);
        b.values.push_back(static_cast<double>(n));
        b.reference.push_back(static_cast<double>(pre_sources[src]));
      }
      b.horizontal_labels = true;
      plot::write_png(b, out / "sources.png", 900, 480);
    }
    {
      plot::Histogram h;
      h.title = "Quality of every input clip (bars: pretrain 0.5, SFT 0.8)";
      h.x_label = "quality";
      h.values = quality;
      h.bins = 40;
      h.marks = {o.pretrain_min, o.sft.min_quality};
      plot::write_png(h, out / "quality.png");
    }
    {
      plot::BarChart b;
      const int64_t cap = s.sft_rejections.count("sft:stratum_cap") ? s.sft_rejections.at("sft:stratum_cap") : 0;
      b.title = "Rejections: pretrain, and SFT gates (not shown: " + std::to_string(cap) +
                " train clips over the SFT per-action quota)";
      b.y_label = "clips";
      for (const auto& [r, n] : s.rejections) b.labels.push_back(r), b.values.push_back(static_cast<double>(n));
      for (const auto& [r, n] : s.sft_rejections)
        if (r != "sft:stratum_cap") b.labels.push_back(r), b.values.push_back(static_cast<double>(n));
      if (b.labels.empty()) b.labels.push_back("none"), b.values.push_back(0);
      plot::write_png(b, out / "rejections.png", 1100, 560);
    }
    {
      plot::BarChart b;
      b.title = "Mean quality term over input clips, and share of clips with the term below 0.5";
      b.value_name = "mean term";
      b.reference_name = "share < 0.5";
      b.horizontal_labels = true;
      const char* names[] = {"physics", "bones", "jitter", "skating", "static", "repetition"};
      for (int k = 0; k < 6; ++k) {
        double sum = 0.0, low = 0.0;
        for (const Item& it : items) {
          const float v = k == 0 ? it.q.physics : k == 1 ? it.q.bones : k == 2 ? it.q.jitter : k == 3 ? it.q.skating
                        : k == 4 ? it.q.statics : it.q.repetition;
          sum += v;
          low += v < 0.5f;
        }
        b.labels.push_back(names[k]);
        b.values.push_back(items.empty() ? 0.0 : sum / static_cast<double>(items.size()));
        b.reference.push_back(items.empty() ? 0.0 : low / static_cast<double>(items.size()));
      }
      plot::write_png(b, out / "terms.png", 900, 480);
    }
    // Markdown.
    std::string md;
    auto line = [&](const std::string& x) { md += x + "\n"; };
    line("# Curation report");
    line("");
    std::string ins;
    for (const auto& p : inputs) ins += (ins.empty() ? "" : ", ") + ("`" + p.string() + "`");
    line("Input: " + ins + " - " + std::to_string(s.input) + " clips, skeleton " + std::string(format_name(format)) +
         ", seed " + std::to_string(o.seed) + ". Curated in " + fmt("%.1f", s.seconds) + " s.");
    line("");
    line("| split | pretrain | SFT |");
    line("|---|---:|---:|");
    for (const char* sp : {"train", "val", "test"})
      line(std::string("| ") + sp + " | " + std::to_string(s.pretrain_splits[sp]) + " | " + std::to_string(s.sft_splits[sp]) + " |");
    line("| **total** | " + std::to_string(s.pretrain) + " | " + std::to_string(s.sft) + " |");
    line("");
    line("Val and test are held out by base clip (`base_id`, else `id`; " + fmt("%.0f", 100.0 * o.val_share) + " % / " +
         fmt("%.0f", 100.0 * o.test_share) + " % of base clips by a seeded hash); augmented variants of held-out clips "
         "are dropped, and SFT uses exactly the pretrain val/test clips.");
    line("");
    line("## Quality");
    line("");
    line("![quality](quality.png)");
    line("");
    line("![terms](terms.png)");
    line("");
    int64_t pass5 = 0, pass8 = 0;
    for (const Item& it : items) pass5 += it.q.quality >= o.pretrain_min, pass8 += it.q.quality >= o.sft.min_quality;
    line("Quality >= " + fmt("%.2f", o.pretrain_min) + ": " + std::to_string(pass5) + " clips (" +
         fmt("%.1f", s.input ? 100.0 * pass5 / s.input : 0.0) + " %); >= " + fmt("%.2f", o.sft.min_quality) + ": " +
         std::to_string(pass8) + " (" + fmt("%.1f", s.input ? 100.0 * pass8 / s.input : 0.0) + " %).");
    line("");
    line("## Rejections");
    line("");
    line("![rejections](rejections.png)");
    line("");
    line("| reason | clips | share of input |");
    line("|---|---:|---:|");
    for (const auto& [r, n] : s.rejections)
      line("| " + md_escape(r) + " | " + std::to_string(n) + " | " + fmt("%.2f", s.input ? 100.0 * n / s.input : 0.0) + " % |");
    line("");
    int64_t pool = 0;
    for (const Item& it : items) pool += it.pretrain && it.split == "train";
    line("Train clips of the pretrain split left out of SFT (first failing gate; `sft:stratum_cap` = passed every "
         "gate but its action already had its quota):");
    line("");
    line("| reason | clips | share of pretrain train |");
    line("|---|---:|---:|");
    for (const auto& [r, n] : s.sft_rejections)
      line("| " + md_escape(r) + " | " + std::to_string(n) + " | " + fmt("%.2f", pool ? 100.0 * n / pool : 0.0) + " % |");
    line("");
    line("## Actions");
    line("");
    line("![actions](actions.png)");
    line("");
    line("![sft actions](sft_actions.png)");
    line("");
    line("SFT train: " + std::to_string(s.sft_splits["train"]) + " clips, " + std::to_string(s.sft_action_counts.size()) +
         " primary actions, per-action quota " + std::to_string(s.sft_quota) + ", max/median action count " +
         fmt("%.2f", s.sft_max_over_median) + " (bound 2). Actions with fewer clips than the quota are kept whole.");
    if (!s.sft_missing_actions.empty()) {
      std::string m;
      for (int a : s.sft_missing_actions) m += (m.empty() ? "" : ", ") + action_label(a);
      line("");
      line("Primary actions in the pretrain train split with no clip passing the SFT gate: " + m + ".");
    }
    line("");
    line("| action | input | pretrain | rejected | SFT train |");
    line("|---|---:|---:|---:|---:|");
    for (const auto& [a, n] : in_primary)
      line("| " + action_label(a) + " | " + std::to_string(n) + " | " + std::to_string(pre_primary[a]) + " | " +
           std::to_string(rejected_by_action[a]) + " | " +
           std::to_string(s.sft_action_counts.count(a) ? s.sft_action_counts.at(a) : 0) + " |");
    line("");
    line("## Sources");
    line("");
    line("![sources](sources.png)");
    line("");
    line("| source | weight (SPEC §7) | relative | input | pretrain | SFT |");
    line("|---|---:|---:|---:|---:|---:|");
    for (const auto& [src, n] : in_sources)
      line("| " + src + " | " + fmt("%.2f", source_weight(src)) + " | " +
           fmt("%.2f", best > 0.f ? source_weight(src) / best : 1.0) + " | " + std::to_string(n) + " | " +
           std::to_string(pre_sources[src]) + " | " + std::to_string(sft_sources[src]) + " |");
    line("");
    line("Source weights never remove clips: each record carries `weight` = its source's weight relative to the "
         "best source present (1 for every clip when there is one source), and SFT strata are sampled with those "
         "weights.");
    write_file_atomic(out / "report.md", md);
  }
  return s;
}

// ======================================================================================== stats

DatasetStats dataset_stats(const fs::path& dir, bool score, int jobs, const std::function<void(int64_t, int64_t)>& progress) {
  DatasetReader r(dir);
  DatasetStats s;
  s.name = dir.string();
  s.clips = static_cast<int64_t>(r.size());
  s.format = std::string(format_name(r.format()));
  s.max_actors = r.max_actors();
  const size_t n = r.size();
  std::vector<QualityScore> scores(n);
  std::vector<std::string> invalid(n);
  std::vector<int> primary(n, -1), actors(n, 0);
  std::vector<std::array<int64_t, kNumActions>> frames(n);
  std::vector<int64_t> length(n, 0);
  std::vector<uint8_t> scored(n, 0);
  std::vector<float> fps(n, kDefaultFps);
  parallel_for(
      n, hardware_jobs(jobs),
      [&](size_t i) {
        const Clip c = r.clip(i);
        const ClipRecord& rec = r.record(i);
        primary[i] = primary_action(c);
        frames[i].fill(0);
        for (size_t k = 0; k < c.actions.size(); ++k)
          if (c.actor_mask[k] && c.actions[k] >= 0 && c.actions[k] < kNumActions) ++frames[i][c.actions[k]];
        int present = 0;
        for (int a = 0; a < c.actors; ++a)
          for (int t = 0; t < c.frames; ++t)
            if (c.present(t, a)) {
              ++present;
              break;
            }
        actors[i] = present;
        length[i] = c.frames;
        fps[i] = c.fps;
        if (score && rec.quality < 0.f) {
          scores[i] = score_clip(c);
          scored[i] = 1;
        }
        if (score) {
          const ValidationReport v = validate_data_clip(c);
          if (!v.ok()) invalid[i] = v.issues.front().code;
        }
      },
      progress ? std::function<void(int64_t)>([&](int64_t d) { progress(d, static_cast<int64_t>(n)); })
               : std::function<void(int64_t)>());
  const char* names[] = {"physics", "bones", "jitter", "skating", "static", "repetition"};
  const char* keys[] = {"q_physics", "q_bones", "q_jitter", "q_skating", "q_static", "q_repetition"};
  for (size_t i = 0; i < n; ++i) {
    const ClipRecord& rec = r.record(i);
    s.frames += length[i];
    s.seconds += static_cast<double>(length[i]) / fps[i];
    ++s.actors[actors[i]];
    ++s.primary[primary[i]];
    for (int a = 0; a < kNumActions; ++a)
      if (frames[i][a]) s.action_frames[a] += frames[i][a];
    ++s.sources[rec.source.empty() ? "(none)" : rec.source];
    ++s.splits[rec.split.empty() ? "(none)" : rec.split];
    auto aug = rec.extra.find("augment");
    if (rec.base_id.empty() || rec.base_id == rec.id || aug == rec.extra.end()) {
      ++s.augmented["base"];  // originals, including the windows of one take (shared base id, no tag)
    } else {
      std::string kind = aug->second;
      // "scale0.951+shift1.30+mirror" -> "scale+shift+mirror"
      std::string k2;
      for (char c : kind)
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-')) k2 += c;
      ++s.augmented[k2];
    }
    if (!invalid[i].empty()) ++s.invalid[invalid[i]];
    if (rec.quality >= 0.f) {
      s.quality.push_back(rec.quality);
      for (int k = 0; k < 6; ++k) {
        auto it = rec.extra.find(keys[k]);
        if (it != rec.extra.end()) s.terms[names[k]].push_back(std::strtof(it->second.c_str(), nullptr));
      }
    } else if (scored[i]) {
      s.scored = true;
      const QualityScore& q = scores[i];
      s.quality.push_back(q.quality);
      const float t[] = {q.physics, q.bones, q.jitter, q.skating, q.statics, q.repetition};
      for (int k = 0; k < 6; ++k) s.terms[names[k]].push_back(t[k]);
    }
  }
  return s;
}

namespace {
float pct(std::vector<float> v, double q) {
  if (v.empty()) return 0.f;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}
}  // namespace

std::string stats_text(const DatasetStats& s) {
  std::string o;
  auto line = [&](const std::string& x) { o += x + "\n"; };
  line("dataset " + s.name + ": " + std::to_string(s.clips) + " clips, " + std::to_string(s.frames) + " frames (" +
       fmt("%.2f", s.seconds / 3600.0) + " h), skeleton " + s.format + ", up to " + std::to_string(s.max_actors) + " actors");
  auto join = [](const auto& m, auto key) {
    std::string x;
    for (const auto& [k, v] : m) x += (x.empty() ? "" : ", ") + key(k) + " " + std::to_string(v);
    return x;
  };
  line("  actors per clip: " + join(s.actors, [](int k) { return std::to_string(k); }));
  line("  sources: " + join(s.sources, [](const std::string& k) { return k; }));
  line("  splits: " + join(s.splits, [](const std::string& k) { return k; }));
  line("  base/augmented: " + join(s.augmented, [](const std::string& k) { return k; }));
  if (!s.quality.empty()) {
    int64_t p5 = 0, p8 = 0;
    double sum = 0.0;
    for (float q : s.quality) p5 += q >= 0.5f, p8 += q >= 0.8f, sum += q;
    const double N = static_cast<double>(s.quality.size());
    line(std::string("  quality (") + (s.scored ? "scored now" : "stored") + "): mean " + fmt("%.3f", sum / N) + ", p10 " +
         fmt("%.3f", pct(s.quality, 0.1)) + ", median " + fmt("%.3f", pct(s.quality, 0.5)) + ", p90 " +
         fmt("%.3f", pct(s.quality, 0.9)) + "; >= 0.5: " + fmt("%.1f", 100.0 * p5 / N) + " %, >= 0.8: " +
         fmt("%.1f", 100.0 * p8 / N) + " %");
    std::string terms;
    for (const auto& [name, v] : s.terms) {
      double m = 0.0;
      int64_t low = 0;
      for (float x : v) m += x, low += x < 0.5f;
      terms += (terms.empty() ? "" : ", ") + name + " " + fmt("%.3f", v.empty() ? 0.0 : m / static_cast<double>(v.size())) +
               " (" + fmt("%.1f", v.empty() ? 0.0 : 100.0 * low / static_cast<double>(v.size())) + " % < 0.5)";
    }
    if (!terms.empty()) line("  terms (mean, share below 0.5): " + terms);
  }
  int64_t bad = 0;
  for (const auto& [k, v] : s.invalid) bad += v;
  if (!s.invalid.empty() || s.scored) line("  validation: " + std::to_string(s.clips - bad) + " valid" +
                                           (s.invalid.empty() ? "" : ", " + join(s.invalid, [](const std::string& k) { return k; })));
  std::vector<std::pair<int64_t, int>> by;
  for (const auto& [a, n] : s.primary) by.push_back({n, a});
  std::sort(by.rbegin(), by.rend());
  std::string top, bottom;
  for (size_t k = 0; k < by.size() && k < 8; ++k) top += (top.empty() ? "" : ", ") + action_label(by[k].second) + " " + std::to_string(by[k].first);
  for (size_t k = by.size(); k-- > 0 && by.size() - k <= 8;)
    bottom += (bottom.empty() ? "" : ", ") + action_label(by[k].second) + " " + std::to_string(by[k].first);
  std::map<int, int64_t> labelled;
  for (const auto& [a, n] : s.primary)
    if (a >= 0) labelled[a] = n;
  line("  primary actions: " + std::to_string(labelled.size()) + " of 64, max/median " + fmt("%.2f", max_over_median(labelled)));
  line("    most: " + top);
  line("    fewest: " + bottom);
  std::string missing;
  for (int a = 0; a < kNumActions; ++a)
    if (!s.action_frames.count(a)) missing += (missing.empty() ? "" : ", ") + action_label(a);
  line("  actions never labelled: " + (missing.empty() ? std::string("none") : missing));
  return o;
}

std::vector<std::string> write_stats_report(const DatasetStats& s, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot create (" + ec.message() + ")");
  std::vector<std::string> files;
  {
    plot::BarChart b;
    b.title = "Clips per primary action";
    b.y_label = "clips";
    for (const auto& [a, n] : s.primary) b.labels.push_back(action_label(a)), b.values.push_back(static_cast<double>(n));
    plot::write_png(b, dir / "actions.png", 1400, 600);
    files.push_back("actions.png");
  }
  {
    plot::BarChart b;
    b.title = "Labelled seconds per action (all actors)";
    b.y_label = "seconds";
    for (const auto& [a, n] : s.action_frames)
      b.labels.push_back(action_label(a)), b.values.push_back(static_cast<double>(n) / kDefaultFps);
    plot::write_png(b, dir / "action_frames.png", 1400, 600);
    files.push_back("action_frames.png");
  }
  {
    plot::BarChart b;
    b.title = "Clips per source";
    b.y_label = "clips";
    b.horizontal_labels = true;
    for (const auto& [k, n] : s.sources) b.labels.push_back(k), b.values.push_back(static_cast<double>(n));
    plot::write_png(b, dir / "sources.png", 900, 480);
    files.push_back("sources.png");
  }
  {
    plot::BarChart b;
    b.title = "Clips per number of actors";
    b.y_label = "clips";
    b.horizontal_labels = true;
    for (const auto& [k, n] : s.actors) b.labels.push_back(std::to_string(k)), b.values.push_back(static_cast<double>(n));
    plot::write_png(b, dir / "actors.png", 700, 420);
    files.push_back("actors.png");
  }
  if (!s.quality.empty()) {
    plot::Histogram h;
    h.title = std::string("Quality (") + (s.scored ? "scored now" : "stored") + "; bars at 0.5 and 0.8)";
    h.x_label = "quality";
    h.values.assign(s.quality.begin(), s.quality.end());
    h.bins = 40;
    h.marks = {0.5, 0.8};
    plot::write_png(h, dir / "quality.png");
    files.push_back("quality.png");
    plot::BarChart b;
    b.title = "Mean quality term, and share of clips with the term below 0.5";
    b.value_name = "mean term";
    b.reference_name = "share < 0.5";
    b.horizontal_labels = true;
    for (const auto& [name, v] : s.terms) {
      double m = 0.0, low = 0.0;
      for (float x : v) m += x, low += x < 0.5f;
      b.labels.push_back(name);
      b.values.push_back(v.empty() ? 0.0 : m / static_cast<double>(v.size()));
      b.reference.push_back(v.empty() ? 0.0 : low / static_cast<double>(v.size()));
    }
    if (!b.labels.empty()) {
      plot::write_png(b, dir / "terms.png", 900, 480);
      files.push_back("terms.png");
    }
  }
  std::string md = "# Dataset statistics\n\n```\n" + stats_text(s) + "```\n\n";
  for (const auto& f : files) md += "![" + f.substr(0, f.size() - 4) + "](" + f + ")\n\n";
  write_file_atomic(dir / "stats.md", md);
  files.push_back("stats.md");
  return files;
}

}  // namespace stickgen
