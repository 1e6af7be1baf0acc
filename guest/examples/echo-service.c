/* echo-service [-n COUNT] [NAME...]: publishes its inbox as an endpoint named $WW_DEPLOYMENT (a deployment's
 * replicas are given it), or else under each NAME, and answers each message: one that carries a reply
 * capability gets its bytes back on it, prefixed with "<peer>/<pid> " so the sender sees who answered; one
 * without is printed on stdout. Stops after COUNT messages (default: never); its endpoints end with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ww.h"

static int publish(const char *name, ww_handle inbox) {
  if (ww_endpoint_publish(name, inbox) < 0) {
    fprintf(stderr, "echo-service: cannot publish %s: %s\n", name, ww_last_error());
    return 0;
  }
  printf("serving %s\n", name);
  return 1;
}

int main(int argc, char **argv) {
  int first = 1;
  long count = 0;
  if (argc > 2 && strcmp(argv[1], "-n") == 0) { count = atol(argv[2]); first = 3; }
  const char *deployment = getenv("WW_DEPLOYMENT");
  if ((deployment == NULL || deployment[0] == '\0') && first >= argc) {
    fprintf(stderr, "usage: echo-service [-n COUNT] NAME... (or run it as a deployment's replica)\n");
    return 2;
  }
  ww_handle inbox = ww_chan(16);
  if (inbox < 0) { fprintf(stderr, "echo-service: chan: %s\n", ww_last_error()); return 1; }
  if (deployment != NULL && deployment[0] != '\0') {
    if (!publish(deployment, inbox)) return 1;
  } else {
    for (int i = first; i < argc; i++) if (!publish(argv[i], inbox)) return 1;
  }
  fflush(stdout);
  static char who[128];
  int32_t n = ww_peer_id(who, sizeof who - 16);
  if (n < 0 || n > (int32_t)sizeof who - 16) n = 0;
  snprintf(who + n, 16, "/%d ", (int)ww_pid());
  static char buf[65536];
  static char out[65536 + 128];
  for (long k = 0; count == 0 || k < count; k++) {
    ww_handle reply = WW_NONE;
    int32_t len = ww_recv(inbox, buf, sizeof buf, &reply);
    if (len < 0) { fprintf(stderr, "echo-service: recv: %s\n", ww_last_error()); return 1; }
    if (len > (int32_t)sizeof buf) len = sizeof buf;
    if (reply == WW_NONE) {
      printf("%.*s\n", (int)len, buf);
      fflush(stdout);
      continue;
    }
    int32_t m = snprintf(out, sizeof out, "%s%.*s", who, (int)len, buf);
    if (ww_send(reply, out, m, WW_NONE) < 0) fprintf(stderr, "echo-service: reply: %s\n", ww_last_error());
    ww_release(reply);
  }
  return 0;
}
