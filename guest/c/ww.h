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
#define WW_EUNAVAILABLE     (-13)    /* a host that is listed but cannot be reached */
#define WW_EPERMISSION      (-14)    /* the host's policy refuses it (e.g. an unsigned module) */
#define WW_EEXISTS          (-15)    /* something is already there (not an anchor value: WW_EOCCUPIED) */
#define WW_EOTHER           (-99)

#define WW_FOREVER (-1)              /* timeout_ms: wait as long as it takes (0: only what is there now) */

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

/* ---- Who am I, and the cluster's hosts ---- */
/* This host's peer ID (the "/peer" of paths); returns its full length (copy truncated to cap). */
WW_IMPORT(peer_id) int32_t ww_peer_id(char *buf, int32_t cap);
/* This proc's pid on its host. */
WW_IMPORT(pid) int32_t ww_pid(void);
/* The SHA-256 of this proc's module (32 bytes; what WW_MODULE_HASH takes); returns 32. */
WW_IMPORT(module_hash) int32_t ww_module_hash(void *buf, int32_t cap);
/* How many live hosts the cluster has, this one included. */
WW_IMPORT(nodes_count) int32_t ww_nodes_count(void);
/* Peer IDs of the live hosts whose meta has every "k=v" pair of `where` ('\n'-separated; "" = all),
 * '\n'-separated, in peer ID order; returns the full length. */
WW_IMPORT(nodes) int32_t ww_nodes_raw(const char *where, int32_t wlen, char *buf, int32_t cap);
/* A live host's meta, '\n'-separated "k=v" pairs; WW_ENOTFOUND for a host that is not live. */
WW_IMPORT(node_meta) int32_t ww_node_meta_raw(const char *peer, int32_t plen, char *buf, int32_t cap);

/* ---- Waiting on channels (timeout_ms: WW_FOREVER, 0 = only what is there now, or milliseconds) ---- */
/* ww_recv that gives up with WW_ETIMEOUT after timeout_ms. */
WW_IMPORT(recv_timeout) int32_t ww_recv_timeout(ww_handle h, void *buf, int32_t cap, ww_handle *cap_out, int32_t timeout_ms);
/* Receives from whichever of the n channels has a message first (in list order when several have
 * one now); *which gets its index (also on WW_ECLOSED: which one closed; -1 on WW_ETIMEOUT).
 * Returns the message length as ww_recv does. At most 64 handles (maxSelectHandles). */
WW_IMPORT(select) int32_t ww_select(const ww_handle *hs, int32_t n, int32_t timeout_ms, int32_t *which,
                                   void *buf, int32_t cap, ww_handle *cap_out);
/* Request/reply in one call: sends data on `to` with a fresh reply sender riding along, and
 * receives the one answer into buf (returns its length). WW_ETIMEOUT when no answer came in time. */
WW_IMPORT(request) int32_t ww_request(ww_handle to, const void *data, int32_t len, void *buf, int32_t cap,
                                     ww_handle *cap_out, int32_t timeout_ms);

/* ---- Spawning with capabilities, limits, a root and flags ----
 * A child ends when its parent ends, unless spawned with WW_SPAWN_DETACHED; it runs inside its parent's
 * limits (asking for more gets the parent's; 0 = the parent's) and sees a root inside the parent's. */
#define WW_SPAWN_DETACHED 1   /* the child outlives its parent */
/* Limits for a child; 0 in a field = the parent's; more than the parent's = the parent's. */
typedef struct { uint64_t memory_bytes; uint64_t fuel; uint64_t timeout_ms; } ww_limits;
/* ww_spawn_raw plus: `caps` (n handles: channels, senders, receivers, procs; not anchors) handed
 * to the child, which finds them with ww_arg_cap; `limits` (NULL = the parent's); `root`, a path under
 * this proc's root that the child sees as "/" (length 0 = this proc's root); `flags` (WW_SPAWN_DETACHED
 * or 0; other bits: WW_EINVAL). At most 16 caps. */
WW_IMPORT(spawn_with) int32_t ww_spawn_with_raw(int32_t kind, const void *module, int32_t mlen,
                                               const char *args, int32_t alen, const char *env, int32_t elen,
                                               const char *where, int32_t wlen, const ww_handle *caps, int32_t ncaps,
                                               const ww_limits *limits, const char *root, int32_t rlen, int32_t flags);
/* How many capabilities the spawner handed this proc. */
WW_IMPORT(arg_caps) int32_t ww_arg_caps(void);
/* The handle of the i-th of them; WW_ENOTFOUND past the end. */
WW_IMPORT(arg_cap) int32_t ww_arg_cap(int32_t i);

/* ---- Pub/sub over the cluster's topics (those of ww pub / ww sub) ---- */
/* Publishes to every subscriber in the cluster (this host's included). */
WW_IMPORT(publish) int32_t ww_publish_raw(const char *topic, int32_t tlen, const void *data, int32_t len);
/* A receive handle fed with the topic's messages (ww_recv, ww_recv_timeout, ww_select on it); it
 * keeps the newest `buffer` (<= 0: the cluster's default) when this proc falls behind. Releasing
 * it unsubscribes. */
WW_IMPORT(subscribe) int32_t ww_subscribe_raw(const char *topic, int32_t tlen, int32_t buffer);

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
/* where: "" or NULL = all hosts; several pairs '\n'-separated ("zone=eu\nrole=gpu"). */
int32_t ww_nodes(const char *where, char *buf, int32_t cap);
int32_t ww_node_meta(const char *peer, char *buf, int32_t cap);
/* What ww_spawn_with adds to ww_spawn; every field may be 0/NULL (NULL opts: attached, the parent's limits). */
typedef struct { const ww_handle *caps; int32_t ncaps; const ww_limits *limits; const char *root; int32_t flags; } ww_spawn_opts;
int32_t ww_spawn_with(int32_t kind, const void *module, int32_t mlen, const char *const *argv, const char *const *env,
                      const char *where, const ww_spawn_opts *opts);
int32_t ww_publish(const char *topic, const void *data, int32_t len);
int32_t ww_subscribe(const char *topic, int32_t buffer);

/* ---- Named endpoints (guest/README.md, "Endpoints") ---- */
/* A name is 1..64 bytes of letters, digits, '.', '_', '-' (else WW_EINVAL); a host serves at most 64 names
 * (WW_ELIMIT past them). An endpoint lives until its proc ends (or its host dies or leaves), or ww_endpoint_unpublish. */
#define WW_PICK_ROUND_ROBIN 0   /* each send from this host goes to the next endpoint, in (peer, id) order */
#define WW_PICK_RANDOM      1
/* Publishes a channel (or a sender) under `name`, replacing this proc's earlier endpoint there; 0. */
WW_IMPORT(endpoint_publish) int32_t ww_endpoint_publish_raw(const char *name, int32_t nlen, ww_handle chan);
/* Ends this proc's endpoint under `name`; WW_ENOTFOUND if it has none. */
WW_IMPORT(endpoint_unpublish) int32_t ww_endpoint_unpublish_raw(const char *name, int32_t nlen);
/* How many live endpoints `name` has across the cluster (0 when none). */
WW_IMPORT(endpoint_count) int32_t ww_endpoint_count_raw(const char *name, int32_t nlen);
/* Sends to one live endpoint of `name` (pick: WW_PICK_*), with capability `cap` (WW_NONE: none) riding along;
 * 0 once it is in that channel. WW_ENOTFOUND when no endpoint is live, WW_EUNAVAILABLE when none could be reached. */
WW_IMPORT(endpoint_send) int32_t ww_endpoint_send_raw(const char *name, int32_t nlen, const void *data, int32_t len,
                                                      ww_handle cap, int32_t pick);
int32_t ww_endpoint_publish(const char *name, ww_handle chan);
int32_t ww_endpoint_unpublish(const char *name);
int32_t ww_endpoint_count(const char *name);
int32_t ww_endpoint_send(const char *name, const void *data, int32_t len, ww_handle cap, int32_t pick);

/* ---- supervised proc trees (guest/README.md, "Proc trees") ---- */

/* ww_wait's reason when the child's host went away (connection lost, or it left the cluster). */
#define WW_HOST_LOST 6

/* A monitor's message (ww_monitor): 12 bytes, little-endian. */
typedef struct {
  int32_t proc;    /* the proc handle given to ww_monitor */
  int32_t reason;  /* WW_EXITED ... WW_HOST_LOST */
  int32_t code;    /* the exit code when reason = WW_EXITED, else 0 */
} ww_down;
#define WW_DOWN_BYTES 12

/* ww_wait for at most timeout_ms (< 0 = no limit): WW_ETIMEOUT if the proc still runs then (it keeps running). */
WW_IMPORT(wait_timeout) int32_t ww_wait_timeout(ww_handle proc, int32_t timeout_ms, int32_t *reason);
/* When proc ends, sends a ww_down (WW_DOWN_BYTES) to sender (a sender or channel handle); returns 0 at once.
 * The monitor holds both capabilities until it has sent; it stops when this proc ends. */
WW_IMPORT(monitor) int32_t ww_monitor(ww_handle proc, ww_handle sender);
/* Reads a monitor message received into buf (n = what ww_recv returned); 0, or WW_EINVAL if it is not one. */
int32_t ww_down_read(const void *buf, int32_t n, ww_down *out);

#ifdef __cplusplus
}
#endif
#endif
