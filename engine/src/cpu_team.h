// How the CPU backend runs a stage's parallel parts: a team of threads in
// one OpenMP parallel region that meets at the engine's own barrier.
//
// A small scene's step is a few hundred microseconds cut into hundreds of
// phases (every colour of every solver pass of every sub-step). Forking a
// team per phase, or meeting at OpenMP's barrier, costs what the
// OpenMP wait policy says: a few microseconds with spinning threads, tens
// with sleeping ones (OMP_WAIT_POLICY=passive, common on shared nodes),
// which is more than the phase itself. So a whole sub-step loop runs in
// one region, its phases separated by SpinBarrier, which spins for a
// bounded time and then sleeps on a futex (C++20 atomic wait): the
// waiting is the engine's, whatever the environment asks of OpenMP.
// Phases too small to share run on the team's first thread, and a
// stage too small for a team runs on the calling thread with no region
// at all.
//
// Every phase runs its items as a serial loop would: items of one phase
// (bodies, or contacts of one colour) touch disjoint data, and consecutive
// small colours run in colour order on one thread, so the results are the
// same, bit for bit, for any team size.
#pragma once

#include <omp.h>
#include <sched.h>
#include <xmmintrin.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace werk {

// Resting piles decay velocities into denormal floats, which x86 handles
// a hundred times slower: every thread that runs a phase flushes them to
// zero. Every thread uses the same mode, so results stay independent of
// the thread count.
inline void flush_denormals_here() { _mm_setcsr(_mm_getcsr() | 0x8040); }  // FTZ | DAZ

// Waits until `word` differs from `seen`: `spins` pause instructions (a
// phase of a small scene is shorter, so a team at work never sleeps), a few
// yields (the thread being waited for may be queued on this core), then
// sleep on a futex, counted in `sleepers` so that the writer knows to wake.
inline void await_change(const std::atomic<uint32_t>& word, uint32_t seen, std::atomic<int>& sleepers, int spins) {
  for (int i = 0; i < spins; ++i) {
    if (word.load(std::memory_order_acquire) != seen) return;
    _mm_pause();
  }
  for (int i = 0; i < 16; ++i) {
    if (word.load(std::memory_order_acquire) != seen) return;
    sched_yield();
  }
  sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (word.load(std::memory_order_seq_cst) == seen) word.wait(seen, std::memory_order_seq_cst);
  sleepers.fetch_sub(1, std::memory_order_relaxed);
}

// A reusable barrier for a fixed number of threads: spin, then sleep.
class SpinBarrier {
 public:
  explicit SpinBarrier(int threads) : threads_(threads) {}

  void wait() {
    const uint32_t generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) == threads_ - 1) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_seq_cst);
      if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
      return;
    }
    await_change(generation_, generation, sleepers_, kSpins);
  }

 private:
  static constexpr int kSpins = 2000;  // 20 to 60 microseconds
  const int threads_;
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<int> sleepers_{0};
};

// One thread's view of a team inside a region.
struct CpuTeam {
  int rank = 0;   // this thread, 0 .. size - 1
  int size = 1;   // threads in the team
  SpinBarrier* barrier = nullptr;
  // A phase is shared only when every thread gets at least this many
  // items (about ten microseconds of a light kernel): below, the barrier
  // would cost more than the split saves.
  static constexpr int kMinShare = 48;
  // The same for a colour of a contact pass: a manifold is a few hundred
  // nanoseconds of work, so eight per thread already gain (PYRAMID-20,
  // whose colours hold 10 to 150 manifolds, solved 1.3 times faster on two
  // threads with 8 than with 48).
  static constexpr int kMinContactShare = 8;

  void sync() {
    if (size > 1) barrier->wait();
  }

  // f(i) for i in [begin, end), split evenly when every thread gets at
  // least min_share items; the team meets when all are done.
  template <class F>
  void each(int begin, int end, F f, int min_share = kMinShare) {
    const int n = end - begin;
    if (n >= size * min_share || size == 1) {
      const int64_t lo = begin + int64_t(n) * rank / size, hi = begin + int64_t(n) * (rank + 1) / size;
      for (int64_t i = lo; i < hi; ++i) f(int(i));
    } else if (rank == 0) {
      for (int i = begin; i < end; ++i) f(i);
    }
    sync();
  }
  template <class F>
  void each(int n, F f) {
    each(0, n, f);
  }

  // f(contact) over every colour in turn (offsets: first contact of each
  // colour, then the end). Colours from serial_from on share bodies and
  // run in order on one thread; so do runs of colours too small to share,
  // with one meeting after the run rather than one per colour.
  template <class F>
  void by_color(const std::vector<int32_t>& offsets, int serial_from, F f) {
    by_color(offsets, serial_from, f, [&](int first, int n) {
      for (int i = first; i < first + n; ++i) f(i);
    });
  }

  // The same, with contacts of one colour handed to group(first, n) in
  // runs of up to kGroup (n of them) from the colour's first, so that a
  // kernel can take several at once; f(contact) runs the serial colours.
  template <int kGroup = 4, class F, class G>
  void by_color(const std::vector<int32_t>& offsets, int serial_from, F f, G group) {
    colors(offsets, serial_from, f, [&](int k, int part, int parts) {
      // Each part starts at a multiple of kGroup.
      const int begin = offsets[k], end = offsets[k + 1], blocks = (end - begin + kGroup - 1) / kGroup;
      const int lo = begin + int(int64_t(blocks) * part / parts) * kGroup;
      const int hi = std::min(end, begin + int(int64_t(blocks) * (part + 1) / parts) * kGroup);
      for (int i = lo; i < hi; i += kGroup) group(i, std::min(kGroup, hi - i));
    });
  }

  // The same over groups made beforehand: group(g) for the groups
  // [first_group[k], first_group[k + 1]) of each colour k before
  // serial_from.
  template <class F, class G>
  void by_group(const std::vector<int32_t>& offsets, int serial_from, const std::vector<int32_t>& first_group, F f,
                G group) {
    colors(offsets, serial_from, f, [&](int k, int part, int parts) {
      const int first = first_group[k], n = first_group[k + 1] - first;
      for (int g = first + int(int64_t(n) * part / parts); g < first + int(int64_t(n) * (part + 1) / parts); ++g)
        group(g);
    });
  }

 private:
  // The colours in turn: run(k, part, parts) runs part `part` of `parts` of
  // colour k before serial_from, f(contact) the contacts of the others. A
  // colour is split between the threads when each gets enough of it.
  template <class F, class Run>
  void colors(const std::vector<int32_t>& offsets, int serial_from, F f, Run run) {
    const int ncolor = int(offsets.size()) - 1;
    auto shared = [&](int k) {
      return k < serial_from && size > 1 && offsets[k + 1] - offsets[k] >= size * kMinContactShare;
    };
    int k = 0;
    while (k < ncolor) {
      if (shared(k)) {
        run(k, rank, size);
        sync();
        ++k;
        continue;
      }
      int end = k + 1;  // a run of small (or serial) colours
      while (end < ncolor && !shared(end)) ++end;
      if (rank == 0)
        for (int j = k; j < end; ++j) {
          if (j < serial_from) run(j, 0, 1);
          else
            for (int i = offsets[j]; i < offsets[j + 1]; ++i) f(i);
        }
      sync();
      k = end;
    }
  }
};

// The engine's own worker threads, kept between steps. A team's region is
// handed to them (the caller is rank 0): they wait for work as the barrier
// does (spin, yield, then sleep), so starting a region costs the same
// whatever OpenMP's wait policy, and threads that stay idle sleep. One
// region at a time: a caller that finds the pool busy (several
// simulations stepped from several threads) opens an OpenMP region
// instead, with the same results.
class TeamPool {
 public:
  static TeamPool& get() {
    // Never destroyed: its threads may sleep in it until the process ends.
    static TeamPool* pool = [] {
      pthread_atfork(nullptr, nullptr, [] { reset_after_fork(); });
      return new TeamPool;
    }();
    return *pool;
  }

  // Runs job(rank) for rank 0 .. threads - 1, rank 0 on the caller;
  // returns false (running nothing) when the pool is busy.
  template <class F>
  bool run(int threads, F& job) {
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (!lock.owns_lock() || forked_) return false;
    while (int(workers_.size()) < threads - 1) {
      const int rank = int(workers_.size()) + 1;
      const uint32_t now = generation_.load(std::memory_order_acquire);  // it waits for the next region
      workers_.emplace_back([this, rank, now] { work(rank, now); });
      workers_.back().detach();
    }
    call_ = [](void* f, int rank) { (*static_cast<F*>(f))(rank); };
    job_ = &job;
    threads_ = threads;
    finished_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
    job(0);
    // The job's last phase ends with the whole team meeting, so the
    // others are a moment from done: spin for them.
    const int expected = int(workers_.size());
    while (finished_.load(std::memory_order_acquire) < expected) _mm_pause();
    return true;
  }

 private:
  // A child of fork() has only the forking thread: its pool has none.
  static void reset_after_fork() { get().forked_ = true; }

  void work(int rank, uint32_t seen) {
    for (;;) {
      // About a millisecond of spinning: longer than the one-thread
      // stages between a step's regions (sorts, colouring), so that a
      // worker is awake when the next region starts. Spinning 100
      // microseconds, a worker fell asleep between regions of every step of
      // CONVEYOR-LINE, and waking it through the kernel cost a sixth of
      // the two-thread step.
      await_change(generation_, seen, sleepers_, 40000);
      seen = generation_.load(std::memory_order_acquire);
      if (rank < threads_) {
        flush_denormals_here();
        call_(job_, rank);
      }
      finished_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  std::mutex busy_;
  std::vector<std::thread> workers_;
  void (*call_)(void*, int) = nullptr;
  void* job_ = nullptr;
  int threads_ = 0;
  bool forked_ = false;
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<int> finished_{0};
  alignas(64) std::atomic<int> sleepers_{0};
};

// Runs f(team) on `threads` threads (the caller among them), or on the
// calling thread alone when threads is 1. Returns the number of parallel
// regions entered (0 or 1).
template <class F>
int run_team(int threads, F f) {
  flush_denormals_here();
  if (threads <= 1) {
    CpuTeam team;
    f(team);
    return 0;
  }
  SpinBarrier barrier(threads);
  auto job = [&](int rank) {
    CpuTeam team{rank, threads, &barrier};
    f(team);
  };
  if (TeamPool::get().run(threads, job)) return 1;
#pragma omp parallel num_threads(threads)
  {
    flush_denormals_here();
    CpuTeam team{omp_get_thread_num(), threads, &barrier};
    if (omp_get_num_threads() == threads) {
      f(team);
    } else if (team.rank == 0) {
      // Fewer threads than asked (a limit set outside the engine): the
      // first does all the work.
      CpuTeam alone;
      f(alone);
    }
  }
  return 1;
}

}  // namespace werk
