// Training/evaluation sequences: one actor's track of a dataset clip in the network's motion space
// (see motion_space.hpp), with its partner's track in the same frame of reference, per-frame
// actions, normalised physics and the clip's text embedding. Built once from a dataset split and
// shared by stickgen-train (teacher forcing) and stickgen eval (metrics), so both see identical
// inputs.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "stickgen/dataset.hpp"
#include "stickgen/motion_space.hpp"
#include "stickgen/text_encoder.hpp"

namespace stickgen {

struct Sequence {
  int frames = 0;                // T
  std::vector<float> motion;     // [T, D] encoded poses (x relative to this actor's root)
  std::vector<float> physics;    // [T, 6] encoded physics
  std::vector<int16_t> actions;  // [T] action ids (kNoAction where unlabelled)
  std::vector<float> partner;    // [T, D] partner poses relative to this actor's root, or empty
  std::vector<float> root_x;     // [T] this actor's absolute root x
  size_t clip = 0;               // index in the dataset
  int actor = 0;
  int embedding = 0;             // index into SequenceSet::embeddings
  bool fully_labelled() const;
};

struct SequenceSet {
  std::vector<Sequence> sequences;
  std::vector<std::vector<float>> embeddings;  // one per clip used
  int dims = 0;
};

struct SequenceOptions {
  std::string split;            // records whose split is this, or one of "a+b" ("" = every record)
  std::set<size_t> exclude_clips;  // dataset indices left out (e.g. clips held for validation)
  int min_frames = 16;          // shorter present runs are skipped
  // "hashed-v1..." encodes each clip's description; "dataset" uses the stored embeddings.
  std::string text_encoder = "hashed-v1";
  size_t max_clips = 0;         // 0 = all
  // Also every clip turned around (turn_clip_around, described with left and right exchanged): as many
  // sequences facing each way, for a model that is to be decoded facing one way.
  bool turned_copies = false;
};

// A training run's sequences: `train_splits` (turned copies as `options` says) and `val_split` (never
// turned). When the training splits include the validation split ("train+val"), validation keeps its
// first `val_used` sequences (0 = all), and every clip they come from is left out of training.
struct TrainValSequences {
  SequenceSet train, val;
};
TrainValSequences build_train_val_sequences(const DatasetReader& data, const MotionSpace& space, SequenceOptions options,
                                            const std::string& train_splits, const std::string& val_split,
                                            size_t val_used);

// Whether `split` is named by `splits`: "" names every split, "train+val" names train and val.
bool split_matches(const std::string& splits, const std::string& split);

// Every actor's longest present run of each clip in the split becomes a sequence; its partner is
// the other actor present over that whole run that stays closest on average (none if no other
// actor is present throughout). Throws Error if the dataset's format does not match the space.
SequenceSet build_sequences(const DatasetReader& data, const MotionSpace& space, const SequenceOptions& options);

}  // namespace stickgen
