// The sweep results file (HDF5). Layout (docs/sweeps.md):
//   /sweep                         attrs: name, sweep_file, sweep_sha256, werk_version, scene_file,
//                                  design, seed, replications, variants
//   /sweep/sweep_text              the sweep file's text
//   /sweep/parameters              [variant][parameter] numbers (NaN for text values); attrs names, units
//   /sweep/parameter_text          [variant][parameter] the values as written into the scene
//   /sweep/kpis/<name>/values      [variant][replication]; NaN where not run or failed
//   /sweep/kpis/<name>/{mean,ci95_low,ci95_high}  [variant]; attrs unit, source
//   /sweep/status                  [variant] 0 not run, 1 ok, 2 failed
//   /sweep/messages                [variant] the failure message (empty when ok)
//   /sweep/seeds                   [variant] base seed of its replications (common random numbers)
//   /sweep/wall_seconds            [variant]
//   /sweep/state_hash              [variant] physics: state hash of the variant's final state
//   /sweep/trajectories/variant_N  external link to the variant's H5MD file (--keep-trajectories)
#include <hdf5.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "h5_common.h"
#include "sweep/sweep.h"
#include "werk/error.h"
#include "werk/version.h"

namespace werk::sweep {
namespace {

void check(herr_t status, const std::string& what) {
  if (status < 0) throw RuntimeError("HDF5: cannot " + what);
}

void attr_int(hid_t obj, const char* name, int64_t value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
  check(a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &value), std::string("write attribute ") + name);
  H5Aclose(a), H5Sclose(space);
}

std::string read_attr(hid_t obj, const char* name) {
  std::string s;
  h5::read_text_attribute(obj, name, s);
  return s;
}

// A dataset of `rank` dimensions written from `data`.
void write(hid_t group, const char* name, hid_t type, const void* data, std::vector<hsize_t> dims) {
  hid_t space = H5Screate_simple(int(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(group, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  check(d < 0 ? -1 : H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), std::string("write ") + name);
  H5Dclose(d), H5Sclose(space);
}

void write_strings(hid_t group, const char* name, const std::vector<std::string>& v, std::vector<hsize_t> dims) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  std::vector<const char*> p;
  for (const auto& s : v) p.push_back(s.c_str());
  write(group, name, type, p.data(), dims);
  H5Tclose(type);
}

template <class T>
std::vector<T> read(hid_t group, const char* name, hid_t type, size_t expect) {
  std::vector<T> out(expect);
  if (H5Lexists(group, name, H5P_DEFAULT) <= 0) throw RuntimeError(std::string("no dataset ") + name);
  hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
  hid_t space = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  H5Sclose(space);
  if (n != hssize_t(expect)) {
    H5Dclose(d);
    throw RuntimeError(std::string("dataset ") + name + " has " + std::to_string(n) + " values, expected " + std::to_string(expect));
  }
  if (expect) check(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), std::string("read ") + name);
  H5Dclose(d);
  return out;
}

std::vector<std::string> read_strings(hid_t group, const char* name, size_t expect) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  std::vector<char*> p = read<char*>(group, name, type, expect);
  std::vector<std::string> out;
  for (char* s : p) out.push_back(s ? s : "");
  hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
  hid_t space = H5Dget_space(d);
  if (expect) H5Dvlen_reclaim(type, space, H5P_DEFAULT, p.data());
  H5Sclose(space), H5Dclose(d), H5Tclose(type);
  return out;
}

}  // namespace

bool is_results_file(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) return false;
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return false;
  bool yes = H5Lexists(f, "sweep", H5P_DEFAULT) > 0;
  H5Fclose(f);
  return yes;
}

void write_results(const std::string& path, const Spec& s, const Results& res) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const std::string tmp = path + ".writing." + std::to_string(getpid());
  const hsize_t nv = hsize_t(s.nvariant()), np = s.params.size(), nr = hsize_t(s.replications);
  hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) throw RuntimeError("cannot create results file '" + tmp + "'");
  try {
    hid_t g = H5Gcreate2(f, "sweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    h5::write_text_attribute(g, "name", s.name);
    h5::write_text_attribute(g, "sweep_file", s.file);
    h5::write_text_attribute(g, "sweep_sha256", s.sha256);
    h5::write_text_attribute(g, "werk_version", version());
    h5::write_text_attribute(g, "scene_file", s.scene_file);
    h5::write_text_attribute(g, "design", s.design);
    attr_int(g, "seed", int64_t(s.seed));
    attr_int(g, "replications", int64_t(s.replications));
    attr_int(g, "variants", int64_t(nv));
    write_strings(g, "sweep_text", {s.text}, {1});

    std::vector<double> pnum(nv * np);
    std::vector<std::string> ptext(nv * np), pname, punit;
    for (hsize_t v = 0; v < nv; ++v)
      for (hsize_t k = 0; k < np; ++k) {
        const Value& x = s.variants[v][k];
        pnum[v * np + k] = x.numeric ? x.number : NAN;
        ptext[v * np + k] = x.text;
      }
    for (const Parameter& p : s.params) pname.push_back(p.name), punit.push_back(p.unit);
    write(g, "parameters", H5T_NATIVE_DOUBLE, pnum.data(), {nv, np});
    write_strings(g, "parameter_text", ptext, {nv, np});
    write_strings(g, "parameter_names", pname, {np});
    write_strings(g, "parameter_units", punit, {np});
    write_strings(g, "parameter_paths", [&] {
      std::vector<std::string> v;
      for (const Parameter& p : s.params) v.push_back(p.path);
      return v;
    }(), {np});

    std::vector<int8_t> status(nv, 0);
    std::vector<std::string> messages(nv);
    std::vector<uint64_t> seeds(nv, s.seed), hashes(nv, 0);
    std::vector<double> wall(nv, NAN);
    for (hsize_t v = 0; v < nv; ++v) {
      const Record& r = res.records[v];
      if (r.variant < 0) continue;
      status[v] = r.ok ? 1 : 2;
      messages[v] = r.message;
      hashes[v] = r.state_hash;
      wall[v] = r.wall_seconds;
    }
    write(g, "status", H5T_NATIVE_INT8, status.data(), {nv});
    write_strings(g, "messages", messages, {nv});
    write(g, "seeds", H5T_NATIVE_UINT64, seeds.data(), {nv});
    write(g, "wall_seconds", H5T_NATIVE_DOUBLE, wall.data(), {nv});
    write(g, "state_hash", H5T_NATIVE_UINT64, hashes.data(), {nv});

    hid_t kg = H5Gcreate2(g, "kpis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (size_t k = 0; k < s.outputs.size(); ++k) {
      const Output& o = s.outputs[k];
      const hsize_t reps = o.figure == Figure::process_kpi ? nr : 1;
      std::vector<double> values(nv * reps, NAN), mean(nv, NAN), lo(nv, NAN), hi(nv, NAN);
      for (hsize_t v = 0; v < nv; ++v) {
        const Record& r = res.records[v];
        if (r.variant < 0 || !r.ok || k >= r.values.size()) continue;
        for (size_t j = 0; j < r.values[k].size() && j < reps; ++j) values[v * reps + j] = r.values[k][j];
        Stat st = stat(r.values[k]);
        mean[v] = st.mean, lo[v] = st.low, hi[v] = st.high;
      }
      hid_t og = H5Gcreate2(kg, o.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (og < 0) throw RuntimeError("HDF5: cannot create group for output '" + o.name + "'");
      h5::write_text_attribute(og, "unit", o.unit);
      h5::write_text_attribute(og, "source", o.figure == Figure::process_kpi ? "process KPI " + o.kpi : "physics figure");
      write(og, "values", H5T_NATIVE_DOUBLE, values.data(), {nv, reps});
      write(og, "mean", H5T_NATIVE_DOUBLE, mean.data(), {nv});
      write(og, "ci95_low", H5T_NATIVE_DOUBLE, lo.data(), {nv});
      write(og, "ci95_high", H5T_NATIVE_DOUBLE, hi.data(), {nv});
      H5Gclose(og);
    }
    H5Gclose(kg);

    bool any_traj = false;
    for (const Record& r : res.records) any_traj |= !r.trajectory.empty();
    if (any_traj) {
      hid_t tg = H5Gcreate2(g, "trajectories", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
      for (const Record& r : res.records) {
        if (r.trajectory.empty() || !r.ok) continue;
        // Relative to the results file, so the folder can move as a whole.
        std::string target = std::filesystem::absolute(r.trajectory).lexically_relative(dir).string();
        check(H5Lcreate_external(target.c_str(), "/", tg, ("variant_" + std::to_string(r.variant)).c_str(), H5P_DEFAULT, H5P_DEFAULT),
              "link trajectory " + target);
      }
      H5Gclose(tg);
    }
    H5Gclose(g);
    check(H5Fclose(f), "close " + tmp);
  } catch (...) {
    H5Fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw RuntimeError("cannot write results file '" + path + "': " + ec.message());
  }
}

Results read_results(const std::string& path, const Spec& s) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Results res;
  res.records.resize(s.nvariant());
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) throw InputError(path, 0, 0, "expected a sweep results file, found a file HDF5 cannot open");
  hid_t g = H5Lexists(f, "sweep", H5P_DEFAULT) > 0 ? H5Gopen2(f, "sweep", H5P_DEFAULT) : -1;
  if (g < 0) {
    H5Fclose(f);
    throw InputError(path, 0, 0, "expected a sweep results file (with /sweep), found another HDF5 file; choose another -o");
  }
  const std::string sha = read_attr(g, "sweep_sha256");
  if (sha != s.sha256) {
    H5Gclose(g), H5Fclose(f);
    throw InputError(path, 0, 0, "expected results of " + s.file + " (SHA-256 " + s.sha256.substr(0, 12) +
                                     "...), found results of another sweep file (" + sha.substr(0, 12) +
                                     "...); choose another -o or remove the file");
  }
  try {
    const size_t nv = size_t(s.nvariant()), nr = size_t(s.replications);
    auto status = read<int8_t>(g, "status", H5T_NATIVE_INT8, nv);
    auto messages = read_strings(g, "messages", nv);
    auto wall = read<double>(g, "wall_seconds", H5T_NATIVE_DOUBLE, nv);
    auto hashes = read<uint64_t>(g, "state_hash", H5T_NATIVE_UINT64, nv);
    std::vector<std::vector<double>> values(s.outputs.size());
    for (size_t k = 0; k < s.outputs.size(); ++k) {
      const size_t reps = s.outputs[k].figure == Figure::process_kpi ? nr : 1;
      values[k] = read<double>(g, ("kpis/" + s.outputs[k].name + "/values").c_str(), H5T_NATIVE_DOUBLE, nv * reps);
    }
    for (size_t v = 0; v < nv; ++v) {
      if (status[v] == 0) continue;
      Record& r = res.records[v];
      r.variant = int(v);
      r.ok = status[v] == 1;
      r.message = messages[v];
      r.wall_seconds = wall[v];
      r.state_hash = hashes[v];
      r.values.resize(s.outputs.size());
      for (size_t k = 0; k < s.outputs.size(); ++k) {
        if (!r.ok) continue;
        const size_t reps = s.outputs[k].figure == Figure::process_kpi ? nr : 1;
        r.values[k].assign(values[k].begin() + v * reps, values[k].begin() + (v + 1) * reps);
      }
      std::string link = "trajectories/variant_" + std::to_string(v);
      if (H5Lexists(g, "trajectories", H5P_DEFAULT) > 0 && H5Lexists(g, link.c_str(), H5P_DEFAULT) > 0) {
        H5L_info_t info;
        char buf[4096];
        if (H5Lget_info(g, link.c_str(), &info, H5P_DEFAULT) >= 0 && info.type == H5L_TYPE_EXTERNAL &&
            H5Lget_val(g, link.c_str(), buf, sizeof buf, H5P_DEFAULT) >= 0) {
          const char *file = nullptr, *obj = nullptr;
          unsigned flags = 0;
          if (H5Lunpack_elink_val(buf, info.u.val_size, &flags, &file, &obj) >= 0 && file)
            r.trajectory = (std::filesystem::path(path).parent_path() / file).string();
        }
      }
    }
  } catch (const RuntimeError& e) {
    H5Gclose(g), H5Fclose(f);
    throw InputError(path, 0, 0, std::string("expected a complete sweep results file, found: ") + e.what());
  }
  H5Gclose(g), H5Fclose(f);
  return res;
}

}  // namespace werk::sweep
