/* deep DEPTH: recurses DEPTH calls deep, then blocks (ww_yield) at the bottom; prints the sum.
 * A test guest for suspending with a deep stack (too deep for the scratch area traps cleanly). */
#include <stdio.h>
#include <stdlib.h>
#include "ww.h"

__attribute__((noinline)) static long down(long n, volatile long *sink) {
  volatile long pad[4] = { n, n + 1, n + 2, n + 3 };
  if (n == 0) { ww_yield(); return pad[0]; }
  long r = down(n - 1, sink) + pad[1] - n;
  *sink += r;
  return r;
}

int main(int argc, char **argv) {
  long depth = argc > 1 ? atol(argv[1]) : 10;
  volatile long sink = 0;
  printf("%ld\n", down(depth, &sink));
  return 0;
}
