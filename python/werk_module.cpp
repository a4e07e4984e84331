// Python bindings of the C++ API (the extension module werk._werk; the
// package werk in python/werk/__init__.py re-exports it with the
// exception classes).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <string>

#include "werk/error.h"
#include "werk/process_run.h"
#include "werk/recorder.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "werk/version.h"

namespace py = pybind11;

namespace {

using ModelPtr = std::shared_ptr<werk::Model>;

// Ids are plain ints in Python; each setter also takes a name.
template <class Id>
Id resolve(const werk::Model& m, const py::object& key, Id (werk::Model::*lookup)(const std::string&) const) {
  if (py::isinstance<py::str>(key)) return (m.*lookup)(key.cast<std::string>());
  return Id{key.cast<int32_t>()};
}

// A numpy array over one state array (worlds, bodies, k). On the CPU the
// array reads the backend's memory (no copy) and keeps the simulation alive.
template <class T>
py::array state_array(py::object self, werk::View<const T> (werk::Simulation::*view)(int)) {
  auto& sim = self.cast<werk::Simulation&>();
  constexpr py::ssize_t k = sizeof(T) / sizeof(float);
  const py::ssize_t nw = sim.nworld(), nb = sim.model().nbody();
  werk::View<const T> v = (sim.*view)(0);
  const float* data = reinterpret_cast<const float*>(v.data());
  std::vector<py::ssize_t> shape{nw, nb, k};
  std::vector<py::ssize_t> strides{py::ssize_t(sizeof(float)) * nb * k, py::ssize_t(sizeof(float)) * k, sizeof(float)};
  py::array a;
  if (sim.views_are_zero_copy()) {
    a = py::array(py::dtype::of<float>(), shape, strides, data, self);
    a.attr("setflags")(py::arg("write") = false);  // changes go through the setters
  } else {
    a = py::array(py::dtype::of<float>(), shape, strides, data);  // a copy the caller owns
  }
  return a;
}

py::dict kpi_dict(const werk::ProcessResult& r) {
  py::dict kpis;
  py::list records;
  for (const werk::Kpi& k : r.kpis) {
    py::dict d;
    d["unit"] = k.unit;
    d["mean"] = k.mean;
    if (std::isfinite(k.ci95_low)) d["ci95"] = py::make_tuple(k.ci95_low, k.ci95_high);
    else d["ci95"] = py::none();
    d["values"] = k.values;
    kpis[py::str(k.name)] = d;
    py::dict rec;
    rec["kpi"] = k.name;
    rec["unit"] = k.unit;
    rec["mean"] = k.mean;
    rec["ci95_low"] = k.ci95_low;
    rec["ci95_high"] = k.ci95_high;
    rec["replications"] = k.values.size();
    records.append(rec);
  }
  py::dict out;
  out["replications"] = r.replications;
  out["seed"] = r.seed;
  out["interrupted"] = r.interrupted;
  out["window_seconds"] = r.window_seconds;
  out["warmup_seconds"] = r.warmup_seconds;
  out["bottleneck"] = r.bottleneck.empty() ? py::object(py::none()) : py::object(py::str(r.bottleneck));
  out["events"] = r.events;
  out["kpis"] = kpis;
  out["records"] = records;
  return out;
}

werk::ProcessOptions process_options(int replications, py::object seed, int threads) {
  werk::ProcessOptions o;
  o.replications = replications;
  o.threads = threads;
  if (!seed.is_none()) o.seed = seed.cast<uint64_t>(), o.seed_set = true;
  return o;
}

}  // namespace

PYBIND11_MODULE(_werk, m) {
  m.doc() = "Werk: digital-twin physics and process simulation of production lines (C++ core bindings).";

  // Engine exceptions become the package's classes (python/werk/__init__.py).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const werk::InputError& e) {
      py::module_ pkg = py::module_::import("werk");
      const char* cls = dynamic_cast<const werk::NameError*>(&e) ? "UnknownNameError" : "InputError";
      py::object err = pkg.attr(cls)(e.what(), e.file(), e.line(), e.column(), e.message());
      PyErr_SetObject(err.get_type().ptr(), err.ptr());
    } catch (const werk::RuntimeError& e) {
      py::object err = py::module_::import("werk").attr("SimulationError")(e.what());
      PyErr_SetObject(err.get_type().ptr(), err.ptr());
    }
  });

  m.def("version", &werk::version, "The engine's version, e.g. '0.1.0'.");
  m.def("compiled_backends", &werk::compiled_backends, "The backends compiled in, e.g. 'cpu(openmp)'.");
  m.def("cuda_available", &werk::cuda_device_available, "True when the CUDA backend is compiled in and a device is present.");

  py::class_<werk::Model, ModelPtr>(m, "Model", "A compiled scene: everything that does not change while it runs (read-only).")
      .def_property_readonly("name", [](const werk::Model& x) { return x.name; })
      .def_property_readonly("source_file", [](const werk::Model& x) { return x.source_file; })
      .def_property_readonly("dt", [](const werk::Model& x) { return x.dt; }, "Time step (s).")
      .def_property_readonly("duration", [](const werk::Model& x) { return x.duration; }, "The scene's run length (s).")
      .def_property_readonly("nbody", &werk::Model::nbody)
      .def_property_readonly("body_names", [](const werk::Model& x) { return x.body_name; })
      .def_property_readonly("body_kinds", [](const werk::Model& x) {
             std::vector<std::string> k;
             for (werk::BodyKind b : x.body_kind)
               k.push_back(b == werk::BodyKind::Dynamic ? "dynamic" : b == werk::BodyKind::Kinematic ? "kinematic" : "static");
             return k;
           }, "'static', 'dynamic' or 'kinematic' per body.")
      .def_property_readonly("conveyor_names", [](const werk::Model& x) { return x.conveyor_name; })
      .def_property_readonly("joint_names", [](const werk::Model& x) { return x.joint_name; })
      .def("body", [](const werk::Model& x, const std::string& n) { return x.body(n).index; }, py::arg("name"),
           "Index of the body with this name; UnknownNameError (listing the names) when there is none.")
      .def("conveyor", [](const werk::Model& x, const std::string& n) { return x.conveyor(n).index; }, py::arg("name"),
           "Index of the conveyor with this name; UnknownNameError when there is none.")
      .def("joint", [](const werk::Model& x, const std::string& n) { return x.joint(n).index; }, py::arg("name"),
           "Index of the joint with this name; UnknownNameError when there is none.")
      .def("__repr__", [](const werk::Model& x) {
        return "<werk.Model '" + x.name + "': " + std::to_string(x.nbody()) + " bodies, " +
               std::to_string(x.nconveyor()) + " conveyors, " + std::to_string(x.njoint()) + " joints>";
      });

  m.def("load_scene", [](const std::string& path) { return std::make_shared<werk::Model>(werk::load_scene(path)); },
        py::arg("path"), "Reads and compiles a scene file (YAML). Raises InputError with file, line and column.");
  m.def("compile_scene",
        [](const std::string& text, const std::string& name) { return std::make_shared<werk::Model>(werk::compile_scene(text, name)); },
        py::arg("text"), py::arg("name") = "scene", "Compiles scene text; `name` stands for the file in messages.");

  py::class_<werk::Simulation>(m, "Simulation", R"doc(Steps a model's worlds on a backend.

Simulation(model, backend="auto", threads=0, worlds=1): backend is "auto",
"cpu" or "cuda"; threads are CPU threads (0: all cores). The simulation
keeps the model alive.

positions, orientations, velocities and angular_velocities are read-only
float32 arrays shaped (worlds, bodies, 3) ((..., 4) for orientations,
quaternions w, x, y, z). On the CPU backend they are views of the engine's
memory: no copy, the same buffer for the simulation's life, updated in
place by step(). On CUDA each access copies the state to a new array.)doc")
      .def(py::init([](const ModelPtr& model, const std::string& backend, int threads, int worlds) {
             werk::SimulationOptions o;
             o.backend = backend;
             o.threads = threads;
             o.nworld = worlds;
             return std::make_unique<werk::Simulation>(std::shared_ptr<const werk::Model>(model), o);
           }),
           py::arg("model"), py::arg("backend") = "auto", py::arg("threads") = 0, py::arg("worlds") = 1)
      .def("step", [](werk::Simulation& s, int n) {
             py::gil_scoped_release unlocked;
             s.step(n);
           }, py::arg("n") = 1, "Advances every world by n time steps (the GIL is released meanwhile).")
      .def_property_readonly("time", &werk::Simulation::time, "Simulated time (s).")
      .def_property_readonly("step_count", &werk::Simulation::step_count)
      .def_property_readonly("worlds", &werk::Simulation::nworld)
      .def_property_readonly("backend", &werk::Simulation::backend_name)
      .def_property_readonly("model", [](const werk::Simulation& s) { return std::const_pointer_cast<werk::Model>(s.shared_model()); })
      .def_property_readonly("zero_copy", &werk::Simulation::views_are_zero_copy,
                             "True when the state arrays are views of the engine's memory (CPU backend).")
      .def_property_readonly("positions", [](py::object self) { return state_array<werk::Vec3>(self, &werk::Simulation::positions); })
      .def_property_readonly("orientations", [](py::object self) { return state_array<werk::Quat>(self, &werk::Simulation::orientations); })
      .def_property_readonly("velocities", [](py::object self) { return state_array<werk::Vec3>(self, &werk::Simulation::velocities); })
      .def_property_readonly("angular_velocities",
                             [](py::object self) { return state_array<werk::Vec3>(self, &werk::Simulation::angular_velocities); })
      .def("state_hash", &werk::Simulation::hash, "Hash of the whole state's bits (the CLI's `werk bench` hash).")
      .def("set_conveyor_speed", [](werk::Simulation& s, py::object c, float v, int world) {
             s.set_conveyor_speed(resolve(s.model(), c, &werk::Model::conveyor), v, world);
           }, py::arg("conveyor"), py::arg("speed"), py::arg("world") = 0,
           "Sets a belt's surface speed (m/s); conveyor is an index or a name.")
      .def("conveyor_speed", [](werk::Simulation& s, py::object c, int world) {
             return s.conveyor_speed(resolve(s.model(), c, &werk::Model::conveyor), world);
           }, py::arg("conveyor"), py::arg("world") = 0)
      .def("set_motor_target", [](werk::Simulation& s, py::object j, float v, int world) {
             s.set_motor_target(resolve(s.model(), j, &werk::Model::joint), v, world);
           }, py::arg("joint"), py::arg("target"), py::arg("world") = 0,
           "Sets a joint motor's target (rad/s, m/s, rad or m, by the motor's kind).")
      .def("motor_target", [](werk::Simulation& s, py::object j, int world) {
             return s.motor_target(resolve(s.model(), j, &werk::Model::joint), world);
           }, py::arg("joint"), py::arg("world") = 0)
      .def("set_body_pose", [](werk::Simulation& s, py::object b, std::array<float, 3> p, std::array<float, 4> q, int world) {
             s.set_body_pose(resolve(s.model(), b, &werk::Model::body), {p[0], p[1], p[2]}, {q[0], q[1], q[2], q[3]}, world);
           }, py::arg("body"), py::arg("position"), py::arg("orientation") = std::array<float, 4>{1, 0, 0, 0},
           py::arg("world") = 0, "Moves a body (position m, orientation w, x, y, z) and wakes it.")
      .def("set_body_velocity", [](werk::Simulation& s, py::object b, std::array<float, 3> v, std::array<float, 3> w, int world) {
             s.set_body_velocity(resolve(s.model(), b, &werk::Model::body), {v[0], v[1], v[2]}, {w[0], w[1], w[2]}, world);
           }, py::arg("body"), py::arg("velocity"), py::arg("angular_velocity") = std::array<float, 3>{0, 0, 0},
           py::arg("world") = 0, "Sets a body's velocity (m/s) and angular velocity (rad/s) and wakes it.")
      .def("place_body", [](werk::Simulation& s, py::object b, std::array<float, 3> p, std::array<float, 4> q,
                            std::array<float, 3> v, std::array<float, 3> w, int world) {
             s.place_body(resolve(s.model(), b, &werk::Model::body), {p[0], p[1], p[2]}, {q[0], q[1], q[2], q[3]},
                          {v[0], v[1], v[2]}, {w[0], w[1], w[2]}, world);
           }, py::arg("body"), py::arg("position"), py::arg("orientation") = std::array<float, 4>{1, 0, 0, 0},
           py::arg("velocity") = std::array<float, 3>{0, 0, 0}, py::arg("angular_velocity") = std::array<float, 3>{0, 0, 0},
           py::arg("world") = 0, "Activates a body (an idle body of a part pool) at a pose and velocity.")
      .def("remove_body", [](werk::Simulation& s, py::object b, int world) {
             s.remove_body(resolve(s.model(), b, &werk::Model::body), world);
           }, py::arg("body"), py::arg("world") = 0, "Deactivates a body: out of the simulation, parked at its initial pose.")
      .def("body_active", [](werk::Simulation& s, py::object b, int world) {
             return s.body_active(resolve(s.model(), b, &werk::Model::body), world);
           }, py::arg("body"), py::arg("world") = 0);

  py::class_<werk::Recorder>(m, "Recorder", "Writes frames of a simulation to an H5MD file (see docs/output-format.md).")
      .def(py::init([](werk::Simulation& sim, const std::string& path, bool swmr) {
             werk::RecorderOptions o;
             o.backend = sim.backend_name();
             o.seed = sim.model().seed;
             o.swmr = swmr;
             return std::make_unique<werk::Recorder>(sim.model(), path, o);
           }),
           py::arg("sim"), py::arg("path"), py::arg("swmr") = true)
      .def("record", [](werk::Recorder& r, werk::Simulation& s) { r.record(s.state()); }, py::arg("sim"),
           "Appends one frame of every world.")
      .def("flush", &werk::Recorder::flush)
      .def("close", &werk::Recorder::close)
      .def_property_readonly("frames", &werk::Recorder::frames)
      .def("__enter__", [](werk::Recorder& r) -> werk::Recorder& { return r; }, py::return_value_policy::reference)
      .def("__exit__", [](werk::Recorder& r, py::args) { r.close(); });

  m.def("run_process", [](const std::string& scene, int replications, py::object seed, int threads) {
          werk::ProcessOptions o = process_options(replications, seed, threads);
          werk::ProcessResult r;
          {
            py::gil_scoped_release unlocked;
            r = werk::run_process(scene, o);
          }
          return kpi_dict(r);
        }, py::arg("scene"), py::arg("replications") = 0, py::arg("seed") = py::none(), py::arg("threads") = 0,
        R"doc(Runs the process simulation of a scene file's process: section.

replications 0: the scene's; seed None: the scene's; threads 0: all cores.
Returns a dict: replications, seed, bottleneck, events, window_seconds,
warmup_seconds, interrupted, kpis (name -> {unit, mean, ci95: (low, high) or
None, values: per replication}: the numbers of `werk run --kpis`) and records
(one flat dict per KPI, for pandas.DataFrame).)doc");
  m.def("run_process_text", [](const std::string& text, const std::string& name, int replications, py::object seed, int threads) {
          werk::ProcessOptions o = process_options(replications, seed, threads);
          werk::ProcessModel pm = werk::ProcessModel::from_text(text, name);
          werk::ProcessResult r;
          {
            py::gil_scoped_release unlocked;
            r = pm.run(o);
          }
          return kpi_dict(r);
        }, py::arg("text"), py::arg("name") = "scene", py::arg("replications") = 0, py::arg("seed") = py::none(),
        py::arg("threads") = 0, "run_process() for scene text in memory.");
}
