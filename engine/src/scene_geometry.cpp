// Scene-compiler side of geometry: mass properties, hulls and meshes.
#include "scene_geometry.h"

#include <Eigen/Dense>
#include <cmath>

namespace werk {
namespace {
constexpr double kPi = 3.14159265358979323846;

// Volume and inertia per unit mass (principal, shape frame) of a primitive.
void primitive(ShapeType type, Vec3 s, double& volume, double i[3]) {
  double r = s.x;
  switch (type) {
    case ShapeType::Sphere:
      volume = 4.0 / 3.0 * kPi * r * r * r;
      i[0] = i[1] = i[2] = 0.4 * r * r;
      return;
    case ShapeType::Box: {
      volume = 8.0 * s.x * s.y * s.z;
      double x2 = 4.0 * s.x * s.x, y2 = 4.0 * s.y * s.y, z2 = 4.0 * s.z * s.z;
      i[0] = (y2 + z2) / 12.0, i[1] = (x2 + z2) / 12.0, i[2] = (x2 + y2) / 12.0;
      return;
    }
    case ShapeType::Cylinder: {
      double h = 2.0 * s.y;
      volume = kPi * r * r * h;
      i[0] = i[1] = (3 * r * r + h * h) / 12.0;
      i[2] = 0.5 * r * r;
      return;
    }
    case ShapeType::Capsule: {
      // A cylinder of half height H plus two hemispherical caps.
      double H = s.y, vc = kPi * r * r * 2 * H, vs = 4.0 / 3.0 * kPi * r * r * r;
      volume = vc + vs;
      double ic = vc * (3 * r * r + 4 * H * H) / 12.0;
      double is = vs * (0.4 * r * r + H * H + 0.75 * H * r);
      i[0] = i[1] = (ic + is) / volume;
      i[2] = (vc * 0.5 * r * r + vs * 0.4 * r * r) / volume;
      return;
    }
    default:
      volume = 0;
      i[0] = i[1] = i[2] = 0;
  }
}
}  // namespace

ShapeMass shape_mass(ShapeType type, Vec3 size, const std::vector<Vec3>&, float density, Vec3 pos, Quat quat) {
  ShapeMass out;
  double volume, i[3];
  primitive(type, size, volume, i);
  out.mass = float(density * volume);
  out.com = pos;
  // Rotate the principal tensor into the body frame: R diag(I) R^T.
  Mat3 R = quat_to_mat(quat);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double sum = 0;
      for (int k = 0; k < 3; ++k) sum += double(comp(mat_col(R, k), a)) * i[k] * comp(mat_col(R, k), b);
      out.inertia[a][b] = out.mass * sum;
    }
  return out;
}

BodyMass combine_masses(const std::vector<ShapeMass>& parts) {
  BodyMass out;
  double m = 0, c[3] = {0, 0, 0};
  for (const auto& p : parts) {
    m += p.mass;
    c[0] += p.mass * p.com.x, c[1] += p.mass * p.com.y, c[2] += p.mass * p.com.z;
  }
  if (!(m > 0)) return out;
  for (double& v : c) v /= m;
  // Parallel-axis theorem moves each part's tensor to the common centre.
  Eigen::Matrix3d I = Eigen::Matrix3d::Zero();
  for (const auto& p : parts) {
    Eigen::Vector3d d(p.com.x - c[0], p.com.y - c[1], p.com.z - c[2]);
    Eigen::Matrix3d Ip;
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) Ip(a, b) = p.inertia[a][b];
    I += Ip + p.mass * (d.squaredNorm() * Eigen::Matrix3d::Identity() - d * d.transpose());
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(I);
  Eigen::Matrix3d V = eig.eigenvectors();
  if (V.determinant() < 0) V.col(2) = -V.col(2);
  Eigen::Quaterniond q(V);
  q.normalize();
  out.mass = float(m);
  out.com = {float(c[0]), float(c[1]), float(c[2])};
  out.principal = quat_normalize(Quat{float(q.w()), float(q.x()), float(q.y()), float(q.z())});
  out.inertia = {float(eig.eigenvalues()(0)), float(eig.eigenvalues()(1)), float(eig.eigenvalues()(2))};
  // A diagonal tensor needs no rotation; keep the identity for clean poses.
  if (std::fabs(I(0, 1)) + std::fabs(I(0, 2)) + std::fabs(I(1, 2)) <= 1e-12 * I.trace()) {
    out.principal = quat_identity();
    out.inertia = {float(I(0, 0)), float(I(1, 1)), float(I(2, 2))};
  }
  return out;
}

std::string check_hull_points(const std::vector<Vec3>&) { return "convex hulls are not available in this build"; }
int add_hull(GeometryData&, const std::vector<Vec3>&) { return -1; }
int add_triangle(GeometryData& g, Vec3 a, Vec3 b, Vec3 c) {
  g.triangle_vertex.push_back(a);
  g.triangle_vertex.push_back(b);
  g.triangle_vertex.push_back(c);
  return int(g.triangle_vertex.size() / 3 - 1);
}
std::string load_mesh_triangles(const std::string& path, float, std::vector<Vec3>&) {
  return "cannot read mesh '" + path + "': mesh import is not available in this build";
}

}  // namespace werk
