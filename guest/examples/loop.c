/* loop: spins forever (a test guest for kill, fuel and fairness). */
#include <stdio.h>
#include "ww.h"

volatile unsigned long spins;

int main(void) {
  printf("looping\n");
  fflush(stdout);
  for (;;) spins++;
}
