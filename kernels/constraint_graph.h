// Constraint graph colouring: contacts that share no dynamic body get the
// same colour and are solved in parallel.
//
// On the CPU, colouring is greedy and sequential (as in Box2D v3's
// constraint graph): each contact, in pair-key order, takes the lowest
// colour that neither of its dynamic bodies holds yet, read from a 64-bit
// mask per body. This gives about as many colours as the busiest body has
// contacts, costs one pass, and depends on nothing but the contact order.
// A contact whose bodies hold all 64 colours goes to an overflow colour
// that runs on one thread.
//
// On the GPU, colouring runs in rounds, in parallel, with the same outcome for any
// thread count: in each round every uncoloured contact claims its dynamic
// bodies with an atomic integer minimum of its priority (a hash of its
// index, so winners spread through the pile); a contact that holds all its
// claims takes the round's colour. Integer minimum is order-independent,
// so no float atomics and no scheduling dependence enter the result.
// Static and kinematic bodies are never claimed: any number of contacts may
// touch the floor in one colour.
#pragma once

#include <cstdint>
#include <vector>

#include "math.h"

namespace werk {

constexpr uint64_t kNoClaim = ~0ull;

// The two bodies of a contact (global indices w * nbody + body).
struct BodyPair {
  int32_t a, b;
};

// Bodies of the shape-instance pair in a broadphase key.
WERK_HD inline BodyPair pair_bodies(uint64_t key, int nshape, int nbody, const int32_t* shape_body) {
  const int sa = int(key >> 32), sb = int(key & 0xffffffffu);
  return {(sa / nshape) * nbody + shape_body[sa % nshape], (sb / nshape) * nbody + shape_body[sb % nshape]};
}

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

constexpr int kMaxColors = 64;

// Greedy colours of contacts [0, n), whose bodies are bodies(i): writes
// order (contact indices sorted by colour, stable) and offsets (colour k
// is order[offsets[k] .. offsets[k + 1])); returns the index of the
// overflow colour (the number of colours when there is none). masks and
// color are scratch, kept by the caller from step to step. Host memory
// only.
template <class Bodies>
inline int greedy_colors(int n, Bodies bodies, const float* inv_mass, int nbody_total, std::vector<uint64_t>& masks,
                         std::vector<uint8_t>& color, int32_t* order, std::vector<int32_t>& offsets) {
  masks.assign(size_t(nbody_total), 0);
  color.resize(size_t(n));
  int32_t count[kMaxColors + 1] = {};
  for (int i = 0; i < n; ++i) {
    const BodyPair c = bodies(i);
    const bool da = inv_mass[c.a] > 0.0f, db = inv_mass[c.b] > 0.0f;
    const uint64_t used = (da ? masks[c.a] : 0) | (db ? masks[c.b] : 0);
    int k = kMaxColors;
    if (used != ~0ull) {
      k = __builtin_ctzll(~used);
      if (da) masks[c.a] |= 1ull << k;
      if (db) masks[c.b] |= 1ull << k;
    }
    color[i] = uint8_t(k);
    ++count[k];
  }
  // Offsets of the colours in use (greedy colours are contiguous from 0).
  int32_t first[kMaxColors + 1];
  offsets.clear();
  int total = 0;
  for (int k = 0; k <= kMaxColors; ++k) {
    first[k] = total;
    if (count[k] > 0) offsets.push_back(total);
    total += count[k];
  }
  offsets.push_back(total);
  for (int i = 0; i < n; ++i) order[first[color[i]]++] = i;
  const int ncolor = int(offsets.size()) - 1;
  return count[kMaxColors] > 0 ? ncolor - 1 : ncolor;
}

}  // namespace werk
