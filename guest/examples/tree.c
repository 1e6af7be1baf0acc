/* tree MODE ...: proc-tree test guest (children of itself, here or on WHERE: "" = here, a peer ID or k=v).
 *   tree idle                  blocks forever
 *   tree alloc MB              allocates MB MiB in 1 MiB pieces, touches them, exits 0
 *   tree ls                    prints what "/" lists (its root)
 *   tree parent WHERE [detached]  spawns "idle" at WHERE, prints "spawned", waits for it and prints how it ended
 *   tree orphan WHERE          spawns "idle" at WHERE detached with no limits asked, prints "spawned", exits 0
 *   tree mem WHERE ASK_MB MB   spawns "alloc MB" asking for ASK_MB MiB of memory, prints how it ended
 *   tree rootls WHERE          stores bytes at /mark (if it can), spawns "ls" at WHERE, prints its output
 *   tree waitfor WHERE         wait with a timeout, kill, wait again; then the error paths of the new calls
 *   tree monitor WHERE         spawns "idle" at WHERE, monitors it, prints "monitoring", then the monitor message */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ww.h"

static int32_t spawn_self(const char *where, const char *const *argv, const ww_spawn_opts *opts) {
  int32_t h = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, where, opts);
  if (h < 0) { fprintf(stderr, "tree: spawn at '%s': %s\n", where, ww_last_error()); exit(1); }
  return h;
}

static void print_end(const char *what, int32_t h) {
  int32_t reason = -1;
  int32_t code = ww_wait(h, &reason);
  printf("%s: reason=%d code=%d\n", what, reason, code);
  fflush(stdout);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  const char *where = argc > 2 ? argv[2] : "";
  static char buf[4096];
  if (strcmp(mode, "idle") == 0) {
    ww_handle c = ww_chan(0);
    ww_recv(c, buf, sizeof buf, NULL);
    return 0;
  }
  if (strcmp(mode, "alloc") == 0) {
    long mb = argc > 2 ? atol(argv[2]) : 1;
    static char *pieces[4096];
    long sum = 0;
    for (long i = 0; i < mb && i < 4096; i++) {
      pieces[i] = malloc(1 << 20);
      if (pieces[i] == NULL) { printf("alloc: failed after %ld MiB\n", i); return 3; }
      memset(pieces[i], (int)i, 1 << 20);
    }
    for (long i = 0; i < mb && i < 4096; i++) sum += pieces[i][i];  /* keeps the pieces from being optimized away */
    return sum == -1;
  }
  if (strcmp(mode, "ls") == 0) {
    int32_t n = ww_ls("/", buf, sizeof buf - 1);
    if (n < 0) { printf("ls: %s\n", ww_last_error()); return 1; }
    buf[n < (int32_t)sizeof buf - 1 ? n : (int32_t)sizeof buf - 1] = 0;
    printf("%s\n", buf);
    return 0;
  }
  if (strcmp(mode, "parent") == 0 || strcmp(mode, "orphan") == 0) {
    const char *cargv[] = { "idle", NULL };
    ww_spawn_opts o = { 0 };
    if (strcmp(mode, "orphan") == 0 || (argc > 3 && strcmp(argv[3], "detached") == 0)) o.flags = WW_SPAWN_DETACHED;
    int32_t h = spawn_self(where, cargv, &o);
    printf("spawned\n");
    fflush(stdout);
    if (strcmp(mode, "orphan") == 0) return 0;
    print_end("child", h);
    return 0;
  }
  if (strcmp(mode, "mem") == 0 && argc > 4) {
    const char *cargv[] = { "alloc", argv[4], NULL };
    ww_limits lim = { .memory_bytes = (uint64_t)atol(argv[3]) << 20 };
    ww_spawn_opts o = { .limits = &lim };
    print_end("child", spawn_self(where, cargv, &o));
    return 0;
  }
  if (strcmp(mode, "rootls") == 0) {
    ww_store_bytes("/mark", "x", 1, 1);  /* fails at the cluster root: no host is named "mark" */
    const char *cargv[] = { "ls", NULL };
    ww_handle h = spawn_self(where, cargv, NULL);
    ww_handle out = ww_proc_stdout(h);
    int32_t n = ww_recv(out, buf, sizeof buf - 1, NULL);
    if (n < 0) { fprintf(stderr, "tree: child output: %s\n", ww_last_error()); return 1; }
    buf[n < (int32_t)sizeof buf - 1 ? n : (int32_t)sizeof buf - 1] = 0;
    printf("child sees: %s", buf);
    print_end("child", h);
    return 0;
  }
  if (strcmp(mode, "waitfor") == 0) {
    const char *cargv[] = { "idle", NULL };
    ww_handle h = spawn_self(where, cargv, NULL);
    int32_t reason = -1;
    int32_t r = ww_wait_timeout(h, 300, &reason);
    printf("wait 300 ms: %d (%s)\n", r, ww_last_error());
    ww_kill(h);
    r = ww_wait_timeout(h, 60000, &reason);
    printf("after kill: %d reason=%d\n", r, reason);
    ww_handle c = ww_chan(1);
    ww_handle rx = ww_recver(c);
    ww_spawn_opts bad = { 0 };
    bad.flags = 4;
    printf("wait_timeout bad handle: %d\n", ww_wait_timeout(9999, 10, NULL));
    printf("wait_timeout on a channel: %d\n", ww_wait_timeout(c, 10, NULL));
    printf("wait_timeout bad pointer: %d\n", ww_wait_timeout(h, 10, (int32_t *)0x7ffffff0));
    printf("monitor bad handle: %d\n", ww_monitor(9999, c));
    printf("monitor a channel: %d\n", ww_monitor(c, c));
    printf("monitor into a recver: %d\n", ww_monitor(h, rx));
    printf("spawn_with unknown flags: %d\n", ww_spawn_with(WW_MODULE_SELF, NULL, 0, cargv, NULL, where, &bad));
    bad.flags = 0;
    bad.limits = (const ww_limits *)0x7ffffff0;
    printf("spawn_with bad limits pointer: %d\n", ww_spawn_with(WW_MODULE_SELF, NULL, 0, cargv, NULL, where, &bad));
    ww_down d;
    printf("down_read short: %d\n", ww_down_read(buf, 4, &d));
    return 0;
  }
  if (strcmp(mode, "monitor") == 0) {
    const char *cargv[] = { "idle", NULL };
    ww_handle h = spawn_self(where, cargv, NULL);
    ww_handle c = ww_chan(1);
    int32_t m = ww_monitor(h, ww_sender(c));
    if (m < 0) { fprintf(stderr, "tree: monitor: %s\n", ww_last_error()); return 1; }
    printf("monitoring\n");
    fflush(stdout);
    int32_t n = ww_recv(c, buf, sizeof buf, NULL);
    ww_down d;
    if (n < 0 || ww_down_read(buf, n, &d) < 0) { fprintf(stderr, "tree: monitor message: %d %s\n", n, ww_last_error()); return 1; }
    printf("down: same=%d reason=%d code=%d\n", d.proc == h, d.reason, d.code);
    print_end("wait", h);
    return 0;
  }
  fprintf(stderr, "tree: unknown mode '%s'\n", mode);
  return 2;
}
