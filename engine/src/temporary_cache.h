// A caching allocator for the temporary storage of Thrust algorithms
// (sort, scan, copy_if, reduce): freed blocks are kept by size class and
// handed out again, so a steady-state step allocates nothing. On a GPU,
// cudaMalloc and cudaFree synchronise the whole device; on the CPU, the
// cache saves page faults on large temporaries.
//
// Sizes are rounded up to classes a quarter of a power of two apart (at
// most 25% waste), so temporaries of slightly different sizes from step to
// step share blocks. Blocks are returned to the system only when the
// cache is destroyed. Not thread-safe: one cache per pipeline, used from
// the thread that drives it.
//
// A cache made with keep = false gives every block back at once: it only
// counts allocations (the CPU backend, where a kept temporary would cost
// memory and a fresh one costs little).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include <thrust/memory.h>

namespace werk {

template <class Policy>
class TemporaryCache {
 public:
  using value_type = char;

  explicit TemporaryCache(bool keep, Policy policy = Policy{}) : policy_(policy), keep_(keep) {}
  TemporaryCache(const TemporaryCache&) = delete;
  TemporaryCache& operator=(const TemporaryCache&) = delete;
  ~TemporaryCache() { release(); }

  char* allocate(std::ptrdiff_t n) {
    const size_t size = size_class(size_t(n));
    auto it = free_.find(size);
    char* p;
    if (it != free_.end()) {
      p = it->second;
      free_.erase(it);
    } else {
      p = thrust::malloc<char>(policy_, size).get();
      ++allocations_;
      bytes_ += size;
    }
    used_.emplace(p, size);
    return p;
  }

  void deallocate(char* p, size_t) {
    auto it = used_.find(p);
    if (it == used_.end()) return;
    if (keep_) {
      free_.emplace(it->second, p);
    } else {
      thrust::free(policy_, p);
      bytes_ -= it->second;
    }
    used_.erase(it);
  }

  // Blocks obtained from the system so far (a cache miss each).
  int64_t allocations() const { return allocations_; }
  // Bytes held (in use or cached).
  size_t bytes() const { return bytes_; }

  void release() {
    for (auto& [size, p] : free_) thrust::free(policy_, p);
    for (auto& [p, size] : used_) thrust::free(policy_, p);
    free_.clear();
    used_.clear();
    bytes_ = 0;
  }

  // The smallest class >= n: 2^k, 1.25 * 2^k, 1.5 * 2^k or 1.75 * 2^k
  // (and at least 256 bytes, a GPU's allocation granule).
  static size_t size_class(size_t n) {
    if (n <= 256) return 256;
    int k = 63 - __builtin_clzll(uint64_t(n));  // 2^k <= n < 2^(k+1)
    const size_t quarter = size_t(1) << (k - 2);
    return (n + quarter - 1) / quarter * quarter;
  }

 private:
  Policy policy_;
  bool keep_;
  std::multimap<size_t, char*> free_;
  std::map<char*, size_t> used_;
  int64_t allocations_ = 0;
  size_t bytes_ = 0;
};

}  // namespace werk
