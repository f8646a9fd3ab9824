// The network's view of motion, shared by training (torch tier) and generation (runtime) so the
// two can never disagree: a pose with its x coordinates taken relative to the root's x (when
// root_relative_x), normalised per dimension; physics normalised per feature.
#pragma once

#include <vector>

#include "stickgen/model_config.hpp"
#include "stickgen/motion.hpp"

namespace stickgen {

class MotionSpace {
 public:
  MotionSpace(SkeletonFormat format, MotionNormalization norm);

  const MotionNormalization& normalization() const { return norm_; }
  SkeletonFormat format() const { return format_; }
  int dims() const { return static_cast<int>(format_); }

  // Absolute pose -> network vector; x taken relative to `reference_x` (the actor's own root x
  // for its pose; the actor's root x for its partner's pose, so the partner's offset shows).
  void encode_pose(const float* pose, float reference_x, float* out) const;
  void encode_pose(const float* pose, float* out) const;  // relative to its own root
  // Network vector -> absolute pose whose relative x coordinates are placed at `root_x`.
  void decode_pose(const float* net, float root_x, float* out) const;
  void encode_physics(const float* physics, float* out) const;  // 6 values
  // The network's next frame (normalised) from its pose head: input + output * delta_std when the
  // model predicts changes, the output itself otherwise.
  void next_from_head(const float* input, const float* head, float* out) const;
  void decode_physics(const float* net, float* out) const;

  // Mean/std of encoded poses and of physics over every present frame of the clips (std floored
  // at 1e-3 so constant dimensions stay finite), and with `delta_output` the std of frame-to-frame
  // changes of the normalised poses (floored at 1e-4). Clips must all be in `format`.
  static MotionNormalization fit(const std::vector<const Clip*>& clips, SkeletonFormat format, bool root_relative_x,
                                 bool delta_output = false);

 private:
  SkeletonFormat format_;
  MotionNormalization norm_;
};

}  // namespace stickgen
