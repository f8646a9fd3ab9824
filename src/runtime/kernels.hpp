// The numeric kernels of the runtime: small pure functions over row-major float arrays.
// Rows are tokens; every function works on `n` rows of width `d` unless said otherwise.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace stickgen::runtime {

// y[t, o] = b[o] + sum_i x[t, i] * w[o, i]   for t < n and o in [o0, o1)
//   x (n, in), w (out, in) row-major as stored by PyTorch (used in place), b (out) or null,
//   y (n, out). Only the output columns [o0, o1) are written, so threads can split them.
void linear(const float* x, int n, int in, const float* w, const float* b, float* y, int out, int o0, int o1);

// linear() with fp16 weights (IEEE half bits, (out, in)) used in place, widened to fp32 as they
// are read. Needs AVX2 + FMA + F16C (f16_weights_supported()); the loader converts fp16 files to
// fp32 at load on CPUs without them.
bool f16_weights_supported();
void linear_f16(const float* x, int n, int in, const uint16_t* w, const float* b, float* y, int out, int o0, int o1);

// Attention of one query (hd) over n cached positions of one head: att[p] = q.k_p * scale,
// softmax, out (hd) = sum_p att[p] v_p. Position p's key is keys + p * stride (likewise values);
// att (n) is scratch.
void attend(const float* q, const float* keys, const float* values, size_t stride, int n, int hd, float scale,
            float* att, float* out);

// The implementation of `linear` and `attend` in use ("avx512", "avx2", "generic", "eigen").
const std::string& kernel_name();
std::vector<std::string> available_kernels();
void set_kernel(const std::string& name);

inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); }  // exact (erf)
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

inline void gelu_inplace(float* x, int count) {
  for (int i = 0; i < count; ++i) x[i] = gelu(x[i]);
}

// RMSNorm (eps 1e-6, weight only): y = x / sqrt(mean(x^2) + eps) * w, row by row.
inline void rmsnorm(float* y, const float* x, const float* w, int n, int d) {
  for (int t = 0; t < n; ++t, x += d, y += d) {
    float ss = 0.f;
    for (int i = 0; i < d; ++i) ss += x[i] * x[i];
    const float scale = 1.0f / std::sqrt(ss / float(d) + 1e-6f);
    for (int i = 0; i < d; ++i) y[i] = x[i] * scale * w[i];
  }
}

// LayerNorm (eps 1e-5, biased variance) in place, row by row.
inline void layernorm(float* x, const float* w, const float* b, int n, int d) {
  for (int t = 0; t < n; ++t, x += d) {
    float mean = 0.f;
    for (int i = 0; i < d; ++i) mean += x[i];
    mean /= float(d);
    float var = 0.f;
    for (int i = 0; i < d; ++i) var += (x[i] - mean) * (x[i] - mean);
    const float inv = 1.0f / std::sqrt(var / float(d) + 1e-5f);
    for (int i = 0; i < d; ++i) x[i] = (x[i] - mean) * inv * w[i] + b[i];
  }
}

// Numerically safe softmax of x[0..n) in place.
inline void softmax(float* x, int n) {
  float max = x[0];
  for (int i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  float sum = 0.f;
  for (int i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - max));
  for (int i = 0; i < n; ++i) x[i] /= sum;
}

// cos/sin (head_dim) of RoPE at position `pos`: f = pos * inv_freq (head_dim/2), then cat(f, f).
inline void rope_angles(float* cos_out, float* sin_out, const float* inv_freq, int head_dim, int pos) {
  const int half = head_dim / 2;
  for (int i = 0; i < half; ++i) {
    const float f = float(pos) * inv_freq[i];
    cos_out[i] = cos_out[i + half] = std::cos(f);
    sin_out[i] = sin_out[i + half] = std::sin(f);
  }
}

// Rotate-half RoPE on one head vector: x' = x*cos + rotate_half(x)*sin, rotate_half = cat(-x2, x1).
inline void rope(float* x, const float* cos, const float* sin, int head_dim) {
  const int half = head_dim / 2;
  for (int i = 0; i < half; ++i) {
    const float x1 = x[i], x2 = x[i + half];
    x[i] = x1 * cos[i] - x2 * sin[i];
    x[i + half] = x2 * cos[i + half] + x1 * sin[i + half];
  }
}

inline void add_inplace(float* y, const float* x, int count) {
  for (int i = 0; i < count; ++i) y[i] += x[i];
}

}  // namespace stickgen::runtime
