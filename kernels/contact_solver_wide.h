// The contact solver's warm start and Gauss-Seidel pass over several
// manifolds at once, in the lanes of vector registers: the CPU backend's
// form of warm_start_contact and solve_contact (contact_solver.h). Belts
// and bounces are handled in the lanes; a group with rolling or spinning
// friction is handed to the scalar kernels, one manifold after another.
//
// Each lane performs exactly the scalar kernel's float operations in the
// scalar kernel's order (the build keeps a * b + c unfused, and no FMA is
// ever enabled), and a branch of the scalar kernel becomes a lane mask that
// keeps the untaken side's value unchanged: the results are the scalar
// kernel's, bit for bit, at any width (a test checks it). The manifolds of
// a group must be of one colour, so that no two share a body that moves.
//
// Two widths from one source (contact_solver_lanes.inl): werk::wide, four
// lanes of SSE, which every x86-64 has; werk::wide8, eight lanes of AVX2,
// compiled for that instruction set whatever the build's flags and used
// only where the processor has it (has_wide8()).
//
// Host only: GCC's vector extensions.
#pragma once

#if !defined(__CUDACC__)

#include <immintrin.h>

#include <cstddef>
#include <type_traits>

#include "contact_solver.h"

namespace werk {

// The loads below read these fields as contiguous runs.
static_assert(offsetof(Contact, friction) == offsetof(Contact, normal) + 12, "normal, friction: 16 bytes");
static_assert(offsetof(ContactPoint, separation) == 12 && offsetof(ContactPoint, normal_mass) == 16 &&
                  offsetof(ContactPoint, normal_impulse) == 28 && offsetof(ContactPoint, tangent_impulse2) == 36,
              "a point's fields in runs of 16, 16 and 8 bytes");
static_assert(offsetof(ContactExtra, belt_spin) == offsetof(ContactExtra, belt) + 12, "belt, belt_spin: 16 bytes");

// Which side of every lane's manifold is a fixed body (static and at
// rest: zero velocity, inverse mass and inertia, no translation in the
// step), so that its values need not be gathered nor its pushes computed.
enum Fixed : int { kNoneFixed = 0, kAFixed = 1, kBFixed = 2 };
// How the lanes turn their bodies by an angular impulse: by the world
// inverse inertia matrices, by scalars (every lane's pair is one of equal
// moments: is_scalar_inertia), or lane by lane, as each pair is.
enum Turn : int { kTurnMatrix = 0, kTurnScalar = 1, kTurnEach = 2 };

namespace sse4 {
// Loads of four lanes from four sources. A Vec3 is read as 8 + 4 bytes,
// never touching the 4 bytes after it (the end of an array). Plain
// functions of pointers, so that the eight-lane code (compiled for AVX2)
// can inline them.
inline __m128 load3(const Vec3& v) {
  return _mm_movelh_ps(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(&v.x)), _mm_load_ss(&v.z));
}
inline void gather3(const Vec3& v0, const Vec3& v1, const Vec3& v2, const Vec3& v3, __m128& x, __m128& y, __m128& z) {
  __m128 x0 = load3(v0), x1 = load3(v1), x2 = load3(v2), x3 = load3(v3);
  _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
  x = x0, y = x1, z = x2;
}
// Four floats at each p (one 16-byte row per lane), transposed.
inline void gather4(const float* p0, const float* p1, const float* p2, const float* p3, __m128& a, __m128& b,
                    __m128& c, __m128& d) {
  __m128 x0 = _mm_loadu_ps(p0), x1 = _mm_loadu_ps(p1), x2 = _mm_loadu_ps(p2), x3 = _mm_loadu_ps(p3);
  _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
  a = x0, b = x1, c = x2, d = x3;
}
// Two floats at each p (8 bytes per lane).
inline void gather2(const float* p0, const float* p1, const float* p2, const float* p3, __m128& a, __m128& b) {
  const __m128 lo = _mm_loadh_pi(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(p0)),
                                 reinterpret_cast<const __m64*>(p1));
  const __m128 hi = _mm_loadh_pi(_mm_loadl_pi(_mm_setzero_ps(), reinterpret_cast<const __m64*>(p2)),
                                 reinterpret_cast<const __m64*>(p3));
  a = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  b = _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
}
}  // namespace sse4

namespace wide {

constexpr int kLanes = 4;
typedef float F __attribute__((vector_size(16)));
typedef int32_t M __attribute__((vector_size(16)));  // lane masks: -1 true, 0 false

inline F vsqrt(F a) { return F(_mm_sqrt_ps(__m128(a))); }
inline bool any(M m) { return _mm_movemask_ps(__m128(m)) != 0; }

struct V3 {
  F x, y, z;
};
template <class At>
inline V3 gather(At at) {
  __m128 x, y, z;
  sse4::gather3(at(0), at(1), at(2), at(3), x, y, z);
  return {F(x), F(y), F(z)};
}
template <class At>
inline void gather4(At at, F& a, F& b, F& c, F& d) {
  __m128 x, y, z, w;
  sse4::gather4(at(0), at(1), at(2), at(3), x, y, z, w);
  a = F(x), b = F(y), c = F(z), d = F(w);
}
template <class At>
inline void gather2(At at, F& a, F& b) {
  __m128 x, y;
  sse4::gather2(at(0), at(1), at(2), at(3), x, y);
  a = F(x), b = F(y);
}
template <class At>
inline F gather1(At at) {
  return F(_mm_setr_ps(at(0), at(1), at(2), at(3)));
}

#include "contact_solver_lanes.inl"

}  // namespace wide

// Functions between WERK_AVX2_BEGIN and WERK_AVX2_END are compiled for
// AVX2 whatever the build's flags (without FMA, which would change the
// bits): the eight-lane code, used only where the processor has it.
#if defined(__clang__)
#define WERK_AVX2_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2\"))), apply_to = function)")
#define WERK_AVX2_END _Pragma("clang attribute pop")
#else
#define WERK_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2\")")
#define WERK_AVX2_END _Pragma("GCC pop_options")
#endif

// Eight lanes.
WERK_AVX2_BEGIN

namespace wide8 {

constexpr int kLanes = 8;
typedef float F __attribute__((vector_size(32)));
typedef int32_t M __attribute__((vector_size(32)));

inline F vsqrt(F a) { return F(_mm256_sqrt_ps(__m256(a))); }
inline bool any(M m) { return _mm256_movemask_ps(__m256(m)) != 0; }

struct V3 {
  F x, y, z;
};
// Two four-lane loads joined.
inline F join(__m128 lo, __m128 hi) { return F(_mm256_set_m128(hi, lo)); }
template <class At>
inline V3 gather(At at) {
  __m128 x0, y0, z0, x1, y1, z1;
  sse4::gather3(at(0), at(1), at(2), at(3), x0, y0, z0);
  sse4::gather3(at(4), at(5), at(6), at(7), x1, y1, z1);
  return {join(x0, x1), join(y0, y1), join(z0, z1)};
}
template <class At>
inline void gather4(At at, F& a, F& b, F& c, F& d) {
  __m128 a0, b0, c0, d0, a1, b1, c1, d1;
  sse4::gather4(at(0), at(1), at(2), at(3), a0, b0, c0, d0);
  sse4::gather4(at(4), at(5), at(6), at(7), a1, b1, c1, d1);
  a = join(a0, a1), b = join(b0, b1), c = join(c0, c1), d = join(d0, d1);
}
template <class At>
inline void gather2(At at, F& a, F& b) {
  __m128 a0, b0, a1, b1;
  sse4::gather2(at(0), at(1), at(2), at(3), a0, b0);
  sse4::gather2(at(4), at(5), at(6), at(7), a1, b1);
  a = join(a0, a1), b = join(b0, b1);
}
template <class At>
inline F gather1(At at) {
  return F(_mm256_setr_ps(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)));
}

#include "contact_solver_lanes.inl"

}  // namespace wide8

WERK_AVX2_END

// Whether this processor runs werk::wide8 (AVX2).
inline bool has_wide8() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

}  // namespace werk

#endif
