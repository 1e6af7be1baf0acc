/* calls MODE [ARG...]: exercises the ww calls that reach the cluster (the tests run it); every
 * failure it expects is printed as "<call> <code>", one line each.
 *   who                      peer ID, pid, module hash, number of live hosts
 *   nodes [k=v...]           the live hosts matching every pair, each with its meta
 *   spawn WHERE              spawns "calls exit" at WHERE; prints the code (a proc handle >= 0, or the error)
 *   load PATH                loads the capability at PATH; prints the code (a handle >= 0, or the error)
 *   recv-timeout             recv_timeout on an empty channel, then on one with a message
 *   select                   select: the ready one, a timeout, a closed one, a message sent later by a child
 *   select-race              a child sends on two channels back to back while select waits on both: both arrive
 *   request PATH             request/reply through the mailbox at PATH (examples/echo.c), then one nobody answers
 *   spawn-caps WHERE         hands a child at WHERE a sender; the child answers through it
 *   spawn-root PATH          a child confined to PATH stores bytes at its "/x"; read back at PATH/x
 *   spawn-fuel WHERE         a child with a fuel limit of 100000 spins: how it ended
 *   sub TOPIC N              subscribes, prints "subscribed", then the first N messages
 *   pub TOPIC MSG [N]        publishes MSG N times (default 1), 200 ms apart
 *   errors                   the error paths of every call above
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include "ww.h"

static char buf[4096];

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int fail(const char *what, int32_t code) {
  fprintf(stderr, "calls: %s: %d %s\n", what, code, ww_last_error());
  return 1;
}

static int who(void) {
  int32_t n = ww_peer_id(buf, sizeof buf - 1);
  if (n < 0) return fail("peer_id", n);
  buf[n] = 0;
  printf("peer %s\npid %d\n", buf, ww_pid());
  unsigned char hash[32];
  if (ww_module_hash(hash, sizeof hash) != 32) return fail("module_hash", -1);
  printf("hash ");
  for (int i = 0; i < 32; i++) printf("%02x", hash[i]);
  printf("\nnodes %d\n", ww_nodes_count());
  return 0;
}

static int nodes(int argc, char **argv) {
  char where[1024] = "";
  for (int i = 0; i < argc; i++) {
    if (i > 0) strcat(where, "\n");
    strncat(where, argv[i], sizeof where - strlen(where) - 2);
  }
  static char list[8192];
  int32_t n = ww_nodes(where, list, sizeof list - 1);
  if (n < 0) return fail("nodes", n);
  list[n] = 0;
  for (char *peer = strtok(list, "\n"); peer != NULL; peer = strtok(NULL, "\n")) {
    int32_t m = ww_node_meta(peer, buf, sizeof buf - 1);
    if (m < 0) return fail("node_meta", m);
    buf[m] = 0;
    for (char *c = buf; *c; c++) if (*c == '\n') *c = ',';
    printf("%s %s\n", peer, buf);
  }
  return 0;
}

static int spawn_at(const char *where) {
  const char *argv[] = { "exit", NULL };
  ww_handle p = ww_spawn(WW_MODULE_SELF, NULL, 0, argv, NULL, where);
  if (p < 0) { printf("spawn %d\n", p); fprintf(stderr, "%s\n", ww_last_error()); return 0; }
  int32_t reason = -1;
  printf("spawn ok exit %d reason %d\n", ww_wait(p, &reason), reason);
  return 0;
}

static int load_at(const char *path) {
  int32_t h = ww_load(path);
  printf("load %s\n", h >= 0 ? "ok" : "failed");
  if (h < 0) { printf("load %d\n", h); fprintf(stderr, "%s\n", ww_last_error()); }
  return 0;
}

static int recv_timeout(void) {
  ww_handle c = ww_chan(1);
  long t0 = now_ms();
  int32_t n = ww_recv_timeout(c, buf, sizeof buf, NULL, 200);
  long waited = now_ms() - t0;
  printf("empty %d waited>=200 %d\n", n, waited >= 190);
  printf("poll %d\n", ww_recv_timeout(c, buf, sizeof buf, NULL, 0));
  ww_send_str(c, "there", WW_NONE);
  n = ww_recv_timeout(c, buf, sizeof buf - 1, NULL, 200);
  if (n < 0) return fail("recv_timeout", n);
  buf[n] = 0;
  printf("got %s\n", buf);
  return 0;
}

/* A child of select: sleeps, then sends "late" on the sender it was handed. */
static int select_child(void) {
  ww_handle tx = ww_arg_cap(0);
  if (tx < 0) return fail("arg_cap", tx);
  usleep(300 * 1000);
  int32_t r = ww_send_str(tx, "late", WW_NONE);
  return r < 0 ? fail("send", r) : 0;
}

static int select_mode(void) {
  ww_handle cs[3] = { ww_chan(1), ww_chan(1), ww_chan(1) };
  int32_t which = -2;
  ww_send_str(cs[2], "two", WW_NONE);
  int32_t n = ww_select(cs, 3, WW_FOREVER, &which, buf, sizeof buf - 1, NULL);
  if (n < 0) return fail("select", n);
  buf[n] = 0;
  printf("ready %d %s\n", which, buf);
  n = ww_select(cs, 3, 100, &which, buf, sizeof buf, NULL);
  printf("timeout %d which %d\n", n, which);
  /* a message sent later, by a child on this host, to channel 1 */
  ww_handle tx = ww_sender(cs[1]);
  const char *argv[] = { "select-child", NULL };
  ww_spawn_opts opts = { .caps = &tx, .ncaps = 1 };
  ww_handle kid = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, "", &opts);
  if (kid < 0) return fail("spawn_with", kid);
  n = ww_select(cs, 3, 30000, &which, buf, sizeof buf - 1, NULL);
  if (n < 0) return fail("select", n);
  buf[n] = 0;
  printf("later %d %s\n", which, buf);
  ww_wait(kid, NULL);
  ww_close(cs[0]);
  n = ww_select(cs, 3, WW_FOREVER, &which, buf, sizeof buf, NULL);
  printf("closed %d which %d\n", n, which);
  return 0;
}

/* A child of select-race: after a pause, sends "a" and "b" on the two senders it was handed, back to back. */
static int race_child(void) {
  usleep(300 * 1000);
  int32_t r = ww_send_str(ww_arg_cap(0), "a", WW_NONE);
  if (r >= 0) r = ww_send_str(ww_arg_cap(1), "b", WW_NONE);
  return r < 0 ? fail("send", r) : 0;
}

static int select_race(void) {
  ww_handle cs[2] = { ww_chan(0), ww_chan(0) };
  ww_handle tx[2] = { ww_sender(cs[0]), ww_sender(cs[1]) };
  const char *argv[] = { "race-child", NULL };
  ww_spawn_opts opts = { .caps = tx, .ncaps = 2 };
  ww_handle kid = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, "", &opts);
  if (kid < 0) return fail("spawn_with", kid);
  for (int i = 0; i < 2; i++) {
    int32_t which = -2;
    int32_t n = ww_select(cs, 2, 30000, &which, buf, sizeof buf - 1, NULL);
    if (n < 0) return fail("select", n);
    buf[n] = 0;
    printf("%d %s\n", which, buf);
  }
  int32_t reason = -1;
  printf("child exit %d reason %d\n", ww_wait(kid, &reason), reason);
  return 0;
}

static int request(const char *path) {
  ww_handle box = WW_NONE;
  for (int i = 0; i < 300 && box < 0; i++) { box = ww_load(path); if (box < 0) usleep(100 * 1000); }
  if (box < 0) return fail("load", box);
  for (int i = 0; i < 3; i++) {
    char q[32];
    snprintf(q, sizeof q, "question %d", i);
    int32_t n = ww_request(box, q, (int32_t)strlen(q), buf, sizeof buf - 1, NULL, 30000);
    if (n < 0) return fail("request", n);
    buf[n] = 0;
    printf("answer %s\n", buf);
  }
  /* nobody answers on this one */
  ww_handle silent = ww_chan(4);
  long t0 = now_ms();
  int32_t n = ww_request(silent, "anyone?", 7, buf, sizeof buf, NULL, 200);
  printf("unanswered %d waited>=200 %d\n", n, now_ms() - t0 >= 190);
  return 0;
}

/* A child handed a sender: answers who it is and what it was handed. */
static int caps_child(void) {
  int32_t count = ww_arg_caps();
  ww_handle tx = ww_arg_cap(0);
  int32_t past = ww_arg_cap(count);
  char peer[128];
  int32_t pn = ww_peer_id(peer, sizeof peer - 1);
  peer[pn < 0 ? 0 : pn] = 0;
  char msg[256];
  snprintf(msg, sizeof msg, "child on %s: caps %d, past the end %d", peer, count, past);
  int32_t r = ww_send_str(tx, msg, WW_NONE);
  return r < 0 ? fail("send", r) : 0;
}

static int spawn_caps(const char *where) {
  ww_handle c = ww_chan(1);
  ww_handle tx = ww_sender(c);
  const char *argv[] = { "caps-child", NULL };
  ww_spawn_opts opts = { .caps = &tx, .ncaps = 1 };
  ww_handle kid = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, where, &opts);
  if (kid < 0) return fail("spawn_with", kid);
  ww_release(tx); /* the child holds its own */
  int32_t n = ww_recv_timeout(c, buf, sizeof buf - 1, NULL, 60000);
  if (n < 0) return fail("recv", n);
  buf[n] = 0;
  printf("%s\n", buf);
  int32_t reason = -1;
  printf("child exit %d reason %d\n", ww_wait(kid, &reason), reason);
  return 0;
}

static int root_child(void) {
  int32_t r = ww_store_bytes("/x", "confined", 8, 1);
  if (r < 0) return fail("store_bytes", r);
  r = ww_ls("/peer", buf, sizeof buf);
  printf("child ls /peer %d\n", r);
  return 0;
}

static int spawn_root(const char *path) {
  const char *argv[] = { "root-child", NULL };
  ww_spawn_opts opts = { .root = path };
  ww_handle kid = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, "", &opts);
  if (kid < 0) return fail("spawn_with", kid);
  ww_handle out = ww_proc_stdout(kid);
  int32_t n = ww_recv(out, buf, sizeof buf - 1, NULL);
  if (n >= 0) { buf[n] = 0; printf("%s", buf); }
  ww_wait(kid, NULL);
  char at[512];
  snprintf(at, sizeof at, "%s/x", path);
  n = ww_load_bytes(at, buf, sizeof buf - 1);
  if (n < 0) return fail("load_bytes", n);
  buf[n] = 0;
  printf("%s holds %s\n", at, buf);
  return 0;
}

static int spin(void) {
  volatile unsigned long x = 0;
  for (;;) x++;
  return 0;
}

static int spawn_fuel(const char *where) {
  const char *argv[] = { "spin", NULL };
  ww_limits limits = { .fuel = 100000 };
  ww_spawn_opts opts = { .limits = &limits };
  ww_handle kid = ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, where, &opts);
  if (kid < 0) return fail("spawn_with", kid);
  int32_t reason = -1;
  int32_t code = ww_wait(kid, &reason);
  printf("spin ended: code %d reason %d\n", code, reason);
  return 0;
}

static int sub(const char *topic, int n) {
  ww_handle s = ww_subscribe(topic, 16);
  if (s < 0) return fail("subscribe", s);
  printf("subscribed\n");
  fflush(stdout);
  for (int i = 0; i < n; i++) {
    int32_t len = ww_recv(s, buf, sizeof buf - 1, NULL);
    if (len < 0) return fail("recv", len);
    buf[len] = 0;
    printf("message %s\n", buf);
    fflush(stdout);
  }
  ww_release(s);
  return 0;
}

static int pub(const char *topic, const char *msg, int n) {
  for (int i = 0; i < n; i++) {
    int32_t r = ww_publish(topic, msg, (int32_t)strlen(msg));
    if (r < 0) return fail("publish", r);
    if (i + 1 < n) usleep(200 * 1000);
  }
  return 0;
}

static int errors(void) {
  ww_handle c = ww_chan(1);
  ww_handle rx = ww_recver(c);
  ww_handle tx = ww_sender(c);
  int32_t which = 0;
  printf("recv_timeout bad handle %d\n", ww_recv_timeout(9999, buf, sizeof buf, NULL, 10));
  printf("recv_timeout on a sender %d\n", ww_recv_timeout(tx, buf, sizeof buf, NULL, 10));
  printf("select none %d\n", ww_select(&c, 0, 10, &which, buf, sizeof buf, NULL));
  static ww_handle many[65];
  for (int i = 0; i < 65; i++) many[i] = c;
  printf("select 65 %d\n", ww_select(many, 65, 10, &which, buf, sizeof buf, NULL));
  printf("select bad pointer %d\n", ww_select((const ww_handle *)0x7ffffff0, 4, 10, &which, buf, sizeof buf, NULL));
  printf("request on a recver %d\n", ww_request(rx, "x", 1, buf, sizeof buf, NULL, 10));
  ww_handle anchor = ww_walk("/peer/calls-errors");
  const char *argv[] = { "exit", NULL };
  ww_spawn_opts opts = { .caps = &anchor, .ncaps = 1 };
  printf("spawn_with an anchor %d\n", ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, "", &opts));
  static ww_handle caps17[17];
  for (int i = 0; i < 17; i++) caps17[i] = tx;
  ww_spawn_opts opts17 = { .caps = caps17, .ncaps = 17 };
  printf("spawn_with 17 caps %d\n", ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, "", &opts17));
  printf("spawn_with no such host %d\n", ww_spawn_with(WW_MODULE_SELF, NULL, 0, argv, NULL, "zone=nowhere\nrole=none", NULL));
  printf("arg_cap 0 %d\n", ww_arg_cap(0));
  printf("node_meta unknown %d\n", ww_node_meta("12D3KooWNotAHost", buf, sizeof buf));
  printf("publish no topic %d\n", ww_publish("", "x", 1));
  printf("subscribe no topic %d\n", ww_subscribe("", 1));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "calls: which mode?\n"); return 2; }
  const char *mode = argv[1];
  const char *arg = argc > 2 ? argv[2] : "";
  if (strcmp(mode, "exit") == 0) return 0;
  if (strcmp(mode, "who") == 0) return who();
  if (strcmp(mode, "nodes") == 0) return nodes(argc - 2, argv + 2);
  if (strcmp(mode, "spawn") == 0) return spawn_at(arg);
  if (strcmp(mode, "load") == 0) return load_at(arg);
  if (strcmp(mode, "recv-timeout") == 0) return recv_timeout();
  if (strcmp(mode, "select") == 0) return select_mode();
  if (strcmp(mode, "select-child") == 0) return select_child();
  if (strcmp(mode, "select-race") == 0) return select_race();
  if (strcmp(mode, "race-child") == 0) return race_child();
  if (strcmp(mode, "request") == 0) return request(arg);
  if (strcmp(mode, "spawn-caps") == 0) return spawn_caps(arg);
  if (strcmp(mode, "caps-child") == 0) return caps_child();
  if (strcmp(mode, "spawn-root") == 0) return spawn_root(arg);
  if (strcmp(mode, "root-child") == 0) return root_child();
  if (strcmp(mode, "spawn-fuel") == 0) return spawn_fuel(arg);
  if (strcmp(mode, "spin") == 0) return spin();
  if (strcmp(mode, "sub") == 0) return sub(arg, argc > 3 ? atoi(argv[3]) : 1);
  if (strcmp(mode, "pub") == 0) return pub(arg, argc > 3 ? argv[3] : "", argc > 4 ? atoi(argv[4]) : 1);
  if (strcmp(mode, "errors") == 0) return errors();
  fprintf(stderr, "calls: unknown mode %s\n", mode);
  return 2;
}
