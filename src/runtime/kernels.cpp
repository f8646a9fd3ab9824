// The matrix and attention kernels, in several builds chosen at run time: the default build must
// run on any x86-64, yet the decode loop is bound by these functions, so they are compiled for SSE2
// (portable GCC vector extensions), again for AVX2+FMA and for AVX-512 (function target attributes,
// dispatched by CPUID), plus fp16-weight variants (F16C) — and once through Eigen, the portable
// baseline the issue named, kept for comparison (STICKGEN_KERNEL=eigen; measured ~1.5x slower than
// "generic" on the decode step in the default -O3 build, whose Eigen only gets SSE2).
//
// Layout: PyTorch stores Linear weights (out, in) row-major, so each output is a dot product of a
// weight row with an input row; we keep that layout (weights stay in the mapped file) and compute
// R output rows x TB tokens per tile, each weight vector loaded once and used for TB tokens.
#include "runtime/kernels.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cpuid.h>
#include <immintrin.h>

#include <Eigen/Core>

#include "stickgen/common.hpp"

// The helpers below are always inlined into their callers, so no vector crosses a call boundary.
#pragma GCC diagnostic ignored "-Wpsabi"
// GCC 12 warns inside its own AVX-512 headers (_mm512_cvtph_ps, _mm512_reduce_add_ps).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace stickgen::runtime {
namespace {

typedef float v4 __attribute__((vector_size(16)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));

#define SG_INLINE static inline __attribute__((always_inline))

template <class V>
SG_INLINE V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);  // unaligned load
  return v;
}
SG_INLINE float hsum(v4 v) { return (v[0] + v[2]) + (v[1] + v[3]); }
SG_INLINE float hsum(v8 v) {
  return hsum(__builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7));
}
SG_INLINE float hsum(v16 v) {
  return hsum(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
              __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15));
}

// out[tb * R + r] = dot(x row tb, w row r) for TB tokens (stride in) and R weight rows (stride in).
// The decode step streams every weight once from memory (DRAM on one core, since the model
// outgrows its share of L3), reading R rows side by side; the hardware prefetcher does not run far
// enough ahead on so many short streams. A software prefetch kAhead row groups ahead measured
// 167 -> 97 ms per 250 steps for the fp32 small model's matrices on one core.
#ifndef SG_AHEAD
#define SG_AHEAD 2
#endif
constexpr int kAhead = SG_AHEAD;
// Prefetches the line kAhead groups (of group_elems elements) after p. Integer address arithmetic:
// near the end of a matrix the line lies past it (a prefetch never faults).
template <class T>
SG_INLINE void prefetch_ahead(const T* p, size_t group_elems) {
  __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) + kAhead * group_elems * sizeof(T)));
}
template <class V, int R, int TB>
SG_INLINE void tile(const float* x, int in, const float* w, float* out) {
  constexpr int N = sizeof(V) / sizeof(float);
  const int in_v = in / N * N;
  V acc[TB][R] = {};
  for (int i = 0; i < in_v; i += N) {
    V xv[TB];
    for (int t = 0; t < TB; ++t) xv[t] = load<V>(x + t * in + i);
    for (int r = 0; r < R; ++r) {
      const V wv = load<V>(w + r * in + i);
      for (int t = 0; t < TB; ++t) acc[t][r] += wv * xv[t];
      if (i % 16 == 0) prefetch_ahead(w + r * in + i, size_t(R) * in);
    }
  }
  for (int t = 0; t < TB; ++t)
    for (int r = 0; r < R; ++r) {
      float s = hsum(acc[t][r]);
      for (int i = in_v; i < in; ++i) s += w[r * in + i] * x[t * in + i];
      out[t * R + r] = s;
    }
}

template <int R, int TB>
SG_INLINE void store(const float* s, const float* b, float* y, int out, int o, int t0) {
  for (int t = 0; t < TB; ++t)
    for (int r = 0; r < R; ++r) y[size_t(t0 + t) * out + o + r] = s[t * R + r] + (b ? b[o + r] : 0.f);
}

// Output rows in groups of R, each group reused across the tokens in blocks of TB while it sits in
// registers/L1 (R x TB accumulators, sized to the register file); a single token (the decode
// step with batch 1) gets 8 rows at once: enough independent sums to hide the FMA latency.
template <class V, int R, int TB>
SG_INLINE void linear_simd(const float* x, int n, int in, const float* w, const float* b, float* y, int out,
                           int o0, int o1) {
  float s[8 * TB > 8 ? 8 * TB : 8];
  int o = o0;
  if (n == 1)
    for (; o + 8 <= o1; o += 8) {
      tile<V, 8, 1>(x, in, w + size_t(o) * in, s);
      store<8, 1>(s, b, y, out, o, 0);
    }
  for (; o + R <= o1; o += R) {
    const float* wo = w + size_t(o) * in;
    int t = 0;
    for (; t + TB <= n; t += TB) {
      tile<V, R, TB>(x + size_t(t) * in, in, wo, s);
      store<R, TB>(s, b, y, out, o, t);
    }
    for (; t < n; ++t) {
      tile<V, R, 1>(x + size_t(t) * in, in, wo, s);
      store<R, 1>(s, b, y, out, o, t);
    }
  }
  for (; o < o1; ++o)
    for (int t = 0; t < n; ++t) {
      tile<V, 1, 1>(x + size_t(t) * in, in, w + size_t(o) * in, s);
      store<1, 1>(s, b, y, out, o, t);
    }
}

typedef int32_t i4 __attribute__((vector_size(16)));
typedef int32_t i8 __attribute__((vector_size(32)));
typedef int32_t i16 __attribute__((vector_size(64)));
template <class V> struct int_vec;
template <> struct int_vec<v4> { using type = i4; };
template <> struct int_vec<v8> { using type = i8; };
template <> struct int_vec<v16> { using type = i16; };

// exp(x) for x <= 0 (softmax after subtracting the max): x = k ln2 + r, |r| <= ln2/2, exp(r) by
// the Cephes expf polynomial, 2^k built in the exponent bits. Within ~2 ulp of expf; inputs below
// -87 (whose exp underflows towards 0) are clamped to exp(-87) ~ 2e-38.
template <class V>
SG_INLINE V exp_nonpositive(V x) {
  using I = typename int_vec<V>::type;
  x = x < -87.0f ? V{} - 87.0f : x;
  const I k = __builtin_convertvector(x * 1.44269504088896341f - 0.5f, I);  // round to nearest (x <= 0)
  const V kf = __builtin_convertvector(k, V);
  const V r = x - kf * 0.693359375f + kf * 2.12194440e-4f;
  V p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  V scale;
  const I bits = (k + 127) << 23;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// softmax of att[0..n) in place: vector max, exp and sum; the tail in scalar code.
template <class V>
SG_INLINE void softmax_simd(float* att, int n) {
  constexpr int N = sizeof(V) / sizeof(float);
  const int nv = n / N * N;
  float max = att[0];
  for (int p = 1; p < n; ++p) max = att[p] > max ? att[p] : max;
  V sum_v = {};
  for (int p = 0; p < nv; p += N) {
    const V e = exp_nonpositive<V>(load<V>(att + p) - max);
    std::memcpy(att + p, &e, sizeof e);
    sum_v += e;
  }
  float sum = hsum(sum_v);
  for (int p = nv; p < n; ++p) sum += (att[p] = std::exp(att[p] - max));
  const float inv = 1.0f / sum;
  for (int p = 0; p < n; ++p) att[p] *= inv;
}

// One query against n cached positions of one head (see attend() in kernels.hpp), the head
// held in C vectors: q stays in registers for the scores, and each value row is read once into C
// accumulators. The cache rows are strided (all heads of a position are adjacent), so the next
// rows are prefetched a few positions ahead.
template <class V, int C>
SG_INLINE void attend_chunks(const float* q, const float* keys, const float* values, size_t stride, int n,
                             float scale, float* att, float* out) {
  constexpr int N = sizeof(V) / sizeof(float);
  constexpr int kRowsAhead = 4;
  V qv[C];
  for (int c = 0; c < C; ++c) qv[c] = load<V>(q + c * N);
  for (int p = 0; p < n; ++p) {
    const float* k = keys + size_t(p) * stride;
    prefetch_ahead(k, stride * kRowsAhead / kAhead);
    V acc = qv[0] * load<V>(k);
    for (int c = 1; c < C; ++c) acc += qv[c] * load<V>(k + c * N);
    att[p] = hsum(acc) * scale;
  }
  softmax_simd<V>(att, n);
  V acc[C] = {};
  for (int p = 0; p < n; ++p) {
    const float* v = values + size_t(p) * stride;
    prefetch_ahead(v, stride * kRowsAhead / kAhead);
    for (int c = 0; c < C; ++c) acc[c] += att[p] * load<V>(v + c * N);
  }
  std::memcpy(out, acc, sizeof acc);
}

template <class V>
SG_INLINE void attend_simd(const float* q, const float* keys, const float* values, size_t stride, int n, int hd,
                           float scale, float* att, float* out) {
  constexpr int N = sizeof(V) / sizeof(float);
  switch (hd == N ? 1 : hd == 2 * N ? 2 : hd == 4 * N ? 4 : hd == 8 * N ? 8 : 0) {
    case 1: return attend_chunks<V, 1>(q, keys, values, stride, n, scale, att, out);
    case 2: return attend_chunks<V, 2>(q, keys, values, stride, n, scale, att, out);
    case 4: return attend_chunks<V, 4>(q, keys, values, stride, n, scale, att, out);
    case 8: return attend_chunks<V, 8>(q, keys, values, stride, n, scale, att, out);
    default: break;
  }
  // any other head width: plain loops
  for (int p = 0; p < n; ++p) {
    float dot = 0.f;
    for (int j = 0; j < hd; ++j) dot += q[j] * keys[size_t(p) * stride + j];
    att[p] = dot * scale;
  }
  softmax(att, n);
  for (int j = 0; j < hd; ++j) out[j] = 0.f;
  for (int p = 0; p < n; ++p)
    for (int j = 0; j < hd; ++j) out[j] += att[p] * values[size_t(p) * stride + j];
}

__attribute__((target("avx512f,avx512vl,avx2,fma"))) void attend_avx512(const float* q, const float* k, const float* v,
                                                                       size_t stride, int n, int hd, float scale,
                                                                       float* att, float* out) {
  attend_simd<v16>(q, k, v, stride, n, hd, scale, att, out);
}
__attribute__((target("avx2,fma"))) void attend_avx2(const float* q, const float* k, const float* v, size_t stride,
                                                     int n, int hd, float scale, float* att, float* out) {
  attend_simd<v8>(q, k, v, stride, n, hd, scale, att, out);
}
void attend_generic(const float* q, const float* k, const float* v, size_t stride, int n, int hd, float scale,
                    float* att, float* out) {
  attend_simd<v4>(q, k, v, stride, n, hd, scale, att, out);
}

__attribute__((target("avx512f,avx512vl,avx2,fma"))) void linear_avx512(const float* x, int n, int in,
                                                                       const float* w, const float* b,
                                                                       float* y, int out, int o0, int o1) {
  linear_simd<v16, 8, 3>(x, n, in, w, b, y, out, o0, o1);  // 24 of 32 zmm
}
__attribute__((target("avx2,fma"))) void linear_avx2(const float* x, int n, int in, const float* w,
                                                     const float* b, float* y, int out, int o0, int o1) {
  linear_simd<v8, 4, 3>(x, n, in, w, b, y, out, o0, o1);  // 12 of 16 ymm
}
void linear_generic(const float* x, int n, int in, const float* w, const float* b, float* y, int out, int o0,
                    int o1) {
  linear_simd<v4, 4, 2>(x, n, in, w, b, y, out, o0, o1);
}
void linear_eigen(const float* x, int n, int in, const float* w, const float* b, float* y, int out, int o0,
                  int o1) {
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const RowMajor> X(x, n, in);
  Eigen::Map<const RowMajor> W(w + size_t(o0) * in, o1 - o0, in);
  Eigen::Map<RowMajor, 0, Eigen::OuterStride<>> Y(y + o0, n, o1 - o0, Eigen::OuterStride<>(out));
  Y.noalias() = X * W.transpose();
  if (b) Y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b + o0, o1 - o0);
}

// fp16 weights used in place (F16C): half the bytes of fp32 per decode step. Widening to fp32 is
// exact, so the result equals converting the file to fp32 at load up to summation order. Each
// converted weight vector is used for a block of TB tokens; a single token gets 8 rows at once.
// Stamped out twice (AVX2 and AVX-512) by a macro: intrinsics carry target attributes, so the
// whole call chain down to them must carry the same one.
#define SG_F16_KERNEL(NAME, TARGET, VEC, LANES, LOAD_CVT, ZERO, FMADD, HSUM, R, TB)                          \
  template <int RR, int TT>                                                                                 \
  __attribute__((target(TARGET), always_inline)) static inline void NAME##_tile(                            \
      const float* x, int in, const uint16_t* w, float* out) {                                              \
    const int in_v = in / LANES * LANES;                                                                    \
    VEC acc[TT][RR];                                                                                        \
    for (int t = 0; t < TT; ++t)                                                                            \
      for (int r = 0; r < RR; ++r) acc[t][r] = ZERO();                                                      \
    for (int i = 0; i < in_v; i += LANES) {                                                                 \
      for (int r = 0; r < RR; ++r) {                                                                        \
        if (i % 32 == 0) prefetch_ahead(w + r * in + i, size_t(RR) * in);                                   \
        const VEC wv = LOAD_CVT(w + r * in + i);                                                            \
        for (int t = 0; t < TT; ++t) acc[t][r] = FMADD(wv, LOADU(x + t * in + i), acc[t][r]);               \
      }                                                                                                     \
    }                                                                                                       \
    for (int t = 0; t < TT; ++t)                                                                            \
      for (int r = 0; r < RR; ++r) {                                                                        \
        float sum = HSUM(acc[t][r]);                                                                        \
        for (int i = in_v; i < in; ++i) sum += _cvtsh_ss(w[r * in + i]) * x[t * in + i];                   \
        out[t * RR + r] = sum;                                                                              \
      }                                                                                                     \
  }                                                                                                         \
  __attribute__((target(TARGET))) void NAME(const float* x, int n, int in, const uint16_t* w, const float* b, \
                                            float* y, int out, int o0, int o1) {                            \
    float s[8 * TB > 8 ? 8 * TB : 8];                                                                       \
    int o = o0;                                                                                             \
    if (n == 1)                                                                                             \
      for (; o + 8 <= o1; o += 8) {                                                                         \
        NAME##_tile<8, 1>(x, in, w + size_t(o) * in, s);                                                    \
        store<8, 1>(s, b, y, out, o, 0);                                                                    \
      }                                                                                                     \
    for (; o + R <= o1; o += R) {                                                                           \
      const uint16_t* wo = w + size_t(o) * in;                                                              \
      int t = 0;                                                                                            \
      for (; t + TB <= n; t += TB) {                                                                        \
        NAME##_tile<R, TB>(x + size_t(t) * in, in, wo, s);                                                  \
        store<R, TB>(s, b, y, out, o, t);                                                                   \
      }                                                                                                     \
      for (; t < n; ++t) {                                                                                  \
        NAME##_tile<R, 1>(x + size_t(t) * in, in, wo, s);                                                   \
        store<R, 1>(s, b, y, out, o, t);                                                                    \
      }                                                                                                     \
    }                                                                                                       \
    for (; o < o1; ++o)                                                                                     \
      for (int t = 0; t < n; ++t) {                                                                         \
        NAME##_tile<1, 1>(x + size_t(t) * in, in, w + size_t(o) * in, s);                                   \
        store<1, 1>(s, b, y, out, o, t);                                                                    \
      }                                                                                                     \
  }

#define SG_AVX2 "avx2,fma,f16c"
__attribute__((target(SG_AVX2), always_inline)) static inline __m256 cvt8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
__attribute__((target(SG_AVX2), always_inline)) static inline float hsum8(__m256 v) {
  const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
  return _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
}
#define LOADU _mm256_loadu_ps
SG_F16_KERNEL(linear_f16_avx2, SG_AVX2, __m256, 8, cvt8, _mm256_setzero_ps, _mm256_fmadd_ps, hsum8, 4, 3)
#undef LOADU

#define SG_AVX512 "avx512f,avx512vl,avx2,fma,f16c"
__attribute__((target(SG_AVX512), always_inline)) static inline __m512 cvt16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
__attribute__((target(SG_AVX512), always_inline)) static inline float hsum16(__m512 v) {
  return _mm512_reduce_add_ps(v);
}
#define LOADU _mm512_loadu_ps
SG_F16_KERNEL(linear_f16_avx512, SG_AVX512, __m512, 16, cvt16, _mm512_setzero_ps, _mm512_fmadd_ps, hsum16, 8, 3)
#undef LOADU

using LinearFn = void (*)(const float*, int, int, const float*, const float*, float*, int, int, int);
using AttendFn = void (*)(const float*, const float*, const float*, size_t, int, int, float, float*, float*);
using LinearF16Fn = void (*)(const float*, int, int, const uint16_t*, const float*, float*, int, int, int);
struct Kernel {
  std::string name;
  LinearFn fn;
  AttendFn attend;
  LinearF16Fn f16;  // fp16 weights: AVX2 or AVX-512 (F16C); null where the CPU lacks F16C
};

// F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c".
bool cpu_has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

std::vector<Kernel> supported() {
  std::vector<Kernel> k;
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool f16c = avx2 && cpu_has_f16c();
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  // fp16 weights are only ever used in place when F16C exists (f16_weights_supported()).
  const LinearF16Fn f16_best = !f16c ? nullptr : avx512 ? linear_f16_avx512 : linear_f16_avx2;
  // "auto", the default, takes the fastest part of each build as measured on the small model's
  // decode step (AMD EPYC, Zen 5): fp32 AVX2 (~7% ahead of AVX-512 at batch 1, ~15% at batch 3),
  // fp16 AVX-512 (~15% ahead of AVX2).
  if (avx512) k.push_back({"auto", linear_avx2, attend_avx512, f16_best});
  else if (avx2) k.push_back({"auto", linear_avx2, attend_avx2, f16_best});
  if (avx512) k.push_back({"avx512", linear_avx512, attend_avx512, f16c ? linear_f16_avx512 : nullptr});
  if (avx2) k.push_back({"avx2", linear_avx2, attend_avx2, f16c ? linear_f16_avx2 : nullptr});
  k.push_back({"generic", linear_generic, attend_generic, f16_best});
  k.push_back({"eigen", linear_eigen, attend_generic, f16_best});
  return k;
}

Kernel& active() {
  static Kernel kernel = [] {
    const auto all = supported();
    Kernel chosen = all.front();  // "auto" where AVX2 exists, else "generic"
    if (const char* env = std::getenv("STICKGEN_KERNEL"); env && *env) {
      bool found = false;
      for (const auto& k : all)
        if (k.name == env) chosen = k, found = true;
      if (!found) throw Error(std::string("STICKGEN_KERNEL: '") + env + "' is not available on this CPU");
    }
    return chosen;
  }();
  return kernel;
}

}  // namespace

void linear(const float* x, int n, int in, const float* w, const float* b, float* y, int out, int o0, int o1) {
  if (n <= 0 || o1 <= o0) return;
  active().fn(x, n, in, w, b, y, out, o0, o1);
}

void attend(const float* q, const float* keys, const float* values, size_t stride, int n, int hd, float scale,
            float* att, float* out) {
  active().attend(q, keys, values, stride, n, hd, scale, att, out);
}

bool f16_weights_supported() {
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
  }();
  return ok;
}

void linear_f16(const float* x, int n, int in, const uint16_t* w, const float* b, float* y, int out, int o0,
                int o1) {
  if (n <= 0 || o1 <= o0) return;
  active().f16(x, n, in, w, b, y, out, o0, o1);
}

const std::string& kernel_name() { return active().name; }

std::vector<std::string> available_kernels() {
  std::vector<std::string> names;
  for (const auto& k : supported()) names.push_back(k.name);
  return names;
}

void set_kernel(const std::string& name) {
  for (const auto& k : supported())
    if (k.name == name) {
      active() = k;
      return;
    }
  throw Error("runtime kernel: '" + name + "' is not available on this CPU");
}

}  // namespace stickgen::runtime
