// CPU backend: the pipeline on the engine's own team of threads, with Thrust's
// algorithms on its sequential system.
#include <omp.h>
#include <thrust/system/cpp/execution_policy.h>
#include <thrust/system/cpp/vector.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_team.h"
#include "kernels/contact_solver_wide.h"
#include "kernels/pose_phase_wide.h"
#include "omp_system.h"
#include "pipeline_deps.h"

namespace werk::cpu {
namespace impl {

struct System : OmpDevice {
  // Narrowphase batch: pairs collided per pass before compaction, at
  // least (batches fill the contact buffer beside the pair list).
  static constexpr int narrow_batch = 4096;
  // Up to this many pairs, manifolds are collided once and kept (two
  // contact arrays of at most this size); beyond, collided again in colour
  // order (one array). PYRAMID-40's 2,400 pairs collided once: 1.03 times
  // as fast, for 2.3 KB more per body; PILE-1000's, as fast.
  static constexpr int keep_pairs = 4096;
  // Warm-start memory searches: a binary search, then a walk through the
  // next keys' points (a few each), in runs of this many keys.
  static constexpr int search_run = 16;
  // Greedy colouring, sequential (see constraint_graph.h).
  static constexpr bool sequential_coloring = true;
  // Temporaries (the sorts') are allocated per call and given back: kept,
  // they would add a few hundred bytes per body, and the CPU pays little
  // for a fresh block.
  static constexpr bool keep_temporaries = false;
  // Phases run on a team of threads (cpu_team.h): the sub-step loop in
  // one region, a light stage on the calling thread alone.
  static void begin_step() { flush_denormals_here(); }
  // Thrust's algorithms (sorts, scans, compactions) run on the calling
  // thread: they are a small part of any step, and OpenMP's threads, woken
  // for them, would spin on the cores the engine's team needs (OpenMP reads
  // its wait policy before the program can set it). So they run on Thrust's
  // sequential C++ system: its OpenMP one, even on one thread, opens a
  // region per algorithm and asks the kernel for the processor count and
  // to wake its team (on a small line, a quarter of a million system calls
  // a minute of simulated time).
  // Vectors too: growing a vector fills it with an algorithm of its
  // system.
  template <class T>
  using vector = thrust::cpp::vector<T>;
  using base_policy = std::remove_cv_t<decltype(thrust::cpp::par)>;
  template <class Cache>
  static auto policy(Cache& cache) {
    return thrust::cpp::par(cache);
  }
  // Nothing of Thrust's opens an OpenMP region now: nothing to narrow.
  static void narrow(int, int64_t) {}
  template <class Policy, class F>
  static int region(Policy, int threads, int64_t work, F f) {
    return run_team(work >= kParallelWork ? threads : 1, f);
  }
  template <class Policy, class F>
  static int each(Policy, int threads, int n, int64_t work, F f) {
    return run_team(work >= kParallelWork ? threads : 1, [&](CpuTeam& team) { team.each(n, f); });
  }
  // The manifolds of a step's warm-start, solve and relax passes held in
  // lane form (contact_solver_lanes.inl, PackedGroup), group by group in
  // colour order: colour k's groups are [first_group[k], first_group[k + 1]).
  // Within a colour no two manifolds share a moving body, so their order is
  // free: manifolds on a fixed body (a side whose values the lanes need not
  // gather, kAFixed or kBFixed) form groups of their own.
  struct PassMemory {
    std::vector<wide8::PackedGroup> groups8;
    std::vector<wide::PackedGroup> groups4;
    std::vector<int32_t> first_group;
    std::vector<int32_t> lane_index;  // lanes() manifolds per group, the last real one repeated
    std::vector<int32_t> lanes;       // real lanes per group
    std::vector<int8_t> fixed;        // per group: Fixed
    std::vector<int8_t> turn;         // per group: Turn
    std::vector<int32_t> sorted[6];   // a colour's manifolds by kind, Fixed + 3 * (Turn) (scratch)
  };
  // Makes the groups of the colours before serial_from; pack_passes then
  // fills them, inside the team's region. kind: per model body. A group's
  // manifolds share a fixed side (or have none) and a way of turning
  // their bodies (Turn: pairs of scalar inertias apart).
  static bool plan_passes(PassMemory& m, const std::vector<int32_t>& offsets, int serial_from, const ContactPass& pass,
                          const uint8_t* kind, int nbody) {
    const int width = lanes(), ncolor = std::min(serial_from, int(offsets.size()) - 1);
    const SolverBodies& s = pass.sb;
    auto rests = [&](int b) {
      static constexpr Vec3 zero{0.0f, 0.0f, 0.0f};
      return kind[b % nbody] == uint8_t(BodyKind::Static) && s.inv_mass[b] == 0.0f &&
             std::memcmp(&s.vel[b], &zero, sizeof(Vec3)) == 0 && std::memcmp(&s.angvel[b], &zero, sizeof(Vec3)) == 0;
    };
    m.first_group.assign(1, 0);
    auto scalar = [&](int i) {
      return is_scalar_inertia(s.inv_inertia[pass.c[i].a]) && is_scalar_inertia(s.inv_inertia[pass.c[i].b]);
    };
    constexpr int kinds = 6;
    m.lane_index.clear(), m.lanes.clear(), m.fixed.clear(), m.turn.clear();
    for (int k = 0; k < ncolor; ++k) {
      for (auto& v : m.sorted) v.clear();
      for (int i = offsets[k]; i < offsets[k + 1]; ++i) {
        const int fixed = rests(pass.c[i].b) ? kBFixed : rests(pass.c[i].a) ? kAFixed : kNoneFixed;
        m.sorted[fixed + 3 * (scalar(i) ? kTurnScalar : kTurnMatrix)].push_back(i);
      }
      // The kinds' groups interleaved evenly (a fixed side's group costs
      // less), so that the threads' shares of the colour cost alike.
      size_t groups[kinds], made[kinds] = {}, total = 0;
      for (int f = 0; f < kinds; ++f) total += groups[f] = (m.sorted[f].size() + size_t(width) - 1) / size_t(width);
      for (size_t j = 0; j < total; ++j) {
        int f = -1;  // the kind furthest behind its share
        for (int c = 0; c < kinds; ++c)
          if (made[c] < groups[c] && (f < 0 || made[c] * groups[f] < made[f] * groups[c])) f = c;
        const std::vector<int32_t>& v = m.sorted[f];
        const size_t g = made[f]++ * size_t(width);
        const int n = int(std::min(v.size() - g, size_t(width)));
        for (int l = 0; l < width; ++l) m.lane_index.push_back(v[g + size_t(std::min(l, n - 1))]);
        m.lanes.push_back(n);
        m.fixed.push_back(int8_t(f % 3));
        m.turn.push_back(int8_t(f / 3));
      }
      m.first_group.push_back(int32_t(m.lanes.size()));
    }
    if (width == 8) m.groups8.resize(m.lanes.size());
    else m.groups4.resize(m.lanes.size());
    return true;
  }
  // Packing and unpacking touch each group alone: one phase over all of
  // them, not one per colour.
  static void pack_passes(CpuTeam& team, PassMemory& m, const ContactPass& pass) {
    all_groups(team, m, [&](auto& g, int k, int width) {
      pack_group(pass.c, pass.x, &m.lane_index[size_t(k) * size_t(width)], m.lanes[size_t(k)], m.fixed[size_t(k)],
                 m.turn[size_t(k)], g);
    });
  }
  static void unpack_passes(CpuTeam& team, PassMemory& m, const ContactPass& pass) {
    all_groups(team, m, [&](auto& g, int, int) { unpack_group(g, pass.c, pass.x); });
  }
  template <class F>
  static void all_groups(CpuTeam& team, PassMemory& m, F f) {
    const int n = int(m.lanes.size());
    if (lanes() == 8) team.each(0, n, [&](int k) { f(m.groups8[size_t(k)], k, 8); }, CpuTeam::kMinContactShare);
    else team.each(0, n, [&](int k) { f(m.groups4[size_t(k)], k, 4); }, CpuTeam::kMinContactShare);
  }
  // Solver passes eight manifolds at a time where the processor has AVX2,
  // four otherwise (contact_solver_wide.h: the scalar kernels' results, bit
  // for bit, at either width), from the manifolds or, given m, from their
  // lane form; the bounce pass, once a step, one at a time.
  static void contact_pass(CpuTeam& team, const std::vector<int32_t>& offsets, int serial_from, const ContactPass& pass,
                           PassMemory* m) {
    if (pass.kind == ContactPass::Restitution || (!m && pass.world_left && pass.kind == ContactPass::WarmStart)) {
      team.by_color(offsets, serial_from, pass);
      return;
    }
    if (m) {
      for_groups(team, *m, offsets, serial_from, pass, [&](auto& g) { packed_pass(pass, g); });
      return;
    }
    if (lanes() == 8)
      team.by_color<8>(offsets, serial_from, pass, [&](int first, int n) {
        lane_pass(pass, first, n, wide8::warm_start_contacts, wide8::solve_contacts);
      });
    else
      team.by_color<4>(offsets, serial_from, pass, [&](int first, int n) {
        lane_pass(pass, first, n, wide::warm_start_contacts, wide::solve_contacts);
      });
  }
  // f(group) over the packed groups, colour by colour as a pass runs them
  // (serial(contact) runs the serial colours).
  template <class Serial, class F>
  static void for_groups(CpuTeam& team, PassMemory& m, const std::vector<int32_t>& offsets, int serial_from,
                         const Serial& serial, F f) {
    if (lanes() == 8)
      team.by_group(offsets, serial_from, m.first_group, serial, [&](int k) { f(m.groups8[size_t(k)]); });
    else
      team.by_group(offsets, serial_from, m.first_group, serial, [&](int k) { f(m.groups4[size_t(k)]); });
  }
  template <class Group>
  static void packed_pass(const ContactPass& pass, Group& g) {
    if (pass.kind == ContactPass::WarmStart)
      warm_start_packed(g, pass.c, pass.x, pass.sb, pass.moved, pass.world_left, pass.nbody);
    else
      solve_packed(g, pass.c, pass.x, pass.sb, pass.moved, pass.inv_h, pass.soft, pass.static_soft,
                   pass.kind == ContactPass::Solve, pass.reverse, pass.world_left, pass.nbody, pass.stiff, pass.stiff_soft,
                   pass.stiff_static);
  }
  // One group of a warm-start, solve or relax pass, at either width.
  template <class Warm, class Solve>
  static void lane_pass(const ContactPass& pass, int first, int n, Warm warm, Solve solve) {
    if (pass.kind == ContactPass::WarmStart) warm(pass.c, pass.x, first, n, pass.sb);
    else
      solve(pass.c, pass.x, first, n, pass.sb, pass.inv_h, pass.soft, pass.static_soft,
            pass.kind == ContactPass::Solve, pass.reverse, pass.world_left, pass.nbody, pass.stiff, pass.stiff_soft,
            pass.stiff_static);
  }
  // A sub-step's pose phase, a lane's width of bodies at a time where they
  // allow it (pose_phase_wide.h: move_body's results, bit for bit).
  static void pose_phase(CpuTeam& team, int n, const PosePhase& f) {
    const int width = lanes(), blocks = (n + width - 1) / width;
    team.each(0, blocks, [&](int k) {
      const int first = k * width, end = std::min(n, first + width);
      if (end - first == width && (width == 8 ? wide8::move_bodies(f, first) : wide::move_bodies(f, first))) return;
      for (int i = first; i < end; ++i) move_body(f, i);
    }, std::max(1, CpuTeam::kMinShare / width));
  }
  // Lanes of the contact passes: 8 where the processor has AVX2, else 4;
  // WERK_CPU_LANES=4 asks for four (to compare the two; results are the
  // same).
  static int lanes() {
    static const int n = [] {
      const char* v = std::getenv("WERK_CPU_LANES");
      return has_wide8() && !(v && std::string(v) == "4") ? 8 : 4;
    }();
    return n;
  }
};

#include "pipeline.inl"

}  // namespace impl

std::unique_ptr<Backend> make_backend(int threads, bool adaptive) {
  if (threads > 0) omp_set_num_threads(threads);
  int n = threads > 0 ? threads : omp_get_max_threads();
  return std::make_unique<impl::Pipeline>("cpu(openmp, " + std::to_string(n) + (n == 1 ? " thread)" : " threads)"), n, adaptive);
}

}  // namespace werk::cpu
