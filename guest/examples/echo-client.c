/* echo-client NAME MESSAGE [COUNT] [random]: sends MESSAGE COUNT times (default 1) to the endpoint NAME, each
 * time to one live endpoint (round-robin, or at random), with a reply channel, and prints each answer.
 * Exits 3 when NAME has no live endpoint, 69 when none could be reached, 4 when refused, 124 when no answer
 * comes within 10 s, 1 for any other failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ww.h"

static int fail(const char *what, int32_t code) {
  fprintf(stderr, "echo-client: %s: %s\n", what, ww_last_error());
  if (code == WW_ENOTFOUND) return 3;
  if (code == WW_EUNAVAILABLE) return 69;
  if (code == WW_EPERMISSION) return 4;
  if (code == WW_ETIMEOUT) return 124;
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: echo-client NAME MESSAGE [COUNT] [random]\n");
    return 2;
  }
  const char *name = argv[1], *msg = argv[2];
  long count = argc > 3 ? atol(argv[3]) : 1;
  int32_t pick = argc > 4 && strcmp(argv[4], "random") == 0 ? WW_PICK_RANDOM : WW_PICK_ROUND_ROBIN;
  int32_t live = ww_endpoint_count(name);
  if (live < 0) return fail("count", live);
  printf("%s: %d live\n", name, (int)live);
  ww_handle replies = ww_chan(1);
  ww_handle reply_tx = ww_sender(replies);
  static char buf[65536 + 128];
  for (long i = 0; i < count; i++) {
    int32_t r = ww_endpoint_send(name, msg, (int32_t)strlen(msg), reply_tx, pick);
    if (r < 0) return fail("send", r);
    int32_t n = ww_recv_timeout(replies, buf, sizeof buf, NULL, 10000);
    if (n < 0) return fail("answer", n);
    if (n > (int32_t)sizeof buf) n = sizeof buf;
    printf("%.*s\n", (int)n, buf);
  }
  fflush(stdout);
  return 0;
}
