/* supervisor MAX_CRASHES WINDOW_S CRASHES [HOST...]: runs a worker (a child of this module) and restarts it
 * whenever it crashes, with backoff (100 ms, doubling, at most 2 s), over the HOSTs in turn (peer IDs or k=v;
 * this host if none). It gives up (exit 1) when the worker crashed MAX_CRASHES times within WINDOW_S seconds,
 * and exits 0 when a worker finishes. The worker crashes (traps) on its first CRASHES runs (< 0: always).
 * It learns how each worker ended from a monitor message (ww_monitor), and prints what it does.
 * As a worker ("supervisor worker ATTEMPT CRASHES") it works 50 ms, then traps or exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ww.h"

#define FIRST_BACKOFF_MS 100
#define MAX_BACKOFF_MS 2000
#define MAX_TRACKED 1024

static const char *reason_name(int32_t reason) {
  switch (reason) {
    case WW_EXITED: return "exited";
    case WW_KILLED: return "killed";
    case WW_OUT_OF_FUEL: return "out of fuel";
    case WW_OUT_OF_MEMORY: return "out of memory";
    case WW_TRAPPED: return "trapped";
    case WW_TIMED_OUT: return "timed out";
    case WW_HOST_LOST: return "host lost";
    default: return "unknown";
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int worker(long attempt, long crashes) {
  usleep(50 * 1000);
  if (crashes < 0 || attempt <= crashes) __builtin_trap();
  printf("worker %ld done\n", attempt);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 3 && strcmp(argv[1], "worker") == 0) return worker(atol(argv[2]), atol(argv[3]));
  if (argc < 4) { fprintf(stderr, "usage: supervisor MAX_CRASHES WINDOW_S CRASHES [HOST...]\n"); return 2; }
  long max_crashes = atol(argv[1]);
  double window = atof(argv[2]);
  const char *crashes = argv[3];
  int nhosts = argc - 4;
  if (max_crashes < 1 || max_crashes > MAX_TRACKED || window <= 0) {
    fprintf(stderr, "supervisor: MAX_CRASHES must be 1..%d and WINDOW_S > 0\n", MAX_TRACKED);
    return 2;
  }
  static double crash_at[MAX_TRACKED];
  long ncrash = 0;
  long backoff = FIRST_BACKOFF_MS;
  ww_handle downs = ww_chan(1);
  ww_handle tx = ww_sender(downs);
  for (long attempt = 1;; attempt++) {
    const char *where = nhosts == 0 ? "" : argv[4 + (attempt - 1) % nhosts];
    char num[32];
    snprintf(num, sizeof num, "%ld", attempt);
    const char *wargv[] = { "worker", num, crashes, NULL };
    ww_handle w = ww_spawn_with(WW_MODULE_SELF, NULL, 0, wargv, NULL, where, NULL);
    int32_t reason = -1, code = 0;
    if (w < 0) {
      printf("supervisor: worker %ld could not start on %s: %s\n", attempt, *where ? where : "this host", ww_last_error());
    } else {
      printf("supervisor: started worker %ld on %s\n", attempt, *where ? where : "this host");
      fflush(stdout);
      char buf[WW_DOWN_BYTES];
      ww_down d;
      int32_t n = ww_monitor(w, tx);
      if (n >= 0) n = ww_recv(downs, buf, sizeof buf, NULL);
      if (n < 0 || ww_down_read(buf, n, &d) < 0 || d.proc != w) {
        fprintf(stderr, "supervisor: lost track of worker %ld: %s\n", attempt, ww_last_error());
        return 1;
      }
      reason = d.reason;
      code = d.code;
      ww_release(w);
      if (reason == WW_EXITED && code == 0) {
        printf("supervisor: worker %ld finished\n", attempt);
        return 0;
      }
      if (reason == WW_EXITED) printf("supervisor: worker %ld crashed (exited with code %d)\n", attempt, code);
      else printf("supervisor: worker %ld crashed (%s)\n", attempt, reason_name(reason));
    }
    /* count the crashes still inside the window */
    double t = now_s();
    long kept = 0;
    for (long i = 0; i < ncrash; i++) if (t - crash_at[i] <= window) crash_at[kept++] = crash_at[i];
    crash_at[kept++] = t;
    ncrash = kept;
    if (ncrash >= max_crashes) {
      printf("supervisor: giving up after %ld crashes in %g s\n", ncrash, window);
      return 1;
    }
    printf("supervisor: restarting in %ld ms\n", backoff);
    fflush(stdout);
    usleep((useconds_t)backoff * 1000);
    backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
  }
}
