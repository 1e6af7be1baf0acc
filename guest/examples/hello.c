/* hello: prints its arguments and $GREETING to stdout, a line to stderr, and exits with 7. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  const char *greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  fprintf(stderr, "hello on stderr\n");
  return 7;
}
