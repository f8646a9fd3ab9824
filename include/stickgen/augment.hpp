// Augmentation that keeps labels true: mirror, time stretch, scale, translation and joint noise. Every
// variant is rebuilt from joints (connectivity kept), gets its physics recomputed and is re-validated;
// the description is rewritten where the change touches what it says (left/right, stated durations).
// Rules and ranges: docs/DATA.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stickgen/motion.hpp"

namespace stickgen {

// The limits a data clip must meet: validate()'s, except that v1 legs and arms (which span knees and
// elbows, so their length changes as the limb bends) are not held to the rigid-bone tolerance; the v1
// torso is, and degenerate limbs are still caught.
ValidationLimits data_limits(SkeletonFormat format);
ValidationReport validate_data_clip(const Clip& clip);

// ---- building blocks (each returns a new clip with physics recomputed) ----

// x -> -x about x = 0 with left and right joints exchanged (SkeletonSchema::mirror): a figure facing right
// now faces left, a step to the left becomes a step to the right. Actions are unchanged (none is sided).
Clip mirror_clip(const Clip& clip);
// The world reflected about x = 0 with every figure facing the other way as the procedural rig draws it
// (turn_around about its own root; labels kept, the three-quarter view's left side stays at -x): the
// clip as it would have been synthesised facing the other way. Physics recomputed, camera x negated.
Clip turn_clip_around(const Clip& clip);
// Exchanges the words left/right, leftward(s)/rightward(s) (keeping capitals); other text is unchanged.
std::string mirror_text(std::string_view text);

// Plays the clip `speed` times as fast (speed > 1: shorter), resampling by time; per-frame actions follow.
Clip time_stretch_clip(const Clip& clip, float speed);
// Divides every stated duration ("for 3 seconds", "for two and a half seconds", "for a second") by
// `speed`, written with one decimal ("for 2.6 seconds").
std::string stretch_text(std::string_view text, float speed);

// Scales the whole scene by `factor` about the ground point under the actors' mean starting root (feet
// stay on y = 0; speeds scale with the body).
Clip scale_clip(const Clip& clip, float factor);
Clip translate_clip(const Clip& clip, float dx);
// Gaussian noise of standard deviation `sigma` units on every joint of every present frame: white when
// `smooth_frames` is 0 (sensor jitter - the quality score's jitter term penalises it), else low-pass
// filtered with a Gaussian of that many frames (a slow wobble that adds no jitter).
Clip noise_clip(const Clip& clip, float sigma, uint64_t seed, float smooth_frames = 0.f);

// ---- variants ----

struct AugmentOptions {
  float min_speed = 0.85f, max_speed = 1.15f;  // time stretch; stated tempo words stay true within this
  float max_seconds = 10.f;                     // a slowed clip may not grow past max(this, its own length)
  float min_scale = 0.93f, max_scale = 1.07f;   // body-size change
  float max_shift = 2.f;                        // units of x translation
  float min_noise = 0.002f, max_noise = 0.006f; // joint noise sigma, units (smoothed over noise_frames)
  float noise_frames = 3.f;
};

struct AugmentedClip {
  Clip clip;                // id/description/source copied from the base clip (the caller renames)
  std::string description;
  std::string tag;          // what was done: "mirror", "stretch1.08", "scale0.96+shift1.3", "noise0.004", joined by '+'
};

// Up to `count` variants of one clip drawn from `seed` (variant j cycles mirror, stretch, scale+shift,
// noise, with a mirror mixed into some); a variant that fails validate_data_clip is dropped, so fewer may
// come back.
std::vector<AugmentedClip> augment_clip(const Clip& clip, std::string_view description, int count, uint64_t seed,
                                        const AugmentOptions& opts = {});

}  // namespace stickgen
