/* plain-yield: a wasi-libc program built WITHOUT the ww SDK; it yields (sched_yield) between lines,
 * so the runtime must carve its suspend area off the C stack. Exits 3. */
#include <sched.h>
#include <stdio.h>

int main(void) {
  for (int i = 0; i < 5; i++) {
    sched_yield();
    printf("tick %d\n", i);
  }
  return 3;
}
