// Sleeping: bodies that have rested long enough stop being simulated.
//
// A dynamic body accumulates rest time while its linear and angular speeds
// stay below small tolerances. It falls asleep once it and every dynamic
// body it touches have rested for kTimeToSleep, so a settled pile sleeps as
// a whole while one still settling keeps its neighbours awake. A sleeping
// body has zero velocity and, to the solver, infinite mass; contacts
// between sleeping and static bodies are skipped. A moving body that
// touches a sleeping one wakes it before the contacts are solved, and the
// wake spreads through a pile one contact per step as bodies start moving.
#pragma once

#include "constraint_graph.h"
#include "math.h"

namespace werk {

constexpr float kSleepLinearSpeed = 0.02f;   // m/s
constexpr float kSleepAngularSpeed = 0.1f;   // rad/s
constexpr float kTimeToSleep = 0.5f;         // s

// Rest time of a dynamic body after a step; asleep bodies keep theirs.
WERK_HD inline void update_rest_time(int i, const uint8_t* asleep, const Vec3* vel, const Vec3* angvel, float dt,
                                     float* rest) {
  if (asleep[i]) return;
  bool calm = length_sq(vel[i]) < kSleepLinearSpeed * kSleepLinearSpeed &&
              length_sq(angvel[i]) < kSleepAngularSpeed * kSleepAngularSpeed;
  rest[i] = calm ? rest[i] + dt : 0.0f;
}

// A contact between two dynamic bodies keeps each awake while the other
// has not rested long enough (restless[] is set to 1, never cleared here).
WERK_HD inline void mark_restless(const BodyPair& c, const uint8_t* dynamic, const float* rest, int32_t* restless) {
  if (!dynamic[c.a] || !dynamic[c.b]) return;
  if (rest[c.a] < kTimeToSleep) restless[c.b] = 1;
  if (rest[c.b] < kTimeToSleep) restless[c.a] = 1;
}

// A sleeping body touched by a moving body (one that was above the rest
// tolerances last step) wakes up. Calm awake neighbours do not wake it, so
// a wake does not ripple through a pile that is merely settling.
WERK_HD inline void wake_touched(const BodyPair& c, const uint8_t* dynamic, const uint8_t* asleep, const float* rest,
                                 int32_t* wake) {
  if (dynamic[c.a] && dynamic[c.b]) {
    if (asleep[c.a] && !asleep[c.b] && rest[c.b] == 0.0f) wake[c.a] = 1;
    if (asleep[c.b] && !asleep[c.a] && rest[c.a] == 0.0f) wake[c.b] = 1;
  }
}

// The body that touches a running belt in the contact of pair `key`, or
// -1. A part held on a moving belt (queued against a stop) slides against
// the belt's surface: it is never at rest, and a belt that starts wakes
// the parts lying on it.
WERK_HD inline int belt_rider(uint64_t key, int nshape, int nbody, const int32_t* shape_body, const int32_t* shape_conveyor,
                              const float* conveyor_speed, int nconveyor) {
  const int a = int(key >> 32), b = int(key & 0xffffffffu);
  const int w = a / nshape;
  const int ca = shape_conveyor[a % nshape], cb = shape_conveyor[b % nshape];
  if (ca >= 0 && conveyor_speed[w * nconveyor + ca] != 0.0f) return w * nbody + shape_body[b % nshape];
  if (cb >= 0 && conveyor_speed[w * nconveyor + cb] != 0.0f) return w * nbody + shape_body[a % nshape];
  return -1;
}

}  // namespace werk
