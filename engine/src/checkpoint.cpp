// Checkpoint files (see checkpoint.h).
#include "checkpoint.h"

#include <fcntl.h>
#include <hdf5.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <type_traits>

#include "werk/error.h"
#include "werk/version.h"

namespace werk {
namespace {

constexpr const char* kFormat = "werk checkpoint";
constexpr int kFormatVersion = 3;  // 2: body activity flags, a physical line's state; 3: kept manifolds

// HDF5 element type and components per entry of a State array's type.
template <class T>
struct Elem;
template <> struct Elem<float> { static hid_t type() { return H5T_NATIVE_FLOAT; } static constexpr int k = 1; };
template <> struct Elem<double> { static hid_t type() { return H5T_NATIVE_DOUBLE; } static constexpr int k = 1; };
template <> struct Elem<uint8_t> { static hid_t type() { return H5T_NATIVE_UINT8; } static constexpr int k = 1; };
template <> struct Elem<int32_t> { static hid_t type() { return H5T_NATIVE_INT32; } static constexpr int k = 1; };
template <> struct Elem<int64_t> { static hid_t type() { return H5T_NATIVE_INT64; } static constexpr int k = 1; };
template <> struct Elem<Vec3> { static hid_t type() { return H5T_NATIVE_FLOAT; } static constexpr int k = 3; };
template <> struct Elem<Quat> { static hid_t type() { return H5T_NATIVE_FLOAT; } static constexpr int k = 4; };

// SHA-256 over every value, in the order written, so that a checkpoint
// damaged inside its data (which HDF5 reads without complaint) is refused.
class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  void add(const void* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += digits[md[i] >> 4], out += digits[md[i] & 15];
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

// Closes an HDF5 id when it goes out of scope.
struct Id {
  hid_t id = -1;
  herr_t (*close)(hid_t) = nullptr;
  Id(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Id() {
    if (id >= 0) close(id);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  operator hid_t() const { return id; }
};

// --- writing -----------------------------------------------------------

void put(hid_t id, const char* what) {
  if (id < 0) throw RuntimeError(std::string("HDF5: cannot write the checkpoint's ") + what);
}

void attr_raw(hid_t obj, const char* name, hid_t type, const void* value) {
  Id space(H5Screate(H5S_SCALAR), H5Sclose);
  Id a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  put(a, name);
  put(H5Awrite(a, type, value), name);
}

void attr_text(hid_t obj, const char* name, const std::string& value) {
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, value.empty() ? 1 : value.size());
  H5Tset_strpad(type, H5T_STR_NULLPAD);
  attr_raw(obj, name, type, value.empty() ? "" : value.data());
}

void dataset(hid_t parent, const char* name, hid_t type, int rank, const hsize_t* dims, const void* data) {
  Id space(H5Screate_simple(rank, dims, nullptr), H5Sclose);
  Id d(H5Dcreate2(parent, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
  put(d, name);
  if (dims[0] > 0) put(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), name);
}

// Writes one State field (scalar: attribute; array: dataset).
struct FieldWriter {
  hid_t group;
  Digest& digest;
  void operator()(const char* name, const int& v) const { scalar(name, H5T_NATIVE_INT, &v, sizeof v); }
  void operator()(const char* name, const int64_t& v) const { scalar(name, H5T_NATIVE_INT64, &v, sizeof v); }
  void operator()(const char* name, const double& v) const { scalar(name, H5T_NATIVE_DOUBLE, &v, sizeof v); }
  template <class T>
  void operator()(const char* name, const std::vector<T>& v) const {
    hsize_t dims[2] = {v.size(), hsize_t(Elem<T>::k)};
    dataset(group, name, Elem<T>::type(), Elem<T>::k > 1 ? 2 : 1, dims, v.data());
    digest.add(v.data(), v.size() * sizeof(T));
  }
  void scalar(const char* name, hid_t type, const void* v, size_t n) const {
    attr_raw(group, name, type, v);
    digest.add(v, n);
  }
};

// --- reading -----------------------------------------------------------

// A checkpoint that cannot be used: the reader's error.
struct Bad {
  std::string path;
  InputError operator()(const std::string& what) const {
    return InputError(path, 0, 0, "expected a werk checkpoint, found " + what);
  }
};

std::string read_attr_text(hid_t obj, const char* name, const Bad& bad) {
  if (H5Aexists(obj, name) <= 0) throw bad("no attribute '" + std::string(name) + "' (not a checkpoint, or damaged)");
  Id a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Id type(H5Aget_type(a), H5Tclose);
  if (a < 0 || type < 0 || H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) > 0)
    throw bad("a damaged attribute '" + std::string(name) + "'");
  const size_t n = H5Tget_size(type);
  if (n == 0 || n > (64u << 20)) throw bad("a damaged attribute '" + std::string(name) + "'");
  std::string s(n, '\0');
  if (H5Aread(a, type, s.data()) < 0) throw bad("a damaged attribute '" + std::string(name) + "'");
  s.resize(std::strlen(s.c_str()));
  return s;
}

void read_attr(hid_t obj, const char* name, hid_t type, void* out, const Bad& bad) {
  if (H5Aexists(obj, name) <= 0) throw bad("no attribute '" + std::string(name) + "' (not a checkpoint, or damaged)");
  Id a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Id space(H5Aget_space(a), H5Sclose);
  if (a < 0 || space < 0 || H5Sget_simple_extent_npoints(space) != 1 || H5Aread(a, type, out) < 0)
    throw bad("a damaged attribute '" + std::string(name) + "'");
}

// Reads dataset `name` of `parent`, which must hold exactly `count` entries
// of `k` components (count < 0: any), into bytes.
std::vector<uint8_t> read_dataset(hid_t parent, const std::string& name, hid_t type, int k, int64_t count,
                                  const Bad& bad) {
  if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0) throw bad("no dataset '" + name + "'");
  Id d(H5Dopen2(parent, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (d < 0) throw bad("a damaged dataset '" + name + "'");
  Id space(H5Dget_space(d), H5Sclose);
  hsize_t dims[2] = {0, 0};
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  if (rank != (k > 1 ? 2 : 1) || H5Sget_simple_extent_dims(space, dims, nullptr) < 0 || (k > 1 && dims[1] != hsize_t(k)))
    throw bad("a dataset '" + name + "' of another shape");
  if (count >= 0 && dims[0] != hsize_t(count))
    throw bad("'" + name + "' with " + std::to_string(dims[0]) + " entries where this scene has " +
              std::to_string(count) + " (a checkpoint of another scene?)");
  if (dims[0] > (hsize_t(1) << 34)) throw bad("a damaged dataset '" + name + "'");
  std::vector<uint8_t> bytes(size_t(dims[0]) * size_t(k) * H5Tget_size(type));
  if (!bytes.empty() && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
    throw bad("a damaged dataset '" + name + "' (truncated?)");
  return bytes;
}

// Reads one State field into a State shaped like the run's.
struct FieldReader {
  hid_t group;
  Digest& digest;
  const Bad& bad;
  void operator()(const char* name, int& v) const { scalar(name, H5T_NATIVE_INT, &v, sizeof v); }
  void operator()(const char* name, int64_t& v) const { scalar(name, H5T_NATIVE_INT64, &v, sizeof v); }
  void operator()(const char* name, double& v) const { scalar(name, H5T_NATIVE_DOUBLE, &v, sizeof v); }
  template <class T>
  void operator()(const char* name, std::vector<T>& v) const {
    std::vector<uint8_t> bytes = read_dataset(group, name, Elem<T>::type(), Elem<T>::k, int64_t(v.size()), bad);
    if (!bytes.empty()) std::memcpy(static_cast<void*>(v.data()), bytes.data(), bytes.size());
    digest.add(v.data(), v.size() * sizeof(T));
  }
  template <class T>
  void scalar(const char* name, hid_t type, T* v, size_t n) const {
    const T expected = *v;
    read_attr(group, name, type, v, bad);
    digest.add(v, n);
    // The shape must be this scene's.
    if ((std::strcmp(name, "nworld") == 0 || std::strcmp(name, "nbody") == 0) && *v != expected)
      throw bad(std::string(name) + " = " + std::to_string(*v) + " where this scene has " + std::to_string(expected) +
                " (a checkpoint of another scene?)");
  }
};

void sync_path(const std::string& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string checkpoint_path(const std::string& out) { return out + ".checkpoint"; }

void write_checkpoint(const std::string& path, const Checkpoint& c) {
  const std::string tmp = path + ".writing";
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  {
    // The latest format: its metadata carries checksums.
    Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    Id file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose);
    if (file < 0) throw RuntimeError("cannot create the checkpoint '" + tmp + "' (is the folder writable?)");
    Digest digest;
    attr_text(file, "format", kFormat);
    attr_raw(file, "format_version", H5T_NATIVE_INT, &kFormatVersion);
    attr_text(file, "engine_version", version());
    attr_text(file, "scene_file", c.scene_file);
    attr_text(file, "scene_sha256", c.scene_sha256);
    attr_text(file, "settings", c.settings);
    attr_text(file, "output", c.output);
    attr_raw(file, "frames", H5T_NATIVE_INT64, &c.frames);
    const int process_done = c.process_done ? 1 : 0;
    attr_raw(file, "process_done", H5T_NATIVE_INT, &process_done);
    for (const std::string* s : {&c.scene_sha256, &c.settings, &c.output}) digest.add(s->data(), s->size());
    digest.add(&c.frames, sizeof c.frames);
    digest.add(&process_done, sizeof process_done);
    {
      Id state(H5Gcreate2(file, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      put(state, "state");
      for_each_field(c.state, FieldWriter{state, digest});
    }
    {
      Id mem(H5Gcreate2(file, "solver_memory", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
      put(mem, "solver memory");
      // Digested in name order, the order a reader lists them in.
      std::vector<size_t> order(c.memory.names.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c.memory.names[a] < c.memory.names[b]; });
      for (size_t i : order) {
        hsize_t n = c.memory.data[i].size();
        dataset(mem, c.memory.names[i].c_str(), H5T_NATIVE_UINT8, 1, &n, c.memory.data[i].data());
        digest.add(c.memory.names[i].data(), c.memory.names[i].size());
        digest.add(c.memory.data[i].data(), c.memory.data[i].size());
      }
    }
    hsize_t n = c.process_state.size();
    dataset(file, "process_state", H5T_NATIVE_UINT8, 1, &n, c.process_state.data());
    digest.add(c.process_state.data(), c.process_state.size());
    n = c.line_state.size();
    dataset(file, "line_state", H5T_NATIVE_UINT8, 1, &n, c.line_state.data());
    digest.add(c.line_state.data(), c.line_state.size());
    attr_text(file, "content_sha256", digest.hex());
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) throw RuntimeError("cannot write the checkpoint '" + tmp + "'");
  }
  sync_path(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw RuntimeError("cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(errno));
}

Checkpoint read_checkpoint(const std::string& path, const State& like,
                           const std::function<void(const Checkpoint&)>& check_run) {
  const Bad bad{path};
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path, 0, 0, "expected a checkpoint file, found none");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw bad("a file that is not HDF5 (or is truncated)");
  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (file < 0) throw bad("a file HDF5 cannot open (damaged or truncated)");
  if (read_attr_text(file, "format", bad) != kFormat) throw bad("another kind of HDF5 file");
  int format_version = 0;
  read_attr(file, "format_version", H5T_NATIVE_INT, &format_version, bad);
  if (format_version != kFormatVersion)
    throw bad("format version " + std::to_string(format_version) + " (this werk reads version " +
              std::to_string(kFormatVersion) + ")");
  Checkpoint c;
  Digest digest;
  c.scene_file = read_attr_text(file, "scene_file", bad);
  c.scene_sha256 = read_attr_text(file, "scene_sha256", bad);
  c.settings = read_attr_text(file, "settings", bad);
  c.output = read_attr_text(file, "output", bad);
  read_attr(file, "frames", H5T_NATIVE_INT64, &c.frames, bad);
  int process_done = 0;
  read_attr(file, "process_done", H5T_NATIVE_INT, &process_done, bad);
  c.process_done = process_done != 0;
  if (check_run) check_run(c);
  for (const std::string* s : {&c.scene_sha256, &c.settings, &c.output}) digest.add(s->data(), s->size());
  digest.add(&c.frames, sizeof c.frames);
  digest.add(&process_done, sizeof process_done);
  if (H5Lexists(file, "state", H5P_DEFAULT) <= 0 || H5Lexists(file, "solver_memory", H5P_DEFAULT) <= 0)
    throw bad("no /state or /solver_memory group");
  c.state = like;
  {
    Id state(H5Gopen2(file, "state", H5P_DEFAULT), H5Gclose);
    if (state < 0) throw bad("a damaged /state group");
    for_each_field(c.state, FieldReader{state, digest, bad});
  }
  {
    Id mem(H5Gopen2(file, "solver_memory", H5P_DEFAULT), H5Gclose);
    H5G_info_t info;
    if (mem < 0 || H5Gget_info(mem, &info) < 0 || info.nlinks > 64) throw bad("a damaged /solver_memory group");
    // By name (creation order is not tracked).
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      char name[256] = {0};
      if (H5Lget_name_by_idx(mem, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT) < 0)
        throw bad("a damaged /solver_memory group");
      c.memory.names.push_back(name);
      c.memory.data.push_back(read_dataset(mem, name, H5T_NATIVE_UINT8, 1, -1, bad));
    }
  }
  for (size_t i = 0; i < c.memory.names.size(); ++i) {
    digest.add(c.memory.names[i].data(), c.memory.names[i].size());
    digest.add(c.memory.data[i].data(), c.memory.data[i].size());
  }
  std::vector<uint8_t> process_state = read_dataset(file, "process_state", H5T_NATIVE_UINT8, 1, -1, bad);
  c.process_state.assign(process_state.begin(), process_state.end());
  digest.add(c.process_state.data(), c.process_state.size());
  std::vector<uint8_t> line_state = read_dataset(file, "line_state", H5T_NATIVE_UINT8, 1, -1, bad);
  c.line_state.assign(line_state.begin(), line_state.end());
  digest.add(c.line_state.data(), c.line_state.size());
  if (read_attr_text(file, "content_sha256", bad) != digest.hex())
    throw bad("a damaged checkpoint (its contents do not match their checksum)");
  return c;
}

}  // namespace werk
