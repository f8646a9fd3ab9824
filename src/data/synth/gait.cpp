// Gait cycles: phase from cadence, foot placement from the actor's actual travel, toe roll,
// swing arcs, pelvis bob or ballistic flight, counter-swinging arms.
#include "data/synth/gait.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace stickgen::synth {

Gait::Gait(const GaitSpec& spec, const SegmentCtx& ctx, int k0, int k1)
    : spec_(spec), ctx_(ctx), body_(ctx.body), k0_(k0), k1_(k1) {
  scale_ = body_->leg() / 1.2f;
  foot_len_ = 0.2f * scale_;
  pad_ = static_cast<int>(std::ceil(2.5f * ctx.fps));
  const int n = (k1 - k0) + 2 * pad_;
  phi_.resize(n);
  const auto& v = ctx.track->v;
  const int T = static_cast<int>(v.size());
  const float dt = 1.f / ctx.fps;
  {
    Rng rng(ctx.seed ^ 0x6A17ull);
    for (float& x : vph_) x = rng.uniform();
  }
  const float base = spec.cadence * std::sqrt(ctx.tempo);
  const float vnom = std::max(0.05f, spec.nominal_speed * ctx.tempo);
  auto cadence = [&](int k) {
    const float speed = std::fabs(v[std::clamp(k, 0, T - 1)]);
    // Strides are not metronomic: the cadence drifts by a few per cent.
    return base * std::clamp(0.6f + 0.4f * speed / vnom, 0.6f, 1.5f) * (1.f + 0.03f * wobble(k * dt, 0));
  };
  const int i0 = pad_;
  phi_[i0] = ctx.style->phase;
  for (int i = i0 + 1; i < n; ++i) phi_[i] = phi_[i - 1] + 0.5 * cadence(k0 - pad_ + i - 1) * dt;
  for (int i = i0 - 1; i >= 0; --i) phi_[i] = phi_[i + 1] - 0.5 * cadence(k0 - pad_ + i) * dt;

  // Stepping fades in and out with speed, averaged over +-0.25 s so a brief pass through zero (a
  // reversal) does not make the figure stand up and crouch again.
  {
    std::vector<float> raw(n);
    for (int i = 0; i < n; ++i) {
      const float speed = std::fabs(v[std::clamp(k0 - pad_ + i, 0, T - 1)]);
      raw[i] = smooth(speed / (0.3f * vnom));
    }
    const int r = std::max(1, static_cast<int>(std::lround(0.25f * ctx.fps)));
    act_.resize(n);
    for (int i = 0; i < n; ++i) {
      float sum = 0.f;
      int cnt = 0;
      for (int j = std::max(0, i - r); j <= std::min(n - 1, i + r); ++j) sum += raw[j], ++cnt;
      act_[i] = sum / cnt;
    }
  }
  for (int s = 0; s < 2; ++s) {
    if (spec.hop_foot >= 0 && spec.hop_foot != s) continue;
    for (int j = 0; j < spec.contacts; ++j) {
      float a = spec.contact[j][0], e = spec.contact[j][1];
      if (s == R && spec.asym > 0.f) e = a + (e - a) * (1.f - spec.asym);
      c_[s].push_back({a, e});
    }
  }
  // The flat part of a stance must fit under the hip: the foot travels v * duration relative to the
  // pelvis, which a leg of reach R at pelvis height h covers only within +-sqrt(R^2 - h^2). Walks
  // lower the pelvis a little; runs shorten their ground contact (as real runners do at speed).
  {
    float vmax = 0.f;
    for (int k = std::max(0, k0); k < std::min(k1, T); ++k) vmax = std::max(vmax, std::fabs(v[k]));
    const float leg = body_->leg(), reach = 0.975f * leg;
    const float cad = base * std::clamp(0.6f + 0.4f * vmax / vnom, 0.6f, 1.5f);
    const float cycle = 2.f / cad;
    for (int s = 0; s < 2; ++s)
      for (auto& c : c_[s]) {
        const float flat = (c.e - c.s) * (1.f - spec.roll) * cycle;
        const float D = vmax * flat;
        float h = spec_.height * leg;
        if (D <= 2.f * std::sqrt(std::max(0.f, reach * reach - h * h))) continue;
        if (!spec.flight) {
          const float need = std::sqrt(std::max(0.f, reach * reach - 0.25f * D * D)) / leg;
          spec_.height = std::max(0.8f, std::min(spec_.height, need));
          h = spec_.height * leg;
        }
        const float allowed = 2.f * std::sqrt(std::max(0.f, reach * reach - h * h));
        if (D > allowed) c.e = c.s + (c.e - c.s) * allowed / D;
      }
  }
  // Flights: phases of the cycle where no foot is down (sampled; gaits are simple patterns).
  constexpr int kSamples = 400;
  auto down = [&](float r) {
    for (int s = 0; s < 2; ++s) {
      const float off = s == R && spec.hop_foot < 0 ? 0.5f : 0.f;
      float u = r - off;
      u -= std::floor(u);
      for (const auto& c : c_[s])
        if (u >= c.s && u < c.e) return true;
    }
    return false;
  };
  bool any_down = false;
  for (int i = 0; i < kSamples; ++i) any_down |= down((i + 0.5f) / kSamples);
  if (spec.flight && any_down) {
    // Rotate so the scan starts inside a support phase.
    int start = 0;
    while (!down((start + 0.5f) / kSamples)) ++start;
    int i = 0;
    while (i < kSamples) {
      const int idx = (start + i) % kSamples;
      if (!down((idx + 0.5f) / kSamples)) {
        int j = i;
        while (j < kSamples && !down(((start + j) % kSamples + 0.5f) / kSamples)) ++j;
        const float fs = static_cast<float>(start + i) / kSamples, fe = static_cast<float>(start + j) / kSamples;
        flights_.push_back({fs - std::floor(fs), fe - fs});
        i = j;
      } else {
        ++i;
      }
    }
  }
}

float Gait::wobble(float t, int which) const {
  const float a = vph_[which & 3], b = vph_[(which + 1) & 3];
  return 0.6f * std::sin(kTwoPi * (0.13f * t + a)) + 0.4f * std::sin(kTwoPi * (0.37f * t + b));
}

float Gait::swing_var(int side, double cycle) const {
  const uint64_t key = static_cast<uint64_t>(static_cast<int64_t>(std::floor(cycle * 4.0 + 0.5)) + (1ll << 40));
  Rng r(ctx_.seed ^ (key * 0x9E3779B97F4A7C15ull) ^ (side ? 0x51DEull : 0x1EF7ull));
  return r.uniform(0.9f, 1.1f);
}

double Gait::time_at(double phi) const {
  const int n = static_cast<int>(phi_.size());
  const double t0 = static_cast<double>(k0_ - pad_) / ctx_.fps, dt = 1.0 / ctx_.fps;
  if (phi <= phi_.front()) return t0 - (phi_.front() - phi) / std::max(1e-6, (phi_[1] - phi_[0]) / dt);
  if (phi >= phi_.back()) return t0 + (n - 1) * dt + (phi - phi_.back()) / std::max(1e-6, (phi_[n - 1] - phi_[n - 2]) / dt);
  const int i = static_cast<int>(std::upper_bound(phi_.begin(), phi_.end(), phi) - phi_.begin()) - 1;
  const double w = (phi - phi_[i]) / std::max(1e-12, phi_[i + 1] - phi_[i]);
  return t0 + (i + w) * dt;
}

float Gait::travel_at(double t) const {
  const auto& X = ctx_.track->X;
  const auto& v = ctx_.track->v;
  const int T = static_cast<int>(X.size());
  const double f = t * ctx_.fps;
  if (f <= 0.0) return static_cast<float>(X[0] + v[0] * t);
  if (f >= T - 1) return static_cast<float>(X[T - 1] + v[T - 1] * (t - (T - 1) / ctx_.fps));
  const int i = static_cast<int>(f);
  const float w = static_cast<float>(f - i);
  return lerp(X[i], X[i + 1], w);
}

float Gait::phase(int k) const { return static_cast<float>(phi_[std::clamp(k - k0_ + pad_, 0, static_cast<int>(phi_.size()) - 1)]); }

float Gait::activity(int k) const {
  if (spec_.keep_stepping) return 1.f;
  return act_[std::clamp(k - k0_ + pad_, 0, static_cast<int>(act_.size()) - 1)];
}

Vec2 Gait::rest_foot(int side, int k) const {
  if (c_[side].empty()) return {0.f, 0.f};
  float x, y, rest = 0.f;
  uint8_t contact;
  foot(side, k, x, y, contact, &rest);
  return {rest - ctx_.track->X[std::clamp(k, 0, static_cast<int>(ctx_.track->X.size()) - 1)], 0.f};
}

void Gait::foot(int side, int k, float& x, float& y, uint8_t& contact, float* rest) const {
  const auto& cs = c_[side];
  const double off = side == R && spec_.hop_foot < 0 ? 0.5 : 0.0;
  const double u = phase(k) - off;
  const double n = std::floor(u);
  const float r = static_cast<float>(u - n);
  const float a = activity(k);
  const float Xk = ctx_.track->X[std::clamp(k, 0, static_cast<int>(ctx_.track->X.size()) - 1)];
  const float theta_max = 0.9f * a;
  const float roll = spec_.roll;

  auto place = [&](double cyc, int j) {  // X-space landing position of contact j of cycle cyc
    const Contact& c = cs[j];
    const float flat = c.s + (c.e - c.s) * (1.f - roll);
    const double ts = time_at(cyc + off + c.s), tf = time_at(cyc + off + flat);
    const float xs = travel_at(ts), xf = travel_at(tf);
    return xs + 0.5f * (xf - xs) + spec_.bias * scale_;
  };
  auto liftoff = [&](float P, Vec2& out) {
    out = {P + foot_len_ * (1.f - std::cos(theta_max)), foot_len_ * std::sin(theta_max)};
  };

  for (int j = 0; j < static_cast<int>(cs.size()); ++j) {
    const Contact& c = cs[j];
    if (r >= c.s && r < c.e) {
      const float P = place(n, j);
      if (rest) *rest = P;
      const float flat = c.s + (c.e - c.s) * (1.f - roll);
      if (r < flat) {
        x = P - Xk, y = 0.f, contact = 1;
      } else {
        const float th = theta_max * smooth((r - flat) / std::max(1e-4f, c.e - flat));
        x = P + foot_len_ * (1.f - std::cos(th)) - Xk, y = foot_len_ * std::sin(th);
        contact = a < 0.5f && y < 0.03f * scale_;
      }
      return;
    }
  }
  // Swing: from the last lift-off to the next landing.
  int jp = -1, jn = -1;
  double cp = n, cn = n;
  for (int j = 0; j < static_cast<int>(cs.size()); ++j) {
    if (cs[j].e <= r) jp = j;
    if (jn < 0 && cs[j].s > r) jn = j;
  }
  if (jp < 0) jp = static_cast<int>(cs.size()) - 1, cp = n - 1;
  if (jn < 0) jn = 0, cn = n + 1;
  const double pe = cp + cs[jp].e, ns = cn + cs[jn].s;
  const float q = static_cast<float>((n + r - pe) / std::max(1e-6, ns - pe));
  Vec2 A;
  liftoff(place(cp, jp), A);
  const float B = place(cn, jn);
  if (rest) *rest = B;
  // The foot arrives above its landing spot a little early and sets down vertically, so it never
  // skids along the ground.
  // The swing gets going early (q^0.7) instead of trailing behind, and arrives before it lands.
  const float qx = std::pow(std::clamp(q, 0.f, 1.f), 0.7f);
  const float sx = smooth(qx / (spec_.flight ? 0.95f : 0.86f)), sq = smooth(q);
  // A foot that has somewhere to go lifts clearly even while the gait winds down; one that would
  // land where it took off stays down (the figure is standing).
  const bool going = std::fabs(B - A.x) > 0.03f * scale_;
  // A brief swing (the hop between a skip's two contacts) only just clears the ground: the clearance
  // shrinks with the swing's share of the cycle, so the foot is never flicked up and down in a frame.
  const float brief = smooth(static_cast<float>(ns - pe) / 0.35f);
  const float lift = spec_.lift * scale_ * (going ? std::max(a, 0.6f) : a) * brief * swing_var(side, ns);
  x = lerp(A.x, B, sx) - Xk;
  // Clearance: a bump q^s (1 - q) peaking at s / (s + 1), with a steep final descent.
  const float sk = spec_.skew, qq = std::clamp(q, 0.f, 1.f);
  const float peak = sk / (sk + 1.f), norm = std::pow(peak, sk) * (1.f - peak);
  y = A.y * (1.f - sq) + lift * std::pow(qq, sk) * (1.f - qq) / norm;
  contact = a < 0.5f && !going && y < 0.03f * scale_;  // nearly standing: a foot that is down stays down
}

void Gait::eval(int k, LocalPose& p) const {
  const Body& b = *body_;
  const float a = activity(k);
  const double ph = phase(k);
  const float leg = b.leg();
  const int i = std::clamp(k - k0_ + pad_, 1, static_cast<int>(phi_.size()) - 2);
  const float cadence = static_cast<float>(std::max(1e-3, (phi_[i + 1] - phi_[i - 1]) * ctx_.fps));  // steps/s
  // Pelvis height.
  float py = spec_.height * leg;
  if (!flights_.empty()) {
    const float T = 2.f / cadence;  // cycle seconds
    const float r = static_cast<float>(ph - std::floor(ph));
    auto frac = [](float x) { return x - std::floor(x); };
    const int nf = static_cast<int>(flights_.size());
    int in_flight = -1, ip = 0, in = 0;
    float best_e = 2.f, best_s = 2.f;
    for (int f = 0; f < nf; ++f) {
      const float fs = flights_[f].s, len = flights_[f].e;  // start, length
      if (frac(r - fs) < len) in_flight = f;
      const float de = frac(r - fs - len), ds = frac(fs - r);
      if (de < best_e) best_e = de, ip = f;
      if (ds < best_s) best_s = ds, in = f;
    }
    if (in_flight >= 0) {
      const float Tf = flights_[in_flight].e * T, tau = frac(r - flights_[in_flight].s) * T;
      const float vy = kGravity * Tf * 0.5f;
      py += vy * tau - 0.5f * kGravity * tau * tau;
    } else {
      float Ts = frac(flights_[in].s - flights_[ip].s - flights_[ip].e);
      if (Ts <= 1e-4f) Ts = 1.f;
      const float q = std::clamp(best_e / Ts, 0.f, 1.f);
      const float vin = kGravity * flights_[ip].e * T * 0.5f, vout = kGravity * flights_[in].e * T * 0.5f;
      const float h10 = q * q * q - 2.f * q * q + q, h11 = q * q * q - q * q;
      py += Ts * T * (h10 * -vin + h11 * vout);
    }
  } else {
    const float pk = c_[L].empty() ? 0.f : c_[L][0].s + 0.5f * (c_[L][0].e - c_[L][0].s) * (1.f - spec_.roll);
    const float sw = std::sin(kTwoPi * static_cast<float>(ph - pk));
    py -= spec_.bob * scale_ * sw * sw;
  }
  if (spec_.asym > 0.f) {  // limp: the pelvis dips while the weak (right) leg carries the weight
    const float dip = std::sin(kTwoPi * static_cast<float>(ph - 0.5 - 0.12));
    py -= 0.04f * scale_ * std::max(0.f, dip);
  }
  const float stand = 0.985f * leg;
  p.py = lerp(stand, py, a);
  p.px = 0.f;
  p.lean = spec_.lean * (0.3f + 0.7f * a);
  p.nod = -0.6f * p.lean;
  p.bend = 0.f;


  legs(k, p);
  // Arms swing against the legs: the left arm leads while the right foot is forward.
  const float sw = std::cos(kTwoPi * static_cast<float>(ph));
  const float amp = spec_.arm_swing * a * ctx_.amp * (1.f + 0.08f * wobble(static_cast<float>(k) / ctx_.fps, 2));
  p.sh[L] = spec_.arm_base - amp * sw;
  p.sh[R] = spec_.arm_base + amp * sw;
  p.el[L] = spec_.elbow + spec_.elbow_swing * std::max(0.f, -sw) * a;
  p.el[R] = spec_.elbow + spec_.elbow_swing * std::max(0.f, sw) * a;
}

void Gait::legs(int k, LocalPose& p) const {
  for (int s = 0; s < 2; ++s) {
    if (c_[s].empty()) {  // the held leg of a hop
      p.hip[s] = 0.35f, p.knee[s] = 1.5f, p.foot[s] = 0;
      continue;
    }
    float x, y;
    uint8_t contact;
    foot(s, k, x, y, contact);
    leg_ik(*body_, {p.px, p.py}, {x, y}, p.hip[s], p.knee[s]);
    p.foot[s] = contact;
  }
}

}  // namespace stickgen::synth
