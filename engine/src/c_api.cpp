// The C API (werk/werk.h) over the C++ API: every entry point runs inside
// guard(), which turns every exception into a status code and a message.
#include "werk/werk.h"

#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "werk/error.h"
#include "werk/process_run.h"
#include "werk/recorder.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "werk/version.h"

struct werk_model {
  std::shared_ptr<const werk::Model> model;
};
struct werk_sim {
  std::unique_ptr<werk::Simulation> sim;
  std::string backend_name;
};
struct werk_recorder {
  std::unique_ptr<werk::Recorder> recorder;
};
struct werk_process_result {
  werk::ProcessResult result;
};

namespace {

struct LastError {
  werk_status status = WERK_OK;
  std::string message, file;
  int line = 0, column = 0;
};
thread_local LastError g_error;

werk_status fail(werk_status status, const std::string& message, const std::string& file = "", int line = 0,
                 int column = 0) {
  try {
    g_error.status = status;
    g_error.message = message;
    g_error.file = file;
    g_error.line = line;
    g_error.column = column;
  } catch (...) {  // no memory for the message: the status still says what happened
  }
  return status;
}

// Runs f(); any exception becomes a status and a message.
template <class F>
werk_status guard(F&& f) noexcept {
  try {
    return f();
  } catch (const werk::NameError& e) {
    return fail(WERK_E_NOT_FOUND, e.what(), e.file(), e.line(), e.column());
  } catch (const werk::InputError& e) {
    return fail(WERK_E_INPUT, e.what(), e.file(), e.line(), e.column());
  } catch (const werk::RuntimeError& e) {
    return fail(WERK_E_RUNTIME, e.what());
  } catch (const std::out_of_range& e) {
    return fail(WERK_E_RANGE, e.what());
  } catch (const std::bad_alloc&) {
    return fail(WERK_E_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(WERK_E_INTERNAL, e.what());
  } catch (...) {
    return fail(WERK_E_INTERNAL, "unknown error");
  }
}

werk_status null_argument(const char* function, const char* what) noexcept {
  try {
    return fail(WERK_E_ARGUMENT, std::string(function) + ": " + what + " is NULL");
  } catch (...) {
    g_error.status = WERK_E_ARGUMENT;
    return WERK_E_ARGUMENT;
  }
}

#define WERK_REQUIRE(p) \
  if (!(p)) return null_argument(__func__, #p)

// Copies one world's vectors into the caller's buffer of n floats.
template <class T>
werk_status copy_out(const werk::View<const T>& v, float* out, size_t n, const char* function) {
  constexpr size_t k = sizeof(T) / sizeof(float);
  if (n < v.size() * k)
    return fail(WERK_E_RANGE, std::string(function) + ": the buffer holds " + std::to_string(n) + " floats, " +
                                  std::to_string(v.size() * k) + " are needed (" + std::to_string(k) + " per body)");
  if (!v.empty()) std::memcpy(out, v.data(), v.size() * sizeof(T));
  return WERK_OK;
}

werk_status process_run(const std::optional<std::string>& path, const char* text, const char* name, int replications,
                        int64_t seed, int threads, werk_process_result** out) {
  werk::ProcessOptions o;
  o.replications = replications;
  o.threads = threads;
  if (seed >= 0) o.seed = uint64_t(seed), o.seed_set = true;
  auto model = path ? werk::ProcessModel::from_file(*path) : werk::ProcessModel::from_text(text, name ? name : "scene");
  auto r = std::make_unique<werk_process_result>();
  r->result = model.run(o);
  *out = r.release();
  return WERK_OK;
}

const werk::Kpi* find_kpi(const werk_process_result* r, const char* name) { return &r->result.kpi(name); }

}  // namespace

extern "C" {

int werk_api_version(void) { return WERK_API_VERSION; }

const char* werk_version(void) {
  static const std::string v = werk::version();
  return v.c_str();
}

const char* werk_last_error(void) { return g_error.message.c_str(); }

werk_status werk_last_error_location(const char** file, int* line, int* column) {
  if (file) *file = g_error.file.c_str();
  if (line) *line = g_error.line;
  if (column) *column = g_error.column;
  return g_error.status;
}

const char* werk_status_name(werk_status s) {
  switch (s) {
    case WERK_OK: return "WERK_OK";
    case WERK_E_ARGUMENT: return "WERK_E_ARGUMENT";
    case WERK_E_INPUT: return "WERK_E_INPUT";
    case WERK_E_NOT_FOUND: return "WERK_E_NOT_FOUND";
    case WERK_E_RANGE: return "WERK_E_RANGE";
    case WERK_E_UNAVAILABLE: return "WERK_E_UNAVAILABLE";
    case WERK_E_RUNTIME: return "WERK_E_RUNTIME";
    case WERK_E_MEMORY: return "WERK_E_MEMORY";
    case WERK_E_INTERNAL: return "WERK_E_INTERNAL";
  }
  return "WERK_E_UNKNOWN";
}

int werk_cuda_available(void) {
  try {
    return werk::cuda_device_available() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

// ---- models ---------------------------------------------------------------

werk_status werk_model_load(const char* path, werk_model** out) {
  return guard([&] {
    WERK_REQUIRE(path);
    WERK_REQUIRE(out);
    auto m = std::make_unique<werk_model>();
    m->model = std::make_shared<const werk::Model>(werk::load_scene(path));
    *out = m.release();
    return WERK_OK;
  });
}

werk_status werk_model_from_text(const char* text, const char* name, werk_model** out) {
  return guard([&] {
    WERK_REQUIRE(text);
    WERK_REQUIRE(out);
    auto m = std::make_unique<werk_model>();
    m->model = std::make_shared<const werk::Model>(werk::compile_scene(text, name ? name : "scene"));
    *out = m.release();
    return WERK_OK;
  });
}

void werk_model_free(werk_model* model) { delete model; }

werk_status werk_model_body_count(const werk_model* model, int* out) {
  WERK_REQUIRE(model);
  WERK_REQUIRE(out);
  *out = model->model->nbody();
  return WERK_OK;
}

werk_status werk_model_conveyor_count(const werk_model* model, int* out) {
  WERK_REQUIRE(model);
  WERK_REQUIRE(out);
  *out = model->model->nconveyor();
  return WERK_OK;
}

werk_status werk_model_joint_count(const werk_model* model, int* out) {
  WERK_REQUIRE(model);
  WERK_REQUIRE(out);
  *out = model->model->njoint();
  return WERK_OK;
}

werk_status werk_model_dt(const werk_model* model, double* out) {
  WERK_REQUIRE(model);
  WERK_REQUIRE(out);
  *out = model->model->dt;
  return WERK_OK;
}

werk_status werk_model_body(const werk_model* model, const char* name, int* id) {
  return guard([&] {
    WERK_REQUIRE(model);
    WERK_REQUIRE(name);
    WERK_REQUIRE(id);
    *id = model->model->body(name).index;
    return WERK_OK;
  });
}

werk_status werk_model_conveyor(const werk_model* model, const char* name, int* id) {
  return guard([&] {
    WERK_REQUIRE(model);
    WERK_REQUIRE(name);
    WERK_REQUIRE(id);
    *id = model->model->conveyor(name).index;
    return WERK_OK;
  });
}

werk_status werk_model_joint(const werk_model* model, const char* name, int* id) {
  return guard([&] {
    WERK_REQUIRE(model);
    WERK_REQUIRE(name);
    WERK_REQUIRE(id);
    *id = model->model->joint(name).index;
    return WERK_OK;
  });
}

werk_status werk_model_body_name(const werk_model* model, int id, const char** name) {
  return guard([&] {
    WERK_REQUIRE(model);
    WERK_REQUIRE(name);
    if (id < 0 || id >= model->model->nbody())
      return fail(WERK_E_RANGE, "werk_model_body_name: body id " + std::to_string(id) + " is out of range: the model has " +
                                    std::to_string(model->model->nbody()));
    *name = model->model->body_name[id].c_str();
    return WERK_OK;
  });
}

// ---- simulations ----------------------------------------------------------

werk_status werk_sim_create(const werk_model* model, const char* backend, int threads, int worlds, werk_sim** out) {
  return guard([&] {
    WERK_REQUIRE(model);
    WERK_REQUIRE(out);
    werk::SimulationOptions o;
    o.backend = backend ? backend : "auto";
    o.threads = threads;
    o.nworld = worlds;
    if (o.backend == "cuda" && !werk::cuda_device_available())
      return fail(WERK_E_UNAVAILABLE, "werk_sim_create: the CUDA backend is not available here (backends: " +
                                          werk::compiled_backends() + ", and no CUDA device is present)");
    auto s = std::make_unique<werk_sim>();
    s->sim = std::make_unique<werk::Simulation>(model->model, o);
    s->backend_name = s->sim->backend_name();
    *out = s.release();
    return WERK_OK;
  });
}

void werk_sim_free(werk_sim* sim) { delete sim; }

werk_status werk_sim_step(werk_sim* sim, int steps) {
  return guard([&] {
    WERK_REQUIRE(sim);
    if (steps < 0) return fail(WERK_E_ARGUMENT, "werk_sim_step: steps must be >= 0, found " + std::to_string(steps));
    sim->sim->step(steps);
    return WERK_OK;
  });
}

werk_status werk_sim_time(const werk_sim* sim, double* seconds) {
  WERK_REQUIRE(sim);
  WERK_REQUIRE(seconds);
  *seconds = sim->sim->time();
  return WERK_OK;
}

werk_status werk_sim_step_count(const werk_sim* sim, int64_t* steps) {
  WERK_REQUIRE(sim);
  WERK_REQUIRE(steps);
  *steps = sim->sim->step_count();
  return WERK_OK;
}

werk_status werk_sim_backend_name(const werk_sim* sim, const char** name) {
  WERK_REQUIRE(sim);
  WERK_REQUIRE(name);
  *name = sim->backend_name.c_str();
  return WERK_OK;
}

werk_status werk_sim_state_hash(werk_sim* sim, uint64_t* hash) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(hash);
    *hash = sim->sim->hash();
    return WERK_OK;
  });
}

werk_status werk_sim_get_positions(werk_sim* sim, int world, float* out, size_t n) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(out);
    return copy_out(sim->sim->positions(world), out, n, __func__);
  });
}

werk_status werk_sim_get_orientations(werk_sim* sim, int world, float* out, size_t n) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(out);
    return copy_out(sim->sim->orientations(world), out, n, __func__);
  });
}

werk_status werk_sim_get_velocities(werk_sim* sim, int world, float* out, size_t n) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(out);
    return copy_out(sim->sim->velocities(world), out, n, __func__);
  });
}

werk_status werk_sim_get_angular_velocities(werk_sim* sim, int world, float* out, size_t n) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(out);
    return copy_out(sim->sim->angular_velocities(world), out, n, __func__);
  });
}

werk_status werk_sim_set_conveyor_speed(werk_sim* sim, int conveyor, int world, float speed) {
  return guard([&] {
    WERK_REQUIRE(sim);
    sim->sim->set_conveyor_speed(werk::ConveyorId{conveyor}, speed, world);
    return WERK_OK;
  });
}

werk_status werk_sim_get_conveyor_speed(werk_sim* sim, int conveyor, int world, float* speed) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(speed);
    *speed = sim->sim->conveyor_speed(werk::ConveyorId{conveyor}, world);
    return WERK_OK;
  });
}

werk_status werk_sim_set_motor_target(werk_sim* sim, int joint, int world, float target) {
  return guard([&] {
    WERK_REQUIRE(sim);
    sim->sim->set_motor_target(werk::JointId{joint}, target, world);
    return WERK_OK;
  });
}

werk_status werk_sim_set_body_pose(werk_sim* sim, int body, int world, const float position[3],
                                   const float orientation[4]) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(position);
    WERK_REQUIRE(orientation);
    sim->sim->set_body_pose(werk::BodyId{body}, werk::Vec3{position[0], position[1], position[2]},
                            werk::Quat{orientation[0], orientation[1], orientation[2], orientation[3]}, world);
    return WERK_OK;
  });
}

werk_status werk_sim_set_body_velocity(werk_sim* sim, int body, int world, const float velocity[3],
                                       const float angular_velocity[3]) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(velocity);
    WERK_REQUIRE(angular_velocity);
    sim->sim->set_body_velocity(werk::BodyId{body}, werk::Vec3{velocity[0], velocity[1], velocity[2]},
                                werk::Vec3{angular_velocity[0], angular_velocity[1], angular_velocity[2]}, world);
    return WERK_OK;
  });
}

// ---- recording ------------------------------------------------------------

werk_status werk_recorder_open(const werk_sim* sim, const char* path, werk_recorder** out) {
  return guard([&] {
    WERK_REQUIRE(sim);
    WERK_REQUIRE(path);
    WERK_REQUIRE(out);
    werk::RecorderOptions o;
    o.backend = sim->backend_name;
    o.seed = sim->sim->model().seed;
    auto r = std::make_unique<werk_recorder>();
    r->recorder = std::make_unique<werk::Recorder>(sim->sim->model(), path, o);
    *out = r.release();
    return WERK_OK;
  });
}

werk_status werk_recorder_record(werk_recorder* recorder, werk_sim* sim) {
  return guard([&] {
    WERK_REQUIRE(recorder);
    WERK_REQUIRE(sim);
    recorder->recorder->record(sim->sim->state());
    return WERK_OK;
  });
}

werk_status werk_recorder_frames(const werk_recorder* recorder, int64_t* frames) {
  WERK_REQUIRE(recorder);
  WERK_REQUIRE(frames);
  *frames = recorder->recorder->frames();
  return WERK_OK;
}

werk_status werk_recorder_close(werk_recorder* recorder) {
  return guard([&] {
    WERK_REQUIRE(recorder);
    recorder->recorder->close();
    return WERK_OK;
  });
}

void werk_recorder_free(werk_recorder* recorder) {
  if (!recorder) return;
  guard([&] {
    recorder->recorder->close();
    return WERK_OK;
  });
  delete recorder;
}

// ---- process simulation ---------------------------------------------------

werk_status werk_process_run(const char* path, int replications, int64_t seed, int threads, werk_process_result** out) {
  return guard([&] {
    WERK_REQUIRE(path);
    WERK_REQUIRE(out);
    return process_run(std::string(path), nullptr, nullptr, replications, seed, threads, out);
  });
}

werk_status werk_process_run_text(const char* text, const char* name, int replications, int64_t seed, int threads,
                                  werk_process_result** out) {
  return guard([&] {
    WERK_REQUIRE(text);
    WERK_REQUIRE(out);
    return process_run(std::nullopt, text, name, replications, seed, threads, out);
  });
}

void werk_process_result_free(werk_process_result* result) { delete result; }

werk_status werk_process_kpi_count(const werk_process_result* result, int* count) {
  WERK_REQUIRE(result);
  WERK_REQUIRE(count);
  *count = int(result->result.kpis.size());
  return WERK_OK;
}

werk_status werk_process_kpi_name(const werk_process_result* result, int index, const char** name, const char** unit) {
  return guard([&] {
    WERK_REQUIRE(result);
    const auto& kpis = result->result.kpis;
    if (index < 0 || size_t(index) >= kpis.size())
      return fail(WERK_E_RANGE, "werk_process_kpi_name: index " + std::to_string(index) + " is out of range: there are " +
                                    std::to_string(kpis.size()) + " KPIs");
    if (name) *name = kpis[index].name.c_str();
    if (unit) *unit = kpis[index].unit.c_str();
    return WERK_OK;
  });
}

werk_status werk_process_kpi(const werk_process_result* result, const char* name, double* mean, double* ci95_low,
                             double* ci95_high) {
  return guard([&] {
    WERK_REQUIRE(result);
    WERK_REQUIRE(name);
    const werk::Kpi* k = find_kpi(result, name);
    if (mean) *mean = k->mean;
    if (ci95_low) *ci95_low = k->ci95_low;
    if (ci95_high) *ci95_high = k->ci95_high;
    return WERK_OK;
  });
}

werk_status werk_process_kpi_values(const werk_process_result* result, const char* name, double* out, size_t n,
                                    size_t* count) {
  return guard([&] {
    WERK_REQUIRE(result);
    WERK_REQUIRE(name);
    const werk::Kpi* k = find_kpi(result, name);
    if (count) *count = k->values.size();
    if (n < k->values.size())
      return fail(WERK_E_RANGE, "werk_process_kpi_values: the buffer holds " + std::to_string(n) + " values, " +
                                    std::to_string(k->values.size()) + " are needed (one per replication)");
    if (!k->values.empty()) {
      WERK_REQUIRE(out);
      std::memcpy(out, k->values.data(), k->values.size() * sizeof(double));
    }
    return WERK_OK;
  });
}

werk_status werk_process_bottleneck(const werk_process_result* result, const char** name) {
  WERK_REQUIRE(result);
  WERK_REQUIRE(name);
  *name = result->result.bottleneck.c_str();
  return WERK_OK;
}

werk_status werk_process_json(const werk_process_result* result, const char** json) {
  WERK_REQUIRE(result);
  WERK_REQUIRE(json);
  *json = result->result.json.c_str();
  return WERK_OK;
}

}  // extern "C"
