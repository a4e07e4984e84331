// Limits on what a scene, a mesh file or the command line may ask for.
//
// Every count and size read from outside is checked against one of these
// (in 64-bit arithmetic, before it is used) and a scene that asks for more
// gets a located message naming the limit. docs/reliability.md lists them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace werk::limits {

// A scene file: far more than any hand-written or generated line needs
// (grids repeat bodies without repeating text).
constexpr int64_t kSceneFileBytes = 64ll << 20;
// Bodies in a scene, counting every grid copy: body indices are 32-bit
// and per-body arrays stay within a GPU's memory.
#ifndef WERK_FUZZING
constexpr int64_t kBodies = 1ll << 24;
#else  // the scene fuzzer keeps every input well under a second
constexpr int64_t kBodies = 512;
#endif
// Collision shapes in a scene (each mesh triangle is one shape).
#ifndef WERK_FUZZING
constexpr int64_t kShapes = 1ll << 26;
#else
constexpr int64_t kShapes = 4096;
#endif
// Points of one convex hull.
constexpr int64_t kHullPoints = 1ll << 16;
// Triangles of one mesh file, and the size of the file itself.
constexpr int64_t kMeshTriangles = 1ll << 22;
constexpr int64_t kMeshFileBytes = 256ll << 20;
// Process replications (scene or --replications) and process objects.
constexpr int64_t kReplications = 1000000;
constexpr int64_t kProcessObjects = 100000;
// Variants of a sweep (each is compiled when the sweep file is read).
#ifndef WERK_FUZZING
constexpr int64_t kVariants = 1000000;
#else  // the sweep fuzzer keeps every input well under a second
constexpr int64_t kVariants = 16;
#endif
// Simulated duration (s) and the steps it takes.
constexpr double kDuration = 1e9;
constexpr int64_t kSteps = 1ll << 40;
// The smallest mass and principal moment of inertia a body may have: the
// solver works with their inverses in single precision.
constexpr double kMinMass = 1e-9;      // kg (a microgram)
constexpr double kMinInertia = 1e-20;  // kg m^2
// The blow-up check: a body faster than these has left physics behind
// (the fastest machines in a plant move parts at tens of m/s, spindles
// turn at up to about 10^4 rad/s).
constexpr double kSpeed = 1e4;         // m/s
constexpr double kAngularSpeed = 1e5;  // rad/s

}  // namespace werk::limits

namespace werk {

// A number as a person writes it: 100, 0.25, 1e+30 (at most 6 significant digits).
inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// "1 conveyor", "3 conveyors", "1 body", "2 bodies".
inline std::string count_noun(int64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace werk
