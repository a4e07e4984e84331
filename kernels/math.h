// Small vector and quaternion math shared by every kernel.
//
// Everything here is a plain aggregate with inline functions marked
// WERK_HD, so the same source compiles with g++ (CPU backend, OpenMP) and
// nvcc (CUDA backend). Single precision: the solver state is float; time
// is kept in double by the host.
//
// Quaternions are stored (w, x, y, z), scalar first, and rotate body-frame
// vectors into the world frame: v_world = q * v_body * conj(q).
#pragma once

#include <cmath>
#include <cstdint>

#include "../engine/include/werk/types.h"  // Vec3, Quat

#if defined(__CUDACC__)
#define WERK_HD __host__ __device__
#else
#define WERK_HD
#endif
// For the few small functions that the narrowphase calls in its inner
// loops, which the host compiler would otherwise keep as calls.
#if defined(__CUDACC__)
#define WERK_HD_INLINE __host__ __device__ __forceinline__
#else
#define WERK_HD_INLINE __attribute__((always_inline)) inline
#endif
// For a rare path kept out of a hot loop's body (the loop stays small and
// its registers its own).
#if defined(__CUDACC__)
#define WERK_HD_COLD __host__ __device__ __noinline__
#else
#define WERK_HD_COLD __attribute__((noinline, cold))
#endif

namespace werk {

// Global body i's index in the model, of nbody bodies per world. Most runs
// hold one world: then no division (the slowest integer operation, once
// per body in every body loop).
WERK_HD_INLINE int model_body(int i, int nbody) { return i < nbody ? i : i % nbody; }
// The global body of shape instance i = w * nshape + s (shape_body: per
// model shape).
WERK_HD_INLINE int instance_body(int i, int nshape, int nbody, const int32_t* shape_body) {
  return (i / nshape) * nbody + shape_body[i % nshape];
}

// Whether principal moments (or their inverses) are all equal: a cube, a
// sphere, a body held still. Such a body turns without gyroscopic torque,
// and its world inertia is the same in every orientation.
WERK_HD_INLINE bool equal_moments(Vec3 m) { return m.x == m.y && m.y == m.z; }

// 3x3 matrix, row major: m[row][col].
struct Mat3 {
  Vec3 r0, r1, r2;
};

WERK_HD inline Vec3 vec3(float x, float y, float z) { return Vec3{x, y, z}; }
WERK_HD inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
WERK_HD inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
WERK_HD inline Vec3 operator-(Vec3 a) { return {-a.x, -a.y, -a.z}; }
WERK_HD inline Vec3 operator*(float s, Vec3 a) { return {s * a.x, s * a.y, s * a.z}; }
WERK_HD inline Vec3 operator*(Vec3 a, float s) { return {s * a.x, s * a.y, s * a.z}; }
WERK_HD inline Vec3& operator+=(Vec3& a, Vec3 b) { a = a + b; return a; }
WERK_HD inline Vec3& operator-=(Vec3& a, Vec3 b) { a = a - b; return a; }
WERK_HD inline float dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
WERK_HD inline Vec3 cross(Vec3 a, Vec3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
WERK_HD inline Vec3 mul(Vec3 a, Vec3 b) { return {a.x * b.x, a.y * b.y, a.z * b.z}; }
WERK_HD inline float length_sq(Vec3 a) { return dot(a, a); }
WERK_HD inline float length(Vec3 a) { return sqrtf(dot(a, a)); }
WERK_HD inline Vec3 normalize(Vec3 a) {
  float l = length(a);
  return l > 0.0f ? (1.0f / l) * a : Vec3{0.0f, 0.0f, 0.0f};
}
WERK_HD inline float minf(float a, float b) { return a < b ? a : b; }
WERK_HD inline float maxf(float a, float b) { return a > b ? a : b; }
WERK_HD inline float clampf(float v, float lo, float hi) { return minf(maxf(v, lo), hi); }
WERK_HD inline Vec3 vmin(Vec3 a, Vec3 b) { return {minf(a.x, b.x), minf(a.y, b.y), minf(a.z, b.z)}; }
WERK_HD inline Vec3 vmax(Vec3 a, Vec3 b) { return {maxf(a.x, b.x), maxf(a.y, b.y), maxf(a.z, b.z)}; }
WERK_HD inline Vec3 vabs(Vec3 a) { return {fabsf(a.x), fabsf(a.y), fabsf(a.z)}; }
WERK_HD inline float comp(Vec3 a, int i) { return i == 0 ? a.x : (i == 1 ? a.y : a.z); }

// Any unit vector perpendicular to n (n must be unit length).
WERK_HD inline Vec3 any_perpendicular(Vec3 n) {
  Vec3 a = fabsf(n.x) < 0.57735f ? Vec3{1.0f, 0.0f, 0.0f} : Vec3{0.0f, 1.0f, 0.0f};
  return normalize(cross(n, a));
}

WERK_HD inline Quat quat_identity() { return {1.0f, 0.0f, 0.0f, 0.0f}; }
WERK_HD_INLINE Quat operator*(Quat a, Quat b) {
  return {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
          a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
          a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
          a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
}
WERK_HD inline Quat conj(Quat q) { return {q.w, -q.x, -q.y, -q.z}; }
WERK_HD inline Quat quat_normalize(Quat q) {
  float l = sqrtf(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  float s = l > 0.0f ? 1.0f / l : 0.0f;
  return {q.w * s, q.x * s, q.y * s, q.z * s};
}
// Rotation of angle (radians) about a unit axis.
WERK_HD inline Quat quat_axis_angle(Vec3 axis, float angle) {
  float s = sinf(0.5f * angle);
  return {cosf(0.5f * angle), axis.x * s, axis.y * s, axis.z * s};
}
// v' = q v q*, expanded (Rodrigues form) to avoid building a full product.
WERK_HD_INLINE Vec3 rotate(Quat q, Vec3 v) {
  Vec3 u{q.x, q.y, q.z};
  Vec3 t = 2.0f * cross(u, v);
  return v + q.w * t + cross(u, t);
}
WERK_HD_INLINE Vec3 rotate_inv(Quat q, Vec3 v) { return rotate(conj(q), v); }

// Rotation matrix whose columns are the body axes in the world frame.
WERK_HD inline Mat3 quat_to_mat(Quat q) {
  float xx = q.x * q.x, yy = q.y * q.y, zz = q.z * q.z;
  float xy = q.x * q.y, xz = q.x * q.z, yz = q.y * q.z;
  float wx = q.w * q.x, wy = q.w * q.y, wz = q.w * q.z;
  return {{1.0f - 2.0f * (yy + zz), 2.0f * (xy - wz), 2.0f * (xz + wy)},
          {2.0f * (xy + wz), 1.0f - 2.0f * (xx + zz), 2.0f * (yz - wx)},
          {2.0f * (xz - wy), 2.0f * (yz + wx), 1.0f - 2.0f * (xx + yy)}};
}
WERK_HD inline Vec3 operator*(const Mat3& m, Vec3 v) { return {dot(m.r0, v), dot(m.r1, v), dot(m.r2, v)}; }
WERK_HD inline Vec3 mat_col(const Mat3& m, int c) {
  return c == 0 ? Vec3{m.r0.x, m.r1.x, m.r2.x}
                : (c == 1 ? Vec3{m.r0.y, m.r1.y, m.r2.y} : Vec3{m.r0.z, m.r1.z, m.r2.z});
}

// Rotation taking the world axes to the orthonormal right-handed frame
// (x, y, z) given by its axes in world coordinates.
WERK_HD inline Quat quat_from_axes(Vec3 x, Vec3 y, Vec3 z) {
  float tr = x.x + y.y + z.z;
  Quat q;
  if (tr > 0.0f) {
    float s = sqrtf(tr + 1.0f) * 2.0f;
    q = {0.25f * s, (y.z - z.y) / s, (z.x - x.z) / s, (x.y - y.x) / s};
  } else if (x.x > y.y && x.x > z.z) {
    float s = sqrtf(1.0f + x.x - y.y - z.z) * 2.0f;
    q = {(y.z - z.y) / s, 0.25f * s, (y.x + x.y) / s, (z.x + x.z) / s};
  } else if (y.y > z.z) {
    float s = sqrtf(1.0f + y.y - x.x - z.z) * 2.0f;
    q = {(z.x - x.z) / s, (y.x + x.y) / s, 0.25f * s, (z.y + y.z) / s};
  } else {
    float s = sqrtf(1.0f + z.z - x.x - y.y) * 2.0f;
    q = {(x.y - y.x) / s, (z.x + x.z) / s, (z.y + y.z) / s, 0.25f * s};
  }
  return quat_normalize(q);
}

// A rigid transform: x_world = p + rotate(q, x_local).
struct Transform {
  Vec3 p;
  Quat q;
};
WERK_HD_INLINE Vec3 transform_point(const Transform& t, Vec3 v) { return t.p + rotate(t.q, v); }
WERK_HD_INLINE Vec3 inv_transform_point(const Transform& t, Vec3 v) { return rotate_inv(t.q, v - t.p); }
WERK_HD inline Transform compose(const Transform& a, const Transform& b) {
  return {a.p + rotate(a.q, b.p), a.q * b.q};
}

// World-frame inverse inertia applied to a vector: R diag(inv_i) R^T w.
WERK_HD inline Vec3 apply_inv_inertia(Quat q, Vec3 inv_i_body, Vec3 w) {
  return rotate(q, mul(inv_i_body, rotate_inv(q, w)));
}

}  // namespace werk
