/* echo-service [NAME]: publishes its inbox as an endpoint named $WW_DEPLOYMENT (a deployment's replicas are
 * given it) or else NAME, and answers each message: one that carries a reply capability gets its bytes back
 * on it, prefixed with "<peer>/<pid> " so the sender sees who answered; one without is printed on stdout.
 * The endpoint ends with the proc. */
#include <stdio.h>
#include <stdlib.h>
#include "ww.h"

int main(int argc, char **argv) {
  const char *name = getenv("WW_DEPLOYMENT");
  if (name == NULL || name[0] == '\0') name = argc > 1 ? argv[1] : NULL;
  if (name == NULL) {
    fprintf(stderr, "echo-service: give an endpoint NAME (or run it as a deployment's replica)\n");
    return 2;
  }
  ww_handle inbox = ww_chan(16);
  if (inbox < 0 || ww_endpoint_publish(name, inbox) < 0) {
    fprintf(stderr, "echo-service: cannot publish %s: %s\n", name, ww_last_error());
    return 1;
  }
  static char who[128];
  int32_t n = ww_peer_id(who, sizeof who - 16);
  if (n < 0 || n > (int32_t)sizeof who - 16) n = 0;
  snprintf(who + n, 16, "/%d ", (int)ww_pid());
  printf("serving %s\n", name);
  fflush(stdout);
  static char buf[65536];
  static char out[65536 + 128];
  for (;;) {
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
}
