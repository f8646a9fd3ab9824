#include "stickgen/sequences.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "stickgen/augment.hpp"
#include "stickgen/common.hpp"

namespace stickgen {

bool Sequence::fully_labelled() const {
  return std::none_of(actions.begin(), actions.end(), [](int16_t a) { return a == kNoAction; });
}

namespace {

// Every actor's longest present run in `clip` (dataset clip `index`, physics computed) of at least
// `min_frames` frames becomes a sequence; `embed()` gives the clip's text embedding, computed only when
// one does. Returns whether any did.
template <class Embed>
bool add_clip_sequences(SequenceSet& set, const Clip& clip, size_t index, const MotionSpace& space, int min_frames,
                        Embed&& embed) {
  const int D = space.dims();
  const auto& schema_ = schema(space.format());
  const int T = clip.frames;
  // Longest present run per actor.
  struct Run { int begin = 0, end = 0; };
  std::vector<Run> runs(clip.actors);
  for (int a = 0; a < clip.actors; ++a) {
    int start = -1;
    for (int t = 0; t <= T; ++t) {
      const bool here = t < T && clip.present(t, a);
      if (here && start < 0) start = t;
      if (!here && start >= 0) {
        if (t - start > runs[a].end - runs[a].begin) runs[a] = {start, t};
        start = -1;
      }
    }
  }
  int embedding_index = -1;
  for (int a = 0; a < clip.actors; ++a) {
    const Run run = runs[a];
    const int n = run.end - run.begin;
    if (n < min_frames) continue;
    if (embedding_index < 0) {
      embedding_index = static_cast<int>(set.embeddings.size());
      set.embeddings.push_back(embed());
    }
    Sequence seq;
    seq.frames = n;
    seq.clip = index;
    seq.actor = a;
    seq.embedding = embedding_index;
    seq.motion.resize(static_cast<size_t>(n) * D);
    seq.physics.resize(static_cast<size_t>(n) * kPhysicsDims);
    seq.actions.resize(n);
    seq.root_x.resize(n);
    for (int t = 0; t < n; ++t) {
      const float* pose = clip.pose(run.begin + t, a);
      seq.root_x[t] = root_position(schema_, pose).x;
      space.encode_pose(pose, space.normalization().root_relative_x ? seq.root_x[t] : 0.f, &seq.motion[t * D]);
      space.encode_physics(clip.physics_at(run.begin + t, a), &seq.physics[t * kPhysicsDims]);
      seq.actions[t] = clip.action(run.begin + t, a);
    }
    // Partner: present throughout the run, closest on average.
    int partner = -1;
    double best = std::numeric_limits<double>::infinity();
    for (int b = 0; b < clip.actors; ++b) {
      if (b == a) continue;
      bool throughout = true;
      double dist = 0;
      for (int t = run.begin; t < run.end && throughout; ++t) {
        throughout = clip.present(t, b);
        if (throughout) dist += std::fabs(root_position(schema_, clip.pose(t, b)).x - seq.root_x[t - run.begin]);
      }
      if (throughout && dist < best) best = dist, partner = b;
    }
    if (partner >= 0) {
      seq.partner.resize(static_cast<size_t>(n) * D);
      for (int t = 0; t < n; ++t)
        space.encode_pose(clip.pose(run.begin + t, partner), space.normalization().root_relative_x ? seq.root_x[t] : 0.f,
                          &seq.partner[t * D]);
    }
    set.sequences.push_back(std::move(seq));
  }
  return embedding_index >= 0;
}

}  // namespace

TrainValSequences build_train_val_sequences(const DatasetReader& data, const MotionSpace& space, SequenceOptions options,
                                            const std::string& train_splits, const std::string& val_split,
                                            size_t val_used) {
  TrainValSequences out;
  const bool turned = options.turned_copies;
  options.split = val_split;
  options.turned_copies = false;
  out.val = build_sequences(data, space, options);
  if (!val_split.empty() && split_matches(train_splits, val_split)) {
    if (val_used > 0 && val_used < out.val.sequences.size()) out.val.sequences.resize(val_used);
    for (const Sequence& q : out.val.sequences) options.exclude_clips.insert(q.clip);
  }
  options.split = train_splits;
  options.turned_copies = turned;
  out.train = build_sequences(data, space, options);
  return out;
}

bool split_matches(const std::string& splits, const std::string& split) {
  if (splits.empty()) return true;
  for (size_t b = 0; b <= splits.size();) {
    const size_t e = std::min(splits.find('+', b), splits.size());
    if (e > b && splits.compare(b, e - b, split) == 0) return true;  // empty names match nothing
    b = e + 1;
  }
  return false;
}

SequenceSet build_sequences(const DatasetReader& data, const MotionSpace& space, const SequenceOptions& options) {
  if (data.format() != space.format())
    throw Error(data.dir().string() + ": dataset is " + std::string(format_name(data.format())) + ", the model expects " +
                std::string(format_name(space.format())));
  std::unique_ptr<TextEncoder> encoder;
  const bool stored = options.text_encoder == "dataset";
  if (stored && data.embedding_dim() == 0)
    throw Error(data.dir().string() + ": data.text_encoder is 'dataset' but the dataset stores no embeddings");
  if (!stored) encoder = make_text_encoder(options.text_encoder);

  SequenceSet set;
  set.dims = space.dims();
  size_t used_clips = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (!split_matches(options.split, data.record(i).split) || options.exclude_clips.count(i)) continue;
    if (options.max_clips && used_clips >= options.max_clips) break;
    Clip clip = data.clip(i);  // read once; the turned copy is made from it
    if (clip.physics.empty()) compute_physics(clip);
    const std::string& description = data.record(i).description;
    bool used = add_clip_sequences(set, clip, i, space, options.min_frames,
                                   [&] { return stored ? data.embedding(i) : encoder->encode(description); });
    if (options.turned_copies) {
      const bool turned = add_clip_sequences(set, turn_clip_around(clip), i, space, options.min_frames, [&] {
        return stored ? data.embedding(i) : encoder->encode(mirror_text(description));
      });
      used = used || turned;
    }
    if (used) ++used_clips;
  }
  return set;
}

}  // namespace stickgen
