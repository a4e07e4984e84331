// HDF5 pieces shared by the writers and readers of Werk's files: groups
// made on demand, text attributes and lists, and opening a result file
// that a live run may still be writing.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

#include "werk/error.h"

namespace werk::h5 {

// The group `name` under `parent`, created when it is not there yet.
inline hid_t open_or_create_group(hid_t parent, const std::string& name) {
  if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) > 0) return H5Gopen2(parent, name.c_str(), H5P_DEFAULT);
  hid_t g = H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw RuntimeError("HDF5: cannot create group " + name);
  return g;
}

// Removes group's link `name` if it has one. What a run writes when it
// completes its file may already be there: a run killed after completing
// its running file but before renaming it is resumed from its last
// checkpoint, and completes the file again.
inline void unlink_if_there(hid_t group, const char* name) {
  if (H5Lexists(group, name, H5P_DEFAULT) > 0 && H5Ldelete(group, name, H5P_DEFAULT) < 0)
    throw RuntimeError(std::string("HDF5: cannot replace ") + name);
}

// A text attribute as Werk writes it: one fixed-length, null-padded string.
inline void write_text_attribute(hid_t obj, const char* name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.empty() ? 1 : value.size());
  H5Tset_strpad(type, H5T_STR_NULLPAD);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  const herr_t written = a < 0 ? -1 : H5Awrite(a, type, value.empty() ? "" : value.data());
  if (a >= 0) H5Aclose(a);
  H5Sclose(space), H5Tclose(type);
  if (written < 0) throw RuntimeError(std::string("HDF5: cannot write attribute ") + name);
}

// Reads a text attribute into `out`; false when it is missing or is not
// one fixed-length string (then not written by Werk).
inline bool read_text_attribute(hid_t obj, const char* name, std::string& out) {
  if (H5Aexists(obj, name) <= 0) return false;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a < 0) return false;
  hid_t type = H5Aget_type(a);
  hid_t space = H5Aget_space(a);
  const bool text = type >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0 && space >= 0 &&
                    H5Sget_simple_extent_npoints(space) == 1;
  const size_t n = text ? H5Tget_size(type) : 0;
  bool ok = text && n > 0 && n <= (size_t(1) << 26);  // a size no file of Werk's comes near: damaged
  if (ok) {
    std::string s(n, '\0');
    hid_t mem = H5Tcopy(H5T_C_S1);
    H5Tset_size(mem, n);
    H5Tset_strpad(mem, H5T_STR_NULLPAD);
    ok = H5Aread(a, mem, s.data()) >= 0;
    H5Tclose(mem);
    if (ok) out = s.substr(0, s.find('\0'));
  }
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  H5Aclose(a);
  return ok;
}

// A one-dimensional dataset of variable-length strings.
inline void write_text_list(hid_t group, const char* name, const std::vector<std::string>& v) {
  unlink_if_there(group, name);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  hsize_t n = v.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t ds = H5Dcreate2(group, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<const char*> p;
  for (const auto& s : v) p.push_back(s.c_str());
  const herr_t written = ds < 0 ? -1 : n ? H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) : 0;
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(space), H5Tclose(type);
  if (written < 0) throw RuntimeError(std::string("HDF5: cannot write ") + name);
}

// Opens a result file for reading, also while a live run still writes it
// (SWMR). HDF5 retries a metadata read whose checksum fails up to 100
// times with growing pauses in SWMR mode (a live writer may be mid-write);
// on a damaged file that takes minutes, so a few attempts only.
inline hid_t open_result_for_reading(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw InputError(path, 0, 0, "expected an HDF5 result file, found something else (or nothing)");
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_metadata_read_attempts(fapl, 4);
  hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
  H5Pclose(fapl);
  if (file < 0) file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw RuntimeError("cannot open '" + path + "' (if a run was killed, try: h5clear -s " + path + ")");
  return file;
}

}  // namespace werk::h5
