/* badptr: passes out-of-range pointers and lengths to every host call and checks each one fails
 * with an error code. Prints one line per call; exits 0 when all failed cleanly. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>
#include "ww.h"

#define BAD ((void *)0xfffffff0u)
#define HUGE 0x7ffffff0

static int failures;

static void expect_ww(const char *what, int32_t rc) {
  int ok = rc < 0;
  if (!ok) failures++;
  printf("%s %s -> %d (%s)\n", ok ? "ok" : "FAIL", what, rc, rc < 0 ? ww_last_error() : "");
}

static void expect_wasi(const char *what, int rc) {
  int ok = rc != 0;
  if (!ok) failures++;
  printf("%s %s -> errno %d\n", ok ? "ok" : "FAIL", what, rc);
}

int main(void) {
  char small[8];
  ww_handle ch = ww_chan(1);
  expect_ww("walk", ww_walk_raw(BAD, 4));
  expect_ww("walk huge", ww_walk_raw("a", HUGE));
  expect_ww("ls", ww_ls_raw("/", 1, BAD, 100));
  expect_ww("load", ww_load_raw(BAD, 10));
  expect_ww("load_bytes", ww_load_bytes_raw("/x", 2, BAD, 100));
  expect_ww("store", ww_store_raw(BAD, 10, WW_NONE, 0));
  expect_ww("store bad handle", ww_store_raw("/peer/x", 7, 12345, 0));
  expect_ww("store_bytes", ww_store_bytes_raw("/peer/x", 7, BAD, 100, 0));
  expect_ww("chan negative", ww_chan(-5));
  expect_ww("sender bad handle", ww_sender(9999));
  expect_ww("send", ww_send(ch, BAD, 100, WW_NONE));
  expect_ww("send huge", ww_send(ch, small, HUGE, WW_NONE));
  expect_ww("send bad handle", ww_send(4242, small, 1, WW_NONE));
  expect_ww("recv", ww_recv(ch, BAD, 100, NULL));
  expect_ww("recv cap_out", ww_recv(ch, small, sizeof small, (ww_handle *)BAD));
  expect_ww("close bad handle", ww_close(777));
  expect_ww("spawn", ww_spawn_raw(WW_MODULE_BYTES, BAD, 100, "", 0, "", 0, "", 0));
  expect_ww("spawn hash len", ww_spawn_raw(WW_MODULE_HASH, small, 3, "", 0, "", 0, "", 0));
  expect_ww("spawn kind", ww_spawn_raw(99, small, 3, "", 0, "", 0, "", 0));
  expect_ww("spawn garbage", ww_spawn_raw(WW_MODULE_BYTES, small, sizeof small, "", 0, "", 0, "", 0));
  expect_ww("wait bad handle", ww_wait(31337, NULL));
  expect_ww("wait non-proc", ww_wait(ch, NULL));
  expect_ww("kill bad handle", ww_kill(31337));
  expect_ww("proc_stdout bad handle", ww_proc_stdout(31337));
  expect_ww("release bad handle", ww_release(31337));
  expect_ww("last_error", ww_last_error_raw(BAD, 100));
  expect_ww("path with ..", ww_walk("/peer/../x"));

  __wasi_size_t n;
  __wasi_ciovec_t iov = { (const uint8_t *)BAD, 100 };
  expect_wasi("fd_write iov", __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD, 1, &n));
  expect_wasi("fd_write data", __wasi_fd_write(1, &iov, 1, &n));
  expect_wasi("fd_write nwritten", __wasi_fd_write(1, &iov, 0, (__wasi_size_t *)BAD));
  expect_wasi("fd_write bad fd", __wasi_fd_write(99, &iov, 0, &n));
  expect_wasi("random_get", __wasi_random_get((uint8_t *)BAD, 100));
  expect_wasi("clock_time_get", __wasi_clock_time_get(0, 0, (__wasi_timestamp_t *)BAD));
  expect_wasi("args_get", __wasi_args_get((uint8_t **)BAD, (uint8_t *)BAD));
  expect_wasi("fd_fdstat_get", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)BAD));
  expect_wasi("path_open", __wasi_path_open(3, 0, "x", 0, 0, 0, 0, (__wasi_fd_t *)&n));
  printf("failures: %d\n", failures);
  return failures == 0 ? 0 : 1;
}
