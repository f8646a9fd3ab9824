// Eval report (markdown + PNG charts) and the model card, both built only from the eval JSON (and
// the benchmark JSON for the card), so they can be regenerated without rerunning anything.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "stickgen/common.hpp"
#include "stickgen/eval.hpp"
#include "stickgen/plot.hpp"

namespace stickgen::eval {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A number a report prints: Error naming the key when it is missing (a card never says "TBD").
double num(const json& j, const std::string& path) {
  const json* at = &j;
  std::stringstream ss(path);
  std::string key;
  while (std::getline(ss, key, '.')) {
    if (!at->is_object() || !at->contains(key)) throw Error("report: '" + path + "' is missing from the input JSON");
    at = &(*at)[key];
  }
  if (!at->is_number()) throw Error("report: '" + path + "' is not a number");
  return at->get<double>();
}

std::string str(const json& j, const std::string& key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

std::string fmt(double v, int digits = 3) {
  char buf[64];
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < std::pow(10.0, -digits)))
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  else
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string pct(double v) { return fmt(100.0 * v, 1) + " %"; }

// How the generated clips were made (eval.json options), for readers of the report and the card.
// Older eval files lack some options; what is missing is not described.
std::string generation_settings(const json& r) {
  static const json kNone = json::object();
  const json& options = r.contains("options") && r["options"].is_object() ? r["options"] : kNone;
  auto has = [&](const char* key) { return options.contains(key) && options[key].is_number(); };
  std::string s = "Clips generated as `stickgen generate` makes them";
  if (has("noise") && has("guidance")) {
    s += ": noise " + fmt(options["noise"].get<double>(), 2) + ", action guidance " + fmt(options["guidance"].get<double>(), 2);
    if (options.contains("guidance_scope") && options["guidance_scope"].is_string() && has("prime_seconds") &&
        options["prime_seconds"].get<double>() > 0)
      s += " on " + options["guidance_scope"].get<std::string>();
  }
  if (has("prime_seconds")) {
    const double prime = options["prime_seconds"].get<double>();
    const bool pairs = options.contains("prime_scope") && options["prime_scope"].is_string();  // since 30 Nov
    s += prime > 0 ? "; each clip opens with " + fmt(prime, 2) + " s of the procedural engine performing the action (" +
                         (pairs ? "an interaction by the pair together" : "not for interactions") +
                         "), which the model continues"
                   : "; from a standing pose";
  }
  if (options.contains("ground_contact") && options["ground_contact"].is_boolean() && options["ground_contact"].get<bool>())
    s += "; a figure floating less than " + fmt(kGroundContactUnits, 1) +
         " units above the ground in an action that keeps a foot down is lowered onto it";
  return s + ".";
}
std::string count(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  std::string s = buf, out;
  const size_t lead = s[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    const size_t rest = s.size() - 1 - i;
    if (i >= lead && rest > 0 && rest % 3 == 0) out += ',';
  }
  return out;
}

struct Row {
  std::string metric, value, reference, note;
};

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  bool numeric = true) {
  std::string s = "|";
  for (const auto& h : header) s += " " + h + " |";
  s += "\n|";
  for (size_t i = 0; i < header.size(); ++i) s += i == 0 || !numeric ? "---|" : "---:|";
  s += "\n";
  for (const auto& r : rows) {
    s += "|";
    for (const auto& c : r) s += " " + c + " |";
    s += "\n";
  }
  return s;
}

// The rows shared by the report and the card: metric, model, real reference.
std::vector<std::vector<std::string>> card_rows(const json& r) {
  return {
      {"pose MSE, teacher-forced (normalised units)", fmt(num(r, "card.pose_mse"), 4),
       "repeat-last-frame baseline " + fmt(num(r, "card.baseline_copy_pose_mse"), 4)},
      {"pose MSE, teacher-forced (body heights²)", fmt(num(r, "card.pose_mse_body_heights"), 5),
       "baseline " + fmt(num(r, "card.baseline_copy_pose_mse_body_heights"), 5) + "; model RMSE " +
           fmt(num(r, "card.pose_rmse_body_heights"), 4) + " BH"},
      {"velocity error, teacher-forced (RMSE, body heights/s)", fmt(num(r, "card.velocity_rmse_bh_per_s"), 3),
       "MSE " + fmt(num(r, "card.velocity_mse"), 5) + " normalised"},
      {"acceleration error, teacher-forced (RMSE, body heights/s²)", fmt(num(r, "card.acceleration_rmse_bh_per_s2"), 2),
       "MSE " + fmt(num(r, "card.acceleration_mse"), 5) + " normalised"},
      {"jerk of free rollouts (body heights/s³)", fmt(num(r, "card.jerk_generated"), 1),
       "real " + fmt(num(r, "card.jerk_real"), 1) + " (ratio " + fmt(num(r, "card.jerk_ratio"), 2) + ")"},
      {"action accuracy of the action head, no action input", pct(num(r, "card.action_accuracy")),
       "balanced " + pct(num(r, "card.action_accuracy_balanced"))},
  };
}

// Generated top-1's sampling error (eval.json generation.top1_stderr); older eval files lack it.
bool has_top1_stderr(const json& r) {
  return r.contains("generation") && r["generation"].contains("top1_stderr") && r["generation"]["top1_stderr"].is_number();
}

// What the ± after generated top-1 means (nothing for older eval files).
std::string sampling_note(const json& r) {
  if (!has_top1_stderr(r)) return "";
  return " The ± after generated top-1 is its 95 % sampling interval (1.96 standard errors, each action's clips a "
         "binomial sample): it covers the sampling of clips, not the choice of seed or settings.";
}

std::vector<std::vector<std::string>> generation_rows(const json& r) {
  std::string top1 = pct(num(r, "generation.top1"));
  if (has_top1_stderr(r)) top1 += " ± " + fmt(100.0 * 1.96 * num(r, "generation.top1_stderr"), 1);
  return {
      {"evaluator top-1 accuracy of generated clips", top1,
       "real test clips " + pct(num(r, "real.top1")) + " (ratio " + fmt(num(r, "ceiling_ratio"), 2) + ")"},
      {"evaluator top-5 accuracy of generated clips", pct(num(r, "generation.top5")), "real " + pct(num(r, "real.top5"))},
      {"FID (generated vs real test)", fmt(num(r, "generation.fid"), 2),
       "noise floor (two halves of real test) " + fmt(num(r, "generation.fid_real_halves"), 2)},
      {"diversity (descriptive)", fmt(num(r, "generation.diversity"), 3), "real " + fmt(num(r, "generation.diversity_real"), 3)},
      {"multimodality (descriptive)", fmt(num(r, "generation.multimodality"), 3),
       "real " + fmt(num(r, "generation.multimodality_real"), 3)},
      {"text fidelity: evaluator top-1 per planned segment", pct(num(r, "text.top1")),
       count(num(r, "text.segments")) + " segments, " + count(num(r, "text.prompts")) + " prompts"},
  };
}

std::vector<std::vector<std::string>> plausibility_rows(const json& r) {
  const std::string g = "plausibility.generated.", q = "plausibility.real.", gr = "plausibility.generated_raw.",
                    qr = "plausibility.real_raw.";
  return {
      {"frozen-frame ratio", pct(num(r, g + "frozen_ratio")), pct(num(r, q + "frozen_ratio"))},
      {"jitter (share of acceleration energy reversing)", fmt(num(r, g + "jitter"), 3), fmt(num(r, q + "jitter"), 3)},
      {"jerk (body heights/s³)", fmt(num(r, g + "jerk"), 1), fmt(num(r, q + "jerk"), 1)},
      {"foot skating (body heights/s in contact)", fmt(num(r, g + "foot_skating"), 4), fmt(num(r, q + "foot_skating"), 4)},
      {"foot contact ratio", pct(num(r, g + "foot_contact_ratio")), pct(num(r, q + "foot_contact_ratio"))},
      {"bone-length drift, rigid segments (delivered clip)", fmt(num(r, g + "bone_drift"), 4), fmt(num(r, q + "bone_drift"), 4)},
      {"bone-length drift, rigid segments (raw network output)", fmt(num(r, gr + "bone_drift"), 4), fmt(num(r, qr + "bone_drift"), 4)},
      {"joint disagreement (raw network output, body heights)", fmt(num(r, gr + "connectivity"), 4), fmt(num(r, qr + "connectivity"), 4)},
      {"ground penetration (raw network output, body heights)", fmt(num(r, gr + "ground_penetration"), 4),
       fmt(num(r, qr + "ground_penetration"), 4)},
      {"ground error (raw network output, body heights)", fmt(num(r, gr + "ground_error"), 4), fmt(num(r, qr + "ground_error"), 4)},
  };
}

}  // namespace

// ---------------------------------------------------------------- report

std::string eval_markdown(const json& r) {
  std::ostringstream md;
  const json& m = r["model"];
  md << "# stickgen eval report\n\n";
  md << "Model `" << str(m, "path") << "` (" << count(num(r, "model.parameters")) << " parameters, d " << num(r, "model.d_model")
     << ", " << num(r, "model.num_layers") << " layers, text encoder `" << str(m, "text_encoder") << "`).  \n";
  md << "Evaluator `" << str(r["evaluator"], "path") << "`; data `" << str(r["data"], "path") << "`, split **test** only: "
     << count(num(r, "data.test_clips")) << " clips, " << count(num(r, "data.test_sequences")) << " actor sequences, "
     << count(num(r, "data.test_windows")) << " evaluator windows over " << count(num(r, "data.test_actions")) << " actions.  \n";
  md << "Seed " << count(num(r, "options.seed")) << ", " << count(num(r, "options.samples_per_action")) << " generated clips per action ("
     << fmt(num(r, "options.action_seconds"), 1) << " s, first " << fmt(num(r, "options.warmup_seconds"), 1)
     << " s not scored), " << count(num(r, "options.prompts")) << " prompts of " << fmt(num(r, "options.prompt_seconds"), 1)
     << " s. " << generation_settings(r) << sampling_note(r) << " Definitions: docs/EVALUATION.md.\n\n";
  md << "## The card's metrics\n\n" << table({"metric", "model", "reference"}, card_rows(r)) << "\n";
  md << "## Generation (action-to-motion protocol) and text fidelity\n\n"
     << table({"metric", "model", "reference"}, generation_rows(r)) << "\n";
  md << "Text fidelity by category:\n\n";
  std::vector<std::vector<std::string>> cats;
  for (const auto& [name, c] : r["text"]["by_category"].items())
    cats.push_back({name, count(c["segments"].get<double>()), pct(c["top1"].get<double>()), pct(c["top5"].get<double>())});
  md << table({"category", "segments", "top-1", "top-5"}, cats) << "\n";
  md << "## Physical plausibility of free rollouts\n\n"
     << "All generated clips (action-conditioned and prompt suite), every actor, against every actor of the real test clips.\n\n"
     << table({"measure", "generated", "real test clips"}, plausibility_rows(r)) << "\n";
  md << "## Scores (lower is better; the numbers compared between models)\n\n";
  std::vector<std::vector<std::string>> sc;
  for (const auto& [k, v] : r["scores"].items()) sc.push_back({k, fmt(v.get<double>(), 4)});
  md << table({"score", "value"}, sc) << "\n";
  md << "## The evaluator\n\n";
  if (r["evaluator"].contains("train")) {
    const json& t = r["evaluator"]["train"];
    md << "Trained on `" << str(t, "dataset") << "` (" << count(t.value("train_windows", 0.0)) << " windows, seed "
       << t.value("seed", 0) << "); its own test accuracy then: top-1 " << pct(t.value("test_top1", 0.0)) << ", top-5 "
       << pct(t.value("test_top5", 0.0)) << ".  \n";
  }
  md << "On this test split: top-1 " << pct(num(r, "real.top1")) << ", top-5 " << pct(num(r, "real.top5")) << ", balanced top-1 "
     << pct(num(r, "real.balanced_top1")) << " over " << count(num(r, "real.windows")) << " windows (the ceiling for generated clips).\n\n";
  md << "## Per action\n\n";
  std::vector<std::vector<std::string>> per;
  for (const auto& [name, real] : r["real"]["per_action"].items()) {
    std::string real_cell = pct(real["top1"].get<double>());
    if (real.value("confused_share", 0.0) >= 0.1)
      real_cell += " (" + pct(real["confused_share"].get<double>()) + " " + real["confused_with"].get<std::string>() + ")";
    std::vector<std::string> row{name, count(real["windows"].get<double>()), real_cell};
    if (r["generation"]["per_action"].contains(name)) {
      const json& g = r["generation"]["per_action"][name];
      std::string cell = pct(g["top1"].get<double>());
      if (g.value("confused_share", 0.0) >= 0.1)
        cell += " (" + pct(g["confused_share"].get<double>()) + " " + g["confused_with"].get<std::string>() + ")";
      row.push_back(cell);
      row.push_back(pct(g["top5"].get<double>()));
    } else {
      row.push_back("-");
      row.push_back("-");
    }
    per.push_back(row);
  }
  md << table({"action", "real windows", "evaluator on real", "generated top-1", "generated top-5"}, per) << "\n";
  md << "(In parentheses: the most frequent wrong answer when it takes at least 10 % of the action.)\n\n";
  md << "Charts: per_action.png, confusion.png (generated clips: rows = conditioned action), metrics.png, text_fidelity.png.\n\n";
  // The first prompt-suite segments the evaluator did not recognise, to read with the charts.
  md << "## Prompt-suite segments not recognised (first 20)\n\n";
  std::vector<std::vector<std::string>> misses;
  for (const auto& p : r["text"]["results"]) {
    for (const auto& s : p["segments"])
      if (!s["top1"].get<bool>() && misses.size() < 20)
        misses.push_back({p["prompt"].get<std::string>(), std::to_string(s["actor"].get<int>()), s["action"].get<std::string>(),
                          fmt(s["start"].get<double>(), 1) + "-" + fmt(s["end"].get<double>(), 1) + " s",
                          s["predicted"].get<std::string>()});
  }
  md << table({"prompt", "actor", "planned", "span", "evaluator says"}, misses) << "\n";
  md << "Timing: " << fmt(num(r, "timing.total_s"), 1) << " s on " << num(r, "timing.threads") << " threads.\n";
  return md.str();
}

std::vector<std::string> write_eval_report(const json& r, const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<std::string> written;
  write_file_atomic(dir / "eval.json", r.dump(2) + "\n");
  written.push_back("eval.json");
  write_file_atomic(dir / "report.md", eval_markdown(r));
  written.push_back("report.md");

  // Per-action accuracy: generated vs the evaluator on real clips.
  plot::BarChart bars;
  bars.title = "Evaluator top-1 per action: generated clips vs real test clips";
  bars.y_label = "top-1 accuracy";
  bars.value_name = "generated";
  bars.reference_name = "real";
  for (const auto& [name, g] : r["generation"]["per_action"].items()) {
    bars.labels.push_back(name);
    bars.values.push_back(g["top1"].get<double>());
    bars.reference.push_back(r["real"]["per_action"].contains(name) ? r["real"]["per_action"][name]["top1"].get<double>() : 0.0);
  }
  if (!bars.labels.empty()) {
    plot::write_png(bars, dir / "per_action.png", std::max(900, 40 + 22 * static_cast<int>(bars.labels.size())));
    written.push_back("per_action.png");
  }

  // Confusion matrix of generated clips, rows normalised.
  const json& conf = r["generation"]["confusion"];
  plot::Heatmap heat;
  heat.title = "Generated clips: conditioned action (rows) vs evaluator top-1";
  for (const auto& l : conf["labels"]) heat.row_labels.push_back(l.get<std::string>()), heat.col_labels.push_back(l.get<std::string>());
  heat.col_labels.push_back("other");
  for (const auto& row : conf["counts"]) {
    double total = 0;
    for (const auto& v : row) total += v.get<double>();
    for (const auto& v : row) heat.values.push_back(total > 0 ? v.get<double>() / total : 0.0);
  }
  heat.annotate = heat.row_labels.size() <= 16;
  if (!heat.row_labels.empty()) {
    const int side = std::clamp(200 + 18 * static_cast<int>(heat.col_labels.size()), 600, 1600);
    plot::write_png(heat, dir / "confusion.png", side, side);
    written.push_back("confusion.png");
  }

  // The metric table as an image.
  plot::Table t;
  t.title = "stickgen eval: " + str(r["model"], "path");
  t.header = {"metric", "model", "reference"};
  for (auto rows : {card_rows(r), generation_rows(r)})
    for (auto& row : rows) t.rows.push_back(row);
  for (auto& row : plausibility_rows(r)) t.rows.push_back({row[0], row[1], "real " + row[2]});
  plot::write_png(t, dir / "metrics.png", 1200);
  written.push_back("metrics.png");

  plot::BarChart text;
  text.title = "Text fidelity: evaluator top-1 per planned segment, by prompt category";
  text.y_label = "top-1 accuracy";
  text.value_name = "top-1";
  text.reference_name = "top-5";
  text.horizontal_labels = true;
  for (const auto& [name, c] : r["text"]["by_category"].items()) {
    text.labels.push_back(name);
    text.values.push_back(c["top1"].get<double>());
    text.reference.push_back(c["top5"].get<double>());
  }
  if (!text.labels.empty()) {
    plot::write_png(text, dir / "text_fidelity.png", 800, 480);
    written.push_back("text_fidelity.png");
  }
  return written;
}

// ---------------------------------------------------------------- model card

std::string model_card_markdown(const json& e, const json& b) {
  std::ostringstream md;
  const json& m = e["model"];
  const std::string name = str(m, "path");
  md << "# Model card: stickgen " << (num(e, "model.d_model") == 256 && num(e, "model.num_layers") == 6 ? "Small" : "custom")
     << " — " << fs::path(name).filename().string() << "\n\n";
  md << "Generated by `stickgen model-card --eval " << "EVAL.json --bench BENCH.json` (docs/EVALUATION.md). Every number below "
        "was measured by `stickgen eval` and `bench/run_benchmarks.py`; none is copied from elsewhere.\n\n";

  md << "## Model\n\n";
  md << table({"item", "value"},
              {{"task", "text → stick-figure animation (action- and text-conditioned motion generation)"},
               {"architecture", "StickFigureTransformer: pre-norm RMSNorm + SwiGLU, RoPE attention, causal over motion tokens"},
               {"configuration", "input_dim " + count(num(e, "model.input_dim")) + ", d_model " + count(num(e, "model.d_model")) +
                                     ", nhead " + count(num(e, "model.nhead")) + ", num_layers " + count(num(e, "model.num_layers")) +
                                     ", embedding_dim " + count(num(e, "model.embedding_dim")) + ", num_actions " +
                                     count(num(e, "model.num_actions"))},
               {"parameters", count(num(e, "model.parameters"))},
               {"text encoder", "`" + str(m, "text_encoder") + "` (deterministic, no download)"},
               {"weights", str(m, "weight_dtype") + " safetensors, configuration and motion normalisation in the file"},
               {"file", "`" + name + "`"}},
              false)
     << "\n";
  if (m.contains("metadata"))
    for (const auto& [k, v] : m["metadata"].items())
      if (v.is_string() && v.get<std::string>().size() < 300) md << "- `" << k << "`: " << v.get<std::string>() << "\n";

  md << "\n## Evaluation data\n\n";
  md << "Held-out **test split** of `" << str(e["data"], "path") << "` (held out by base clip; never seen in training): "
     << count(num(e, "data.test_clips")) << " clips, " << count(num(e, "data.test_sequences")) << " actor sequences, "
     << count(num(e, "data.test_windows")) << " two-second windows over " << count(num(e, "data.test_actions"))
     << " actions. Seed " << count(num(e, "options.seed")) << ".\n\n";

  md << "## The card's metrics (the reference card published none of them)\n\n" << table({"metric", "value", "reference"}, card_rows(e)) << "\n";
  md << "Teacher forcing: the true previous frames and (for pose/temporal) the true next-frame action are fed; the action "
        "head is scored with **no** action input, so the answer is never given at the scored position.\n\n";

  md << "## Generation quality (ACTOR / Action2Motion protocol) and text fidelity\n\n"
     << table({"metric", "value", "reference"}, generation_rows(e)) << "\n";
  md << generation_settings(e) << " " << count(num(e, "options.samples_per_action")) << " clips per action, "
     << fmt(num(e, "options.action_seconds"), 1) << " s each; the first " << fmt(num(e, "options.warmup_seconds"), 1)
     << " s of each are not scored." << sampling_note(e) << "\n\n";
  md << "Scored by an independent action-recognition network (`" << str(e["evaluator"], "path")
     << "`, a temporal conv net trained only on the training split) whose penultimate 128-d features are the FID space; "
        "FID uses an exact matrix square root (symmetric eigendecomposition).\n\n";

  md << "## Physical plausibility of free rollouts\n\n" << table({"measure", "generated", "real test clips"}, plausibility_rows(e))
     << "\n";

  md << "## Performance\n\n";
  const json& mach = b.contains("machine") ? b["machine"] : json::object();
  md << "Measured on " << str(mach, "cpu", "this machine") << " (" << mach.value("cpus", 0) << " CPUs, load average "
     << fmt(mach.value("load_before", 0.0), 1) << " before / " << fmt(mach.value("load_after", 0.0), 1)
     << " after: a shared machine) by `" << str(b, "command", "bench/run_benchmarks.py") << "`.\n\n";
  if (!b.contains("generate_clip") || !b["generate_clip"].is_array() || b["generate_clip"].empty())
    throw Error("model card: the benchmark JSON has no 'generate_clip' rows");
  std::vector<std::vector<std::string>> lat;
  for (const auto& row : b["generate_clip"])
    lat.push_back({count(num(row, "threads")), count(num(row, "batch")), count(num(row, "frames")), fmt(num(row, "median_ms"), 1),
                   fmt(num(row, "p95_ms"), 1), fmt(num(row, "clips_per_s"), 2), count(num(row, "frames_per_s"))});
  md << "End-to-end generation (`generate_clip`: KV-cached decoding, reconciliation, root motion; " << str(b, "prompt", "")
     << "):\n\n"
     << table({"threads", "batch (actors)", "frames", "median ms", "p95 ms", "clips/s", "frames/s"}, lat) << "\n";
  if (!b.contains("reference_comparison")) throw Error("model card: the benchmark JSON has no 'reference_comparison'");
  std::vector<std::vector<std::string>> ref;
  for (const auto& row : b["reference_comparison"])
    ref.push_back({count(num(row, "threads")), fmt(num(row, "ours_ms"), 1), fmt(num(row, "reference_ms"), 1),
                   fmt(num(row, "ratio_wall"), 1) + "x", fmt(num(row, "ratio_cpu"), 1) + "x"});
  md << "Side by side with the reference algorithm (250-frame clip, small config, batch 1; the reference recomputes the "
        "growing prefix 249 times in PyTorch; bench/compare_generation.py's (a) and (c)):\n\n"
     << table({"threads", "ours ms", "reference ms", "speed-up (wall)", "speed-up (CPU)"}, ref) << "\n";
  if (!b.contains("training")) throw Error("model card: the benchmark JSON has no 'training' section");
  const json& tr = b["training"];
  md << "Training throughput, one optimizer step (small config, batch " << count(num(tr, "batch")) << " × "
     << count(num(tr, "frames")) << " frames, actions fed, pose + temporal + physics loss, AdamW, gradient clipping; "
     << "bench/compare_training.sh):\n\n"
     << table({"implementation", "threads", "frames/s", "ms/step"},
              {{"stickgen-train (LibTorch)", str(tr, "stickgen_threads"), count(num(tr, "stickgen_frames_per_s")),
                fmt(num(tr, "stickgen_ms_per_step"), 0)},
               {"PyTorch " + str(tr, "pytorch_version"), str(tr, "pytorch_threads"), count(num(tr, "pytorch_frames_per_s")),
                fmt(num(tr, "pytorch_ms_per_step"), 0)}})
     << "\nRatio stickgen / PyTorch: " << fmt(num(tr, "ratio"), 2) << "x.\n\n";

  md << "## Limitations\n\n"
        "- Trained on procedurally synthesised motion (and whatever real data the corpus holds): its motion style is that "
        "of the procedural engine.\n"
        "- 2-D stick figures (v1: 5 segments); the legs and arms span a knee/elbow the format does not store.\n"
        "- The evaluator is trained on the same distribution; generated clips can only be judged as well as it "
        "recognises real ones (the ceiling above).\n\n";
  md << "## Reproduce\n\n```\nstickgen eval --model " << name << " --data " << str(e["data"], "path") << " --evaluator "
     << str(e["evaluator"], "path") << " --seed " << count(num(e, "options.seed")) << " --samples "
     << count(num(e, "options.samples_per_action")) << " -o eval/\nbench/run_benchmarks.py --model " << name
     << " -o bench.json\nstickgen model-card --eval eval/eval.json --bench bench.json -o MODEL_CARD.md\n```\n";
  return md.str();
}

}  // namespace stickgen::eval
