// Training configuration: plain data with defaults, overridden by a YAML file (the reference's key
// names: model.*, training.*, loss_weights.*, data.*, optimization.*) and then by the command line.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "stickgen/model_config.hpp"

namespace stickgen::train {

struct TrainConfig {
  ModelConfig model = ModelConfig::small();

  // training.*
  std::string stage = "pretrain";  // pretrain | sft (recorded in the model file)
  int batch_size = 4;
  int grad_accum_steps = 16;
  double epochs = 1;        // passes over the training sequences (fractions allowed)
  int max_steps = 0;        // optimizer steps; 0 = from epochs
  double learning_rate = 3e-4;
  double min_lr_ratio = 0.1;   // cosine decays to learning_rate * min_lr_ratio
  int warmup_steps = 50;
  double max_grad_norm = 1.0;
  uint64_t seed = 42;
  std::string init_from;    // model file to start from (weights + motion normalisation), fresh optimizer
  int max_frames = 250;     // longest window of frames one sequence sees
  int min_frames = 16;      // shorter sequences are skipped
  double input_noise = 0.0;           // white Gaussian noise on input frames, normalised units
  double input_offset_noise = 0.05;   // Gaussian pose offset per sequence (constant over its frames)
  int rollout_passes = 2;             // prediction passes per scheduled-sampling step
  bool rollout_grad = false;          // backpropagate through the scheduled-sampling passes
  double scheduled_sampling = 0.25;   // final probability of feeding the model's own prediction
  double scheduled_sampling_start = 0.3;  // fraction of training before sampling starts ramping up
  // Free rollout (DAgger-style): this share of micro-batches, ramped like scheduled sampling, feeds
  // the model its own KV-cached rollout (no gradient, dropout off) after a teacher-forced prefix of
  // free_rollout_prefix..half the window; the targets stay the data, so the model learns to steer
  // back from the drift it builds up over many frames, which two-pass scheduled sampling never shows.
  double free_rollout = 0.0;
  int free_rollout_prefix = 4;        // shortest teacher-forced prefix (frames)
  // What a rolled frame is asked to predict: "time" = the data frame at the same time; "nearest" = the
  // data frame after the one whose last rollout_match_frames frames lie nearest to the rollout's (the
  // data's continuation from the rollout's phase; nearest_data_frames in window_stats.hpp).
  std::string rollout_target = "time";
  int rollout_match_frames = 4;
  bool rollout_match_action = false;  // "nearest": match only among frames of the target frame's action
  double action_dropout = 0.3;        // fraction of sequences trained without action input (action head loss)
  int val_every = 100;      // optimizer steps between validations (and checkpoints)
  int val_sequences = 64;   // validation sequences per evaluation (0 = all)
  int rollout_sequences = 8;  // free-rollout checks per validation
  int save_every = 0;       // optimizer steps between checkpoints; 0 = with validation
  int log_every = 10;

  // optimization.*
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;

  // loss_weights.*
  double w_pose = 1.0, w_temporal = 0.1, w_action = 0.15, w_physics = 0.2;
  // Phase-free window statistics (0 = off; window_stats.hpp): per sequence window, the mean predicted
  // pose (window_mean) and the RMS of the predicted change, prediction - input, in delta_std units
  // (window_speed), against the data's.
  // A rolled input is out of phase with its data, so per-frame targets pull it towards the mean
  // (the model learns to move less); these two only ask it to stay where, and move as much as, the data.
  double w_window_mean = 0.0, w_window_speed = 0.0;
  // Pose hypotheses (model.pose_hypotheses > 1): the cross-entropy teaching the logits which
  // hypothesis was nearest the target (hypothesis), and the share of the pose loss every hypothesis
  // gets whether or not it won (hypothesis_share: relaxed winner-takes-all, so none is left untrained).
  double w_hypothesis = 0.1, hypothesis_share = 0.05;

  // data.*
  std::string train_data;   // dataset directory
  std::string train_split = "train";  // one split or several joined by + ("train+val"; see build_train_val_sequences)
  std::string val_split = "val";
  std::string text_encoder = "hashed-v1";  // or "dataset": use the dataset's stored embeddings
  std::string output_dir = "runs/train";    // data.checkpoint_dir
  bool root_relative_x = true;
  bool turned_copies = false;  // train on every clip and its turned-around copy (SequenceOptions::turned_copies)
  std::string init = "scaled";  // from-scratch init: "scaled" (GPT-2 style, see scaled_init) or "reference" (xavier)
  bool delta_output = true;  // the pose head predicts next - input (recorded in the model file)

  // Parses a YAML file into this config (keys not present keep their values). Unknown keys in the
  // sections we read are errors naming them, so a typo never silently trains something else.
  void load_yaml(const std::filesystem::path& path);
  // "section.key=value" overrides, as given on the command line.
  void set(const std::string& dotted_key, const std::string& value);
  std::string to_json() const;
  static TrainConfig from_json(const std::string& json);
  void validate() const;
};

}  // namespace stickgen::train
