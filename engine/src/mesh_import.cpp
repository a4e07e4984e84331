// Mesh import with assimp.
#include "mesh_import.h"
#include "werk_limits.h"

#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <assimp/Importer.hpp>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace werk {
namespace {

std::string fail(const std::string& path, const std::string& what) {
  return "cannot load mesh '" + path + "': " + what;
}

bool finite(Vec3 v) { return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z); }

// Appends one assimp mesh's triangles (node transform t) to out.
std::string add_mesh(const aiMesh& mesh, const aiMatrix4x4& t, float scale, MeshData& out, const std::string& path) {
  if (int64_t(out.triangle.size()) + mesh.mNumFaces > limits::kMeshTriangles)
    return fail(path, "expected at most " + std::to_string(limits::kMeshTriangles) + " triangles, found more");
  int base = int(out.vertex.size());
  for (unsigned i = 0; i < mesh.mNumVertices; ++i) {
    aiVector3D p = t * mesh.mVertices[i];
    Vec3 v{p.x * scale, p.y * scale, p.z * scale};
    if (!finite(v)) return fail(path, "vertex " + std::to_string(i + 1) + " is not a finite number");
    out.vertex.push_back(v);
  }
  for (unsigned f = 0; f < mesh.mNumFaces; ++f) {
    const aiFace& face = mesh.mFaces[f];
    if (face.mNumIndices != 3) continue;  // points and lines carry no surface
    Int3 tri{base + int(face.mIndices[0]), base + int(face.mIndices[1]), base + int(face.mIndices[2])};
    Vec3 a = out.vertex[tri.a], b = out.vertex[tri.b], c = out.vertex[tri.c];
    float area2 = length(cross(b - a, c - a));
    float edge2 = maxf(maxf(length_sq(b - a), length_sq(c - b)), length_sq(a - c));
    if (!(area2 > 1e-7f * edge2)) continue;  // zero-area sliver
    out.triangle.push_back(tri);
  }
  return "";
}

// Walks the node tree iteratively, composing transforms.
std::string add_nodes(const aiScene& scene, float scale, MeshData& out, const std::string& path) {
  std::vector<std::pair<const aiNode*, aiMatrix4x4>> stack{{scene.mRootNode, scene.mRootNode->mTransformation}};
  while (!stack.empty()) {
    auto [node, t] = stack.back();
    stack.pop_back();
    for (unsigned i = 0; i < node->mNumMeshes; ++i)
      if (std::string e = add_mesh(*scene.mMeshes[node->mMeshes[i]], t, scale, out, path); !e.empty()) return e;
    for (unsigned i = node->mNumChildren; i-- > 0;)
      stack.push_back({node->mChildren[i], t * node->mChildren[i]->mTransformation});
  }
  return "";
}

// A token for an error message: quoted, control bytes shown as '?'.
std::string show_token(const std::string& t) {
  if (t.empty()) return "the end of the line";
  std::string q = "'";
  for (char c : t.substr(0, 32)) q += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return q + "'";
}

// Binary STL: an 80-byte header, a triangle count, 50 bytes per triangle.
// Sets `triangles` to the count when the file is one.
bool is_binary_stl(const std::string& path, uint64_t& triangles) {
  std::ifstream f(path, std::ios::binary);
  char header[84];
  if (!f.read(header, 84)) return false;
  uint32_t n = uint32_t(uint8_t(header[80])) | uint32_t(uint8_t(header[81])) << 8 |
               uint32_t(uint8_t(header[82])) << 16 | uint32_t(uint8_t(header[83])) << 24;
  std::error_code ec;
  triangles = n;
  return std::filesystem::file_size(path, ec) == 84 + 50 * uint64_t(n);
}

// Checks the grammar of an ascii STL before assimp sees it (its parser
// leaks memory on malformed files, and this names the line):
//   solid [name] { facet normal x y z outer loop (vertex x y z){3} endloop endfacet } endsolid
std::string check_ascii_stl(const std::string& path) {
  std::ifstream f(path);
  std::string line, tok;
  int lineno = 0, state = 0, vertices = 0;  // state: 0 before solid, 1 in solid, 2 in facet, 3 in loop
  auto err = [&](const std::string& what) { return fail(path, "line " + std::to_string(lineno) + ": " + what); };
  while (std::getline(f, line)) {
    ++lineno;
    std::istringstream in(line);
    if (!(in >> tok)) continue;
    auto numbers = [&](const char* after) -> std::string {
      for (int i = 0; i < 3; ++i) {
        std::string v;
        char* end = nullptr;
        if (!(in >> v) || (std::strtof(v.c_str(), &end), *end != '\0'))
          return err(std::string("expected 3 numbers after '") + after + "', found " + show_token(v));
      }
      return "";
    };
    if (state == 0) {
      if (tok != "solid") return err("expected 'solid', found " + show_token(tok));
      state = 1;
    } else if (state == 1 && tok == "facet") {
      if (!(in >> tok) || tok != "normal") return err("expected 'facet normal'");
      if (std::string e = numbers("normal"); !e.empty()) return e;
      state = 2;
    } else if (state == 1 && tok == "endsolid") {
      return "";
    } else if (state == 2 && tok == "outer") {
      state = 3, vertices = 0;
    } else if (state == 2 && tok == "endfacet") {
      state = 1;
    } else if (state == 3 && tok == "vertex") {
      if (std::string e = numbers("vertex"); !e.empty()) return e;
      ++vertices;
    } else if (state == 3 && tok == "endloop") {
      if (vertices != 3) return err("expected 3 vertices in a facet, found " + std::to_string(vertices));
      state = 2;
    } else {
      return err("unexpected " + show_token(tok));
    }
  }
  return fail(path, "unexpected end of file (expected 'endsolid')");
}

}  // namespace

std::string load_mesh(const std::string& path, float scale, MeshData& out) {
  out = MeshData{};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(path, "no such file");
  if (!std::filesystem::is_regular_file(path, ec)) return fail(path, "not a regular file");
  if (!std::ifstream(path)) return fail(path, "file cannot be opened for reading");
  if (!(std::isfinite(scale) && scale > 0.0f)) return fail(path, "expected a positive scale, found " + format_number(scale));
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  // Only the documented formats: assimp's other readers are not meant for
  // files from outside.
  if (ext != ".stl" && ext != ".obj")
    return fail(path, "expected an STL or OBJ file (.stl, .obj), found " +
                          (ext.empty() ? std::string("no extension") : "'" + ext + "'"));
  const uint64_t bytes = std::filesystem::file_size(path, ec);
  if (!ec && bytes > uint64_t(limits::kMeshFileBytes))
    return fail(path, "expected a file of at most " + std::to_string(limits::kMeshFileBytes >> 20) + " MB, found " +
                          std::to_string(bytes >> 20) + " MB");
  uint64_t stl_triangles = 0;
  if (ext == ".stl" && is_binary_stl(path, stl_triangles)) {
    if (stl_triangles > uint64_t(limits::kMeshTriangles))
      return fail(path, "expected at most " + std::to_string(limits::kMeshTriangles) + " triangles, found " +
                            std::to_string(stl_triangles));
  } else if (ext == ".stl") {
    if (std::string e = check_ascii_stl(path); !e.empty()) return e;
  }
  Assimp::Importer importer;
  // Only geometry matters: drop normals, colours, materials and animations.
  importer.SetPropertyInteger(AI_CONFIG_PP_RVC_FLAGS, aiComponent_NORMALS | aiComponent_COLORS |
                                                          aiComponent_TEXCOORDS | aiComponent_MATERIALS |
                                                          aiComponent_ANIMATIONS | aiComponent_CAMERAS |
                                                          aiComponent_LIGHTS);
  const aiScene* scene =
      importer.ReadFile(path, aiProcess_Triangulate | aiProcess_JoinIdenticalVertices | aiProcess_RemoveComponent |
                                  aiProcess_SortByPType | aiProcess_ValidateDataStructure);
  if (!scene || !scene->mRootNode || (scene->mFlags & AI_SCENE_FLAGS_INCOMPLETE)) {
    std::string why = importer.GetErrorString();
    return fail(path, why.empty() ? "not a readable STL or OBJ file" : "malformed file (" + why + ")");
  }
  if (std::string e = add_nodes(*scene, scale, out, path); !e.empty()) return e;
  if (out.triangle.empty()) return fail(path, "the file contains no triangles");
  if (int64_t(out.triangle.size()) > limits::kMeshTriangles)
    return fail(path, "expected at most " + std::to_string(limits::kMeshTriangles) + " triangles, found " +
                          std::to_string(out.triangle.size()));
  return "";
}

int append_mesh_triangles(GeometryData& g, const MeshData& mesh) {
  int first = g.ntriangle();
  for (const Int3& t : mesh.triangle) {
    g.triangle_vertex.push_back(mesh.vertex[t.a]);
    g.triangle_vertex.push_back(mesh.vertex[t.b]);
    g.triangle_vertex.push_back(mesh.vertex[t.c]);
  }
  return first;
}

}  // namespace werk
