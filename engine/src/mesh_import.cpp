// Mesh import with assimp.
#include "mesh_import.h"

#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <assimp/Importer.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace werk {
namespace {

std::string fail(const std::string& path, const std::string& what) {
  return "cannot load mesh '" + path + "': " + what;
}

bool finite(Vec3 v) { return std::isfinite(v.x) && std::isfinite(v.y) && std::isfinite(v.z); }

// Appends one assimp mesh's triangles (node transform t) to out.
std::string add_mesh(const aiMesh& mesh, const aiMatrix4x4& t, float scale, MeshData& out, const std::string& path) {
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

}  // namespace

std::string load_mesh(const std::string& path, float scale, MeshData& out) {
  out = MeshData{};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(path, "no such file");
  if (!std::filesystem::is_regular_file(path, ec)) return fail(path, "not a regular file");
  if (!std::ifstream(path)) return fail(path, "file cannot be opened for reading");
  if (!(std::isfinite(scale) && scale > 0.0f)) return fail(path, "expected a positive scale, found " + std::to_string(scale));
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
