/* Embedding Werk from C (C99) through the stable C API werk/werk.h.
 *
 *   hello_werk_c [SCENE] [BODY] [STEPS]
 * steps the scene, prints the body's position and the state hash (the
 * number `werk bench SCENE --steps STEPS --warmup 0` prints). Build it
 * against an installed Werk with:
 *   cc -std=c99 hello_werk.c $(pkg-config --cflags --libs werk) -o hello_werk_c
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "werk/werk.h"

/* Prints the failing call's message and leaves main with its status. */
#define CHECK(call)                                                              \
  do {                                                                           \
    werk_status s_ = (call);                                                     \
    if (s_ != WERK_OK) {                                                         \
      fprintf(stderr, "%s: %s\n", werk_status_name(s_), werk_last_error());      \
      status = s_;                                                               \
      goto done;                                                                 \
    }                                                                            \
  } while (0)

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "scenes/drop_test.yaml";
  const char* body_name = argc > 2 ? argv[2] : "crate";
  int steps = argc > 3 ? atoi(argv[3]) : 720;
  int status = 0, body = -1, nbody = 0;
  werk_model* model = NULL;
  werk_sim* sim = NULL;
  float* pos = NULL;
  uint64_t hash = 0;
  const char* backend = NULL;

  printf("werk %s, C API %d\n", werk_version(), werk_api_version());
  CHECK(werk_model_load(path, &model));
  CHECK(werk_model_body(model, body_name, &body));
  CHECK(werk_model_body_count(model, &nbody));
  CHECK(werk_sim_create(model, "auto", 0, 1, &sim));
  CHECK(werk_sim_step(sim, steps));
  pos = malloc(sizeof(float) * 3 * (size_t)nbody);
  if (!pos) goto done;
  CHECK(werk_sim_get_positions(sim, 0, pos, 3 * (size_t)nbody));
  CHECK(werk_sim_state_hash(sim, &hash));
  CHECK(werk_sim_backend_name(sim, &backend));
  printf("%s at (%.3f, %.3f, %.3f)\n", body_name, pos[3 * body], pos[3 * body + 1], pos[3 * body + 2]);
  printf("state hash %016" PRIx64 " after %d steps [%s]\n", hash, steps, backend);
done:
  free(pos);
  werk_sim_free(sim);
  werk_model_free(model);
  return status;
}
