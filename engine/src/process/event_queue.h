// The future-event list of the process simulator.
//
// Design: a 4-ary min-heap over one flat array of 24-byte entries. The key
// is (tick, sequence): ticks are integer nanoseconds so time never drifts,
// and the sequence number (assigned at scheduling) breaks ties in
// first-scheduled-first-served order, which makes every run with the same
// seed replay the same event sequence. The payload is two 32-bit words
// (object index and event kind or generation) so no event ever allocates.
// A 4-ary heap halves the depth of a binary heap and keeps the four
// children of a node in one cache line, which matters at 10^6 pending
// events. Cancellation is lazy: callers tag events with a generation and
// ignore stale ones when they pop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace werk::process {

using Tick = int64_t;
constexpr Tick kTicksPerSecond = 1000000000;  // nanoseconds

struct Event {
  Tick tick;
  uint64_t seq;
  uint32_t object;
  uint32_t data;
};

class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  void reserve(size_t n) { heap_.reserve(n); }
  void clear() { heap_.clear(); next_seq_ = 0; }
  const Event& top() const { return heap_.front(); }

  // Schedules (tick, object, data); equal ticks pop in scheduling order.
  void push(Tick tick, uint32_t object, uint32_t data) {
    Event e{tick, next_seq_++, object, data};
    heap_.push_back(e);
    sift_up(heap_.size() - 1, e);
  }

  // Removes and returns the earliest event. Floyd's variant: the hole
  // walks down to a leaf along the smallest children with no comparison
  // against the moved element, which then sifts up the short way (the
  // last element nearly always belongs near the bottom).
  Event pop() {
    Event out = heap_.front();
    Event last = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) return out;
    Event* h = heap_.data();
    const size_t n = heap_.size();
    size_t i = 0;
    for (;;) {
      size_t c = 4 * i + 1;
      if (c >= n) break;
      size_t best = c;
      size_t end = c + 4 < n ? c + 4 : n;
      for (size_t k = c + 1; k < end; ++k)
        if (less(h[k], h[best])) best = k;
      h[i] = h[best];
      i = best;
    }
    sift_up(i, last);
    return out;
  }

  // Replaces the earliest event by a new one (one sift instead of two);
  // the hold operation of a simulation loop.
  void replace_top(Tick tick, uint32_t object, uint32_t data) {
    sift_down(0, Event{tick, next_seq_++, object, data});
  }

  // Calls f on every member (to save or restore the queue whole).
  template <class F>
  void fields(F&& f) {
    f(heap_);
    f(next_seq_);
  }

 private:
  static bool less(const Event& a, const Event& b) {
    return a.tick < b.tick || (a.tick == b.tick && a.seq < b.seq);
  }

  // Moves the hole at i up until e fits.
  void sift_up(size_t i, const Event& e) {
    Event* h = heap_.data();
    while (i > 0) {
      size_t parent = (i - 1) >> 2;
      if (!less(e, h[parent])) break;
      h[i] = h[parent];
      i = parent;
    }
    h[i] = e;
  }

  // Moves the hole at i down to where e fits among the four children.
  void sift_down(size_t i, const Event& e) {
    Event* h = heap_.data();
    const size_t n = heap_.size();
    for (;;) {
      size_t c = 4 * i + 1;
      if (c >= n) break;
      size_t best = c;
      size_t end = c + 4 < n ? c + 4 : n;
      for (size_t k = c + 1; k < end; ++k)
        if (less(h[k], h[best])) best = k;
      if (!less(h[best], e)) break;
      h[i] = h[best];
      i = best;
    }
    h[i] = e;
  }

  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace werk::process
