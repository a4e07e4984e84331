/* Tests of the C API, compiled as C99: every entry point's error path
 * (NULL handles, unknown names, bad scenes, ranges, an absent CUDA device)
 * and what the calls do to a small scene, checked against mechanics worked
 * by hand. Run under AddressSanitizer too (ctest c_api_asan), which also
 * reports any leak. Prints each failed check; exit status 1 when any. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "werk/werk.h"

static int failures = 0, checks = 0;
static char scene_text[8192];  /* api_scene.yaml, read into memory */
static const char* scene_path;
static char mm1_path[4096]; /* mm1_short.yaml: M/M/1 at rho = 0.5 */

#define EXPECT(cond)                                                    \
  do {                                                                  \
    ++checks;                                                           \
    if (!(cond)) {                                                      \
      ++failures;                                                       \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                   \
  } while (0)

/* The call returns `code` and the message contains `part`. */
#define EXPECT_ERROR(call, code, part)                                                       \
  do {                                                                                       \
    werk_status s_ = (call);                                                                 \
    ++checks;                                                                                \
    if (s_ != (code) || !strstr(werk_last_error(), (part))) {                                \
      ++failures;                                                                            \
      fprintf(stderr, "%s:%d: %s returned %s (%s), expected %s with '%s'\n", __FILE__, __LINE__, \
              #call, werk_status_name(s_), werk_last_error(), werk_status_name(code), (part)); \
    }                                                                                        \
  } while (0)

#define EXPECT_OK(call) EXPECT_ERROR(call, WERK_OK, "")

static void test_versions(void) {
  EXPECT(werk_api_version() == WERK_API_VERSION);
  EXPECT(strlen(werk_version()) >= 5); /* "0.1.0" */
  EXPECT(strcmp(werk_status_name(WERK_E_NOT_FOUND), "WERK_E_NOT_FOUND") == 0);
}

static void test_model_errors(void) {
  werk_model* m = NULL;
  const char* file = NULL;
  int line = -1, column = -1, n = 0, id = -1;
  const char* name = NULL;
  EXPECT_ERROR(werk_model_load(NULL, &m), WERK_E_ARGUMENT, "path is NULL");
  EXPECT_ERROR(werk_model_load("x.yaml", NULL), WERK_E_ARGUMENT, "out is NULL");
  EXPECT_ERROR(werk_model_load("/nonexistent/line.yaml", &m), WERK_E_INPUT, "/nonexistent/line.yaml");
  EXPECT(m == NULL); /* outputs untouched on failure */
  /* A bad value on line 3, column 5 ("-1" after "dt: "). */
  EXPECT_ERROR(werk_model_from_text("werk: 1\nname: bad\ndt: -1\n", "bad.yaml", &m), WERK_E_INPUT,
               "bad.yaml:3:5: dt: expected a positive number, found -1");
  EXPECT(werk_last_error_location(&file, &line, &column) == WERK_E_INPUT);
  EXPECT(file && strcmp(file, "bad.yaml") == 0 && line == 3 && column == 5);
  EXPECT_ERROR(werk_model_from_text(NULL, "x", &m), WERK_E_ARGUMENT, "text is NULL");
  EXPECT_ERROR(werk_model_body_count(NULL, &n), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_model_conveyor_count(NULL, &n), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_model_joint_count(NULL, &n), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_model_body(NULL, "box", &id), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_model_conveyor(NULL, "belt", &id), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_model_joint(NULL, "rail", &id), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_model_body_name(NULL, 0, &name), WERK_E_ARGUMENT, "model is NULL");
  werk_model_free(NULL); /* accepted */
}

static void test_lookups(const werk_model* m) {
  int id = -1, n = 0;
  const char* name = NULL;
  double dt = 0;
  EXPECT_OK(werk_model_body_count(m, &n));
  EXPECT(n == 5); /* floor, box, carriage, ball and the belt's static body */
  EXPECT_OK(werk_model_conveyor_count(m, &n));
  EXPECT(n == 1);
  EXPECT_OK(werk_model_joint_count(m, &n));
  EXPECT(n == 1);
  EXPECT_OK(werk_model_dt(m, &dt));
  EXPECT(fabs(dt - 1.0 / 240.0) < 1e-15);
  EXPECT_OK(werk_model_body(m, "carriage", &id));
  EXPECT_OK(werk_model_body_name(m, id, &name));
  EXPECT(name && strcmp(name, "carriage") == 0);
  EXPECT_ERROR(werk_model_body(m, "crate", &id), WERK_E_NOT_FOUND, "no body named 'crate'; expected one of: floor");
  EXPECT_ERROR(werk_model_conveyor(m, "infeed", &id), WERK_E_NOT_FOUND, "expected one of: belt");
  EXPECT_ERROR(werk_model_joint(m, "hinge", &id), WERK_E_NOT_FOUND, "expected one of: rail");
  EXPECT_ERROR(werk_model_body(m, NULL, &id), WERK_E_ARGUMENT, "name is NULL");
  EXPECT_ERROR(werk_model_body_name(m, 5, &name), WERK_E_RANGE, "body id 5 is out of range");
}

static void test_sim_errors(const werk_model* m) {
  werk_sim* s = NULL;
  float buf[15];
  float p[3] = {0, 0, 0}, q[4] = {1, 0, 0, 0};
  double t;
  int64_t k;
  uint64_t h;
  const char* name;
  EXPECT_ERROR(werk_sim_create(NULL, "cpu", 1, 1, &s), WERK_E_ARGUMENT, "model is NULL");
  EXPECT_ERROR(werk_sim_create(m, "gpu", 1, 1, &s), WERK_E_INPUT, "backend: expected auto, cpu, cuda or emulated-cuda, found 'gpu'");
  EXPECT_ERROR(werk_sim_create(m, "cpu", 1, 0, &s), WERK_E_INPUT, "worlds: expected at least 1, found 0");
  if (!werk_cuda_available())
    EXPECT_ERROR(werk_sim_create(m, "cuda", 0, 1, &s), WERK_E_UNAVAILABLE, "CUDA backend is not available");
  EXPECT(s == NULL);
  EXPECT_ERROR(werk_sim_step(NULL, 1), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_time(NULL, &t), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_step_count(NULL, &k), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_backend_name(NULL, &name), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_state_hash(NULL, &h), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_get_positions(NULL, 0, buf, 15), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_get_orientations(NULL, 0, buf, 15), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_get_velocities(NULL, 0, buf, 15), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_get_angular_velocities(NULL, 0, buf, 15), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_set_conveyor_speed(NULL, 0, 0, 1.0f), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_get_conveyor_speed(NULL, 0, 0, buf), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_set_motor_target(NULL, 0, 0, 1.0f), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_set_body_pose(NULL, 0, 0, p, q), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_sim_set_body_velocity(NULL, 0, 0, p, p), WERK_E_ARGUMENT, "sim is NULL");
  werk_sim_free(NULL);

  EXPECT_OK(werk_sim_create(m, "cpu", 1, 1, &s));
  EXPECT_ERROR(werk_sim_step(s, -1), WERK_E_ARGUMENT, "steps must be >= 0");
  /* 5 bodies need 15 floats (positions) and 20 (orientations). */
  EXPECT_ERROR(werk_sim_get_positions(s, 0, buf, 14), WERK_E_RANGE, "the buffer holds 14 floats, 15 are needed");
  EXPECT_ERROR(werk_sim_get_orientations(s, 0, buf, 15), WERK_E_RANGE, "20 are needed");
  EXPECT_ERROR(werk_sim_get_positions(s, 1, buf, 15), WERK_E_RANGE, "world 1 is out of range");
  EXPECT_ERROR(werk_sim_get_positions(s, 0, NULL, 15), WERK_E_ARGUMENT, "out is NULL");
  EXPECT_ERROR(werk_sim_set_conveyor_speed(s, 1, 0, 1.0f), WERK_E_RANGE, "conveyor id 1 is out of range");
  EXPECT_ERROR(werk_sim_set_conveyor_speed(s, 0, -1, 1.0f), WERK_E_RANGE, "world -1 is out of range");
  EXPECT_ERROR(werk_sim_set_motor_target(s, 3, 0, 1.0f), WERK_E_RANGE, "joint id 3 is out of range");
  EXPECT_ERROR(werk_sim_set_body_pose(s, 9, 0, p, q), WERK_E_RANGE, "body id 9 is out of range");
  EXPECT_ERROR(werk_sim_set_body_pose(s, 0, 0, NULL, q), WERK_E_ARGUMENT, "position is NULL");
  werk_sim_free(s);
}

/* Mechanics, checked against hand-worked values. */
static void test_sim_behaviour(const werk_model* m) {
  werk_sim *s = NULL, *s2 = NULL;
  int box, carriage, ball, belt, rail;
  float v[15], p[15], speed = 0;
  uint64_t h1 = 0, h2 = 0;
  int64_t steps = 0;
  double t = 0;
  const float zero[3] = {0, 0, 0}, place[3] = {5, 5, 20}, upright[4] = {1, 0, 0, 0};
  EXPECT_OK(werk_model_body(m, "box", &box));
  EXPECT_OK(werk_model_body(m, "carriage", &carriage));
  EXPECT_OK(werk_model_body(m, "ball", &ball));
  EXPECT_OK(werk_model_conveyor(m, "belt", &belt));
  EXPECT_OK(werk_model_joint(m, "rail", &rail));
  EXPECT_OK(werk_sim_create(m, "cpu", 1, 1, &s));
  if (!s) return;

  /* One second: friction (mu g = 7.85 m/s^2) takes the box to the belt's
   * 0.5 m/s within 0.07 s and then sticks; the motor (200 N on 1 kg)
   * holds the carriage at 0.5 m/s. 0.01 m/s allows the iterative solver's
   * residual slip (2% of the speed). */
  EXPECT_OK(werk_sim_step(s, 240));
  EXPECT_OK(werk_sim_time(s, &t));
  EXPECT_OK(werk_sim_step_count(s, &steps));
  EXPECT(fabs(t - 1.0) < 1e-12 && steps == 240);
  EXPECT_OK(werk_sim_get_velocities(s, 0, v, 15));
  EXPECT(fabs(v[3 * box] - 0.5f) < 0.01f);
  EXPECT(fabs(v[3 * carriage] - 0.5f) < 0.01f);

  /* Setters: the belt to 1 m/s and the motor to -0.2 m/s, then half a second. */
  EXPECT_OK(werk_sim_set_conveyor_speed(s, belt, 0, 1.0f));
  EXPECT_OK(werk_sim_get_conveyor_speed(s, belt, 0, &speed));
  EXPECT(speed == 1.0f);
  EXPECT_OK(werk_sim_set_motor_target(s, rail, 0, -0.2f));
  EXPECT_OK(werk_sim_step(s, 120));
  EXPECT_OK(werk_sim_get_velocities(s, 0, v, 15));
  EXPECT(fabs(v[3 * box] - 1.0f) < 0.02f);
  EXPECT(fabs(v[3 * carriage] + 0.2f) < 0.01f);

  /* Teleport the ball, at rest, to (5, 5, 20): after 1 s of free fall
   * z = 20 - g/2 = 15.095 m. The integrator is first order in dt: its
   * error is below g dt t = 0.041 m. x and y do not change at all. */
  EXPECT_OK(werk_sim_set_body_velocity(s, ball, 0, zero, zero));
  EXPECT_OK(werk_sim_set_body_pose(s, ball, 0, place, upright));
  EXPECT_OK(werk_sim_step(s, 240));
  EXPECT_OK(werk_sim_get_positions(s, 0, p, 15));
  EXPECT(p[3 * ball] == 5.0f && p[3 * ball + 1] == 5.0f);
  EXPECT(fabs(p[3 * ball + 2] - (20.0 - 0.5 * 9.81)) < 9.81 / 240.0);

  /* Determinism: a second simulation of the same model, driven the same
   * way, ends in the bit-identical state. */
  EXPECT_OK(werk_sim_create(m, "cpu", 1, 1, &s2));
  if (s2) {
    werk_sim_step(s2, 240);
    werk_sim_set_conveyor_speed(s2, belt, 0, 1.0f);
    werk_sim_set_motor_target(s2, rail, 0, -0.2f);
    werk_sim_step(s2, 120);
    werk_sim_set_body_velocity(s2, ball, 0, zero, zero);
    werk_sim_set_body_pose(s2, ball, 0, place, upright);
    werk_sim_step(s2, 240);
    EXPECT_OK(werk_sim_state_hash(s, &h1));
    EXPECT_OK(werk_sim_state_hash(s2, &h2));
    EXPECT(h1 == h2 && h1 != 0);
  }
  werk_sim_free(s2);
  werk_sim_free(s);
}

static void test_sim_outlives_model(void) {
  werk_model* m = NULL;
  werk_sim* s = NULL;
  float p[15];
  EXPECT_OK(werk_model_from_text(scene_text, "api_scene.yaml", &m));
  EXPECT_OK(werk_sim_create(m, "cpu", 1, 1, &s));
  werk_model_free(m); /* the simulation keeps its own reference */
  EXPECT_OK(werk_sim_step(s, 10));
  EXPECT_OK(werk_sim_get_positions(s, 0, p, 15));
  werk_sim_free(s);
}

static void test_recorder(const werk_model* m, const char* dir) {
  werk_sim* s = NULL;
  werk_recorder* r = NULL;
  int64_t frames = -1;
  char path[4096];
  EXPECT_ERROR(werk_recorder_open(NULL, "x.h5", &r), WERK_E_ARGUMENT, "sim is NULL");
  EXPECT_ERROR(werk_recorder_record(NULL, NULL), WERK_E_ARGUMENT, "recorder is NULL");
  EXPECT_ERROR(werk_recorder_frames(NULL, &frames), WERK_E_ARGUMENT, "recorder is NULL");
  EXPECT_ERROR(werk_recorder_close(NULL), WERK_E_ARGUMENT, "recorder is NULL");
  werk_recorder_free(NULL);
  EXPECT_OK(werk_sim_create(m, "cpu", 1, 1, &s));
  if (!s) return;
  EXPECT_ERROR(werk_recorder_open(s, "/nonexistent/dir/run.h5", &r), WERK_E_RUNTIME, "/nonexistent/dir/run.h5");
  snprintf(path, sizeof path, "%s/c_api_run.h5", dir);
  EXPECT_OK(werk_recorder_open(s, path, &r));
  if (r) {
    int i;
    for (i = 0; i < 3; ++i) {
      EXPECT_OK(werk_recorder_record(r, s));
      werk_sim_step(s, 8);
    }
    EXPECT_OK(werk_recorder_frames(r, &frames));
    EXPECT(frames == 3);
    EXPECT_OK(werk_recorder_close(r));
    werk_recorder_free(r);
  }
  werk_sim_free(s);
}

/* M/M/1 at rho = 0.5 (arrivals every 2 s on average, service 1 s): the
 * server is busy half the time. 4 replications of 20000 s see about 40000
 * arrivals; the utilization estimate's standard error is below 0.01, so
 * 0.03 is a safe margin. */
static void test_process(void) {
  werk_process_result* r = NULL;
  double mean = 0, lo = 0, hi = 0, values[8], sum = 0;
  size_t count = 0, i;
  int n = 0;
  const char *name = NULL, *unit = NULL, *json = NULL, *bottleneck = NULL;
  EXPECT_ERROR(werk_process_run(NULL, 1, -1, 1, &r), WERK_E_ARGUMENT, "path is NULL");
  EXPECT_ERROR(werk_process_run("/nonexistent/line.yaml", 1, -1, 1, &r), WERK_E_INPUT, "/nonexistent/line.yaml");
  EXPECT_ERROR(werk_process_run_text("werk: 1\nname: x\n", "x.yaml", 1, -1, 1, &r), WERK_E_INPUT,
               "expected a top-level 'process:' section");
  EXPECT_ERROR(werk_process_kpi_count(NULL, &n), WERK_E_ARGUMENT, "result is NULL");
  EXPECT_ERROR(werk_process_kpi(NULL, "x", &mean, &lo, &hi), WERK_E_ARGUMENT, "result is NULL");
  EXPECT_ERROR(werk_process_json(NULL, &json), WERK_E_ARGUMENT, "result is NULL");
  werk_process_result_free(NULL);

  EXPECT_OK(werk_process_run(mm1_path, 4, -1, 0, &r));
  if (!r) return;
  EXPECT_OK(werk_process_kpi_count(r, &n));
  EXPECT(n > 10);
  EXPECT_OK(werk_process_kpi_name(r, 0, &name, &unit));
  EXPECT(name && unit && strlen(name) > 0);
  EXPECT_ERROR(werk_process_kpi_name(r, n, &name, &unit), WERK_E_RANGE, "out of range");
  EXPECT_OK(werk_process_kpi(r, "server.utilization", &mean, &lo, &hi));
  EXPECT(fabs(mean - 0.5) < 0.03 && lo < mean && mean < hi);
  EXPECT_ERROR(werk_process_kpi(r, "server.speed", &mean, &lo, &hi), WERK_E_NOT_FOUND, "no KPI named 'server.speed'");
  EXPECT_ERROR(werk_process_kpi_values(r, "server.utilization", values, 3, &count), WERK_E_RANGE, "4 are needed");
  EXPECT(count == 4);
  EXPECT_OK(werk_process_kpi_values(r, "server.utilization", values, 8, &count));
  for (i = 0; i < count; ++i) sum += values[i];
  EXPECT(count == 4 && fabs(sum / 4 - mean) < 1e-12);
  EXPECT_OK(werk_process_bottleneck(r, &bottleneck));
  EXPECT(bottleneck && strcmp(bottleneck, "server") == 0);
  EXPECT_OK(werk_process_json(r, &json));
  EXPECT(json && strstr(json, "\"replications\": 4") && strstr(json, "\"server.utilization\""));
  werk_process_result_free(r);
}

/* usage: c_api_test SCENE OUTPUT_DIR (SCENE: tests/embedding/api_scene.yaml;
 * mm1_short.yaml lies beside it) */
int main(int argc, char** argv) {
  werk_model* m = NULL;
  const char* dir = argc > 2 ? argv[2] : ".";
  FILE* f;
  size_t n;
  if (argc < 2 || !(f = fopen(argv[1], "rb"))) {
    fprintf(stderr, "usage: c_api_test SCENE [OUTPUT_DIR]\n");
    return 2;
  }
  n = fread(scene_text, 1, sizeof scene_text - 1, f);
  scene_text[n] = 0;
  fclose(f);
  scene_path = argv[1];
  snprintf(mm1_path, sizeof mm1_path, "%.*smm1_short.yaml", (int)(strrchr(scene_path, '/') ? strrchr(scene_path, '/') - scene_path + 1 : 0), scene_path);
  test_versions();
  /* Loading by path and from text give the same model. */
  {
    werk_model* a = NULL;
    werk_sim *sa = NULL, *sb = NULL;
    uint64_t ha = 0, hb = 0;
    EXPECT_OK(werk_model_load(scene_path, &a));
    EXPECT_OK(werk_model_from_text(scene_text, scene_path, &m));
    if (a && m && werk_sim_create(a, "cpu", 1, 1, &sa) == WERK_OK && werk_sim_create(m, "cpu", 1, 1, &sb) == WERK_OK) {
      werk_sim_step(sa, 50);
      werk_sim_step(sb, 50);
      werk_sim_state_hash(sa, &ha);
      werk_sim_state_hash(sb, &hb);
      EXPECT(ha == hb);
    }
    werk_sim_free(sa);
    werk_sim_free(sb);
    werk_model_free(a);
    werk_model_free(m);
    m = NULL;
  }
  test_model_errors();
  EXPECT_OK(werk_model_from_text(scene_text, "api_scene.yaml", &m));
  if (m) {
    test_lookups(m);
    test_sim_errors(m);
    test_sim_behaviour(m);
    test_recorder(m, dir);
  }
  werk_model_free(m);
  test_sim_outlives_model();
  test_process();
  printf("c_api_test: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
