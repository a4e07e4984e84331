// How the step's parallel parts run on a GPU: shared by the CUDA backend
// and by the emulated-CUDA backend, which runs the same strategies over
// OpenMP so that every path the GPU takes is exercised on any machine.
//
// - Narrowphase: all pairs in one launch, manifolds collided once and kept.
// - Colouring: parallel rounds (see constraint_graph.h), no host loop over
//   contacts.
// - Solver passes: one launch per colour, in order on one stream; the
//   overflow colour (contacts whose bodies hold every colour) runs in one
//   single-thread launch.
#pragma once

#include <thrust/for_each.h>
#include <thrust/iterator/counting_iterator.h>

#include <cstdint>
#include <vector>

#include "kernels/math.h"
#include "kernels/pose_phase.h"

namespace werk {

// A stage's phases as launches, in order on one stream (the GPU's side
// of a region; the CPU's is CpuTeam in cpu_team.h).
template <class Policy>
struct LaunchTeam {
  Policy policy;
  int launches = 0;

  template <class F>
  void each(int n, F f) {
    if (n <= 0) return;
    thrust::for_each_n(policy, thrust::counting_iterator<int>(0), n, f);
    ++launches;
  }
  template <class F>
  void by_color(const std::vector<int32_t>& offsets, int serial_from, F f);
};

struct GpuStrategy {
  static constexpr int narrow_batch = 1 << 30;
  static constexpr int keep_pairs = 1 << 30;
  static constexpr bool sequential_coloring = false;
  // Warm-start memory searches: one key per thread.
  static constexpr int search_run = 1;
  // Temporaries are cached: cudaMalloc and cudaFree synchronise the device.
  static constexpr bool keep_temporaries = true;

  // Runs f over every colour in turn; returns the number of launches.
  template <class Policy, class F>
  static int for_each_color(Policy policy, const std::vector<int32_t>& offsets, int serial_from, F f) {
    const int ncolor = int(offsets.size()) - 1;
    int launches = 0;
    for (int k = 0; k < serial_from && k < ncolor; ++k) {
      const int begin = offsets[k], count = offsets[k + 1] - begin;
      if (count <= 0) continue;
      thrust::for_each_n(policy, thrust::counting_iterator<int>(begin), count, f);
      ++launches;
    }
    if (serial_from < ncolor && offsets[ncolor] > offsets[serial_from]) {
      const int begin = offsets[serial_from], end = offsets[ncolor];
      thrust::for_each_n(policy, thrust::counting_iterator<int>(0), 1, [=] WERK_HD(int) {
        for (int i = begin; i < end; ++i) f(i);
      });
      ++launches;
    }
    return launches;
  }

  // A sub-step's pose phase: one launch, a thread per body.
  struct MoveBodies {
    PosePhase f;
    WERK_HD void operator()(int i) const { move_body(f, i); }
  };
  template <class Team>
  static void pose_phase(Team& team, int n, const PosePhase& f) {
    team.each(n, MoveBodies{f});
  }

  // f(team): each phase a launch. Returns the number of launches.
  template <class Policy, class F>
  static int region(Policy policy, int /*threads*/, int64_t /*work*/, F f) {
    LaunchTeam<Policy> team{policy};
    f(team);
    return team.launches;
  }
  // A solver pass: one launch per colour, straight from the manifolds
  // (no lane form: a GPU thread takes one manifold).
  struct PassMemory {};
  template <class Pass>
  static bool plan_passes(PassMemory&, const std::vector<int32_t>&, int, const Pass&, const uint8_t*, int) {
    return false;
  }
  template <class Team, class Pass>
  static void pack_passes(Team&, PassMemory&, const Pass&) {}
  template <class Team, class Pass>
  static void unpack_passes(Team&, PassMemory&, const Pass&) {}
  template <class Team, class Pass>
  static void contact_pass(Team& team, const std::vector<int32_t>& offsets, int serial_from, const Pass& pass,
                           PassMemory*) {
    team.by_color(offsets, serial_from, pass);
  }
  // One launch of f over [0, n).
  template <class Policy, class F>
  static int each(Policy policy, int /*threads*/, int n, int64_t /*work*/, F f) {
    thrust::for_each_n(policy, thrust::counting_iterator<int>(0), n, f);
    return 1;
  }
};

template <class Policy>
template <class F>
void LaunchTeam<Policy>::by_color(const std::vector<int32_t>& offsets, int serial_from, F f) {
  launches += GpuStrategy::for_each_color(policy, offsets, serial_from, f);
}

}  // namespace werk
