// `werk info`: what is in a result file.
#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <vector>

#include "cli_commands.h"
#include "h5_common.h"
#include "werk/error.h"

namespace werk::cli {
namespace {

// An attribute Werk wrote as text; "?" for one it did not.
std::string read_attr_string(hid_t obj, const char* name) {
  std::string s;
  if (h5::read_text_attribute(obj, name, s)) return s;
  return H5Aexists(obj, name) > 0 ? "?" : "";
}

}  // namespace

// `werk info` on a sweep results file.
bool describe_sweep_results(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return false;
  hid_t g = H5Lexists(f, "sweep", H5P_DEFAULT) > 0 ? H5Gopen2(f, "sweep", H5P_DEFAULT) : -1;
  if (g < 0) {
    H5Fclose(f);
    return false;
  }
  auto attr = [&](const char* name) -> std::string {
    if (H5Aexists(g, name) <= 0) return "?";
    hid_t at = H5Aopen(g, name, H5P_DEFAULT);
    hid_t type = H5Aget_type(at);
    std::string s;
    if (H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type) && H5Tget_size(type) <= (1u << 20)) {
      s.assign(H5Tget_size(type), '\0');
      H5Aread(at, type, s.data());
      s = s.substr(0, s.find('\0'));
    } else if (H5Tget_class(type) == H5T_INTEGER) {
      int64_t x = 0;
      H5Aread(at, H5T_NATIVE_INT64, &x);
      s = std::to_string(x);
    }
    H5Tclose(type), H5Aclose(at);
    return s;
  };
  std::cout << path << "\n"
            << "  sweep:          " << attr("name") << " (" << attr("sweep_file") << ")\n"
            << "  sweep sha256:   " << attr("sweep_sha256") << "\n"
            << "  scene file:     " << attr("scene_file") << "\n"
            << "  engine version: " << attr("werk_version") << "\n"
            << "  design:         " << attr("design") << ", seed " << attr("seed") << ", " << attr("replications")
            << " replications\n";
  int64_t nv = 0;
  try {
    nv = std::stoll(attr("variants"));
  } catch (...) {
  }
  if (nv < 0 || nv > (int64_t(1) << 28)) nv = 0;  // not written by werk
  std::vector<int8_t> status(static_cast<size_t>(nv));
  if (nv > 0 && H5Lexists(g, "status", H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(g, "status", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    if (H5Sget_simple_extent_npoints(sp) == nv) H5Dread(d, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status.data());
    H5Sclose(sp), H5Dclose(d);
  }
  int ok = 0, failed = 0;
  for (int8_t s : status) ok += s == 1, failed += s == 2;
  std::cout << "  variants:       " << nv << " (" << ok << " ok, " << failed << " failed, " << (nv - ok - failed) << " not run)\n";
  auto list_names = [&](const char* group) {
    std::string names;
    if (H5Lexists(g, group, H5P_DEFAULT) <= 0) return names;
    hid_t kg = H5Gopen2(g, group, H5P_DEFAULT);
    H5G_info_t gi{};
    if (kg < 0 || H5Gget_info(kg, &gi) < 0) {
      if (kg >= 0) H5Gclose(kg);
      return names;
    }
    for (hsize_t i = 0; i < gi.nlinks; ++i) {
      char buf[512];
      if (H5Lget_name_by_idx(kg, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, sizeof buf, H5P_DEFAULT) > 0)
        names += (names.empty() ? "" : ", ") + std::string(buf);
    }
    H5Gclose(kg);
    return names;
  };
  if (H5Lexists(g, "parameter_names", H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(g, "parameter_names", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    if (n > (1 << 20)) n = 0;  // not written by werk
    std::vector<char*> p(size_t(std::max<hssize_t>(0, n)));
    std::string names;
    if (n > 0 && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) >= 0) {
      for (char* s : p) names += (names.empty() ? "" : ", ") + std::string(s ? s : "");
      H5Dvlen_reclaim(type, sp, H5P_DEFAULT, p.data());
    }
    H5Tclose(type), H5Sclose(sp), H5Dclose(d);
    std::cout << "  parameters:     " << names << "\n";
  }
  std::cout << "  outputs:        " << list_names("kpis") << "\n";
  std::string traj = list_names("trajectories");
  if (!traj.empty()) std::cout << "  trajectories:   external links " << traj << "\n";
  H5Gclose(g), H5Fclose(f);
  return true;
}

int info_command(const std::string& path) {
  hid_t file = h5::open_result_for_reading(path);
  if (H5Lexists(file, "sweep", H5P_DEFAULT) > 0 && H5Fclose(file) >= 0 && describe_sweep_results(path)) return 0;
  std::cout << path << "\n";
  if (H5Lexists(file, "parameters", H5P_DEFAULT) > 0) {
    hid_t p = H5Gopen2(file, "parameters", H5P_DEFAULT);
    if (p < 0) p = file;  // "parameters" is not a group: its attributes are not there
    std::cout << "  scene file:     " << read_attr_string(p, "scene_file") << "\n"
              << "  scene sha256:   " << read_attr_string(p, "scene_sha256") << "\n"
              << "  engine version: " << read_attr_string(p, "engine_version") << "\n"
              << "  backend:        " << read_attr_string(p, "backend") << "\n";
    if (p != file) H5Gclose(p);
  }
  // Every size comes from the file: a damaged or foreign file may hold any
  // shape, so each is checked before it is used.
  hsize_t dims[3] = {0, 0, 0}, ntime = 0;
  bool trajectory = false;
  if (H5Lexists(file, "particles", H5P_DEFAULT) > 0 && H5Lexists(file, "particles/bodies", H5P_DEFAULT) > 0 &&
      H5Lexists(file, "particles/bodies/position", H5P_DEFAULT) > 0 &&
      H5Lexists(file, "particles/bodies/position/value", H5P_DEFAULT) > 0 &&
      H5Lexists(file, "particles/bodies/position/time", H5P_DEFAULT) > 0) {
    hid_t d = H5Dopen2(file, "particles/bodies/position/value", H5P_DEFAULT);
    hid_t s = d >= 0 ? H5Dget_space(d) : -1;
    trajectory = s >= 0 && H5Sget_simple_extent_ndims(s) == 3 && H5Sget_simple_extent_dims(s, dims, nullptr) == 3;
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
  }
  std::vector<double> times;
  if (trajectory) {
    hid_t t = H5Dopen2(file, "particles/bodies/position/time", H5P_DEFAULT);
    hid_t s = t >= 0 ? H5Dget_space(t) : -1;
    if (s >= 0 && H5Sget_simple_extent_ndims(s) == 1 && H5Sget_simple_extent_dims(s, &ntime, nullptr) == 1 &&
        ntime > 0 && ntime <= (hsize_t(1) << 28)) {
      times.resize(ntime);
      if (H5Dread(t, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, times.data()) < 0) times.clear();
    }
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Dclose(t);
    std::cout << "  bodies:         " << dims[1] << "\n"
              << "  frames:         " << dims[0] << "\n";
    if (!times.empty()) std::printf("  time span:      %.6g s to %.6g s\n", times.front(), times.back());
  } else {
    std::cout << "  bodies:         0\n";
  }
  if (H5Lexists(file, "observables", H5P_DEFAULT) > 0) {
    hid_t g = H5Gopen2(file, "observables", H5P_DEFAULT);
    H5G_info_t gi{};
    if (g >= 0 && H5Gget_info(g, &gi) >= 0) std::cout << "  observables:    " << gi.nlinks << " groups\n";
    if (g >= 0) H5Gclose(g);
  }
  H5Fclose(file);
  return 0;
}

}  // namespace werk::cli
