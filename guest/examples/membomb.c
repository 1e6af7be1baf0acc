/* membomb: allocates and touches memory until malloc fails (each block is kept in a list so the
 * compiler cannot drop the allocations). Exits 3 if malloc ever returns NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ww.h"

struct block { struct block *next; char data[65536 - sizeof(struct block *)]; };

int main(void) {
  struct block *head = NULL;
  long n = 0;
  for (;;) {
    struct block *b = malloc(sizeof *b);
    if (b == NULL) break;
    memset(b->data, (int)n, sizeof b->data);
    b->next = head;
    head = b;
    n++;
  }
  long sum = 0;
  for (struct block *b = head; b != NULL; b = b->next) sum += b->data[0];
  printf("malloc failed after %ld blocks (%ld)\n", n, sum);
  return 3;
}
