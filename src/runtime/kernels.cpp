// The matrix kernel, in four builds chosen at run time: the default build must run on any x86-64,
// yet the decode loop is bound by this one function, so it is compiled again for AVX2+FMA and for
// AVX-512 (function target attributes, dispatched by CPUID) — and once through Eigen, the portable
// baseline, kept for comparison (STICKGEN_KERNEL=eigen).
//
// Layout: PyTorch stores Linear weights (out, in) row-major, so each output is a dot product of a
// weight row with an input row; we keep that layout (weights stay in the mapped file) and compute
// R output rows x TB tokens per tile, each weight vector loaded once and used for TB tokens.
#include "runtime/kernels.hpp"

#include <cstdlib>
#include <cstring>
#include <Eigen/Core>

#include "stickgen/common.hpp"

// The helpers below are always inlined into their callers, so no vector crosses a call boundary.
#pragma GCC diagnostic ignored "-Wpsabi"

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

// Output rows in groups of R (8 for a single token: enough independent sums to hide FMA latency),
// each group reused across the tokens in blocks of up to TBMAX while it sits in L1.
template <class V, int TBMAX>
SG_INLINE void linear_simd(const float* x, int n, int in, const float* w, const float* b, float* y, int out,
                           int o0, int o1) {
  float s[8 * TBMAX];
  int o = o0;
  if (n == 1)
    for (; o + 8 <= o1; o += 8) {
      tile<V, 8, 1>(x, in, w + size_t(o) * in, s);
      store<8, 1>(s, b, y, out, o, 0);
    }
  for (; o + 4 <= o1; o += 4) {
    const float* wo = w + size_t(o) * in;
    int t = 0;
    for (; t + TBMAX <= n; t += TBMAX) {
      tile<V, 4, TBMAX>(x + size_t(t) * in, in, wo, s);
      store<4, TBMAX>(s, b, y, out, o, t);
    }
    for (; t < n; ++t) {
      tile<V, 4, 1>(x + size_t(t) * in, in, wo, s);
      store<4, 1>(s, b, y, out, o, t);
    }
  }
  for (; o < o1; ++o)
    for (int t = 0; t < n; ++t) {
      tile<V, 1, 1>(x + size_t(t) * in, in, w + size_t(o) * in, s);
      store<1, 1>(s, b, y, out, o, t);
    }
}

__attribute__((target("avx512f,avx512vl,avx2,fma"))) void linear_avx512(const float* x, int n, int in,
                                                                       const float* w, const float* b,
                                                                       float* y, int out, int o0, int o1) {
  linear_simd<v16, 4>(x, n, in, w, b, y, out, o0, o1);
}
__attribute__((target("avx2,fma"))) void linear_avx2(const float* x, int n, int in, const float* w,
                                                     const float* b, float* y, int out, int o0, int o1) {
  linear_simd<v8, 2>(x, n, in, w, b, y, out, o0, o1);
}
void linear_generic(const float* x, int n, int in, const float* w, const float* b, float* y, int out, int o0,
                    int o1) {
  linear_simd<v4, 2>(x, n, in, w, b, y, out, o0, o1);
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

using LinearFn = void (*)(const float*, int, int, const float*, const float*, float*, int, int, int);
struct Kernel {
  std::string name;
  LinearFn fn;
};

std::vector<Kernel> supported() {
  std::vector<Kernel> k;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    k.push_back({"avx512", linear_avx512});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) k.push_back({"avx2", linear_avx2});
  k.push_back({"generic", linear_generic});
  k.push_back({"eigen", linear_eigen});
  return k;
}

Kernel& active() {
  static Kernel kernel = [] {
    const auto all = supported();
    Kernel chosen = all.front();
    // AVX2 first even where AVX-512 exists: measured as fast or faster on these small matrices
    // (the weight stream, not the FMA width, bounds them) without the AVX-512 clock penalty.
    for (const auto& k : all)
      if (k.name == "avx2") chosen = k;
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
