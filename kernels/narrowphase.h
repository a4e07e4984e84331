// Narrowphase entry point: the contact manifold of any pair of shapes.
//
// The pair is first put in a canonical order (Plane, Triangle, Sphere,
// Capsule, Box, Cylinder, Hull; equal types by shape index), so that
// collide(a, b) and collide(b, a) run the same arithmetic and return the
// same points with the normal flipped. Then:
//
//   plane    - sphere, capsule, box   : vertices / core endpoints
//   plane    - cylinder               : exact rim points
//   plane    - hull                   : hull vertices, reduced to 4
//   triangle - sphere, capsule        : one-sided closest points (+2-point face clip)
//   triangle - box, cylinder, hull    : one-sided polytope SAT + clipping
//   sphere   - sphere, capsule        : analytic
//   capsule  - capsule                : segment closest points, 2 points when parallel
//   sphere   - box, cylinder          : exact closest point of the solid
//   sphere   - hull; capsule - box, cylinder, hull : core vs polytope
//   box      - box                    : dedicated 15-axis SAT + clipping
//   box, cylinder, hull pairs         : polytope SAT + clipping
//   triangle, box, hull - cylinder    : the same, exact rim points when the
//                                       cylinder lies on a face
//   cylinder - cylinder               : exact where their sides touch (as two
//                                       capsules' cores), else the prisms
//
// Cylinders are 16-sided prisms except against planes and spheres (exact),
// lying on a face and side to side with each other (exact along their round
// sides, so that they roll).
#pragma once

#include "kernels/collide_box.h"
#include "kernels/collide_common.h"
#include "kernels/collide_polytope.h"
#include "kernels/collide_round.h"
#include "kernels/geometry.h"

namespace werk {

WERK_HD inline int shape_order(ShapeType t) {
  switch (t) {
    case ShapeType::Plane: return 0;
    case ShapeType::Triangle: return 1;
    case ShapeType::Sphere: return 2;
    case ShapeType::Capsule: return 3;
    case ShapeType::Box: return 4;
    case ShapeType::Cylinder: return 5;
    default: return 6;  // Hull
  }
}

// Core of a round shape: its segment (a point for spheres) and radius.
WERK_HD inline void round_core(ShapeType t, Vec3 size, const Transform& x, Vec3& s0, Vec3& s1, float& r) {
  r = size.x;
  if (t == ShapeType::Capsule) {
    capsule_segment(x, size.y, s0, s1);
  } else {
    s0 = s1 = x.p;
  }
}

// Two cylinders: where their round sides touch (the normal across both
// axes: side by side, or crossed away from the caps), the contact is that of
// two capsules with the same cores and radii, exactly; elsewhere (a cap
// involved) the two 16-sided prisms.
WERK_COLLIDE_FN void collide_cylinder_cylinder(Vec3 sa, const Transform& xa, Vec3 sb, const Transform& xb, float margin,
                                              Manifold& m) {
  collide_capsule_capsule(sa, xa, sb, xb, margin, m);
  const float side = 1.0e-3f;  // |cos| of the normal to either axis
  if (m.count > 0 && fabsf(dot(m.normal, rotate(xa.q, Vec3{0.0f, 0.0f, 1.0f}))) < side &&
      fabsf(dot(m.normal, rotate(xb.q, Vec3{0.0f, 0.0f, 1.0f}))) < side)
    return;
  collide_polytopes(make_cylinder_poly(sa.x, sa.y), xa, make_cylinder_poly(sb.x, sb.y), xb, margin, m);
}

// The pair in canonical order: A's order <= B's order.
WERK_HD inline void collide_ordered(const GeometryView& g, int a, const Transform& xa, int b, const Transform& xb,
                                    float margin, Manifold& m) {
  ShapeType ta = g.shape_type[a], tb = g.shape_type[b];
  Vec3 sa = g.shape_size[a], sb = g.shape_size[b];
  bool b_round = tb == ShapeType::Sphere || tb == ShapeType::Capsule;
  switch (ta) {
    case ShapeType::Plane:
      if (tb == ShapeType::Sphere) return collide_plane_sphere(xa, sb.x, xb, margin, m);
      if (tb == ShapeType::Capsule) return collide_plane_capsule(xa, sb, xb, margin, m);
      if (tb == ShapeType::Box) return collide_plane_box(xa, sb, xb, margin, m);
      if (tb == ShapeType::Cylinder) return collide_plane_cylinder(xa, sb, xb, margin, m);
      if (tb == ShapeType::Hull) return collide_plane_poly(xa, shape_poly(g, b), xb, margin, m);
      break;
    case ShapeType::Triangle: {
      if (tb == ShapeType::Plane || tb == ShapeType::Triangle) break;
      const Vec3* t = g.triangle_vertex + 3 * g.shape_data_begin[a];
      if (b_round) {
        Polytope tw = make_triangle_poly(transform_point(xa, t[0]), transform_point(xa, t[1]), transform_point(xa, t[2]));
        Vec3 s0, s1;
        float r;
        round_core(tb, sb, xb, s0, s1, r);
        return collide_triangle_core(tw, s0, s1, r, margin, m);
      }
      if (tb == ShapeType::Cylinder) return collide_poly_cylinder(make_triangle_poly(t[0], t[1], t[2]), xa, sb, xb, margin, m);
      return collide_polytopes(make_triangle_poly(t[0], t[1], t[2]), xa, shape_poly(g, b), xb, margin, m);
    }
    case ShapeType::Sphere:
      if (tb == ShapeType::Sphere) return collide_sphere_sphere(sa.x, xa, sb.x, xb, margin, m);
      if (tb == ShapeType::Capsule) return collide_sphere_capsule(sa.x, xa, sb, xb, margin, m);
      // Polytope routines give the normal from the polytope (B) to the sphere (A).
      if (tb == ShapeType::Box) collide_box_sphere(sb, xb, sa.x, xa, margin, m);
      else if (tb == ShapeType::Cylinder) collide_cylinder_sphere(sb, xb, sa.x, xa, margin, m);
      else collide_poly_core(shape_poly(g, b), xb, xa.p, xa.p, sa.x, margin, m);
      flip_manifold(m);
      return;
    case ShapeType::Capsule: {
      if (tb == ShapeType::Capsule) return collide_capsule_capsule(sa, xa, sb, xb, margin, m);
      Vec3 s0, s1;
      capsule_segment(xa, sa.y, s0, s1);
      collide_poly_core(shape_poly(g, b), xb, s0, s1, sa.x, margin, m);
      flip_manifold(m);
      return;
    }
    case ShapeType::Box:
      if (tb == ShapeType::Box) return collide_box_box(sa, xa, sb, xb, margin, m);
      if (tb == ShapeType::Cylinder) return collide_poly_cylinder(make_box_poly(sa), xa, sb, xb, margin, m);
      return collide_polytopes(make_box_poly(sa), xa, shape_poly(g, b), xb, margin, m);
    case ShapeType::Cylinder:
      if (tb == ShapeType::Hull) {  // normal from the hull (B) to the cylinder (A)
        collide_poly_cylinder(shape_poly(g, b), xb, sa, xa, margin, m);
        flip_manifold(m);
        return;
      }
      if (tb == ShapeType::Cylinder) return collide_cylinder_cylinder(sa, xa, sb, xb, margin, m);
      return collide_polytopes(shape_poly(g, a), xa, shape_poly(g, b), xb, margin, m);
    default:
      return collide_polytopes(shape_poly(g, a), xa, shape_poly(g, b), xb, margin, m);
  }
  m.count = 0;  // static-static pairs never collide
  m.normal = Vec3{0.0f, 0.0f, 1.0f};
}

// Returns the manifold for shapes a and b with world transforms xa, xb (shape
// frames, i.e. body transform composed with the shape's local pose). Points
// with separation > margin are dropped (speculative contacts: the solver
// handles positive separations). count = 0 when apart.
WERK_HD inline void collide(const GeometryView& g, int a, const Transform& xa, int b, const Transform& xb, float margin,
                            Manifold& m) {
  m.count = 0;
  m.normal = Vec3{0.0f, 0.0f, 1.0f};
  int oa = shape_order(g.shape_type[a]), ob = shape_order(g.shape_type[b]);
  if (oa < ob || (oa == ob && a <= b)) {
    collide_ordered(g, a, xa, b, xb, margin, m);
  } else {
    collide_ordered(g, b, xb, a, xa, margin, m);
    flip_manifold(m);
  }
}

}  // namespace werk
