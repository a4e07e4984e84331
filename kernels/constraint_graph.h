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
// On the GPU, colouring runs in rounds, in parallel, with the same outcome
// for any thread count (a parallel form of the same greedy rule): in each
// round every uncoloured contact picks the lowest colour free at both its
// dynamic bodies (64-bit masks, as above) and claims both bodies with an
// atomic integer minimum of (colour, scrambled index); a contact that
// holds both claims takes its colour. Each round colours at least one
// contact per busy body, so the colour count stays close to the greedy
// one. Integer minimum is order-independent, so no float atomics and no
// scheduling dependence enter the result.
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
  return {instance_body(sa, nshape, nbody, shape_body), instance_body(sb, nshape, nbody, shape_body)};
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

// Index of the lowest set bit of a non-zero x.
WERK_HD inline int ctz64(uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __ffsll((long long)x) - 1;
#else
  return __builtin_ctzll(x);
#endif
}

constexpr int kMaxColors = 64;
// Parallel colouring: rounds between checks for uncoloured contacts, and
// the most rounds before the rest go to the overflow colour (a body with
// more contacts than this has needs more rounds than colours).
constexpr int kColorRoundsPerCheck = 8;
constexpr int kMaxColorRounds = 128;

// A claim for colour k by contact c: lower colours first, then a
// scrambled index, then the index itself (unique). Scrambling spreads the
// winners of a round through a pile, so every round colours contacts all
// over it: about 30 rounds on a settled 16,384-box pile. (Claims in plain
// index order follow the greedy order more closely, 6 colours instead of
// 9 on a pyramid, but a chain of contacts in index order then takes a
// round per link: 70 rounds on the same pile, over 128 on some graphs.)
WERK_HD inline unsigned long long color_claim(int k, int c) {
  uint32_t x = uint32_t(c) * 0x9E3779B1u;
  x ^= x >> 15;
  x *= 0x85EBCA77u;
  x ^= x >> 13;
  return (static_cast<unsigned long long>(k) << 57) | (static_cast<unsigned long long>(x & 0x1FFFFFFu) << 32) | uint32_t(c);
}

// Round, step 1: uncoloured contact c picks the lowest colour that neither
// of its dynamic bodies holds and claims both for it (integer minimum, so
// the outcome is independent of thread order). A contact whose bodies hold
// every colour goes to the overflow colour at once.
WERK_HD inline void claim_lowest_color(int c, BodyPair p, const float* inv_mass, const uint64_t* mask, int32_t* color,
                                       unsigned long long* tentative, unsigned long long* claim) {
  if (color[c] >= 0) return;
  const bool da = inv_mass[p.a] > 0.0f, db = inv_mass[p.b] > 0.0f;
  const uint64_t used = (da ? mask[p.a] : 0) | (db ? mask[p.b] : 0);
  if (used == ~0ull) {
    color[c] = kMaxColors;
    return;
  }
  const unsigned long long key = color_claim(ctz64(~used), c);
  tentative[c] = key;
  if (da) atomic_min_u64(&claim[p.a], key);
  if (db) atomic_min_u64(&claim[p.b], key);
}

// Round, step 2: a contact holding both its claims takes its colour and
// marks it on its bodies. Each body has one winner per round, so no two
// threads write the same mask.
WERK_HD inline void take_lowest_color(int c, BodyPair p, const float* inv_mass, const unsigned long long* tentative,
                                      const unsigned long long* claim, int32_t* color, uint64_t* mask) {
  if (color[c] >= 0) return;
  const bool da = inv_mass[p.a] > 0.0f, db = inv_mass[p.b] > 0.0f;
  const unsigned long long key = tentative[c];
  if ((da && claim[p.a] != key) || (db && claim[p.b] != key)) return;
  const int k = int(key >> 57);
  color[c] = k;
  if (da) mask[p.a] |= 1ull << k;
  if (db) mask[p.b] |= 1ull << k;
}


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
      k = ctz64(~used);
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
