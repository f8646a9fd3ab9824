#!/usr/bin/env python3
"""Writes the hand-made .motion fixtures in tests/data/ (v1/v3, one/two actors).

Poses come from forward kinematics with fixed bone lengths (the proportions of stickgen's rest
pose), so every fixture has constant bone lengths and connected segments. Physics follows the
motion core's definition: root velocity by backward differences in real seconds, acceleration the
same on velocity, frame 0 copies frame 1 and a[1] copies a[2], momentum = velocity.
Run: /usr/bin/python3 tests/data/make_motion_fixtures.py   (plain json + math, no numpy needed)
"""
import json
import math
import os

FPS = 25
HERE = os.path.dirname(os.path.abspath(__file__))

V1_SEGMENTS = ["torso", "l_leg", "r_leg", "l_arm", "r_arm"]
V3_SEGMENTS = ["head", "upper_torso", "lower_torso", "l_upper_arm", "l_forearm", "r_upper_arm", "r_forearm",
               "l_thigh", "l_shin", "r_thigh", "r_shin", "pelvis_width"]

# Bone lengths (units; 1 unit ~ 0.68 m) from the rest pose in src/motion/skeleton.cpp.
HIP_HALF = 0.14                      # v3 pelvis half width
THIGH = math.hypot(0.01, 0.59)
SHIN = math.hypot(0.01, 0.61)
LOWER_TORSO, UPPER_TORSO, HEAD = 0.42, 0.38, 0.24
SHOULDER = (0.3, -0.08)              # from the neck, in the torso frame
UPPER_ARM = math.hypot(0.06, 0.46)
FOREARM = math.hypot(0.04, 0.44)
V1_TORSO = 0.8
V1_LEG = 1.2
V1_ARM = math.hypot(0.4, 0.98)


def limb(origin, angle, length):
    """End of a bone from `origin`; angle in radians from straight down, positive towards +x."""
    return (origin[0] + length * math.sin(angle), origin[1] - length * math.cos(angle))


def smoothstep(a, b, x):
    t = min(1.0, max(0.0, (x - a) / (b - a)))
    return t * t * (3 - 2 * t)


# ---------------------------------------------------------------- v1 poses (5 segments)

def v1_pose(x, swing, l_arm, r_arm):
    """Hip at x; legs at +-swing (so both feet touch y = 0); arm angles from straight down."""
    hip = (x, V1_LEG * math.cos(swing))
    neck = (x, hip[1] + V1_TORSO)
    l_foot = limb(hip, swing, V1_LEG)
    r_foot = limb(hip, -swing, V1_LEG)
    l_hand = limb(neck, l_arm, V1_ARM)
    r_hand = limb(neck, r_arm, V1_ARM)
    segs = [(neck, hip), (hip, l_foot), (hip, r_foot), (neck, l_hand), (neck, r_hand)]
    return [c for a, b in segs for c in (a[0], a[1], b[0], b[1])]


def v1_wave(t, x):
    """Standing still, right arm raised and waving, left arm relaxed."""
    wave = math.radians(150) + math.radians(20) * math.sin(2 * math.pi * 2.0 * t)
    return v1_pose(x, 0.0, -math.radians(12), wave)


def v1_walk(t, x):
    phase = 2 * math.pi * 1.6 * t
    swing = math.radians(22) * math.sin(phase)
    return v1_pose(x, swing, -math.radians(18) * math.sin(phase) - math.radians(8),
                   math.radians(18) * math.sin(phase) + math.radians(8))


# ---------------------------------------------------------------- v3 poses (12 segments)

def v3_pose(x, legs, arms, lean=0.0):
    """legs: ((l_thigh, l_knee_bend), (r_thigh, r_knee_bend)); arms: ((l_upper, l_elbow), (r_upper, r_elbow)).
    Thigh/upper-arm angles from straight down (+ towards +x); bends are added to the lower bone.
    The pelvis height puts the lower ankle on y = 0."""
    drop = []
    for thigh, bend in legs:
        drop.append(THIGH * math.cos(thigh) + SHIN * math.cos(thigh - bend))
    pelvis = (x, max(drop))
    up = (math.sin(lean), math.cos(lean))
    chest = (pelvis[0] + LOWER_TORSO * up[0], pelvis[1] + LOWER_TORSO * up[1])
    neck = (chest[0] + UPPER_TORSO * up[0], chest[1] + UPPER_TORSO * up[1])
    head = (neck[0] + HEAD * up[0], neck[1] + HEAD * up[1])
    joints = {"pelvis": pelvis, "chest": chest, "neck": neck, "head": head}
    for side, sign, (thigh, bend) in (("l", -1, legs[0]), ("r", 1, legs[1])):
        hip = (pelvis[0] + sign * HIP_HALF, pelvis[1])
        knee = limb(hip, thigh, THIGH)
        ankle = limb(knee, thigh - bend, SHIN)
        joints.update({side + "_hip": hip, side + "_knee": knee, side + "_ankle": ankle})
    for side, sign, (upper, elbow) in (("l", -1, arms[0]), ("r", 1, arms[1])):
        # shoulder offset rotated with the torso lean
        sx, sy = sign * SHOULDER[0], SHOULDER[1]
        c, s = math.cos(-lean), math.sin(-lean)
        shoulder = (neck[0] + c * sx - s * sy, neck[1] + s * sx + c * sy)
        el = limb(shoulder, upper, UPPER_ARM)
        wrist = limb(el, upper + elbow, FOREARM)
        joints.update({side + "_shoulder": shoulder, side + "_elbow": el, side + "_wrist": wrist})
    j = joints
    segs = [(j["neck"], j["head"]), (j["neck"], j["chest"]), (j["chest"], j["pelvis"]),
            (j["l_shoulder"], j["l_elbow"]), (j["l_elbow"], j["l_wrist"]),
            (j["r_shoulder"], j["r_elbow"]), (j["r_elbow"], j["r_wrist"]),
            (j["l_hip"], j["l_knee"]), (j["l_knee"], j["l_ankle"]),
            (j["r_hip"], j["r_knee"]), (j["r_knee"], j["r_ankle"]),
            (j["l_hip"], j["r_hip"])]
    return [c for a, b in segs for c in (a[0], a[1], b[0], b[1])]


def v3_walk_params(t, amount=1.0, direction=1):
    """Leg/arm angles and lean of a walk cycle scaled by `amount` (0 = standing); `direction` +1
    walks towards +x."""
    phase = 2 * math.pi * 1.6 * t
    a = amount * math.radians(24) * math.sin(phase)
    bend_l = math.radians(8) + amount * math.radians(35) * max(0.0, math.sin(phase + 1.2))
    bend_r = math.radians(8) + amount * math.radians(35) * max(0.0, math.sin(phase + 1.2 + math.pi))
    d = direction
    legs = ((d * a, d * bend_l), (-d * a, d * bend_r))
    arm = amount * math.radians(20) * math.sin(phase)
    elbow = math.radians(15)
    arms = ((-d * arm - math.radians(6), -d * elbow), (d * arm + math.radians(6), -d * elbow))
    return legs, arms, d * amount * math.radians(4)


def v3_walk(t, x, amount=1.0, direction=1):
    legs, arms, lean = v3_walk_params(t, amount, direction)
    return v3_pose(x, legs, arms, lean)


def v3_wave_arms(t, side):
    """Arms with one raised and waving (side 'r' or 'l'); the other relaxed."""
    up = math.radians(140)
    fore = math.radians(25) + math.radians(25) * math.sin(2 * math.pi * 2.0 * t)
    relaxed = (math.radians(6), math.radians(15))
    if side == "r":
        return ((-relaxed[0], -relaxed[1]), (up, fore))
    return ((-up, -fore), relaxed)


def blend_arms(a, b, k):
    return tuple(tuple(x + k * (y - x) for x, y in zip(p, q)) for p, q in zip(a, b))


# ---------------------------------------------------------------- physics and file writing

def root_of(pose, dims):
    if dims == 20:  # hip: torso.to, l_leg.from, r_leg.from
        pts = [(pose[2], pose[3]), (pose[4], pose[5]), (pose[8], pose[9])]
    else:           # pelvis_center: lower_torso.to
        pts = [(pose[10], pose[11])]
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def physics(track, dims, present):
    """[T*6] for one actor; absent frames take the nearest present value."""
    T = len(track)
    pos = [root_of(p, dims) for p in track]
    has_v = [t > 0 and present[t] and present[t - 1] for t in range(T)]
    vel = [((pos[t][0] - pos[t - 1][0]) * FPS, (pos[t][1] - pos[t - 1][1]) * FPS) if has_v[t] else (0.0, 0.0)
           for t in range(T)]
    has_a = [t > 0 and has_v[t] and has_v[t - 1] for t in range(T)]
    acc = [((vel[t][0] - vel[t - 1][0]) * FPS, (vel[t][1] - vel[t - 1][1]) * FPS) if has_a[t] else (0.0, 0.0)
           for t in range(T)]

    def fill(values, has):
        idx = [t for t in range(T) if has[t]]
        if not idx:
            return [(0.0, 0.0)] * T
        return [values[min(idx, key=lambda k: (abs(k - t), k))] if not has[t] else values[t] for t in range(T)]

    vel, acc = fill(vel, has_v), fill(acc, has_a)
    out = []
    for t in range(T):
        out += [vel[t][0], vel[t][1], acc[t][0], acc[t][1], vel[t][0], vel[t][1]]
    return out


def r5(values):
    return [round(v, 5) + 0.0 for v in values]


def write_fixture(name, description, dims, tracks, actions, present=None, camera=None, with_physics=True):
    T = len(tracks[0])
    A = len(tracks)
    present = present or [[1] * T for _ in range(A)]
    tracks = [[r5(p) for p in track] for track in tracks]  # physics from the values written
    doc = {
        "meta": {"version": "1.0", "generator": "stickgen tests/data/make_motion_fixtures.py",
                 "created_at": "2025-01-01T00:00:00Z", "fps": FPS, "duration": T / FPS, "total_frames": T,
                 "description": description, "id": name, "source": "hand-made fixture"},
        "skeleton": {"type": "stick_figure_5_segment" if dims == 20 else "stick_figure_12_segment_v3",
                     "joint_format": "xy_lines_flat", "input_dim": dims,
                     "segments": V1_SEGMENTS if dims == 20 else V3_SEGMENTS},
        "motion": [v for p in tracks[0] for v in p],
        "actions": actions[0],
    }
    phys = [r5(physics(tracks[a], dims, present[a])) for a in range(A)] if with_physics else None
    if phys:
        doc["physics"] = phys[0]
    if camera:
        doc["camera"] = r5([v for c in camera for v in c])
    if A > 1 or any(0 in p for p in present):
        ext = {"count": A,
               "present": [present[a][t] for t in range(T) for a in range(A)],
               "motion": [[v for p in tracks[a] for v in p] for a in range(1, A)],
               "actions": [actions[a] for a in range(1, A)]}
        if phys:
            ext["physics"] = phys[1:]
        doc["actors"] = ext
    with open(os.path.join(HERE, name + ".motion"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def main():
    # v1, one actor: 3 s of waving.
    T = 75
    write_fixture("v1_one_actor", "a person waves hello", 20, [[v1_wave(t / FPS, 0.0) for t in range(T)]],
                  [["wave"] * T])

    # v1, two actors: one walks in from the left; the other appears at frame 15 and waves.
    T = 100
    walker = [v1_walk(t / FPS, -4.0 + 1.2 * t / FPS) for t in range(T)]
    waver = [v1_wave(t / FPS, 2.2) for t in range(T)]
    appear = 15
    waver = [waver[max(t, appear)] for t in range(T)]  # before appearing: its first pose, masked out
    write_fixture("v1_two_actors", "a man walks towards a woman who appears and waves", 20, [walker, waver],
                  [["walk"] * T, [""] * appear + ["wave"] * (T - appear)],
                  present=[[1] * T, [0] * appear + [1] * (T - appear)])

    # v3, one actor: 4 s walking right, with a following camera.
    T = 100
    xs = [-2.0 + 1.4 * t / FPS for t in range(T)]
    write_fixture("v3_one_actor", "a person walks to the right", 48, [[v3_walk(t / FPS, xs[t]) for t in range(T)]],
                  [["walk"] * T], camera=[(xs[t], 1.3, 1.0) for t in range(T)])

    # v3, two actors: walk towards each other, slow down and stop, then raise an arm and wave.
    T = 125
    tracks, acts = [], []
    for start, direction, side in ((-2.6, 1, "r"), (2.6, -1, "l")):
        track, names, x = [], [], start
        for t in range(T):
            s = t / FPS
            amount = 1.0 - smoothstep(1.6, 2.4, s)   # walking until 1.6 s, standing by 2.4 s
            raise_arm = smoothstep(2.4, 2.9, s)
            x += direction * 0.8 * amount / FPS
            legs, arms, lean = v3_walk_params(s, amount, direction)
            arms = blend_arms(arms, v3_wave_arms(s, side), raise_arm)
            track.append(v3_pose(x, legs, arms, lean))
            names.append("walk" if amount > 0.05 else "idle" if raise_arm < 0.5 else "wave")
        tracks.append(track)
        acts.append(names)
    write_fixture("v3_two_actors", "two friends walk towards each other and wave", 48, tracks, acts)


if __name__ == "__main__":
    main()
