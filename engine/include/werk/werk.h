/* Werk's stable C API (C99): for tools in C, C#/.NET (P/Invoke), Delphi,
 * LabVIEW, Python ctypes and anything else that calls C.
 *
 * Rules that hold for every function:
 *  - it returns a werk_status; WERK_OK (0) is success. On failure the
 *    outputs are left untouched and werk_last_error() describes what went
 *    wrong (for a bad scene: "file:line:column: message"), until the next
 *    failing call on the same thread;
 *  - no C++ exception ever leaves the library;
 *  - handles are opaque; each *_free accepts NULL; every handle is freed by
 *    its own *_free and nothing else (a simulation keeps its own reference
 *    to the model, so the model may be freed first);
 *  - bulk reads fill a buffer the caller owns, whose length (in elements)
 *    is passed in and checked;
 *  - ids are 0-based indices obtained from the name lookups; `world` is
 *    0-based (0 for a single-world simulation);
 *  - strings returned as `const char*` are owned by the handle they come
 *    from and live as long as it does.
 * Units are SI; positions float[3] (m), orientations float[4] (w, x, y, z).
 *
 * A handle may be used by one thread at a time; different handles may be
 * used from different threads.
 */
#ifndef WERK_WERK_H
#define WERK_WERK_H

#include <stddef.h>
#include <stdint.h>

#include "werk/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when the C API changes incompatibly; additions keep it. */
#define WERK_API_VERSION 1

typedef enum werk_status {
  WERK_OK = 0,
  WERK_E_ARGUMENT = 1,    /* a NULL handle or pointer, or a value outside its domain */
  WERK_E_INPUT = 2,       /* a bad scene or option: werk_last_error() has file:line:column */
  WERK_E_NOT_FOUND = 3,   /* no body, conveyor, joint or KPI of that name */
  WERK_E_RANGE = 4,       /* an id, world or index out of range, or a buffer too small */
  WERK_E_UNAVAILABLE = 5, /* the backend asked for is not available (e.g. no CUDA device) */
  WERK_E_RUNTIME = 6,     /* a failure while running (a file that cannot be written, ...) */
  WERK_E_MEMORY = 7,      /* out of memory */
  WERK_E_INTERNAL = 8     /* anything else (a bug: please report it with the message) */
} werk_status;

typedef struct werk_model werk_model;                   /* a compiled scene */
typedef struct werk_sim werk_sim;                       /* a simulation of a model's worlds */
typedef struct werk_recorder werk_recorder;             /* an H5MD trajectory file being written */
typedef struct werk_process_result werk_process_result; /* the KPIs of a process simulation */

/* ---- versions and errors ------------------------------------------------ */
WERK_API int werk_api_version(void);      /* WERK_API_VERSION of the library */
WERK_API const char* werk_version(void);  /* engine version, e.g. "0.1.0" */
/* The message of the last failure on this thread ("" when none). */
WERK_API const char* werk_last_error(void);
/* The last failure's status, and where a scene error is: file (or ""),
 * line and column (1-based; 0 when unknown). Any pointer may be NULL. */
WERK_API werk_status werk_last_error_location(const char** file, int* line, int* column);
/* "WERK_OK", "WERK_E_INPUT", ... */
WERK_API const char* werk_status_name(werk_status status);
/* 1 when the CUDA backend is compiled in and a device is present, else 0. */
WERK_API int werk_cuda_available(void);

/* ---- models --------------------------------------------------------------- */
WERK_API werk_status werk_model_load(const char* path, werk_model** out);
/* From scene text in memory; `name` stands for the file in messages and
 * anchors relative paths (meshes). */
WERK_API werk_status werk_model_from_text(const char* text, const char* name, werk_model** out);
WERK_API void werk_model_free(werk_model* model);
WERK_API werk_status werk_model_body_count(const werk_model* model, int* out);
WERK_API werk_status werk_model_conveyor_count(const werk_model* model, int* out);
WERK_API werk_status werk_model_joint_count(const werk_model* model, int* out);
WERK_API werk_status werk_model_dt(const werk_model* model, double* out); /* time step (s) */
/* Lookups by name: WERK_E_NOT_FOUND (the message lists the names) when absent. */
WERK_API werk_status werk_model_body(const werk_model* model, const char* name, int* id);
WERK_API werk_status werk_model_conveyor(const werk_model* model, const char* name, int* id);
WERK_API werk_status werk_model_joint(const werk_model* model, const char* name, int* id);
WERK_API werk_status werk_model_body_name(const werk_model* model, int id, const char** name);

/* ---- simulations ---------------------------------------------------------- */
/* backend: "auto", "cpu" or "cuda" (NULL: "auto"); threads: CPU threads,
 * 0 = all cores; worlds >= 1. "cuda" with no device: WERK_E_UNAVAILABLE. */
WERK_API werk_status werk_sim_create(const werk_model* model, const char* backend, int threads, int worlds,
                                     werk_sim** out);
WERK_API void werk_sim_free(werk_sim* sim);
WERK_API werk_status werk_sim_step(werk_sim* sim, int steps);
WERK_API werk_status werk_sim_time(const werk_sim* sim, double* seconds);
WERK_API werk_status werk_sim_step_count(const werk_sim* sim, int64_t* steps);
WERK_API werk_status werk_sim_backend_name(const werk_sim* sim, const char** name);
/* FNV-1a hash of the whole state's bits (the CLI's `werk bench` hash). */
WERK_API werk_status werk_sim_state_hash(werk_sim* sim, uint64_t* hash);
/* One world's bodies into out[n]: n >= 3 * bodies (positions, velocities,
 * angular velocities) or 4 * bodies (orientations), else WERK_E_RANGE. */
WERK_API werk_status werk_sim_get_positions(werk_sim* sim, int world, float* out, size_t n);
WERK_API werk_status werk_sim_get_orientations(werk_sim* sim, int world, float* out, size_t n);
WERK_API werk_status werk_sim_get_velocities(werk_sim* sim, int world, float* out, size_t n);
WERK_API werk_status werk_sim_get_angular_velocities(werk_sim* sim, int world, float* out, size_t n);
/* In-place changes between steps. */
WERK_API werk_status werk_sim_set_conveyor_speed(werk_sim* sim, int conveyor, int world, float speed);
WERK_API werk_status werk_sim_get_conveyor_speed(werk_sim* sim, int conveyor, int world, float* speed);
WERK_API werk_status werk_sim_set_motor_target(werk_sim* sim, int joint, int world, float target);
WERK_API werk_status werk_sim_set_body_pose(werk_sim* sim, int body, int world, const float position[3],
                                            const float orientation[4]);
WERK_API werk_status werk_sim_set_body_velocity(werk_sim* sim, int body, int world, const float velocity[3],
                                                const float angular_velocity[3]);

/* ---- recording (H5MD, see docs/output-format.md) -------------------------- */
/* Creates (truncates) `path` for the simulation's model. */
WERK_API werk_status werk_recorder_open(const werk_sim* sim, const char* path, werk_recorder** out);
/* Appends one frame of every world of `sim`. */
WERK_API werk_status werk_recorder_record(werk_recorder* recorder, werk_sim* sim);
WERK_API werk_status werk_recorder_frames(const werk_recorder* recorder, int64_t* frames);
/* Flushes and closes the file (free does it too, reporting nothing). */
WERK_API werk_status werk_recorder_close(werk_recorder* recorder);
WERK_API void werk_recorder_free(werk_recorder* recorder);

/* ---- process simulation (see docs/process.md) ----------------------------- */
/* Runs the replications of a scene's process: section. replications <= 0:
 * the scene's; seed < 0: the scene's; threads 0: all cores. */
WERK_API werk_status werk_process_run(const char* path, int replications, int64_t seed, int threads,
                                      werk_process_result** out);
WERK_API werk_status werk_process_run_text(const char* text, const char* name, int replications, int64_t seed,
                                           int threads, werk_process_result** out);
WERK_API void werk_process_result_free(werk_process_result* result);
WERK_API werk_status werk_process_kpi_count(const werk_process_result* result, int* count);
WERK_API werk_status werk_process_kpi_name(const werk_process_result* result, int index, const char** name,
                                           const char** unit);
/* Mean and 95% confidence interval (NaN bounds for one replication). */
WERK_API werk_status werk_process_kpi(const werk_process_result* result, const char* name, double* mean,
                                      double* ci95_low, double* ci95_high);
/* Per-replication values into out[n]; *count gets the number of
 * replications (n too small: WERK_E_RANGE, *count still set). */
WERK_API werk_status werk_process_kpi_values(const werk_process_result* result, const char* name, double* out,
                                             size_t n, size_t* count);
/* The bottleneck station's name ("" when none). */
WERK_API werk_status werk_process_bottleneck(const werk_process_result* result, const char** name);
/* Every KPI as JSON: the text of `werk run --kpis`. */
WERK_API werk_status werk_process_json(const werk_process_result* result, const char** json);

#ifdef __cplusplus
}
#endif

#endif /* WERK_WERK_H */
