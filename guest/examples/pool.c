/* pool N [rr|random] [sync|async] [k=v...]: lucidity's remote fan-out. Runs N jobs (job i computes
 * i*i) over the live hosts whose meta has every k=v pair (all hosts if none), round-robin or at
 * random, and prints each job's result in input order with the host it ran on:
 *   sync   spawns a job and waits for its result before the next (a remote call, one at a time)
 *   async  spawns every job now and collects the results later, in order (default)
 * Each job gets its own reply channel handed over at spawn (no anchors, no paths): it sends its
 * result on the sender it finds at ww_arg_cap(0).
 * As a job ("pool job I") it does just that. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ww.h"

#define MAX_JOBS 1024
#define MAX_HOSTS 256

static int job(long i) {
  ww_handle reply = ww_arg_cap(0);
  if (reply < 0) { fprintf(stderr, "pool job %ld: no reply sender: %s\n", i, ww_last_error()); return 1; }
  char peer[128];
  int32_t n = ww_peer_id(peer, sizeof peer - 1);
  peer[n < 0 ? 0 : n] = 0;
  char msg[192];
  snprintf(msg, sizeof msg, "%ld %s", i * i, peer);
  return ww_send_str(reply, msg, WW_NONE) < 0 ? 1 : 0;
}

static ww_handle kids[MAX_JOBS], replies[MAX_JOBS];

/* Spawns job i on `where` with a fresh reply channel. */
static int start(long i, const char *where) {
  char arg[32];
  snprintf(arg, sizeof arg, "%ld", i);
  const char *argv[] = { "job", arg, NULL };
  replies[i] = ww_chan(1);
  ww_handle tx = ww_sender(replies[i]);
  ww_spawn_opts opts = { .caps = &tx, .ncaps = 1 };
  kids[i] = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, where, &opts);
  ww_release(tx); /* the job holds its own */
  if (kids[i] < 0) { fprintf(stderr, "pool: spawn job %ld on %s: %s\n", i, where, ww_last_error()); return 1; }
  return 0;
}

/* Takes job i's result and its exit. */
static int collect(long i) {
  char buf[192];
  int32_t n = ww_recv(replies[i], buf, sizeof buf - 1, NULL);
  int32_t reason = -1;
  int32_t code = ww_wait(kids[i], &reason);
  if (n < 0 || reason != WW_EXITED || code != 0) { fprintf(stderr, "pool: job %ld failed: %s\n", i, ww_last_error()); return 1; }
  buf[n] = 0;
  char *space = strchr(buf, ' ');
  if (space != NULL) *space++ = 0;
  printf("job %ld = %s on %s\n", i, buf, space == NULL ? "?" : space);
  ww_release(replies[i]);
  ww_release(kids[i]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "job") == 0) return job(atol(argv[2]));
  long n = argc > 1 ? atol(argv[1]) : 4;
  int random_mode = argc > 2 && strcmp(argv[2], "random") == 0;
  int sync = argc > 3 && strcmp(argv[3], "sync") == 0;
  if (n < 0 || n > MAX_JOBS) { fprintf(stderr, "pool: N must be 0..%d\n", MAX_JOBS); return 2; }

  static char where[2048], list[MAX_HOSTS * 64];
  where[0] = 0;
  for (int i = 4; i < argc; i++) {
    if (where[0]) strncat(where, "\n", sizeof where - strlen(where) - 1);
    strncat(where, argv[i], sizeof where - strlen(where) - 1);
  }
  int32_t len = ww_nodes(where, list, sizeof list - 1);
  if (len < 0) { fprintf(stderr, "pool: hosts: %s\n", ww_last_error()); return 1; }
  if (len > (int32_t)sizeof list - 1) { fprintf(stderr, "pool: too many hosts\n"); return 1; }
  list[len] = 0;
  const char *hosts[MAX_HOSTS];
  int nhosts = 0;
  for (char *p = strtok(list, "\n"); p != NULL && nhosts < MAX_HOSTS; p = strtok(NULL, "\n")) hosts[nhosts++] = p;
  if (nhosts == 0) { fprintf(stderr, "pool: no live host matches the query\n"); return 1; }

  for (long i = 0; i < n; i++) {
    const char *host = hosts[random_mode ? rand() % nhosts : (int)(i % nhosts)];
    if (start(i, host) != 0) return 1;
    if (sync && collect(i) != 0) return 1;
  }
  if (!sync) for (long i = 0; i < n; i++) if (collect(i) != 0) return 1;
  return 0;
}
