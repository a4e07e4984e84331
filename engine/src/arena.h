// Typed arrays carved out of a byte arena (the contact buffer's storage,
// which the broadphase borrows for its lists): every array starts on a
// boundary fit for its type. A GPU faults on a misaligned 8-byte access.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

namespace werk {

// Offset of a `bytes`-long array at the end of an arena of `capacity`
// bytes, aligned down to `align` (a power of two). The caller sized the
// arena to hold it with `align` bytes to spare.
inline size_t tail_offset(size_t capacity, size_t bytes, size_t align) {
  assert(bytes <= capacity && "arena too small");
  return (capacity - bytes) & ~(align - 1);
}

// The T array at byte offset `offset` of `storage`; checks the alignment
// in debug builds.
template <class T>
inline T* aligned_at(uint8_t* storage, size_t offset) {
  uint8_t* p = storage + offset;
  assert(reinterpret_cast<uintptr_t>(p) % alignof(T) == 0 && "misaligned array in the arena");
  return reinterpret_cast<T*>(p);
}

}  // namespace werk
