/* idle: blocks forever in recv on a channel no one else holds (a test and benchmark guest). */
#include "ww.h"

int main(void) {
  char buf[16];
  ww_handle ch = ww_chan(1);
  return ww_recv(ch, buf, sizeof buf, NULL) < 0 ? 1 : 0;
}
