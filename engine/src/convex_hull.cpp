// Convex hull construction with qhull, and conversion to GeometryData.
#include "convex_hull.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

extern "C" {
#include <libqhull_r/qhull_ra.h>
}

namespace werk {
namespace {

struct D3 {
  double x, y, z;
};
D3 d3(Vec3 v) { return {v.x, v.y, v.z}; }
D3 sub(D3 a, D3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
double dot3(D3 a, D3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
D3 cross3(D3 a, D3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
double norm3(D3 a) { return std::sqrt(dot3(a, a)); }

// One face as qhull reports it: plane and (unordered) hull-local vertices.
struct RawFace {
  D3 normal;
  double offset;
  std::vector<int> verts;
};

// Runs qhull; fills the hull's points (indices into `points`) and faces.
std::string run_qhull(const std::vector<Vec3>& points, std::vector<int>& hull_points, std::vector<RawFace>& faces) {
  std::vector<coordT> coords;
  coords.reserve(points.size() * 3);
  for (Vec3 p : points) coords.insert(coords.end(), {p.x, p.y, p.z});
  char* err_text = nullptr;
  size_t err_size = 0;
  FILE* err = open_memstream(&err_text, &err_size);
  qhT qh_storage;
  qhT* qh = &qh_storage;
  qh_zero(qh, err);
  char options[] = "qhull";
  int code = qh_new_qhull(qh, 3, int(points.size()), coords.data(), False, options, nullptr, err);
  std::string message;
  if (code == 0) {
    std::map<int, int> local;  // qhull point id -> hull vertex index
    vertexT* vertex;
    FORALLvertices {
      int id = qh_pointid(qh, vertex->point);
      local[id] = 0;
    }
    for (auto& [id, idx] : local) {
      idx = int(hull_points.size());
      hull_points.push_back(id);
    }
    facetT* facet;
    FORALLfacets {
      RawFace f;
      f.normal = {facet->normal[0], facet->normal[1], facet->normal[2]};
      f.offset = -facet->offset;
      vertexT** vertexp;
      FOREACHvertex_(facet->vertices) f.verts.push_back(local[qh_pointid(qh, vertex->point)]);
      faces.push_back(std::move(f));
    }
  } else {
    fflush(err);
    message = "qhull could not build the hull";
    if (err_text && err_size > 0) {
      std::string text(err_text, err_size);
      size_t nl = text.find('\n');
      message += ": " + text.substr(0, nl);
    }
  }
  int curlong, totlong;
  qh_freeqhull(qh, !qh_ALL);
  qh_memfreeshort(qh, &curlong, &totlong);
  fclose(err);
  free(err_text);
  return message;
}

// Orders a face's vertices counter-clockwise seen from outside.
void order_loop(RawFace& f, const std::vector<D3>& v) {
  D3 c{0, 0, 0};
  for (int i : f.verts) c = {c.x + v[i].x, c.y + v[i].y, c.z + v[i].z};
  double inv = 1.0 / double(f.verts.size());
  c = {c.x * inv, c.y * inv, c.z * inv};
  D3 u = sub(v[f.verts[0]], c);
  u = {u.x / norm3(u), u.y / norm3(u), u.z / norm3(u)};
  D3 w = cross3(f.normal, u);
  std::vector<std::pair<double, int>> key;
  for (int i : f.verts) {
    D3 d = sub(v[i], c);
    key.push_back({std::atan2(dot3(d, w), dot3(d, u)), i});
  }
  std::sort(key.begin(), key.end());
  for (size_t k = 0; k < key.size(); ++k) f.verts[k] = key[k].second;
}

}  // namespace

std::string hull_points_error(const std::vector<Vec3>& points) {
  if (points.size() < 4)
    return "expected at least 4 points for a convex hull, found " + std::to_string(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    Vec3 p = points[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z))
      return "hull point " + std::to_string(i + 1) + " is not a finite number";
  }
  // Extent tests relative to the cloud's size: farthest pair, farthest from
  // that line, farthest from that plane.
  std::vector<D3> v;
  for (Vec3 p : points) v.push_back(d3(p));
  size_t a = 0, b = 0;
  double best = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (double d = norm3(sub(v[i], v[0])); d > best) best = d, a = i;
  best = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (double d = norm3(sub(v[i], v[a])); d > best) best = d, b = i;
  double size = best;
  if (!(size > 1e-9)) return "hull points are all at the same place";
  D3 ab = sub(v[b], v[a]);
  size_t c = 0;
  best = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (double d = norm3(cross3(ab, sub(v[i], v[a]))) / size; d > best) best = d, c = i;
  if (best < 1e-6 * size) return "hull points are collinear: they span no volume";
  D3 n = cross3(ab, sub(v[c], v[a]));
  double nl = norm3(n);
  best = 0;
  for (size_t i = 0; i < v.size(); ++i) best = std::max(best, std::fabs(dot3(n, sub(v[i], v[a]))) / nl);
  if (best < 1e-6 * size) return "hull points are coplanar: they span no volume";
  return "";
}

std::string build_convex_hull(const std::vector<Vec3>& points, GeometryData& g, int& hull) {
  hull = -1;
  if (std::string e = hull_points_error(points); !e.empty()) return e;
  std::vector<int> ids;
  std::vector<RawFace> faces;
  if (std::string e = run_qhull(points, ids, faces); !e.empty()) return e;
  std::vector<D3> verts;
  for (int id : ids) verts.push_back(d3(points[id]));
  for (RawFace& f : faces) order_loop(f, verts);
  // Edges: each undirected loop edge once, with the faces on either side.
  std::map<std::pair<int, int>, std::pair<int, int>> edges;
  for (int fi = 0; fi < int(faces.size()); ++fi) {
    const auto& loop = faces[fi].verts;
    for (size_t k = 0; k < loop.size(); ++k) {
      int a = loop[k], b = loop[(k + 1) % loop.size()];
      auto key = std::make_pair(std::min(a, b), std::max(a, b));
      auto it = edges.find(key);
      if (it == edges.end()) edges[key] = {fi, -1};
      else if (it->second.second < 0) it->second.second = fi;
      else return "qhull returned a hull that is not a closed surface";
    }
  }
  for (auto& [k, f] : edges)
    if (f.second < 0) return "qhull returned a hull that is not a closed surface";

  hull = g.nhull();
  g.hull_vertex_begin.push_back(int32_t(g.hull_vertex.size()));
  g.hull_vertex_count.push_back(int32_t(verts.size()));
  D3 c{0, 0, 0};
  for (const D3& p : verts) {
    g.hull_vertex.push_back(Vec3{float(p.x), float(p.y), float(p.z)});
    c = {c.x + p.x, c.y + p.y, c.z + p.z};
  }
  double inv = 1.0 / double(verts.size());
  g.hull_center.push_back(Vec3{float(c.x * inv), float(c.y * inv), float(c.z * inv)});
  g.hull_face_begin.push_back(int32_t(g.hull_face_normal.size()));
  g.hull_face_count.push_back(int32_t(faces.size()));
  for (const RawFace& f : faces) {
    g.hull_face_normal.push_back(Vec3{float(f.normal.x), float(f.normal.y), float(f.normal.z)});
    g.hull_face_offset.push_back(float(f.offset));
    g.hull_face_vertex_begin.push_back(int32_t(g.hull_face_vertex.size()));
    g.hull_face_vertex_count.push_back(int32_t(f.verts.size()));
    for (int i : f.verts) g.hull_face_vertex.push_back(i);
  }
  g.hull_edge_begin.push_back(int32_t(g.hull_edge.size() / 4));
  g.hull_edge_count.push_back(int32_t(edges.size()));
  for (auto& [k, f] : edges) g.hull_edge.insert(g.hull_edge.end(), {k.first, k.second, f.first, f.second});
  return "";
}

std::vector<Vec3> cylinder_hull_points(float radius, float half_height, int sides) {
  std::vector<Vec3> p;
  for (int z = -1; z <= 1; z += 2)
    for (int i = 0; i < sides; ++i) {
      double t = 2.0 * 3.14159265358979323846 * i / sides;
      p.push_back(Vec3{float(radius * std::cos(t)), float(radius * std::sin(t)), z * half_height});
    }
  return p;
}

}  // namespace werk
