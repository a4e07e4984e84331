// Shape geometry as the kernels read it: a view of raw pointers, bounding
// boxes, and one accessor that presents every flat-faced shape (box, hull,
// cylinder-as-hull, mesh triangle) as the same convex polytope.
//
// GeometryView holds raw const pointers to the per-shape arrays of the Model
// (type, size, data_begin) and to every GeometryData array, host or device
// alike: the backends mirror the arrays and fill the view by name with
// geometry_view_set(). The kernels never allocate; a polytope is read in
// place (hulls) or generated on the fly from its size (boxes, cylinders).
//
// Cylinders collide as a 16-sided prism (kCylinderSides) whose vertex radius
// is chosen so that the prism's faces and edges err by at most +-1% of the
// radius, inside and out; cylinder-plane and cylinder-sphere are exact, and
// so are a cylinder lying on a face and two cylinders side to side
// (narrowphase.h).
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/math.h"
#include "werk/geometry.h"
#include "werk/model.h"

namespace werk {

struct GeometryView {
  // per shape (nshape)
  const ShapeType* shape_type = nullptr;
  const Vec3* shape_size = nullptr;
  const int32_t* shape_data_begin = nullptr;
  // hulls and triangles: see GeometryData for the meaning of each array
  const Vec3* hull_vertex = nullptr;
  const int32_t* hull_vertex_begin = nullptr;
  const int32_t* hull_vertex_count = nullptr;
  const Vec3* hull_center = nullptr;
  const int32_t* hull_face_begin = nullptr;
  const int32_t* hull_face_count = nullptr;
  const int32_t* hull_edge_begin = nullptr;
  const int32_t* hull_edge_count = nullptr;
  const Vec3* hull_face_normal = nullptr;
  const float* hull_face_offset = nullptr;
  const int32_t* hull_face_vertex_begin = nullptr;
  const int32_t* hull_face_vertex_count = nullptr;
  const int32_t* hull_face_vertex = nullptr;
  const int32_t* hull_edge = nullptr;
  const Vec3* triangle_vertex = nullptr;
};

// Host: points the view's GeometryData field called `name` (the names of
// GeometryData::for_each_array) at `data`. Returns false for an unknown name.
inline bool geometry_view_set(GeometryView& v, const char* name, const void* data) {
#define WERK_VIEW_FIELD(field)                                   \
  if (std::strcmp(name, #field) == 0) {                         \
    v.field = static_cast<decltype(v.field)>(data);              \
    return true;                                                 \
  }
  WERK_VIEW_FIELD(hull_vertex)
  WERK_VIEW_FIELD(hull_vertex_begin)
  WERK_VIEW_FIELD(hull_vertex_count)
  WERK_VIEW_FIELD(hull_center)
  WERK_VIEW_FIELD(hull_face_begin)
  WERK_VIEW_FIELD(hull_face_count)
  WERK_VIEW_FIELD(hull_edge_begin)
  WERK_VIEW_FIELD(hull_edge_count)
  WERK_VIEW_FIELD(hull_face_normal)
  WERK_VIEW_FIELD(hull_face_offset)
  WERK_VIEW_FIELD(hull_face_vertex_begin)
  WERK_VIEW_FIELD(hull_face_vertex_count)
  WERK_VIEW_FIELD(hull_face_vertex)
  WERK_VIEW_FIELD(hull_edge)
  WERK_VIEW_FIELD(triangle_vertex)
#undef WERK_VIEW_FIELD
  return false;
}

// Host: a view over host arrays (per-shape arrays given as raw pointers).
inline GeometryView geometry_view(const GeometryData& g, const ShapeType* type, const Vec3* size,
                                  const int32_t* data_begin) {
  GeometryView v;
  v.shape_type = type;
  v.shape_size = size;
  v.shape_data_begin = data_begin;
  g.for_each_array([&](const char* name, const auto& a) { geometry_view_set(v, name, a.data()); });
  return v;
}

// Host: a view over a Model's host arrays.
inline GeometryView geometry_view(const Model& m) {
  return geometry_view(m.geometry, m.shape_type.data(), m.shape_size.data(), m.shape_data_begin.data());
}

struct Aabb {
  Vec3 lo, hi;
};

constexpr float kPlaneExtent = 1.0e4f;  // lateral half size of a plane's box (m)
constexpr int kCylinderSides = 16;

// cos(k pi / 16) for any integer k >= 0, from a table (no trig, same bits everywhere).
WERK_HD inline float cos_pi16(int k) {
  static constexpr float t[9] = {1.0f,        0.98078528f, 0.92387953f, 0.83146961f, 0.70710678f,
                      0.55557023f, 0.38268343f, 0.19509032f, 0.0f};
  k &= 31;
  if (k <= 8) return t[k];
  if (k <= 16) return -t[16 - k];
  if (k <= 24) return -t[k - 16];
  return t[32 - k];
}
WERK_HD inline float sin_pi16(int k) { return cos_pi16(k + 24); }  // sin x = cos(x - pi/2)

// Radius of the prism's vertices: the faces sit at r' cos(pi/16), the
// vertices at r'; choosing r' = 2r / (1 + cos(pi/16)) splits the error evenly.
WERK_HD inline float cylinder_vertex_radius(float r) { return 2.0f * r / (1.0f + 0.98078528f); }

WERK_HD inline Aabb aabb_of_points(const Vec3* p, int n, const Transform& x) {
  Vec3 w = transform_point(x, p[0]);
  Aabb b{w, w};
  for (int i = 1; i < n; ++i) {
    w = transform_point(x, p[i]);
    b.lo = vmin(b.lo, w);
    b.hi = vmax(b.hi, w);
  }
  return b;
}

// Half extents, along a frame's axes, of a box of half extents h turned by q
// in that frame.
WERK_HD inline Vec3 box_extent(Quat q, Vec3 h) {
  const Mat3 m = quat_to_mat(q);
  return {dot(vabs(m.r0), h), dot(vabs(m.r1), h), dot(vabs(m.r2), h)};
}

// World bounding box of a shape (no margin added). world = the shape frame.
WERK_HD inline Aabb shape_aabb(const GeometryView& g, int shape, const Transform& world) {
  Vec3 s = g.shape_size[shape];
  Vec3 c = world.p;
  switch (g.shape_type[shape]) {
    case ShapeType::Sphere: {
      Vec3 r{s.x, s.x, s.x};
      return {c - r, c + r};
    }
    case ShapeType::Box: {
      const Vec3 e = box_extent(world.q, s);
      return {c - e, c + e};
    }
    case ShapeType::Capsule: {
      Vec3 a = rotate(world.q, Vec3{0.0f, 0.0f, s.y});
      Vec3 e = vabs(a) + Vec3{s.x, s.x, s.x};
      return {c - e, c + e};
    }
    case ShapeType::Cylinder: {
      // Cap discs: extent along world axis i is h|a_i| + r sqrt(1 - a_i^2).
      Vec3 a = rotate(world.q, Vec3{0.0f, 0.0f, 1.0f});
      float r = cylinder_vertex_radius(s.x);
      Vec3 e{s.y * fabsf(a.x) + r * sqrtf(maxf(0.0f, 1.0f - a.x * a.x)),
             s.y * fabsf(a.y) + r * sqrtf(maxf(0.0f, 1.0f - a.y * a.y)),
             s.y * fabsf(a.z) + r * sqrtf(maxf(0.0f, 1.0f - a.z * a.z))};
      return {c - e, c + e};
    }
    case ShapeType::Plane: {
      // Large box; along a world axis the normal follows, keep only the solid side.
      Vec3 n = rotate(world.q, Vec3{0.0f, 0.0f, 1.0f});
      Vec3 big{kPlaneExtent, kPlaneExtent, kPlaneExtent};
      Aabb b{c - big, c + big};
      if (n.x > 0.9999f) b.hi.x = c.x;
      if (n.x < -0.9999f) b.lo.x = c.x;
      if (n.y > 0.9999f) b.hi.y = c.y;
      if (n.y < -0.9999f) b.lo.y = c.y;
      if (n.z > 0.9999f) b.hi.z = c.z;
      if (n.z < -0.9999f) b.lo.z = c.z;
      return b;
    }
    case ShapeType::Hull: {
      int h = g.shape_data_begin[shape];
      return aabb_of_points(g.hull_vertex + g.hull_vertex_begin[h], g.hull_vertex_count[h], world);
    }
    case ShapeType::Triangle:
    default:
      return aabb_of_points(g.triangle_vertex + 3 * g.shape_data_begin[shape], 3, world);
  }
}

// ---------------------------------------------------------------------------
// Polytope: one read-only interface over boxes, hulls, cylinder prisms and
// triangles, in the shape's own frame. Boxes and cylinders are generated from
// their size; hulls read the GeometryView; a triangle carries its corners.
// A triangle is a flat polytope with two faces (0 = front, 1 = back) whose
// three edges join those faces; the edge arcs on the Gauss map pass through
// the outward edge normals (see poly_edge).
// ---------------------------------------------------------------------------
enum PolyKind : int { kPolyBox = 0, kPolyHull = 1, kPolyCylinder = 2, kPolyTriangle = 3 };

struct Polytope {
  int kind;
  int nv, nf, ne;
  Vec3 size;          // box half extents; cylinder (vertex radius, half height, face offset)
  Vec3 tri[3];        // triangle corners
  Vec3 tri_n;         // triangle front normal
  Vec3 center;        // an interior point (for triangles: slightly behind the front face)
  const GeometryView* g;
  int vbegin, fbegin, ebegin;  // hull offsets
};

WERK_HD inline Polytope make_box_poly(Vec3 h) {
  Polytope p{};
  p.kind = kPolyBox;
  p.nv = 8, p.nf = 6, p.ne = 12;
  p.size = h;
  p.center = Vec3{0, 0, 0};
  return p;
}

WERK_HD inline Polytope make_cylinder_poly(float r, float h) {
  Polytope p{};
  p.kind = kPolyCylinder;
  p.nv = 2 * kCylinderSides, p.nf = kCylinderSides + 2, p.ne = 3 * kCylinderSides;
  float rv = cylinder_vertex_radius(r);
  p.size = Vec3{rv, h, rv * cos_pi16(1)};
  p.center = Vec3{0, 0, 0};
  return p;
}

WERK_HD inline Polytope make_hull_poly(const GeometryView& g, int hull) {
  Polytope p{};
  p.kind = kPolyHull;
  p.g = &g;
  p.vbegin = g.hull_vertex_begin[hull], p.nv = g.hull_vertex_count[hull];
  p.fbegin = g.hull_face_begin[hull], p.nf = g.hull_face_count[hull];
  p.ebegin = g.hull_edge_begin[hull], p.ne = g.hull_edge_count[hull];
  p.center = g.hull_center[hull];
  return p;
}

WERK_HD inline Polytope make_triangle_poly(Vec3 a, Vec3 b, Vec3 c) {
  Polytope p{};
  p.kind = kPolyTriangle;
  p.nv = 3, p.nf = 2, p.ne = 3;
  p.tri[0] = a, p.tri[1] = b, p.tri[2] = c;
  Vec3 n = cross(b - a, c - a);
  p.tri_n = normalize(n);
  float len = sqrtf(maxf(maxf(length_sq(b - a), length_sq(c - b)), length_sq(a - c)));
  p.center = (1.0f / 3.0f) * (a + b + c) - (1.0e-2f * len) * p.tri_n;
  return p;
}

// Polytope of a shape (Box, Cylinder, Hull or Triangle), shape frame.
WERK_HD inline Polytope shape_poly(const GeometryView& g, int shape) {
  Vec3 s = g.shape_size[shape];
  switch (g.shape_type[shape]) {
    case ShapeType::Box: return make_box_poly(s);
    case ShapeType::Cylinder: return make_cylinder_poly(s.x, s.y);
    case ShapeType::Hull: return make_hull_poly(g, g.shape_data_begin[shape]);
    default: {
      const Vec3* t = g.triangle_vertex + 3 * g.shape_data_begin[shape];
      return make_triangle_poly(t[0], t[1], t[2]);
    }
  }
}

WERK_HD inline Vec3 poly_vertex(const Polytope& p, int i) {
  switch (p.kind) {
    case kPolyBox:
      return Vec3{(i & 1) ? p.size.x : -p.size.x, (i & 2) ? p.size.y : -p.size.y,
                  (i & 4) ? p.size.z : -p.size.z};
    case kPolyCylinder: {
      int k = i % kCylinderSides;
      float z = i < kCylinderSides ? -p.size.y : p.size.y;
      return Vec3{p.size.x * cos_pi16(2 * k), p.size.x * sin_pi16(2 * k), z};
    }
    case kPolyHull: return p.g->hull_vertex[p.vbegin + i];
    default: return p.tri[i];
  }
}

// Face plane: outward unit normal n and offset d (n.x = d on the face).
WERK_HD inline void poly_face(const Polytope& p, int f, Vec3& n, float& d) {
  switch (p.kind) {
    case kPolyBox: {
      float s = (f & 1) ? -1.0f : 1.0f;
      int axis = f >> 1;
      n = Vec3{axis == 0 ? s : 0.0f, axis == 1 ? s : 0.0f, axis == 2 ? s : 0.0f};
      d = comp(p.size, axis);
      return;
    }
    case kPolyCylinder:
      if (f < kCylinderSides) {
        n = Vec3{cos_pi16(2 * f + 1), sin_pi16(2 * f + 1), 0.0f};
        d = p.size.z;
      } else {
        n = Vec3{0.0f, 0.0f, f == kCylinderSides ? 1.0f : -1.0f};
        d = p.size.y;
      }
      return;
    case kPolyHull:
      n = p.g->hull_face_normal[p.fbegin + f];
      d = p.g->hull_face_offset[p.fbegin + f];
      return;
    default:
      n = f == 0 ? p.tri_n : -p.tri_n;
      d = dot(n, p.tri[0]);
      return;
  }
}

WERK_HD inline Vec3 poly_face_normal(const Polytope& p, int f) {
  Vec3 n;
  float d;
  poly_face(p, f, n, d);
  return n;
}

WERK_HD inline int poly_face_size(const Polytope& p, int f) {
  switch (p.kind) {
    case kPolyBox: return 4;
    case kPolyCylinder: return f < kCylinderSides ? 4 : kCylinderSides;
    case kPolyHull: return p.g->hull_face_vertex_count[p.fbegin + f];
    default: return 3;
  }
}

// The k-th vertex (local index) of face f's counter-clockwise loop.
WERK_HD inline int poly_face_vertex(const Polytope& p, int f, int k) {
  switch (p.kind) {
    case kPolyBox: {
      static constexpr int8_t loops[24] = {1, 3, 7, 5, 0, 4, 6, 2, 2, 6, 7, 3, 0, 1, 5, 4, 4, 5, 7, 6, 0, 2, 3, 1};
      return loops[4 * f + k];
    }
    case kPolyCylinder: {
      const int n = kCylinderSides;
      if (f == n) return n + k;           // top, ascending
      if (f == n + 1) return (n - k) % n;  // bottom, descending
      int j = (f + 1) % n;
      return k == 0 ? f : (k == 1 ? j : (k == 2 ? n + j : n + f));
    }
    case kPolyHull:
      return p.g->hull_face_vertex[p.g->hull_face_vertex_begin[p.fbegin + f] + k];
    default:
      return f == 0 ? k : (3 - k) % 3;
  }
}

// Edge e of a box, cylinder or hull: local vertices v0, v1 and faces f0, f1.
WERK_HD inline void poly_edge_topology(const Polytope& p, int e, int& v0, int& v1, int& f0, int& f1) {
  switch (p.kind) {
    case kPolyBox: {
      static constexpr int8_t t[48] = {0, 1, 3, 5, 2, 3, 2, 5, 4, 5, 3, 4, 6, 7, 2, 4,   // along x
                                       0, 2, 1, 5, 1, 3, 0, 5, 4, 6, 1, 4, 5, 7, 0, 4,   // along y
                                       0, 4, 1, 3, 1, 5, 0, 3, 2, 6, 1, 2, 3, 7, 0, 2};  // along z
      v0 = t[4 * e], v1 = t[4 * e + 1], f0 = t[4 * e + 2], f1 = t[4 * e + 3];
      return;
    }
    case kPolyCylinder: {
      const int n = kCylinderSides;
      int i = e % n;
      if (e < n) v0 = i, v1 = (i + 1) % n, f0 = i, f1 = n + 1;
      else if (e < 2 * n) v0 = n + i, v1 = n + (i + 1) % n, f0 = i, f1 = n;
      else v0 = i, v1 = n + i, f0 = (i + n - 1) % n, f1 = i;
      return;
    }
    default: {
      const int32_t* t = p.g->hull_edge + 4 * (p.ebegin + e);
      v0 = t[0], v1 = t[1], f0 = t[2], f1 = t[3];
      return;
    }
  }
}

// Normals of the two faces meeting at edge e, and bxa: a vector along
// cross(n1, n0), the normal of the Gauss-map arc from n0 to n1. For a
// triangle (n1 = -n0) bxa is chosen so that the arc passes through the
// outward edge normal.
WERK_HD inline void poly_edge_normals(const Polytope& p, int e, Vec3& n0, Vec3& n1, Vec3& bxa) {
  if (p.kind == kPolyTriangle) {
    n0 = p.tri_n, n1 = -p.tri_n;
    bxa = p.tri[e] - p.tri[(e + 1) % 3];
    return;
  }
  int v0, v1, f0, f1;
  poly_edge_topology(p, e, v0, v1, f0, f1);
  n0 = poly_face_normal(p, f0), n1 = poly_face_normal(p, f1);
  bxa = cross(n1, n0);
}

WERK_HD inline void poly_edge_points(const Polytope& p, int e, Vec3& p0, Vec3& p1) {
  if (p.kind == kPolyTriangle) {
    p0 = p.tri[e], p1 = p.tri[(e + 1) % 3];
    return;
  }
  int v0, v1, f0, f1;
  poly_edge_topology(p, e, v0, v1, f0, f1);
  p0 = poly_vertex(p, v0), p1 = poly_vertex(p, v1);
}

// Edge e: its two vertices, face normals and arc normal (see above).
WERK_HD inline void poly_edge(const Polytope& p, int e, Vec3& p0, Vec3& p1, Vec3& n0, Vec3& n1, Vec3& bxa) {
  poly_edge_normals(p, e, n0, n1, bxa);
  poly_edge_points(p, e, p0, p1);
}

// Vertex of p furthest along dir (lowest index on ties).
WERK_HD inline Vec3 poly_support(const Polytope& p, Vec3 dir) {
  if (p.kind == kPolyBox)
    return Vec3{dir.x < 0.0f ? -p.size.x : p.size.x, dir.y < 0.0f ? -p.size.y : p.size.y,
                dir.z < 0.0f ? -p.size.z : p.size.z};
  Vec3 best = poly_vertex(p, 0);
  float bd = dot(best, dir);
  for (int i = 1; i < p.nv; ++i) {
    Vec3 v = poly_vertex(p, i);
    float d = dot(v, dir);
    if (d > bd) bd = d, best = v;
  }
  return best;
}

}  // namespace werk
