/* fanout N [rr|random] [HOST...]: runs N children of this module (round-robin or at random over
 * the HOSTs; this host if none), each computing i*i, and prints the results in input order.
 * As a child ("fanout child I") it prints I*I. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ww.h"

#define MAX_CHILDREN 1024

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "child") == 0) {
    long i = atol(argv[2]);
    printf("%ld", i * i);
    return 0;
  }
  long n = argc > 1 ? atol(argv[1]) : 4;
  int random_mode = argc > 2 && strcmp(argv[2], "random") == 0;
  int nhosts = argc > 3 ? argc - 3 : 0;
  if (n < 0 || n > MAX_CHILDREN) { fprintf(stderr, "fanout: N must be 0..%d\n", MAX_CHILDREN); return 2; }
  static ww_handle kids[MAX_CHILDREN];
  for (long i = 0; i < n; i++) {
    char arg[32];
    snprintf(arg, sizeof arg, "%ld", i);
    const char *cargv[] = { "child", arg, NULL };
    const char *where = nhosts == 0 ? "" : argv[3 + (random_mode ? rand() % nhosts : (int)(i % nhosts))];
    kids[i] = ww_spawn(WW_MODULE_SELF, NULL, 0, cargv, NULL, where);
    if (kids[i] < 0) { fprintf(stderr, "fanout: spawn %ld on '%s': %s\n", i, where, ww_last_error()); return 1; }
  }
  printf("results:");
  for (long i = 0; i < n; i++) {
    ww_handle out = ww_proc_stdout(kids[i]);
    char buf[64];
    int32_t len = out < 0 ? -1 : ww_recv(out, buf, sizeof buf - 1, NULL);
    int32_t reason = -1;
    int32_t code = ww_wait(kids[i], &reason);
    if (len < 0 || reason != WW_EXITED || code != 0) { fprintf(stderr, "fanout: child %ld failed: %s\n", i, ww_last_error()); return 1; }
    buf[len < 63 ? len : 63] = 0;
    printf(" %s", buf);
  }
  printf("\n");
  return 0;
}
