// H5MD 1.1 recorder with SWMR and periodic flushes; the scene's shapes go
// with the trajectories, so `werk export` and `werk render` work from the file.
#include <fcntl.h>
#include <hdf5.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <type_traits>
#include <vector>

#include "h5_common.h"
#include "werk/error.h"
#include "werk/recorder.h"
#include "werk/version.h"

namespace werk {
namespace {

// Throws when an HDF5 call fails; HDF5's own stack is printed off.
hid_t check(hid_t id, const char* what) {
  if (id < 0) throw RuntimeError(std::string("HDF5: cannot ") + what);
  return id;
}

template <class T>
void attr_array(hid_t obj, const char* name, hid_t type, const std::vector<T>& v) {
  hsize_t n = v.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t a = check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "create attribute");
  H5Awrite(a, type, v.data());
  H5Aclose(a), H5Sclose(space);
}

// Fixed-length strings packed in one buffer, and their HDF5 type.
hid_t pack_strings(const std::vector<std::string>& v, std::vector<char>& buf) {
  size_t len = 1;
  for (const auto& s : v) len = std::max(len, s.size());
  buf.assign(v.size() * len, '\0');
  for (size_t i = 0; i < v.size(); ++i) std::copy(v[i].begin(), v[i].end(), buf.begin() + i * len);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, len);
  H5Tset_strpad(type, H5T_STR_NULLPAD);
  return type;
}

void attr_strings(hid_t obj, const char* name, const std::vector<std::string>& v) {
  std::vector<char> buf;
  hid_t type = pack_strings(v, buf);
  hsize_t n = v.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t a = check(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "create attribute");
  H5Awrite(a, type, buf.data());
  H5Aclose(a), H5Sclose(space), H5Tclose(type);
}

hid_t group(hid_t parent, const char* name) {
  return check(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create group");
}

// A dataset of fixed-length strings: a list, or one scalar string.
void dataset_strings(hid_t parent, const char* name, const std::vector<std::string>& v, bool scalar = false) {
  std::vector<char> buf;
  hid_t type = pack_strings(v, buf);
  hsize_t n = v.size();
  hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
  hid_t d = check(H5Dcreate2(parent, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create dataset");
  if (!v.empty()) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  H5Dclose(d), H5Sclose(space), H5Tclose(type);
}

// A fixed-size dataset [rows] or [rows][cols] (cols > 0) of a native type.
void dataset_array(hid_t parent, const char* name, hid_t type, const void* data, hsize_t rows, hsize_t cols = 0) {
  hsize_t dims[2] = {rows, cols};
  hid_t space = H5Screate_simple(cols ? 2 : 1, dims, nullptr);
  hid_t d = check(H5Dcreate2(parent, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create dataset");
  if (rows > 0) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(d), H5Sclose(space);
}

template <class T>
void dataset_vector(hid_t parent, const char* name, const std::vector<T>& v) {
  if constexpr (std::is_same_v<T, Vec3>)
    dataset_array(parent, name, H5T_NATIVE_FLOAT, v.data(), v.size(), 3);
  else if constexpr (std::is_same_v<T, Quat>)
    dataset_array(parent, name, H5T_NATIVE_FLOAT, v.data(), v.size(), 4);
  else if constexpr (std::is_same_v<T, float>)
    dataset_array(parent, name, H5T_NATIVE_FLOAT, v.data(), v.size());
  else if constexpr (std::is_same_v<T, int32_t>)
    dataset_array(parent, name, H5T_NATIVE_INT32, v.data(), v.size());
  else if constexpr (std::is_same_v<T, uint8_t> || std::is_enum_v<T>)
    dataset_array(parent, name, H5T_NATIVE_UINT8, v.data(), v.size());
  else
    static_assert(sizeof(T) == 0, "no HDF5 type for this array");
}

// The scene's bodies and shapes as compiled (body frames, see
// docs/output-format.md#geometry): enough to draw every body without the
// scene file or the mesh files it names.
void write_geometry(hid_t file, const Model& m) {
  hid_t g = group(file, "geometry");
  h5::write_text_attribute(g, "scene_name", m.name);
  dataset_vector(g, "body_kind", m.body_kind);
  dataset_vector(g, "body_shape_begin", m.body_shape_begin);
  dataset_vector(g, "body_shape_count", m.body_shape_count);
  dataset_vector(g, "shape_type", m.shape_type);
  dataset_vector(g, "shape_body", m.shape_body);
  dataset_vector(g, "shape_size", m.shape_size);
  dataset_vector(g, "shape_position", m.shape_pos);
  dataset_vector(g, "shape_orientation", m.shape_quat);
  dataset_vector(g, "shape_data_begin", m.shape_data_begin);
  dataset_vector(g, "shape_conveyor", m.shape_conveyor);
  if (m.nconveyor() > 0) dataset_strings(g, "conveyor_names", m.conveyor_name);
  m.geometry.for_each_array([&](const char* name, const auto& v) { dataset_vector(g, name, v); });
  H5Gclose(g);
}

// An H5MD time series: step and time [frames], value [frames][n][k].
struct Series {
  hid_t group = -1, step = -1, time = -1, value = -1;
  int k = 3;
};

hid_t extendible(hid_t parent, const char* name, hid_t type, int rank, const hsize_t* dims, const hsize_t* chunk) {
  std::vector<hsize_t> cur(dims, dims + rank), max(dims, dims + rank);
  cur[0] = 0;
  max[0] = H5S_UNLIMITED;
  hid_t space = H5Screate_simple(rank, cur.data(), max.data());
  hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(plist, rank, chunk);
  if (rank > 1) {
    H5Pset_shuffle(plist);
    H5Pset_deflate(plist, 4);
  }
  hid_t d = check(H5Dcreate2(parent, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT), "create dataset");
  H5Pclose(plist), H5Sclose(space);
  return d;
}

Series series(hid_t parent, const char* name, hsize_t n, int k, const char* unit) {
  Series s;
  s.k = k;
  s.group = group(parent, name);
  hsize_t chunk_frames = std::max<hsize_t>(1, std::min<hsize_t>(256, (1u << 18) / std::max<hsize_t>(1, n * k * 4)));
  hsize_t dims1[1] = {0}, chunk1[1] = {256};
  s.step = extendible(s.group, "step", H5T_NATIVE_INT64, 1, dims1, chunk1);
  s.time = extendible(s.group, "time", H5T_NATIVE_DOUBLE, 1, dims1, chunk1);
  hsize_t dims3[3] = {0, std::max<hsize_t>(n, 1), hsize_t(k)}, chunk3[3] = {chunk_frames, std::max<hsize_t>(n, 1), hsize_t(k)};
  s.value = extendible(s.group, "value", H5T_NATIVE_FLOAT, 3, dims3, chunk3);
  if (unit) h5::write_text_attribute(s.value, "unit", unit);
  h5::write_text_attribute(s.time, "unit", "s");
  return s;
}

// Reopens a series of a running file and cuts it to `frames` frames.
Series open_series(hid_t parent, const char* name, int k, hsize_t frames) {
  Series s;
  s.k = k;
  s.group = check(H5Gopen2(parent, name, H5P_DEFAULT), "open a series");
  s.step = check(H5Dopen2(s.group, "step", H5P_DEFAULT), "open a series");
  s.time = check(H5Dopen2(s.group, "time", H5P_DEFAULT), "open a series");
  s.value = check(H5Dopen2(s.group, "value", H5P_DEFAULT), "open a series");
  for (hid_t d : {s.step, s.time, s.value}) {
    hid_t space = H5Dget_space(d);
    hsize_t dims[3] = {0, 0, 0};
    const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
    H5Sclose(space);
    if (rank < 1 || dims[0] < frames)
      throw RuntimeError(std::string("the running file has fewer frames of ") + name + " than the checkpoint (" +
                         std::to_string(rank < 1 ? 0 : dims[0]) + " < " + std::to_string(frames) + ")");
    dims[0] = frames;
    check(H5Dset_extent(d, dims), "cut a series");
  }
  return s;
}

void append(hid_t d, int rank, const hsize_t* row, hid_t type, const void* data, hsize_t frame) {
  std::vector<hsize_t> size(row, row + rank), start(rank, 0), count(row, row + rank);
  size[0] = frame + 1;
  start[0] = frame;
  count[0] = 1;
  H5Dset_extent(d, size.data());
  hid_t file_space = H5Dget_space(d);
  H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  hid_t mem = H5Screate_simple(rank, count.data(), nullptr);
  if (H5Dwrite(d, type, mem, file_space, H5P_DEFAULT, data) < 0) throw RuntimeError("HDF5: cannot write a frame");
  H5Sclose(mem), H5Sclose(file_space);
}

// Writes a file's data (or a folder's entries) to the disk before a rename
// makes it visible; best effort, as a rename without it is still atomic.
void sync_path(const std::string& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string folder_of(const std::string& p) {
  std::string dir = std::filesystem::path(p).parent_path().string();
  return dir.empty() ? "." : dir;
}

}  // namespace

std::string running_path(const std::string& path) {
  if (path.size() > 3 && path.substr(path.size() - 3) == ".h5") return path.substr(0, path.size() - 3) + ".partial.h5";
  return path + ".partial";
}

struct Recorder::Impl {
  const Model* model;
  std::string path;   // the output
  std::string wpath;  // the file written now (path, or its running name)
  RecorderOptions opt;
  hid_t file = -1;
  Series pos, quat, vel, angvel, active;  // active: only for scenes with part pools
  int64_t frames = 0;
  hsize_t n = 0;
  bool swmr_started = false;
  double wall_seconds = -1;  // written at close() when set
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();
  std::vector<float> active_row;

  void close_file();
  void append_after_close(const std::function<void(int64_t)>& append) const;
  void reopen(int64_t frames);
  void close_series(Series& s) {
    for (hid_t id : {s.step, s.time, s.value}) if (id >= 0) H5Dclose(id);
    if (s.group >= 0) H5Gclose(s.group);
    s = Series{};
  }
};

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += hex[md[i] >> 4], out += hex[md[i] & 15];
  return out;
}

Recorder::Recorder(const Model& model, const std::string& path, const RecorderOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& r = *impl_;
  r.model = &model;
  r.path = path;
  r.wpath = options.atomic ? running_path(path) : path;
  r.opt = options;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (options.resume_frames >= 0) {
    r.reopen(options.resume_frames);
    return;
  }
  // SWMR needs the latest file format; it is also the most compact.
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  // File space freed while the run goes (a compressed chunk rewritten as
  // it grows) is never reused: after a kill, the chunk indexes on disk may
  // be those of any flush since the last checkpoint, and each chunk they
  // point to must still hold what it held then (series only grow, so any
  // version of a chunk starts with the rows a checkpoint counts). The file
  // grows by the rewritten chunks, a few percent.
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_NONE, 0, 1);
  r.file = H5Fcreate(r.wpath.c_str(), H5F_ACC_TRUNC, fcpl, fapl);
  H5Pclose(fcpl);
  H5Pclose(fapl);
  // Named as the caller named it; the running file's name is a detail.
  if (r.file < 0)
    throw RuntimeError("cannot create output file '" + r.path + "'" +
                       (r.wpath != r.path ? " (writing '" + r.wpath + "')" : std::string()) + " (is the folder writable?)");

  hid_t h5md = group(r.file, "h5md");
  attr_array(h5md, "version", H5T_NATIVE_INT, std::vector<int>{1, 1});
  hid_t author = group(h5md, "author");
  h5::write_text_attribute(author, "name", "werk user");
  hid_t creator = group(h5md, "creator");
  h5::write_text_attribute(creator, "name", "werk");
  h5::write_text_attribute(creator, "version", version());
  H5Gclose(creator), H5Gclose(author), H5Gclose(h5md);

  hid_t params = group(r.file, "parameters");
  dataset_strings(params, "scene", {model.source_text}, true);
  h5::write_text_attribute(params, "scene_file", model.source_file);
  h5::write_text_attribute(params, "scene_sha256", sha256_hex(model.source_text));
  h5::write_text_attribute(params, "backend", options.backend);
  h5::write_text_attribute(params, "engine_version", version());
  h5::write_text_attribute(params, "quaternion_order", "w x y z");
  std::vector<uint64_t> seed{options.seed};
  attr_array(params, "seed", H5T_NATIVE_UINT64, seed);
  attr_array(params, "dt", H5T_NATIVE_DOUBLE, std::vector<double>{model.dt});
  if (model.nbody() > 0) dataset_strings(params, "body_names", model.body_name);
  H5Gclose(params);

  if (model.nbody() > 0) {
    hid_t particles = group(r.file, "particles");
    hid_t bodies = group(particles, "bodies");
    hid_t box = group(bodies, "box");
    attr_array(box, "dimension", H5T_NATIVE_INT, std::vector<int>{3});
    attr_strings(box, "boundary", {"none", "none", "none"});
    H5Gclose(box);
    r.n = hsize_t(model.nbody());
    std::vector<int32_t> ids(r.n);
    for (hsize_t i = 0; i < r.n; ++i) ids[i] = int32_t(i);
    hid_t space = H5Screate_simple(1, &r.n, nullptr);
    hid_t id = check(H5Dcreate2(bodies, "id", H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create ids");
    H5Dwrite(id, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids.data());
    H5Dclose(id), H5Sclose(space);
    r.pos = series(bodies, "position", r.n, 3, "m");
    r.quat = series(bodies, "orientation", r.n, 4, nullptr);
    r.vel = series(bodies, "velocity", r.n, 3, "m s-1");
    r.angvel = series(bodies, "angular_velocity", r.n, 3, "rad s-1");
    if (model.npool() > 0) r.active = series(bodies, "active", r.n, 1, nullptr);
    H5Gclose(bodies), H5Gclose(particles);
    write_geometry(r.file, model);
  }
}

void Recorder::Impl::reopen(int64_t keep) {
  auto open = [&](bool clear_open_mark) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    // A run killed while writing leaves its file marked open for writing
    // (an SWMR file is consistent up to its last flush; the checkpoint was
    // taken after one). Clearing that mark on opening is what `h5clear -s`
    // does, through the same file-access property. The series opened below
    // must then hold at least the checkpoint's frames.
    hbool_t clear = 1;
    if (clear_open_mark) H5Pset(fapl, "clear_status_flags", &clear);
    hid_t f = H5Fopen(wpath.c_str(), H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    return f;
  };
  file = open(false);
  if (file < 0) file = open(true);
  if (file < 0)
    throw RuntimeError("cannot reopen '" + wpath + "', the running file of the interrupted run" +
                       (std::filesystem::exists(wpath) ? std::string(" (damaged?)") : std::string(" (it is not there)")));
  frames = keep;
  if (model->nbody() == 0) return;
  n = hsize_t(model->nbody());
  hid_t bodies = check(H5Gopen2(file, "particles/bodies", H5P_DEFAULT), "open /particles/bodies");
  pos = open_series(bodies, "position", 3, hsize_t(keep));
  quat = open_series(bodies, "orientation", 4, hsize_t(keep));
  vel = open_series(bodies, "velocity", 3, hsize_t(keep));
  angvel = open_series(bodies, "angular_velocity", 3, hsize_t(keep));
  if (model->npool() > 0) active = open_series(bodies, "active", 1, hsize_t(keep));
  H5Gclose(bodies);
}

Recorder::~Recorder() {
  try {
    if (std::uncaught_exceptions() > 0)
      abandon();
    else
      close();
  } catch (...) {
  }
}

int64_t Recorder::file_id() const { return impl_->file; }
const std::string& Recorder::writing_path() const { return impl_->wpath; }
int64_t Recorder::frames() const { return impl_->frames; }

void Recorder::start_swmr() {
  Impl& r = *impl_;
  if (r.file < 0 || r.swmr_started || !r.opt.swmr) return;
  if (H5Fstart_swmr_write(r.file) < 0) throw RuntimeError("HDF5: cannot start SWMR mode");
  r.swmr_started = true;
}

void Recorder::record(const State& s) {
  Impl& r = *impl_;
  if (r.file < 0 || r.n == 0) return;
  if (!r.swmr_started) start_swmr();
  // One frame of world 0 per call (every world is recorded by sweeps).
  const hsize_t f = hsize_t(r.frames);
  const int64_t step = s.step;
  const double time = s.time;
  auto put = [&](Series& ser, const void* data) {
    hsize_t one[1] = {1};
    append(ser.step, 1, one, H5T_NATIVE_INT64, &step, f);
    append(ser.time, 1, one, H5T_NATIVE_DOUBLE, &time, f);
    hsize_t row[3] = {1, r.n, hsize_t(ser.k)};
    append(ser.value, 3, row, H5T_NATIVE_FLOAT, data, f);
  };
  put(r.pos, s.body_pos.data());
  put(r.quat, s.body_quat.data());
  put(r.vel, s.body_vel.data());
  put(r.angvel, s.body_angvel.data());
  if (r.active.value >= 0) {
    r.active_row.resize(size_t(r.n));
    for (hsize_t i = 0; i < r.n; ++i) r.active_row[i] = i < s.body_active.size() ? float(s.body_active[i]) : 1.0f;
    put(r.active, r.active_row.data());
  }
  ++r.frames;
  auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - r.last_flush).count() >= r.opt.flush_seconds) flush();
}

void Recorder::flush() {
  Impl& r = *impl_;
  if (r.file < 0) return;
  H5Fflush(r.file, H5F_SCOPE_GLOBAL);
  r.last_flush = std::chrono::steady_clock::now();
}

void Recorder::Impl::close_file() {
  for (Series* s : {&pos, &quat, &vel, &angvel, &active}) close_series(*s);
  herr_t status = H5Fclose(file);
  file = -1;
  if (status < 0) throw RuntimeError("HDF5: cannot close '" + wpath + "'");
}

void Recorder::set_wall_seconds(double seconds) { impl_->wall_seconds = seconds; }

// After SWMR no group, dataset or attribute may be added: the closed file
// is reopened for the wall time and the caller's additions.
void Recorder::Impl::append_after_close(const std::function<void(int64_t)>& append) const {
  if (wall_seconds < 0 && !append) return;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  hid_t f = check(H5Fopen(wpath.c_str(), H5F_ACC_RDWR, fapl), "reopen the result to complete it");
  H5Pclose(fapl);
  try {
    if (wall_seconds >= 0) {
      hid_t params = check(H5Gopen2(f, "parameters", H5P_DEFAULT), "open /parameters");
      // A run resumed after a kill that came once its file was completed
      // finds the killed part's wall time there: this run's replaces it.
      if (H5Aexists(params, "wall_seconds") > 0) H5Adelete(params, "wall_seconds");
      attr_array(params, "wall_seconds", H5T_NATIVE_DOUBLE, std::vector<double>{wall_seconds});
      H5Gclose(params);
    }
    if (append) append(f);
  } catch (...) {
    H5Fclose(f);
    throw;
  }
  if (H5Fclose(f) < 0) throw RuntimeError("HDF5: cannot close '" + wpath + "'");
}

void Recorder::close(const std::function<void(int64_t)>& append) {
  Impl& r = *impl_;
  if (r.file < 0) return;
  H5Fflush(r.file, H5F_SCOPE_GLOBAL);
  // HDF5 keeps a file open while any of its objects is: renamed then, a
  // kill would leave the output marked as still being written (unreadable).
  for (Series* s : {&r.pos, &r.quat, &r.vel, &r.angvel, &r.active}) r.close_series(*s);
  const ssize_t open_objects =
      H5Fget_obj_count(r.file, H5F_OBJ_LOCAL | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR);
  if (open_objects != 0) {
    r.close_file();
    throw RuntimeError("HDF5: " + std::to_string(open_objects) + " objects of '" + r.wpath +
                       "' are still open at its close; it stays under that name");
  }
  r.close_file();
  r.append_after_close(append);
  // Commit: the complete file replaces the output in one rename; a kill
  // before the rename leaves the output as it was.
  if (r.wpath != r.path) {
    sync_path(r.wpath);
    if (std::rename(r.wpath.c_str(), r.path.c_str()) != 0)
      throw RuntimeError("cannot rename '" + r.wpath + "' to '" + r.path + "': " + std::strerror(errno) +
                         " (the complete result is in '" + r.wpath + "')");
  }
  sync_path(folder_of(r.path));
}

void Recorder::abandon() {
  Impl& r = *impl_;
  if (r.file < 0) return;
  H5Fflush(r.file, H5F_SCOPE_GLOBAL);
  r.close_file();
}

}  // namespace werk
