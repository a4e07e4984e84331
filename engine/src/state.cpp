// Initial states and the state hash.
#include <cstring>

#include "werk/state.h"

namespace werk {

State make_state(const Model& m, int nworld) {
  State s;
  s.nworld = nworld;
  s.nbody = m.nbody();
  for (int w = 0; w < nworld; ++w) {
    s.body_pos.insert(s.body_pos.end(), m.body_pos0.begin(), m.body_pos0.end());
    s.body_quat.insert(s.body_quat.end(), m.body_quat0.begin(), m.body_quat0.end());
    s.body_vel.insert(s.body_vel.end(), m.body_vel0.begin(), m.body_vel0.end());
    s.body_angvel.insert(s.body_angvel.end(), m.body_angvel0.begin(), m.body_angvel0.end());
    if (m.body_active0.empty()) s.body_active.insert(s.body_active.end(), size_t(m.nbody()), uint8_t(1));
    else s.body_active.insert(s.body_active.end(), m.body_active0.begin(), m.body_active0.end());
    s.conveyor_speed.insert(s.conveyor_speed.end(), m.conveyor_speed.begin(), m.conveyor_speed.end());
    s.joint_motor_target.insert(s.joint_motor_target.end(), m.joint_motor_target.begin(), m.joint_motor_target.end());
  }
  return s;
}

namespace {
// FNV-1a over raw bytes: any changed bit changes the hash.
void fnv(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
}
}  // namespace

uint64_t state_hash(const State& s) {
  uint64_t h = 1469598103934665603ull;
  fnv(h, &s.step, sizeof s.step);
  fnv(h, s.body_pos.data(), s.body_pos.size() * sizeof(Vec3));
  fnv(h, s.body_quat.data(), s.body_quat.size() * sizeof(Quat));
  fnv(h, s.body_vel.data(), s.body_vel.size() * sizeof(Vec3));
  fnv(h, s.body_angvel.data(), s.body_angvel.size() * sizeof(Vec3));
  for (uint8_t a : s.body_active)
    if (!a) {
      fnv(h, s.body_active.data(), s.body_active.size());
      break;
    }
  return h;
}

}  // namespace werk
