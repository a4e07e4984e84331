// Byte archives of the process simulator's state, for checkpoints.
//
// Design: one function per type, io(archive, value), both saves and
// restores (Save and Load have the same interface), so the list of a
// struct's fields is written once. Trivially copyable values are copied
// as bytes (the same build reads what it wrote; a checkpoint records the
// engine version); containers as a count and their elements. A Load that
// runs past the end, or meets a count larger than the bytes left, throws
// RuntimeError: damaged bytes never allocate wildly or read out of bounds.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <queue>
#include <string>
#include <type_traits>
#include <vector>

#include "werk/error.h"

namespace werk::process::archive {

struct Save {
  std::string bytes;
  static constexpr bool loading = false;
  void raw(const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); }
  size_t left() const { return SIZE_MAX; }
};

struct Load {
  const std::string& bytes;
  size_t at = 0;
  static constexpr bool loading = true;
  void raw(void* p, size_t n) {
    if (n > bytes.size() - at) throw RuntimeError("process state: the saved bytes end early (damaged)");
    std::memcpy(p, bytes.data() + at, n);
    at += n;
  }
  size_t left() const { return bytes.size() - at; }
};

template <class A, class T>
std::enable_if_t<std::is_trivially_copyable_v<T>> io(A& a, T& v) {
  a.raw(&v, sizeof v);
}

template <class A>
void io(A& a, std::string& s);
template <class A, class T>
void io(A& a, std::vector<T>& v);
template <class A, class T>
void io(A& a, std::deque<T>& v);
template <class A, class T>
void io(A& a, std::priority_queue<T>& q);

// A container's element count; on loading, at most one per byte left
// (every element takes at least one byte).
template <class A>
size_t count(A& a, size_t n) {
  uint64_t k = n;
  io(a, k);
  if (A::loading && k > a.left()) throw RuntimeError("process state: a count beyond the saved bytes (damaged)");
  return size_t(k);
}

template <class A>
void io(A& a, std::string& s) {
  s.resize(count(a, s.size()));
  if (!s.empty()) a.raw(s.data(), s.size());
}

template <class A, class T>
void io(A& a, std::vector<T>& v) {
  v.resize(count(a, v.size()));
  if constexpr (std::is_trivially_copyable_v<T>) {
    if (!v.empty()) a.raw(v.data(), v.size() * sizeof(T));
  } else {
    for (auto& x : v) io(a, x);
  }
}

template <class A, class T>
void io(A& a, std::deque<T>& v) {
  v.resize(count(a, v.size()));
  for (auto& x : v) io(a, x);
}

// A priority queue's underlying container, in its heap order.
template <class A, class T>
void io(A& a, std::priority_queue<T>& q) {
  struct Access : std::priority_queue<T> {
    static std::vector<T>& of(std::priority_queue<T>& q) { return q.*(&Access::c); }
  };
  io(a, Access::of(q));
}

// Every argument in turn.
template <class A, class... T>
void all(A& a, T&... v) {
  (io(a, v), ...);
}

}  // namespace werk::process::archive
