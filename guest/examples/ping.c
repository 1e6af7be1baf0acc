/* ping PATH [N [WAIT [request]]]: loads the mailbox at PATH, sends N messages (default 10) each carrying a
 * reply sender, checks each answer, and prints the round-trip time. Exits 0 when every answer matched.
 * With "request" each round trip is one ww_request (a fresh reply sender each time; to a mailbox on another
 * host, one RPC call) instead of ww_send with one reply sender reused and ww_recv.
 * While PATH is still empty (echo not started yet, or still being prepared) it waits, checking
 * every WAIT_STEP_US, for at most WAIT seconds (default 30); then it gives up with one line, exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ww.h"

#define WAIT_SECONDS 30L
#define WAIT_STEP_US 50000

/* "ping I" into out (room for 32 bytes); its length. What snprintf would write, without parsing a format per message. */
static int ping_text(char *out, unsigned long i) {
  char digits[24];
  int n = 0;
  do { digits[n++] = (char)('0' + i % 10); i /= 10; } while (i != 0);
  memcpy(out, "ping ", 5);
  int len = 5;
  while (n > 0) out[len++] = digits[--n];
  return len;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: ping PATH [N [WAIT]]\n"); return 2; }
  long n = argc > 2 ? atol(argv[2]) : 10;
  long wait_s = argc > 3 ? atol(argv[3]) : WAIT_SECONDS;
  int use_request = argc > 4 && strcmp(argv[4], "request") == 0;
  double give_up = now_us() + wait_s * 1e6;
  ww_handle box;
  while ((box = ww_load(argv[1])) == WW_ENOTFOUND && now_us() < give_up) usleep(WAIT_STEP_US);
  if (box == WW_ENOTFOUND) {
    fprintf(stderr, "ping: nothing at %s after %ld s; start echo first (ww run -d echo.wasm -- PATH)\n", argv[1], wait_s);
    return 1;
  }
  if (box < 0) { fprintf(stderr, "ping: load %s: %s\n", argv[1], ww_last_error()); return 1; }
  ww_handle reply = ww_chan(1);
  ww_handle reply_tx = ww_sender(reply);
  char msg[64], back[64];
  double start = now_us();
  for (long i = 0; i < n; i++) {
    int len = ping_text(msg, (unsigned long)i);
    int32_t got;
    if (use_request) {
      got = ww_request(box, msg, len, back, sizeof back, NULL, WW_FOREVER);
      if (got < 0) { fprintf(stderr, "ping: request: %s\n", ww_last_error()); return 1; }
    } else {
      if (ww_send(box, msg, len, reply_tx) < 0) { fprintf(stderr, "ping: send: %s\n", ww_last_error()); return 1; }
      got = ww_recv(reply, back, sizeof back, NULL);
    }
    if (got != len || memcmp(msg, back, (size_t)len) != 0) { fprintf(stderr, "ping: bad answer to %ld\n", i); return 1; }
  }
  double us = now_us() - start;
  printf("ping: %ld round trips in %.0f us (%.2f us each)\n", n, us, n ? us / n : 0);
  return 0;
}
