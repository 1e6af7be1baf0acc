/* echo [PATH] [COUNT]: stores its inbox's sender at PATH (default /peer/mailbox) and answers each
 * message on the reply capability it carries. Stops after COUNT messages (0 = never). */
#include <stdio.h>
#include <stdlib.h>
#include "ww.h"

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/peer/mailbox";
  long count = argc > 2 ? atol(argv[2]) : 0;
  ww_handle inbox = ww_chan(16);
  ww_handle tx = ww_sender(inbox);
  if (inbox < 0 || tx < 0 || ww_store(path, tx, 1) < 0) {
    fprintf(stderr, "echo: cannot store %s: %s\n", path, ww_last_error());
    return 1;
  }
  static char buf[65536];
  for (long n = 0; count == 0 || n < count; n++) {
    ww_handle reply = WW_NONE;
    int32_t len = ww_recv(inbox, buf, sizeof buf, &reply);
    if (len < 0) { fprintf(stderr, "echo: recv: %s\n", ww_last_error()); return 1; }
    if (len > (int32_t)sizeof buf) len = sizeof buf;
    if (reply != WW_NONE) {
      if (ww_send(reply, buf, len, WW_NONE) < 0) fprintf(stderr, "echo: reply: %s\n", ww_last_error());
      ww_release(reply);
    }
  }
  return 0;
}
