// Stateless randomness for the loader: every draw is a hash of (seed, step, row), so any rank at
// any resume point computes the same window without replaying earlier steps.
#pragma once

#include <cstdint>

namespace scalelab::data {

// splitmix64's finalizer (Steele et al. 2014): a bijective 64-bit mix with full avalanche.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash3(uint64_t a, uint64_t b, uint64_t c) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

// Maps a uniform 64-bit hash onto [0, n) by multiply-shift (Lemire 2019); bias is below n / 2^64.
inline uint64_t below(uint64_t hash, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(hash) * n) >> 64);
}

// A keyed pseudo-random permutation of [0, n): a 4-round Feistel network on the smallest even
// bit width covering n, with cycle walking to stay inside [0, n) (Black & Rogaway 2002).
inline uint64_t permute(uint64_t i, uint64_t n, uint64_t key) {
  int bits = 1;
  while ((uint64_t{1} << bits) < n) ++bits;
  const int half = (bits + 1) / 2;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  uint64_t x = i;
  do {
    uint64_t left = x >> half, right = x & mask;
    for (uint64_t round = 0; round < 4; ++round) {
      const uint64_t next = left ^ (hash3(key, round, right) & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= n);  // the domain is under 4n, so this ends after a few rounds on average
  return x;
}

}  // namespace scalelab::data
