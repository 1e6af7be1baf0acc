/* ww guest SDK: string wrappers and the asyncify scratch area the runtime suspends into. */
#include "ww.h"
#include <string.h>

#ifndef WW_ASYNCIFY_BYTES
#define WW_ASYNCIFY_BYTES 16384
#endif

static _Alignas(16) unsigned char ww_asyncify_area[WW_ASYNCIFY_BYTES];

__attribute__((export_name("ww_asyncify_buffer"))) void *ww_asyncify_buffer(void) { return ww_asyncify_area; }
__attribute__((export_name("ww_asyncify_size"))) int32_t ww_asyncify_size(void) { return WW_ASYNCIFY_BYTES; }

static char ww_error[1024];

const char *ww_last_error(void) {
  int32_t n = ww_last_error_raw(ww_error, sizeof ww_error - 1);
  if (n < 0) n = 0;
  if (n > (int32_t)sizeof ww_error - 1) n = sizeof ww_error - 1;
  ww_error[n] = 0;
  return ww_error;
}

int32_t ww_walk(const char *path) { return ww_walk_raw(path, (int32_t)strlen(path)); }
int32_t ww_ls(const char *path, char *buf, int32_t cap) { return ww_ls_raw(path, (int32_t)strlen(path), buf, cap); }
int32_t ww_load(const char *path) { return ww_load_raw(path, (int32_t)strlen(path)); }
int32_t ww_load_bytes(const char *path, void *buf, int32_t cap) { return ww_load_bytes_raw(path, (int32_t)strlen(path), buf, cap); }
int32_t ww_store(const char *path, ww_handle h, int overwrite) { return ww_store_raw(path, (int32_t)strlen(path), h, overwrite); }
int32_t ww_store_bytes(const char *path, const void *data, int32_t len, int overwrite) {
  return ww_store_bytes_raw(path, (int32_t)strlen(path), data, len, overwrite);
}
int32_t ww_send_str(ww_handle h, const char *s, ww_handle cap) { return ww_send(h, s, (int32_t)strlen(s), cap); }

/* Packs a NULL-terminated string array as "a\0b\0" into buf; returns the length or -1 if it does not fit. */
static int32_t pack(const char *const *items, char *buf, int32_t cap) {
  int32_t n = 0;
  for (; items != NULL && *items != NULL; items++) {
    int32_t l = (int32_t)strlen(*items) + 1;
    if (n + l > cap) return -1;
    memcpy(buf + n, *items, (size_t)l);
    n += l;
  }
  return n;
}

static char abuf[4096], ebuf[4096];

int32_t ww_spawn(int32_t kind, const void *module, int32_t mlen, const char *const *argv, const char *const *env, const char *where) {
  int32_t al = pack(argv, abuf, sizeof abuf), el = pack(env, ebuf, sizeof ebuf);
  if (al < 0 || el < 0) return WW_ELIMIT;
  if (where == NULL) where = "";
  return ww_spawn_raw(kind, module, mlen, abuf, al, ebuf, el, where, (int32_t)strlen(where));
}

int32_t ww_spawn_with(int32_t kind, const void *module, int32_t mlen, const char *const *argv, const char *const *env,
                      const char *where, const ww_spawn_opts *opts) {
  int32_t al = pack(argv, abuf, sizeof abuf), el = pack(env, ebuf, sizeof ebuf);
  if (al < 0 || el < 0) return WW_ELIMIT;
  if (where == NULL) where = "";
  static const ww_spawn_opts none = { 0 };
  if (opts == NULL) opts = &none;
  const char *root = opts->root == NULL ? "" : opts->root;
  return ww_spawn_with_raw(kind, module, mlen, abuf, al, ebuf, el, where, (int32_t)strlen(where),
                           opts->caps, opts->ncaps, opts->limits, root, (int32_t)strlen(root), opts->flags);
}

int32_t ww_nodes(const char *where, char *buf, int32_t cap) {
  if (where == NULL) where = "";
  return ww_nodes_raw(where, (int32_t)strlen(where), buf, cap);
}
int32_t ww_node_meta(const char *peer, char *buf, int32_t cap) { return ww_node_meta_raw(peer, (int32_t)strlen(peer), buf, cap); }
int32_t ww_publish(const char *topic, const void *data, int32_t len) { return ww_publish_raw(topic, (int32_t)strlen(topic), data, len); }
int32_t ww_subscribe(const char *topic, int32_t buffer) { return ww_subscribe_raw(topic, (int32_t)strlen(topic), buffer); }

/* ---- named endpoints ---- */

int32_t ww_endpoint_publish(const char *name, ww_handle chan) { return ww_endpoint_publish_raw(name, (int32_t)strlen(name), chan); }
int32_t ww_endpoint_unpublish(const char *name) { return ww_endpoint_unpublish_raw(name, (int32_t)strlen(name)); }
int32_t ww_endpoint_count(const char *name) { return ww_endpoint_count_raw(name, (int32_t)strlen(name)); }
int32_t ww_endpoint_send(const char *name, const void *data, int32_t len, ww_handle cap, int32_t pick) {
  return ww_endpoint_send_raw(name, (int32_t)strlen(name), data, len, cap, pick);
}

/* ---- supervised proc trees ---- */

int32_t ww_down_read(const void *buf, int32_t n, ww_down *out) {
  if (n != WW_DOWN_BYTES) return WW_EINVAL;
  memcpy(out, buf, WW_DOWN_BYTES);
  return 0;
}
