// Mass properties: closed forms for primitives, tetrahedra for hulls,
// parallel-axis theorem and an eigen-decomposition for bodies.
#include "mass_properties.h"

#include <Eigen/Dense>
#include <cmath>

namespace werk {
namespace {

constexpr double kPi = 3.14159265358979323846;

using M3 = Eigen::Matrix3d;
using V3 = Eigen::Vector3d;

V3 v3(Vec3 v) { return V3(v.x, v.y, v.z); }

void set_diagonal(MassProperties& m, double ixx, double iyy, double izz) {
  m.inertia[0][0] = ixx, m.inertia[1][1] = iyy, m.inertia[2][2] = izz;
}

// Capsule: a cylinder of half height h and two hemispheres of radius r.
void capsule(MassProperties& m, double r, double h, double density) {
  double mc = density * kPi * r * r * 2.0 * h;
  double ms = density * 4.0 / 3.0 * kPi * r * r * r;  // both caps together
  m.mass = mc + ms;
  double axial = mc * 0.5 * r * r + ms * 0.4 * r * r;
  // Hemisphere about its own centre of mass (3r/8 from the flat face) is
  // 83/320 m r^2 transversely; shift to h + 3r/8 from the body centre.
  double d = h + 3.0 * r / 8.0;
  double caps = ms * (83.0 / 320.0 * r * r + d * d);
  double trans = mc * (3.0 * r * r + 4.0 * h * h) / 12.0 + caps;
  set_diagonal(m, trans, trans, axial);
}

// Hull: tetrahedra from an interior point to each fanned face triangle;
// second moments by the closed form V/20 (sum p p^T + (sum p)(sum p)^T).
void hull(MassProperties& m, const GeometryData& g, int h, double density) {
  int vb = g.hull_vertex_begin[h];
  V3 c = v3(g.hull_center[h]);
  double volume = 0;
  V3 first = V3::Zero();
  M3 second = M3::Zero();
  for (int f = g.hull_face_begin[h]; f < g.hull_face_begin[h] + g.hull_face_count[h]; ++f) {
    const int32_t* loop = g.hull_face_vertex.data() + g.hull_face_vertex_begin[f];
    int n = g.hull_face_vertex_count[f];
    V3 a = v3(g.hull_vertex[vb + loop[0]]) - c;
    for (int k = 1; k + 1 < n; ++k) {
      V3 b = v3(g.hull_vertex[vb + loop[k]]) - c, d = v3(g.hull_vertex[vb + loop[k + 1]]) - c;
      double v = a.dot(b.cross(d)) / 6.0;
      V3 s = a + b + d;  // the fourth corner is the origin (c)
      volume += v;
      first += v * s / 4.0;
      second += v / 20.0 * (a * a.transpose() + b * b.transpose() + d * d.transpose() + s * s.transpose());
    }
  }
  if (!(volume > 0)) return;
  V3 com = first / volume;  // relative to c
  M3 about_com = density * (second - volume * com * com.transpose());
  M3 inertia = about_com.trace() * M3::Identity() - about_com;
  m.mass = density * volume;
  V3 world = com + c;
  for (int i = 0; i < 3; ++i) {
    m.com[i] = world(i);
    for (int j = 0; j < 3; ++j) m.inertia[i][j] = inertia(i, j);
  }
}

}  // namespace

double shape_volume(ShapeType type, Vec3 s, const GeometryData* g, int h) {
  switch (type) {
    case ShapeType::Sphere: return 4.0 / 3.0 * kPi * double(s.x) * s.x * s.x;
    case ShapeType::Box: return 8.0 * double(s.x) * s.y * s.z;
    case ShapeType::Capsule: return kPi * double(s.x) * s.x * (2.0 * s.y + 4.0 / 3.0 * s.x);
    case ShapeType::Cylinder: return kPi * double(s.x) * s.x * 2.0 * s.y;
    case ShapeType::Hull: return g && h >= 0 ? shape_mass_properties(type, s, 1.0, g, h).mass : 0.0;
    default: return 0.0;
  }
}

MassProperties shape_mass_properties(ShapeType type, Vec3 s, double density, const GeometryData* g, int h) {
  MassProperties m;
  double r = s.x;
  switch (type) {
    case ShapeType::Sphere:
      m.mass = density * shape_volume(type, s);
      set_diagonal(m, 0.4 * m.mass * r * r, 0.4 * m.mass * r * r, 0.4 * m.mass * r * r);
      break;
    case ShapeType::Box: {
      m.mass = density * shape_volume(type, s);
      double x2 = 4.0 * s.x * s.x, y2 = 4.0 * s.y * s.y, z2 = 4.0 * s.z * s.z;
      set_diagonal(m, m.mass * (y2 + z2) / 12.0, m.mass * (x2 + z2) / 12.0, m.mass * (x2 + y2) / 12.0);
      break;
    }
    case ShapeType::Capsule: capsule(m, r, s.y, density); break;
    case ShapeType::Cylinder: {
      m.mass = density * shape_volume(type, s);
      double len = 2.0 * s.y;
      double t = m.mass * (3.0 * r * r + len * len) / 12.0;
      set_diagonal(m, t, t, 0.5 * m.mass * r * r);
      break;
    }
    case ShapeType::Hull:
      if (g && h >= 0 && h < g->nhull()) hull(m, *g, h, density);
      break;
    default: break;  // planes and triangles: static, massless
  }
  return m;
}

BodyMassProperties combine_mass_properties(const std::vector<MassProperties>& parts,
                                           const std::vector<Transform>& poses) {
  BodyMassProperties out;
  double mass = 0;
  V3 com = V3::Zero();
  std::vector<V3> centres;
  std::vector<M3> rotations;
  for (size_t i = 0; i < parts.size(); ++i) {
    Mat3 r = quat_to_mat(poses[i].q);
    M3 R;
    R << r.r0.x, r.r0.y, r.r0.z, r.r1.x, r.r1.y, r.r1.z, r.r2.x, r.r2.y, r.r2.z;
    V3 c = v3(poses[i].p) + R * V3(parts[i].com[0], parts[i].com[1], parts[i].com[2]);
    centres.push_back(c);
    rotations.push_back(R);
    mass += parts[i].mass;
    com += parts[i].mass * c;
  }
  if (!(mass > 0)) return out;
  com /= mass;
  // Rotate each tensor into the body frame and move it to the common centre.
  M3 total = M3::Zero();
  for (size_t i = 0; i < parts.size(); ++i) {
    M3 I;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) I(a, b) = parts[i].inertia[a][b];
    V3 d = centres[i] - com;
    total += rotations[i] * I * rotations[i].transpose() +
             parts[i].mass * (d.squaredNorm() * M3::Identity() - d * d.transpose());
  }
  out.mass = mass;
  out.com = Vec3{float(com.x()), float(com.y()), float(com.z())};
  double off = std::fabs(total(0, 1)) + std::fabs(total(0, 2)) + std::fabs(total(1, 2));
  if (off <= 1e-12 * total.trace()) {
    // Already principal: keep the body axes (no arbitrary rotation for symmetric tensors).
    out.principal_inertia = Vec3{float(total(0, 0)), float(total(1, 1)), float(total(2, 2))};
    return out;
  }
  Eigen::SelfAdjointEigenSolver<M3> eig(total);
  M3 V = eig.eigenvectors();
  if (V.determinant() < 0) V.col(2) = -V.col(2);
  Eigen::Quaterniond q(V);
  q.normalize();
  out.principal_rotation = Quat{float(q.w()), float(q.x()), float(q.y()), float(q.z())};
  V3 e = eig.eigenvalues();
  out.principal_inertia = Vec3{float(e(0)), float(e(1)), float(e(2))};
  return out;
}

}  // namespace werk
