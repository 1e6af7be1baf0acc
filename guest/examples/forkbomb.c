/* forkbomb [HOLD_MS]: spawns copies of itself (with the same argument) in a loop until a spawn fails;
 * then prints "forkbomb: spawn N failed (CODE): MESSAGE" on stderr and stops spawning. It then holds
 * its place, HOLD_MS milliseconds or (none or 0) until killed, and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "ww.h"

int main(int argc, char **argv) {
  const char *hold = argc > 1 ? argv[1] : "0";
  const char *cargv[] = { hold, NULL };
  for (long n = 1;; n++) {
    ww_handle kid = ww_spawn(WW_MODULE_SELF, NULL, 0, cargv, NULL, "");
    if (kid < 0) {
      fprintf(stderr, "forkbomb: spawn %ld failed (%d): %s\n", n, (int)kid, ww_last_error());
      break;
    }
    ww_release(kid);
  }
  long ms = atol(hold);
  if (ms > 0) {
    usleep((useconds_t)ms * 1000);
    return 0;
  }
  char buf[1];
  ww_handle never = ww_chan(0);
  ww_recv(never, buf, sizeof buf, NULL);
  return 0;
}
