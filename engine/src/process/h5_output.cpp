#include "h5_output.h"

#include <cmath>
#include <cstring>

#include "h5_common.h"
#include "werk/error.h"

namespace werk::process {

namespace {

constexpr hsize_t kChunk = 4096;

void check(herr_t status, const char* what) {
  if (status < 0) throw RuntimeError(std::string("HDF5: cannot ") + what);
}

// An empty one-dimensional dataset that grows in chunks, deflated.
hid_t create_growing(hid_t group, const char* name, hid_t type) {
  hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = kChunk;
  hid_t space = H5Screate_simple(1, &dims, &maxdims);
  hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(plist, 1, &chunk);
  H5Pset_deflate(plist, 4);
  hid_t ds = H5Dcreate2(group, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
  H5Pclose(plist);
  H5Sclose(space);
  if (ds < 0) throw RuntimeError(std::string("HDF5: cannot create dataset ") + name);
  return ds;
}

// Appends n values to a growing dataset.
void append(hid_t ds, hid_t type, const void* data, hsize_t n) {
  if (n == 0) return;
  hid_t space = H5Dget_space(ds);
  hsize_t old = 0;
  H5Sget_simple_extent_dims(space, &old, nullptr);
  H5Sclose(space);
  hsize_t size = old + n;
  check(H5Dset_extent(ds, &size), "extend a dataset");
  space = H5Dget_space(ds);
  H5Sselect_hyperslab(space, H5S_SELECT_SET, &old, nullptr, &n, nullptr);
  hid_t mem = H5Screate_simple(1, &n, nullptr);
  check(H5Dwrite(ds, type, mem, space, H5P_DEFAULT, data), "write a dataset");
  H5Sclose(mem);
  H5Sclose(space);
}

// Opens a growing dataset of an interrupted run and cuts it to `rows`.
hid_t reopen_growing(hid_t group, const char* name, int64_t rows) {
  hid_t ds = H5Dopen2(group, name, H5P_DEFAULT);
  if (ds < 0) throw RuntimeError(std::string("HDF5: cannot reopen dataset ") + name);
  hid_t space = H5Dget_space(ds);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  H5Sclose(space);
  hsize_t keep = hsize_t(rows);
  if (rows < 0 || n < keep) {
    H5Dclose(ds);
    throw RuntimeError(std::string("the running file has fewer rows of ") + name + " than the checkpoint");
  }
  check(H5Dset_extent(ds, &keep), "cut a dataset");
  return ds;
}

// The rows of a growing dataset.
int64_t rows_of(hid_t ds) {
  hid_t space = H5Dget_space(ds);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  H5Sclose(space);
  return int64_t(n);
}

void write_doubles(hid_t group, const char* name, const std::vector<double>& v, hsize_t rows = 0) {
  hsize_t dims[2] = {rows ? rows : v.size(), rows ? v.size() / rows : 0};
  hid_t space = H5Screate_simple(rows ? 2 : 1, dims, nullptr);
  hid_t ds = H5Dcreate2(group, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (!v.empty()) check(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "write values");
  H5Dclose(ds);
  H5Sclose(space);
}

void attr_string(hid_t obj, const char* name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.size() + 1);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, value.c_str());
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(type);
}

}  // namespace

// One H5MD time series (step, time, value) with its buffers.
struct H5Trace::Series {
  hid_t group = -1, step = -1, time = -1, value = -1;
  std::vector<int64_t> steps;
  std::vector<double> times;
  std::vector<int64_t> values;

  Series(hid_t parent, const std::string& node, const char* observable, const std::string& unit, int64_t resume) {
    hid_t g = h5::open_or_create_group(parent, node);
    if (resume >= 0) {
      group = H5Gopen2(g, observable, H5P_DEFAULT);
      H5Gclose(g);
      if (group < 0) throw RuntimeError("HDF5: cannot reopen /observables/" + node + "/" + observable);
      step = reopen_growing(group, "step", resume);
      time = reopen_growing(group, "time", resume);
      value = reopen_growing(group, "value", resume);
      return;
    }
    group = H5Gcreate2(g, observable, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    if (group < 0) throw RuntimeError("HDF5: cannot create /observables/" + node + "/" + observable);
    step = create_growing(group, "step", H5T_NATIVE_INT64);
    time = create_growing(group, "time", H5T_NATIVE_DOUBLE);
    value = create_growing(group, "value", H5T_NATIVE_INT64);
    attr_string(time, "unit", "s");
    attr_string(step, "unit", "ns");
    if (!unit.empty()) attr_string(value, "unit", unit);
  }
  void add(Tick t, int64_t v) {
    steps.push_back(t);
    times.push_back(to_seconds(t));
    values.push_back(v);
    if (steps.size() >= kChunk) flush();
  }
  void flush() {
    append(step, H5T_NATIVE_INT64, steps.data(), steps.size());
    append(time, H5T_NATIVE_DOUBLE, times.data(), times.size());
    append(value, H5T_NATIVE_INT64, values.data(), values.size());
    steps.clear(), times.clear(), values.clear();
  }
  ~Series() {
    for (hid_t h : {step, time, value}) if (h >= 0) H5Dclose(h);
    if (group >= 0) H5Gclose(group);
  }
};

// The event log: time, object, event, part as parallel columns.
struct H5Trace::Table {
  hid_t group, time, object, event, part;
  std::vector<double> times;
  std::vector<int32_t> objects;
  std::vector<uint8_t> events;
  std::vector<int64_t> parts;

  Table(hid_t process, int64_t resume) {
    if (resume >= 0) {
      group = H5Gopen2(process, "events", H5P_DEFAULT);
      if (group < 0) throw RuntimeError("HDF5: cannot reopen /process/events");
      time = reopen_growing(group, "time", resume);
      object = reopen_growing(group, "object", resume);
      event = reopen_growing(group, "event", resume);
      part = reopen_growing(group, "part", resume);
      return;
    }
    group = H5Gcreate2(process, "events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) throw RuntimeError("HDF5: cannot create /process/events");
    time = create_growing(group, "time", H5T_NATIVE_DOUBLE);
    object = create_growing(group, "object", H5T_NATIVE_INT32);
    event = create_growing(group, "event", H5T_NATIVE_UINT8);
    part = create_growing(group, "part", H5T_NATIVE_INT64);
    attr_string(time, "unit", "s");
  }
  void add(Tick t, int node, LogEvent e, uint64_t p) {
    times.push_back(to_seconds(t));
    objects.push_back(node);
    events.push_back(uint8_t(e));
    parts.push_back(int64_t(p));
    if (times.size() >= kChunk) flush();
  }
  void flush() {
    append(time, H5T_NATIVE_DOUBLE, times.data(), times.size());
    append(object, H5T_NATIVE_INT32, objects.data(), objects.size());
    append(event, H5T_NATIVE_UINT8, events.data(), events.size());
    append(part, H5T_NATIVE_INT64, parts.data(), parts.size());
    times.clear(), objects.clear(), events.clear(), parts.clear();
  }
  ~Table() {
    for (hid_t h : {time, object, event, part}) H5Dclose(h);
    H5Gclose(group);
  }
};

H5Trace::H5Trace(hid_t file, const Model& model, const std::vector<int64_t>* resume) : file_(file), model_(model) {
  // Rows per series in sync()'s order: per node with a series, then the event log.
  size_t next = 0;
  auto rows = [&]() -> int64_t {
    if (!resume) return -1;
    if (next >= resume->size()) throw RuntimeError("process trace: the checkpoint lists fewer series than the scene has");
    return (*resume)[next++];
  };
  hid_t obs = h5::open_or_create_group(file, "observables");
  series_.resize(model.nodes.size());
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    const NodeSpec& n = model.nodes[i];
    if (n.kind == NodeKind::station) series_[i] = std::make_unique<Series>(obs, n.name, "state", "", rows());
    if (n.kind == NodeKind::buffer || n.kind == NodeKind::conveyor)
      series_[i] = std::make_unique<Series>(obs, n.name, "length", "parts", rows());
  }
  H5Gclose(obs);
  hid_t proc = h5::open_or_create_group(file, "process");
  if (!resume) {
    // The names that decode the integer columns.
    std::vector<std::string> names, states(kStateNames, kStateNames + kStateCount),
        events(kLogEventNames, kLogEventNames + kLogEventCount), types;
    for (auto& n : model.nodes) names.push_back(n.name);
    h5::write_text_list(proc, "objects", names);
    h5::write_text_list(proc, "state_names", states);
    h5::write_text_list(proc, "event_names", events);
  }
  if (model.event_log) events_ = std::make_unique<Table>(proc, rows());
  H5Gclose(proc);
  if (resume && next != resume->size()) throw RuntimeError("process trace: the checkpoint lists more series than the scene has");
}

std::vector<int64_t> H5Trace::sync() {
  std::vector<int64_t> rows;
  for (auto& s : series_)
    if (s) s->flush(), rows.push_back(rows_of(s->step));
  if (events_) events_->flush(), rows.push_back(rows_of(events_->time));
  return rows;
}

H5Trace::~H5Trace() { close(); }

void H5Trace::state(int node, Tick t, State s) {
  if (series_[node]) series_[node]->add(t, int64_t(s));
}
void H5Trace::length(int node, Tick t, int64_t n) {
  if (series_[node]) series_[node]->add(t, n);
}
void H5Trace::event(Tick t, int node, LogEvent e, uint64_t part) {
  if (events_) events_->add(t, node, e, part);
}

void H5Trace::close() {
  for (auto& s : series_)
    if (s) s->flush(), s.reset();
  if (events_) events_->flush(), events_.reset();
}

void write_kpis_h5(hid_t file, const Model& model, const Experiment& e, uint64_t seed) {
  hid_t proc = h5::open_or_create_group(file, "process");
  // A run resumed after a kill finds whatever its killed part wrote after
  // the checkpoint; KPIs it wrote at its end are written anew.
  if (H5Lexists(proc, "kpis", H5P_DEFAULT) > 0 && H5Ldelete(proc, "kpis", H5P_DEFAULT) < 0)
    throw RuntimeError("HDF5: cannot replace /process/kpis");
  hid_t g = H5Gcreate2(proc, "kpis", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw RuntimeError("HDF5: cannot create /process/kpis");
  std::vector<std::string> names, units;
  std::vector<double> mean, lo, hi, values;
  size_t reps = e.runs.size();
  for (auto& k : e.kpis) {
    names.push_back(k.name), units.push_back(k.unit);
    mean.push_back(k.mean), lo.push_back(k.low()), hi.push_back(k.high());
  }
  // values[r][k]: one row per replication.
  for (size_t r = 0; r < reps; ++r)
    for (auto& k : e.kpis) values.push_back(k.values[r]);
  h5::write_text_list(g, "name", names);
  h5::write_text_list(g, "unit", units);
  write_doubles(g, "mean", mean);
  write_doubles(g, "ci95_low", lo);
  write_doubles(g, "ci95_high", hi);
  write_doubles(g, "values", values, reps);
  attr_string(g, "bottleneck", e.bottleneck >= 0 ? model.nodes[e.bottleneck].name : "");
  attr_string(g, "seed", std::to_string(seed));
  attr_string(g, "replications", std::to_string(reps));
  H5Gclose(g);
  H5Gclose(proc);
}

}  // namespace werk::process
