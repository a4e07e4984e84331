#include "blowup.h"

#include "kernels/math.h"

#include <algorithm>
#include <cmath>

#include "werk_limits.h"

namespace werk {
namespace {

bool finite3(Vec3 v) { return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z); }
double norm(Vec3 v) { return std::sqrt(double(v.x) * v.x + double(v.y) * v.y + double(v.z) * v.z); }

}  // namespace

int find_blowup(const Model& model, const State& s, std::string* what) {
  const double v2max = limits::kSpeed * limits::kSpeed, w2max = limits::kAngularSpeed * limits::kAngularSpeed;
  const size_t n = s.body_pos.size();
  for (size_t i = 0; i < n; ++i) {
    // Sums of squares in float: NaN and Inf fail the `<=` tests as well.
    const Vec3 p = s.body_pos[i], v = s.body_vel[i], w = s.body_angvel[i];
    const Quat q = s.body_quat[i];
    const float v2 = length_sq(v), w2 = length_sq(w);
    const float pq = p.x + p.y + p.z + q.w + q.x + q.y + q.z;
    if (v2 <= float(v2max) && w2 <= float(w2max) && pq - pq == 0.0f) continue;
    if (what) {
      if (!finite3(p) || !finite3(v) || !finite3(w) || !std::isfinite(q.w + q.x + q.y + q.z))
        *what = "a value that is not a finite number";
      else if (!(v2 <= float(v2max)))
        *what = "a speed of " + format_number(norm(v)) + " m/s (the limit is " + format_number(limits::kSpeed) + " m/s)";
      else
        *what = "an angular speed of " + format_number(norm(w)) + " rad/s (the limit is " +
                format_number(limits::kAngularSpeed) + " rad/s)";
    }
    return int(i);
  }
  (void)model;
  return -1;
}

std::string blowup_message(const Model& m, const State& s, int index, const std::string& what,
                           double initial_penetration) {
  const int nb = std::max(m.nbody(), 1);
  const int body = index % nb, world = index / nb;
  std::string msg = "the simulation blew up: body '" + (body < m.nbody() ? m.body_name[body] : "?") + "'" +
                    (world > 0 ? " of world " + std::to_string(world) : "") + " reached " + what + " at t = " +
                    format_number(s.time) + " s (step " + std::to_string(s.step) + ").";
  std::vector<std::string> causes;
  if (body < m.nbody()) {
    const double v0 = norm(m.body_vel0[body]), w0 = norm(m.body_angvel0[body]);
    if (v0 > 0.1 * limits::kSpeed) causes.push_back("it starts at " + format_number(v0) + " m/s");
    if (w0 > 0.1 * limits::kAngularSpeed) causes.push_back("it starts spinning at " + format_number(w0) + " rad/s");
    if (m.body_kind[body] == BodyKind::Dynamic && m.body_mass[body] > 0) {
      const Vec3 I = m.body_inertia[body];
      const double gyration = std::sqrt(std::min({I.x, I.y, I.z}) / m.body_mass[body]);
      if (gyration < 1e-3)
        causes.push_back("a tiny inertia: its radius of gyration is " + format_number(gyration) + " m");
    }
  }
  int light = -1, heavy = -1;
  for (int b = 0; b < m.nbody(); ++b) {
    if (m.body_kind[b] != BodyKind::Dynamic) continue;
    if (light < 0 || m.body_mass[b] < m.body_mass[light]) light = b;
    if (heavy < 0 || m.body_mass[b] > m.body_mass[heavy]) heavy = b;
  }
  if (light >= 0 && m.body_mass[heavy] > 1e3 * m.body_mass[light])
    causes.push_back("a mass ratio of " + format_number(m.body_mass[heavy] / m.body_mass[light]) + " between '" +
                     m.body_name[heavy] + "' and '" + m.body_name[light] + "' (keep it below about 1000)");
  if (initial_penetration > 0.01)
    causes.push_back("shapes overlapping by " + format_number(initial_penetration) + " m at the start");
  if (causes.empty()) {
    msg += " No likely cause found in the scene; try a smaller dt or more substeps.";
  } else {
    msg += " Likely cause: ";
    for (size_t i = 0; i < causes.size(); ++i) msg += (i ? "; " : "") + causes[i];
    msg += ".";
  }
  return msg;
}

}  // namespace werk
