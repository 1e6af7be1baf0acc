/* environ: prints its environment, one K=V a line, then blocks forever (a deployment test guest: replicas see
   WW_DEPLOYMENT and WW_REPLICA). */
#include <stdio.h>
#include "ww.h"

extern char **environ;

int main(void) {
  for (char **e = environ; *e != NULL; e++) printf("%s\n", *e);
  fflush(stdout);
  char buf[16];
  ww_handle ch = ww_chan(1);
  return ww_recv(ch, buf, sizeof buf, NULL) < 0 ? 1 : 0;
}
