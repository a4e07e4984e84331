// CPU backend: the pipeline over Thrust's OpenMP device system.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_team.h"
#include "kernels/contact_solver_wide.h"
#include "omp_system.h"
#include "pipeline_deps.h"

namespace werk::cpu {
namespace impl {

struct System : OmpDevice {
  // Narrowphase batch: pairs collided per pass before compaction, at
  // least (batches fill the contact buffer beside the pair list).
  static constexpr int narrow_batch = 1024;
  // Up to this many pairs, manifolds are collided once and kept (two
  // contact arrays of at most this size); beyond, collided again in colour
  // order (one array). Keeping every pair of PILE-1000 would be 12% faster
  // and hold 1 KB more per body.
  static constexpr int keep_pairs = 1024;
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
  // its wait policy before the program can set it).
  static void narrow(int, int64_t) { omp_set_num_threads(1); }
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
  // colour order: colour k's groups start at first_group[k].
  struct PassMemory {
    std::vector<wide8::PackedGroup> groups8;
    std::vector<wide::PackedGroup> groups4;
    std::vector<int32_t> first_group;
  };
  // Lays out the groups of the colours before serial_from (the caller then
  // packs them with pack_passes, inside the team's region).
  static bool plan_passes(PassMemory& m, const std::vector<int32_t>& offsets, int serial_from) {
    const int width = lanes(), ncolor = std::min(serial_from, int(offsets.size()) - 1);
    m.first_group.assign(1, 0);
    for (int k = 0; k < ncolor; ++k) m.first_group.push_back(m.first_group.back() + (offsets[k + 1] - offsets[k] + width - 1) / width);
    if (width == 8) m.groups8.resize(size_t(m.first_group.back()));
    else m.groups4.resize(size_t(m.first_group.back()));
    return true;
  }
  static void pack_passes(CpuTeam& team, PassMemory& m, const std::vector<int32_t>& offsets, int serial_from,
                          const ContactPass& pass) {
    for_groups(team, m, offsets, serial_from, [&](auto& g, int first, int n) { pack_group(pass.c, pass.x, first, n, g); });
  }
  static void unpack_passes(CpuTeam& team, PassMemory& m, const std::vector<int32_t>& offsets, int serial_from,
                            const ContactPass& pass) {
    for_groups(team, m, offsets, serial_from, [&](auto& g, int, int) { unpack_group(g, pass.c, pass.x); });
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
      for_groups(team, *m, offsets, serial_from, [&](auto& g, int, int) { packed_pass(pass, g); }, pass);
      return;
    }
    if (lanes() == 8)
      team.by_color<8>(offsets, serial_from, pass, [&](int first, int n, int) {
        lane_pass(pass, first, n, wide8::warm_start_contacts, wide8::solve_contacts);
      });
    else
      team.by_color<4>(offsets, serial_from, pass, [&](int first, int n, int) {
        lane_pass(pass, first, n, wide::warm_start_contacts, wide::solve_contacts);
      });
  }
  // f(group, first, n) over the packed groups, colour by colour as a pass
  // runs them (serial: what runs the serial colours, one manifold at a
  // time).
  struct NoSerial {
    void operator()(int) const {}
  };
  template <class F, class Serial = NoSerial>
  static void for_groups(CpuTeam& team, PassMemory& m, const std::vector<int32_t>& offsets, int serial_from, F f,
                         const Serial& serial = {}) {
    auto at = [&](auto& groups, int first, int k, int width) -> auto& {
      return groups[size_t(m.first_group[k] + (first - offsets[k]) / width)];
    };
    if (lanes() == 8)
      team.by_color<8>(offsets, serial_from, serial, [&](int first, int n, int k) { f(at(m.groups8, first, k, 8), first, n); });
    else
      team.by_color<4>(offsets, serial_from, serial, [&](int first, int n, int k) { f(at(m.groups4, first, k, 4), first, n); });
  }
  template <class Group>
  static void packed_pass(const ContactPass& pass, Group& g) {
    if (pass.kind == ContactPass::WarmStart) warm_start_packed(g, pass.c, pass.x, pass.sb, pass.world_left, pass.nbody);
    else
      solve_packed(g, pass.c, pass.x, pass.sb, pass.inv_h, pass.soft, pass.static_soft, pass.kind == ContactPass::Solve,
                   pass.reverse, pass.world_left, pass.nbody, pass.stiff, pass.stiff_soft, pass.stiff_static);
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
