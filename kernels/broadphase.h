// Broadphase: which shapes might touch, found on a uniform grid.
//
// Each shape's world box, grown by how far it can move this step, is
// entered into every grid cell it overlaps; entries are radix-sorted by an
// exact 64-bit cell key (world, cx, cy, cz), so bodies of different worlds
// never meet. A pair is reported once, by the cell holding the low corner
// of the two boxes' overlap; the output is then sorted by pair key, so the
// pair list is the same for any thread count or backend.
//
// Shapes too large for the grid (planes, long static walls) are "big":
// they are tested against every shape of their world instead. A grid on
// sorted keys costs O(n log n) and stays flat per body as piles grow, where
// a one-axis sweep degrades to O(n^2) in tall dense piles.
#pragma once

#include "geometry.h"
#include "math.h"

namespace werk {

constexpr int kMaxCellsPerShape = 64;  // more than this: the shape is "big"

struct ShapeBounds {
  Aabb box;       // world box grown by the motion margin (m)
  Transform xf;   // shape frame in the world
};

// Per-shape model arrays the broadphase needs (nshape each).
struct ShapeParams {
  const int32_t* body;
  const Vec3* pos;
  const Quat* quat;
};

// Body kinds per model body: 0 static, 1 dynamic, 2 kinematic.
WERK_HD inline bool is_dynamic(uint8_t kind) { return kind == 1; }

// World transform and motion-grown box of shape instance i = w * nshape + s.
WERK_HD inline void shape_bounds(int i, int nshape, int nbody, const GeometryView& g, ShapeParams sp,
                                 const Vec3* body_pos, const Quat* body_quat, const Vec3* body_vel,
                                 const Vec3* body_angvel, float dt, float margin, ShapeBounds* out) {
  int w = i / nshape, s = i % nshape;
  int b = w * nbody + sp.body[s];
  Transform bx{body_pos[b], body_quat[b]};
  Transform xf = compose(bx, Transform{sp.pos[s], sp.quat[s]});
  Aabb box = shape_aabb(g, s, xf);
  // Grow by the step's linear motion (one-sided) and a rotation allowance.
  Vec3 d = dt * body_vel[b];
  Vec3 half = 0.5f * (box.hi - box.lo);
  float spin = minf(length(half), length(half) * length(body_angvel[b]) * dt);
  Vec3 grow{margin + spin, margin + spin, margin + spin};
  box.lo = box.lo - grow + vmin(d, Vec3{0, 0, 0});
  box.hi = box.hi + grow + vmax(d, Vec3{0, 0, 0});
  out[i] = ShapeBounds{box, xf};
}

// The box of an inactive body's shapes (an idle body of a part pool): it
// enters no grid cell, is no big shape and overlaps nothing.
WERK_HD inline Aabb empty_box() { return Aabb{Vec3{1e30f, 1e30f, 1e30f}, Vec3{-1e30f, -1e30f, -1e30f}}; }
WERK_HD inline bool is_empty(const Aabb& b) { return b.lo.x > b.hi.x; }

// a grown by s on every side (an empty box stays empty).
WERK_HD inline Aabb grown(const Aabb& a, float s) {
  return Aabb{a.lo - Vec3{s, s, s}, a.hi + Vec3{s, s, s}};
}
// The box a shape's kept pairs are found with: its box grown by `slack`
// on every side and stretched by the displacement `ahead` (so that it
// holds the box moved by any part of `ahead`). An empty box stays empty.
WERK_HD inline Aabb pair_box(const Aabb& box, float slack, Vec3 ahead) {
  if (is_empty(box)) return box;
  const Aabb b = grown(box, slack);
  return Aabb{b.lo + Vec3{minf(ahead.x, 0.0f), minf(ahead.y, 0.0f), minf(ahead.z, 0.0f)},
              b.hi + Vec3{maxf(ahead.x, 0.0f), maxf(ahead.y, 0.0f), maxf(ahead.z, 0.0f)}};
}
// Whether inner lies within outer. An empty box lies within an empty box
// only: a shape that leaves collision drops its pairs.
WERK_HD inline bool contains(const Aabb& outer, const Aabb& inner) {
  if (is_empty(inner)) return is_empty(outer);
  return outer.lo.x <= inner.lo.x && outer.lo.y <= inner.lo.y && outer.lo.z <= inner.lo.z &&
         inner.hi.x <= outer.hi.x && inner.hi.y <= outer.hi.y && inner.hi.z <= outer.hi.z;
}

WERK_HD inline bool overlaps(const Aabb& a, const Aabb& b) {
  return a.lo.x <= b.hi.x && b.lo.x <= a.hi.x && a.lo.y <= b.hi.y && b.lo.y <= a.hi.y && a.lo.z <= b.hi.z &&
         b.lo.z <= a.hi.z;
}

// Grid cell coordinate, offset to be non-negative and clamped to 16 bits.
WERK_HD inline int cell_coord(float x, float inv_cell) {
  float c = floorf(x * inv_cell) + 32768.0f;
  return int(clampf(c, 0.0f, 65535.0f));
}

WERK_HD inline uint64_t cell_key(int world, int cx, int cy, int cz) {
  return (uint64_t(world) << 48) | (uint64_t(cx) << 32) | (uint64_t(cy) << 16) | uint64_t(cz);
}

// Number of cells shape instance i covers, or 0 when it is big (or absent).
WERK_HD inline int cell_count(int i, const ShapeBounds* bounds, float inv_cell) {
  const Aabb& b = bounds[i].box;
  long nx = cell_coord(b.hi.x, inv_cell) - cell_coord(b.lo.x, inv_cell) + 1;
  long ny = cell_coord(b.hi.y, inv_cell) - cell_coord(b.lo.y, inv_cell) + 1;
  long nz = cell_coord(b.hi.z, inv_cell) - cell_coord(b.lo.z, inv_cell) + 1;
  long n = nx * ny * nz;
  return n > kMaxCellsPerShape ? 0 : int(n);
}

// Writes the cell entries of shape instance i from offset `first`.
WERK_HD inline void cell_entries(int i, int nshape, const ShapeBounds* bounds, float inv_cell, int first,
                                 uint64_t* key_out, int32_t* shape_out) {
  const Aabb& b = bounds[i].box;
  int x0 = cell_coord(b.lo.x, inv_cell), x1 = cell_coord(b.hi.x, inv_cell);
  int y0 = cell_coord(b.lo.y, inv_cell), y1 = cell_coord(b.hi.y, inv_cell);
  int z0 = cell_coord(b.lo.z, inv_cell), z1 = cell_coord(b.hi.z, inv_cell);
  int k = first, w = i / nshape;
  for (int z = z0; z <= z1; ++z)
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        key_out[k] = cell_key(w, x, y, z);
        shape_out[k++] = i;
      }
}

// Whether two shape instances may collide at all: different bodies, at
// least one of them dynamic.
WERK_HD inline bool may_collide(int a, int b, int nshape, int nbody, const int32_t* shape_body, const uint8_t* kind) {
  int ba = shape_body[a % nshape], bb = shape_body[b % nshape];
  if (ba == bb) return false;
  return is_dynamic(kind[ba]) || is_dynamic(kind[bb]);
}

WERK_HD inline uint64_t pair_key(int a, int b) {
  return a < b ? (uint64_t(uint32_t(a)) << 32) | uint32_t(b) : (uint64_t(uint32_t(b)) << 32) | uint32_t(a);
}

// For sorted entry e, visits each later entry of the same cell that forms a
// new pair (reported only in the cell of the overlap's low corner). A
// cell's entries of dynamic bodies must come before the others (the
// pipeline writes them so and sorts stably): after a fixed shape's entry
// only fixed shapes follow, and two fixed shapes never collide.
template <class F>
WERK_HD inline void cell_pairs(int e, int nentry, const uint64_t* keys, const int32_t* shapes, const ShapeBounds* bounds,
                               float inv_cell, int nshape, int nbody, const int32_t* shape_body, const uint8_t* kind,
                               F&& emit) {
  const uint64_t key = keys[e];
  const int a = shapes[e];
  if (!is_dynamic(kind[shape_body[a % nshape]])) return;
  const Aabb& ba = bounds[a].box;
  for (int f = e + 1; f < nentry && keys[f] == key; ++f) {
    const int b = shapes[f];
    const Aabb& bb = bounds[b].box;
    if (!overlaps(ba, bb) || !may_collide(a, b, nshape, nbody, shape_body, kind)) continue;
    Vec3 lo = vmax(ba.lo, bb.lo);
    if (cell_key(a / nshape, cell_coord(lo.x, inv_cell), cell_coord(lo.y, inv_cell), cell_coord(lo.z, inv_cell)) != key)
      continue;
    emit(pair_key(a, b));
  }
}

// Shapes of a world a big shape is tested against per work item.
constexpr int kBigPairChunk = 256;

// Big shape instance `big` against chunk `chunk` of its world's shape
// instances (kBigPairChunk of them); pairs of two big shapes are reported
// by the lower one.
template <class F>
WERK_HD inline void big_pairs(int big, int chunk, int nshape, int nbody, const ShapeBounds* bounds,
                              const int32_t* shape_cells, const int32_t* shape_body, const uint8_t* kind, F&& emit) {
  const int w = big / nshape;
  const int first = w * nshape + chunk * kBigPairChunk;
  const int last = first + kBigPairChunk < (w + 1) * nshape ? first + kBigPairChunk : (w + 1) * nshape;
  const Aabb& bb = bounds[big].box;
  for (int s = first; s < last; ++s) {
    if (s == big || (shape_cells[s] == 0 && s < big)) continue;
    if (!overlaps(bb, bounds[s].box) || !may_collide(big, s, nshape, nbody, shape_body, kind)) continue;
    emit(pair_key(big, s));
  }
}

}  // namespace werk
