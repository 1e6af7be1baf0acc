/* ww guest SDK for wasm32-wasi C programs.
 *
 * Build:  clang --target=wasm32-wasi -O2 -I guest/c -o prog.wasm prog.c guest/c/ww.c
 *
 * Every call returns an int: >= 0 on success (a handle, a length, an exit code),
 * a negative WW_E* code on failure; ww_last_error() gives the message of the last failure.
 * Calls that wait (recv on an empty channel, send to a full one, wait for a child, anchors on
 * another host) suspend only this guest; the node keeps running.
 *
 * Paths are "/"-separated; "/" is the proc's root (the cluster root unless the spawner confined
 * it) and "/peer" names the host the proc runs on. A handle names a capability this proc holds:
 * a channel, a sender or receiver end, a proc, an anchor.
 */
#ifndef WW_H
#define WW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t ww_handle;

#define WW_NONE (-1)                 /* "no capability" in send/recv/store */

#define WW_ENOTFOUND        (-1)
#define WW_ECLOSED          (-2)
#define WW_EINVAL           (-3)
#define WW_EFAULT           (-4)
#define WW_EBADHANDLE       (-5)
#define WW_ELIMIT           (-6)
#define WW_EOCCUPIED        (-7)
#define WW_ETIMEOUT         (-8)
#define WW_EDISCONNECTED    (-9)
#define WW_ECANCELED        (-10)
#define WW_EMODULENOTFOUND  (-11)
#define WW_EUNIMPLEMENTED   (-12)
#define WW_EOTHER           (-99)

/* How a waited-for proc ended (ww_wait's reason). */
#define WW_EXITED        0
#define WW_KILLED        1
#define WW_OUT_OF_FUEL   2
#define WW_OUT_OF_MEMORY 3
#define WW_TRAPPED       4
#define WW_TIMED_OUT     5

/* Module kinds for ww_spawn. */
#define WW_MODULE_BYTES 0
#define WW_MODULE_HASH  1   /* 32-byte SHA-256 */
#define WW_MODULE_SELF  2   /* this proc's own module */

#define WW_IMPORT(name) __attribute__((import_module("ww"), import_name(#name)))

/* The message of the last failed call; returns its full length (the copy is truncated to cap). */
WW_IMPORT(last_error) int32_t ww_last_error_raw(char *buf, int32_t cap);
/* Drops a handle. Dropping the last handle to a capability (a channel and the ww_sender/ww_recver
 * handles made from it count as one) lets the host release it; a long-running guest should drop
 * every capability it received once done with it (e.g. a reply sender). */
WW_IMPORT(release) int32_t ww_release(ww_handle h);

WW_IMPORT(walk) int32_t ww_walk_raw(const char *path, int32_t len);
/* Children of an anchor, '\n'-separated; returns the full length. */
WW_IMPORT(ls) int32_t ww_ls_raw(const char *path, int32_t len, char *buf, int32_t cap);
/* The capability an anchor holds (WW_ENOTFOUND when empty). */
WW_IMPORT(load) int32_t ww_load_raw(const char *path, int32_t len);
WW_IMPORT(load_bytes) int32_t ww_load_bytes_raw(const char *path, int32_t len, void *buf, int32_t cap);
/* Stores a capability (WW_NONE clears); WW_EOCCUPIED unless overwrite. */
WW_IMPORT(store) int32_t ww_store_raw(const char *path, int32_t len, ww_handle h, int32_t overwrite);
WW_IMPORT(store_bytes) int32_t ww_store_bytes_raw(const char *path, int32_t len, const void *data, int32_t dlen, int32_t overwrite);

/* A new buffered channel (capacity 0 = rendezvous); the handle can send, recv and close. */
WW_IMPORT(chan) int32_t ww_chan(int32_t capacity);
/* A send-only / receive-only handle for a channel (to store or to pass on). */
WW_IMPORT(sender) int32_t ww_sender(ww_handle chan);
WW_IMPORT(recver) int32_t ww_recver(ww_handle chan);
/* Sends bytes and, optionally, a capability (WW_NONE for none); returns once the channel took it. */
WW_IMPORT(send) int32_t ww_send(ww_handle h, const void *data, int32_t len, ww_handle cap);
/* Receives one message into buf; returns its full length (copy truncated to cap).
 * If cap_out is not NULL, it gets the handle of the capability that came with it, or WW_NONE. */
WW_IMPORT(recv) int32_t ww_recv(ww_handle h, void *buf, int32_t cap, ww_handle *cap_out);
WW_IMPORT(close) int32_t ww_close(ww_handle chan);

/* Spawns a child. args and env are NUL-separated lists ("a\0b\0"); where is "" (this host),
 * a peer ID, or a "k=v" tag query. Returns a proc handle. */
WW_IMPORT(spawn) int32_t ww_spawn_raw(int32_t kind, const void *module, int32_t mlen,
                                     const char *args, int32_t alen, const char *env, int32_t elen,
                                     const char *where, int32_t wlen);
/* Waits for a proc; returns its exit code, and how it ended in *reason (if not NULL). */
WW_IMPORT(wait) int32_t ww_wait(ww_handle proc, int32_t *reason);
WW_IMPORT(kill) int32_t ww_kill(ww_handle proc);
/* A receive handle for a child's stdout (one message per write; WW_ECLOSED after it ended). */
WW_IMPORT(proc_stdout) int32_t ww_proc_stdout(ww_handle proc);
/* Lets other procs and the node run. */
WW_IMPORT(yield) int32_t ww_yield(void);

/* Convenience wrappers taking NUL-terminated strings. */
const char *ww_last_error(void);
int32_t ww_walk(const char *path);
int32_t ww_ls(const char *path, char *buf, int32_t cap);
int32_t ww_load(const char *path);
int32_t ww_load_bytes(const char *path, void *buf, int32_t cap);
int32_t ww_store(const char *path, ww_handle h, int overwrite);
int32_t ww_store_bytes(const char *path, const void *data, int32_t len, int overwrite);
int32_t ww_send_str(ww_handle h, const char *s, ww_handle cap);
/* argv: NULL-terminated array; env: NULL-terminated "K=V" array or NULL; where: "" or NULL = here. */
int32_t ww_spawn(int32_t kind, const void *module, int32_t mlen, const char *const *argv, const char *const *env, const char *where);

/* ---- supervised proc trees (guest/README.md, "Proc trees") ----
 * A child ends when its parent ends, unless spawned with WW_SPAWN_DETACHED; it runs inside its parent's
 * limits (asking for more gets the parent's; 0 = the parent's) and sees the parent's root. */

/* ww_wait's reason when the child's host went away (connection lost, or it left the cluster). */
#define WW_HOST_LOST 6

#define WW_SPAWN_DETACHED 1   /* the child outlives its parent */

typedef struct {
  int32_t flags;         /* WW_SPAWN_DETACHED or 0; other bits: WW_EINVAL */
  int32_t reserved;      /* 0 */
  int64_t memory_bytes;  /* 0 = the parent's; more than the parent's = the parent's */
  int64_t fuel;          /* 0 = the parent's (unlimited if the parent's is) */
  int64_t timeout_ms;    /* 0 = the parent's (none if the parent has none) */
} ww_spawn_opts;

/* A monitor's message (ww_monitor): 12 bytes, little-endian. */
typedef struct {
  int32_t proc;    /* the proc handle given to ww_monitor */
  int32_t reason;  /* WW_EXITED ... WW_HOST_LOST */
  int32_t code;    /* the exit code when reason = WW_EXITED, else 0 */
} ww_down;
#define WW_DOWN_BYTES 12

/* ww_spawn_raw with options (NULL = none: attached, the parent's limits). */
WW_IMPORT(spawn_with) int32_t ww_spawn_with_raw(int32_t kind, const void *module, int32_t mlen,
                                               const char *args, int32_t alen, const char *env, int32_t elen,
                                               const char *where, int32_t wlen, const ww_spawn_opts *opts);
/* ww_wait for at most timeout_ms (< 0 = no limit): WW_ETIMEOUT if the proc still runs then (it keeps running). */
WW_IMPORT(wait_timeout) int32_t ww_wait_timeout(ww_handle proc, int32_t timeout_ms, int32_t *reason);
/* When proc ends, sends a ww_down (WW_DOWN_BYTES) to sender (a sender or channel handle); returns 0 at once.
 * The monitor holds both capabilities until it has sent; it stops when this proc ends. */
WW_IMPORT(monitor) int32_t ww_monitor(ww_handle proc, ww_handle sender);
/* ww_spawn with options. */
int32_t ww_spawn_with(int32_t kind, const void *module, int32_t mlen, const char *const *argv, const char *const *env,
                      const char *where, const ww_spawn_opts *opts);
/* Reads a monitor message received into buf (n = what ww_recv returned); 0, or WW_EINVAL if it is not one. */
int32_t ww_down_read(const void *buf, int32_t n, ww_down *out);

#ifdef __cplusplus
}
#endif
#endif
