// Random streams of the process simulator.
//
// Design: every stochastic element (a source's arrivals, a station's
// process times, its failures, a router's choices) owns its own xoshiro256**
// generator. The generator's state is derived from (seed, replication,
// object, purpose) by hashing through SplitMix64, the seeding procedure the
// xoshiro authors recommend, so streams of different objects and different
// replications are statistically independent. The object word is a hash of
// the object's name, not its place in the scene (stream_key), so adding,
// removing or reordering other objects does not change the numbers an
// object draws: variants of a line run with common random numbers.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace werk::process {

// SplitMix64 step: a bijective mixer with full 64-bit avalanche.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Folds one more word into a stream key.
inline uint64_t mix_key(uint64_t key, uint64_t word) {
  uint64_t s = key ^ (word * 0xD6E8FEB86659FD93ull);
  return splitmix64(s);
}

// The stable identity of an object's streams: 64-bit FNV-1a of its name,
// mixed once more so that similar names give unrelated keys.
inline uint64_t stream_key(std::string_view name) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001B3ull;
  return splitmix64(h);
}

class Rng {
 public:
  Rng() : Rng(0, 0, 0, 0) {}
  // The stream for (seed, replication, object, purpose).
  Rng(uint64_t seed, uint64_t replication, uint64_t object, uint64_t purpose) {
    uint64_t key = mix_key(mix_key(mix_key(mix_key(0x5EEDull, seed), replication), object), purpose);
    for (auto& w : s_) w = splitmix64(key);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe under log().
  double uniform_pos() { return double((next() >> 11) + 1) * 0x1.0p-53; }
  // Standard normal by the polar Marsaglia method (one value per call, the
  // spare is cached so the stream stays deterministic).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace werk::process
