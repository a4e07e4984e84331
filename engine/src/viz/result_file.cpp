#include "result_file.h"

#include "h5_common.h"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>

#include "werk/error.h"
#include "werk/scene.h"

namespace werk::viz {
namespace {

bool exists(hid_t f, const std::string& path) {
  // H5Lexists checks one link at a time: walk the path.
  std::string sofar;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    sofar += (sofar.empty() ? "" : "/") + path.substr(i, j - i);
    if (H5Lexists(f, sofar.c_str(), H5P_DEFAULT) <= 0) return false;
    i = j + 1;
  }
  return true;
}

std::string attr_string(hid_t obj, const char* name) {
  std::string s;
  h5::read_text_attribute(obj, name, s);
  return s;
}

template <class T>
bool attr_number(hid_t obj, const char* name, hid_t mem, T& out) {
  if (H5Aexists(obj, name) <= 0) return false;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  bool ok = H5Aread(a, mem, &out) >= 0;
  H5Aclose(a);
  return ok;
}

// Fixed-length strings: a list, or one scalar string.
std::vector<std::string> read_strings(hid_t f, const char* path) {
  std::vector<std::string> out;
  if (!exists(f, path)) return out;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  hid_t type = H5Dget_type(d), space = H5Dget_space(d);
  if (H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type)) {
    size_t len = H5Tget_size(type);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<char> buf(size_t(n) * len);
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, len);
    H5Tset_strpad(mem, H5T_STR_NULLPAD);
    if (n > 0) H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    H5Tclose(mem);
    for (hssize_t i = 0; i < n; ++i) {
      std::string s(buf.data() + i * len, len);
      out.push_back(s.substr(0, s.find('\0')));
    }
  }
  H5Tclose(type), H5Sclose(space), H5Dclose(d);
  return out;
}

template <class T>
hid_t mem_type() {
  if constexpr (std::is_same_v<T, Vec3> || std::is_same_v<T, Quat> || std::is_same_v<T, float>)
    return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, int32_t>)
    return H5T_NATIVE_INT32;
  else
    return H5T_NATIVE_UINT8;
}

// A whole dataset into a vector whose element is `sizeof(T)` bytes of its
// rows; a missing dataset leaves v empty.
template <class T>
void read_vector(hid_t f, const std::string& path, std::vector<T>& v) {
  v.clear();
  if (!exists(f, path)) return;
  hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
  hid_t space = H5Dget_space(d);
  hsize_t dims[2] = {0, 1};
  int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  constexpr size_t comps = std::is_same_v<T, Vec3> ? 3 : std::is_same_v<T, Quat> ? 4 : 1;
  if (rank < 1 || rank > 2 || (rank == 2 ? dims[1] : 1) != comps) {
    H5Sclose(space), H5Dclose(d);
    throw InputError(path, 0, 0, "expected " + std::to_string(comps) + " values per row in " + path);
  }
  v.resize(dims[0]);
  if (dims[0] > 0 && H5Dread(d, mem_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
    throw RuntimeError("HDF5: cannot read " + path);
  H5Sclose(space), H5Dclose(d);
}

// Rows [f] of a [frames][n][k] value dataset.
void read_frame(hid_t file, const char* path, int64_t f, size_t n, size_t k, int rank, void* out, hid_t mem_type) {
  hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
  if (d < 0) throw RuntimeError(std::string("HDF5: cannot open ") + path);
  hid_t space = H5Dget_space(d);
  hsize_t start[3] = {hsize_t(f), 0, 0}, count[3] = {1, n, k};
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
  hsize_t mdims[1] = {n * k};
  hid_t mem = H5Screate_simple(1, mdims, nullptr);
  (void)rank;
  herr_t st = H5Dread(d, mem_type, mem, space, H5P_DEFAULT, out);
  H5Sclose(mem), H5Sclose(space), H5Dclose(d);
  if (st < 0) throw RuntimeError(std::string("HDF5: cannot read a frame of ") + path);
}

}  // namespace

ResultFile::ResultFile(const std::string& path) : path_(path) {
  hid_t f = h5::open_result_for_reading(path);
  file_ = f;
  if (!exists(f, "parameters")) throw InputError(path, 0, 0, "expected a werk result file (with /parameters), found none");
  hid_t p = H5Gopen2(f, "parameters", H5P_DEFAULT);
  scene_file = attr_string(p, "scene_file");
  scene_sha256 = attr_string(p, "scene_sha256");
  engine_version = attr_string(p, "engine_version");
  backend = attr_string(p, "backend");
  attr_number(p, "seed", H5T_NATIVE_UINT64, seed);
  attr_number(p, "wall_seconds", H5T_NATIVE_DOUBLE, wall_seconds);
  H5Gclose(p);
  has_process = exists(f, "process");

  model_.body_name = read_strings(f, "parameters/body_names");
  if (exists(f, "geometry")) {
    hid_t g = H5Gopen2(f, "geometry", H5P_DEFAULT);
    scene_name = attr_string(g, "scene_name");
    H5Gclose(g);
    read_vector(f, "geometry/body_kind", model_.body_kind);
    read_vector(f, "geometry/body_shape_begin", model_.body_shape_begin);
    read_vector(f, "geometry/body_shape_count", model_.body_shape_count);
    read_vector(f, "geometry/shape_type", model_.shape_type);
    read_vector(f, "geometry/shape_body", model_.shape_body);
    read_vector(f, "geometry/shape_size", model_.shape_size);
    read_vector(f, "geometry/shape_position", model_.shape_pos);
    read_vector(f, "geometry/shape_orientation", model_.shape_quat);
    read_vector(f, "geometry/shape_data_begin", model_.shape_data_begin);
    read_vector(f, "geometry/shape_conveyor", model_.shape_conveyor);
    model_.conveyor_name = read_strings(f, "geometry/conveyor_names");
    model_.geometry.for_each_array([&](const char* name, auto& v) { read_vector(f, std::string("geometry/") + name, v); });
    const size_t ns = model_.shape_type.size();
    for (auto* v : {&model_.shape_body, &model_.shape_data_begin, &model_.shape_conveyor})
      if (v->size() != ns) throw InputError(path, 0, 0, "expected " + std::to_string(ns) + " shapes in every /geometry/shape_* array");
    if (model_.shape_size.size() != ns || model_.shape_pos.size() != ns || model_.shape_quat.size() != ns ||
        model_.body_shape_begin.size() != model_.body_kind.size() || model_.body_shape_count.size() != model_.body_kind.size())
      throw InputError(path, 0, 0, "expected /geometry arrays of matching sizes, found a damaged /geometry group");
  } else {
    // Written before shapes were recorded: compile the recorded scene.
    std::vector<std::string> text = read_strings(f, "parameters/scene");
    if (text.empty()) throw InputError(path, 0, 0, "expected /geometry or /parameters/scene, found neither");
    Model m = compile_scene(text[0], scene_file.empty() ? path : scene_file);
    scene_name = m.name;
    m.body_name = model_.body_name.empty() ? m.body_name : model_.body_name;
    model_ = std::move(m);
  }
  if (scene_name.empty()) scene_name = std::filesystem::path(path).stem().string();
  if (model_.body_name.size() != model_.body_kind.size()) {
    model_.body_name.resize(model_.body_kind.size());
    for (size_t i = 0; i < model_.body_name.size(); ++i)
      if (model_.body_name[i].empty()) model_.body_name[i] = "body_" + std::to_string(i);
  }
  if (model_.nbody() > 0 && exists(f, "particles/bodies/position/time")) {
    hid_t d = H5Dopen2(f, "particles/bodies/position/value", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int rank = H5Sget_simple_extent_dims(s, dims, nullptr);
    H5Sclose(s), H5Dclose(d);
    if (rank != 3 || dims[1] != hsize_t(model_.nbody()) || dims[2] != 3)
      throw InputError(path, 0, 0, "expected positions [frames][" + std::to_string(model_.nbody()) + "][3]");
    std::vector<double> t(dims[0]);
    hid_t td = H5Dopen2(f, "particles/bodies/position/time", H5P_DEFAULT);
    hid_t ts = H5Dget_space(td);
    hsize_t nt = 0;
    H5Sget_simple_extent_dims(ts, &nt, nullptr);
    t.resize(std::min<hsize_t>(nt, dims[0]));
    if (!t.empty()) {
      hsize_t start = 0, count = t.size();
      H5Sselect_hyperslab(ts, H5S_SELECT_SET, &start, nullptr, &count, nullptr);
      hid_t mem = H5Screate_simple(1, &count, nullptr);
      H5Dread(td, H5T_NATIVE_DOUBLE, mem, ts, H5P_DEFAULT, t.data());
      H5Sclose(mem);
    }
    H5Sclose(ts), H5Dclose(td);
    times_ = std::move(t);
  }
  if (exists(f, "particles/bodies/active/value")) {
    hid_t d = H5Dopen2(f, "particles/bodies/active/value", H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    int rank = H5Sget_simple_extent_dims(s, dims, nullptr);
    H5Sclose(s), H5Dclose(d);
    has_active_ = (rank == 2 || (rank == 3 && dims[2] == 1)) && dims[1] == hsize_t(model_.nbody()) &&
                  dims[0] >= hsize_t(times_.size());
    active_rank_ = rank;
  }
}

ResultFile::~ResultFile() {
  if (file_ >= 0) H5Fclose(hid_t(file_));
}

int64_t ResultFile::frame_at(double t) const {
  if (times_.empty()) return -1;
  auto it = std::upper_bound(times_.begin(), times_.end(), t + 1e-9);
  return std::max<int64_t>(0, int64_t(it - times_.begin()) - 1);
}

ResultFile::Poses ResultFile::poses(int64_t f) const {
  Poses p;
  const size_t n = size_t(nbody());
  p.position.resize(n), p.orientation.resize(n), p.active.assign(n, 1);
  if (f < 0 || f >= frames()) throw RuntimeError("frame " + std::to_string(f) + " out of range");
  read_frame(hid_t(file_), "particles/bodies/position/value", f, n, 3, 3, p.position.data(), H5T_NATIVE_FLOAT);
  read_frame(hid_t(file_), "particles/bodies/orientation/value", f, n, 4, 3, p.orientation.data(), H5T_NATIVE_FLOAT);
  if (has_active_) {
    hid_t d = H5Dopen2(hid_t(file_), "particles/bodies/active/value", H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    hsize_t start[3] = {hsize_t(f), 0, 0}, count[3] = {1, n, 1};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    hsize_t m = n;
    hid_t mem = H5Screate_simple(1, &m, nullptr);
    std::vector<int32_t> a(n, 1);
    H5Dread(d, H5T_NATIVE_INT32, mem, space, H5P_DEFAULT, a.data());
    H5Sclose(mem), H5Sclose(space), H5Dclose(d);
    for (size_t i = 0; i < n; ++i) p.active[i] = a[i] != 0;
  }
  return p;
}

}  // namespace werk::viz
