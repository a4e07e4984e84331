// Constraint graph colouring: contacts that share no dynamic body get the
// same colour and are solved in parallel.
//
// Colouring runs in rounds, in parallel, with the same outcome for any
// thread count: in each round every uncoloured contact claims its dynamic
// bodies with an atomic integer minimum of its priority (a hash of its
// index, so winners spread through the pile); a contact that holds all its
// claims takes the round's colour. Integer minimum is order-independent,
// so no float atomics and no scheduling dependence enter the result.
// Static and kinematic bodies are never claimed: any number of contacts may
// touch the floor in one colour.
#pragma once

#include "math.h"

namespace werk {

constexpr uint64_t kNoClaim = ~0ull;

WERK_HD inline void atomic_min_u64(unsigned long long* p, unsigned long long v) {
#if defined(__CUDA_ARCH__)
  atomicMin(p, v);
#else
  unsigned long long cur = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v < cur && !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
#endif
}

WERK_HD inline unsigned long long read_claim(const unsigned long long* p) {
#if defined(__CUDA_ARCH__)
  return *(volatile const unsigned long long*)p;
#else
  return __atomic_load_n(p, __ATOMIC_RELAXED);
#endif
}

// Unique priority of constraint c: a scrambled index in the high bits, the
// index itself in the low bits.
WERK_HD inline unsigned long long claim_priority(int c) {
  uint32_t x = uint32_t(c) * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA77u;
  x ^= x >> 13;
  return (static_cast<unsigned long long>(x) << 32) | uint32_t(c);
}

// Round, step 1: uncoloured constraint c claims its dynamic bodies.
WERK_HD inline void claim_bodies(int c, const int32_t* color, int32_t a, int32_t b, const float* inv_mass,
                                 unsigned long long* claim) {
  if (color[c] >= 0) return;
  unsigned long long pr = claim_priority(c);
  if (inv_mass[a] > 0.0f) atomic_min_u64(&claim[a], pr);
  if (inv_mass[b] > 0.0f) atomic_min_u64(&claim[b], pr);
}

// Round, step 2: a constraint holding all its claims takes colour `round`.
WERK_HD inline void take_color(int c, int32_t* color, int32_t a, int32_t b, const float* inv_mass,
                               const unsigned long long* claim, int round) {
  if (color[c] >= 0) return;
  unsigned long long pr = claim_priority(c);
  bool wins = (inv_mass[a] == 0.0f || read_claim(&claim[a]) == pr) && (inv_mass[b] == 0.0f || read_claim(&claim[b]) == pr);
  if (wins) color[c] = round;
}

}  // namespace werk
