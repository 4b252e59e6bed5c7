/*
 * pbx's libpcap binding (Node-API, C). Loaded by src/capture/live.ts; built by
 * src/capture/native/build.cjs (node-gyp, binding.gyp beside this file).
 *
 * Exports:
 *   libVersion(): string                       pcap_lib_version()
 *   findAllDevs(): Device[]                    pcap_findalldevs(); throws Error(libpcap's text)
 *   new Pcap(device, {snaplen, promisc, immediate, bufferSize, timeoutMs, nano})
 *       pcap_create + options + pcap_activate + pcap_setnonblock. Throws an Error whose message is
 *       libpcap's text and whose `code` is 'PERM' (no permission), 'NODEV' (no such device) or
 *       'PCAP' (anything else). A warning from pcap_activate is not an error.
 *   pcap.setFilter(expr)                       pcap_compile + pcap_setfilter; throws Error with
 *                                              libpcap's text, code 'FILTER'
 *   pcap.datalink(): number                    DLT_* of the open handle
 *   pcap.nano: boolean                         timestamps are nanoseconds (else microseconds)
 *   pcap.setBuffer(buf, offset)                where the next packets are written (see below)
 *   pcap.start(callback)                       polls the pcap fd on the libuv loop
 *   pcap.stats(): {recv, drop, ifdrop}         pcap_stats(); throws Error(libpcap's text)
 *   pcap.close()                               idempotent; allowed inside the callback
 *
 * Packets: when the fd is readable, pcap_dispatch() runs repeatedly while the current buffer has
 * room for one more record of the largest size (16 + snaplen rounded up to 4), and copies every
 * packet into the buffer at the current offset as a record: four little-endian (host order) u32 -
 * seconds, nanoseconds (microseconds * 1000 unless nano), captured length, original length - then
 * the captured bytes, padded to a multiple of 4. Then the callback is called ONCE as
 * callback(packets, endOffset, error?) with the number of records written by this wakeup and the
 * offset after the last one; `error` (a string) is set when pcap_dispatch failed, after which the
 * handle no longer polls. The buffer is referenced (napi_ref) from setBuffer() until the next
 * setBuffer() or close(), so it cannot be collected while libpcap writes into it. If after the
 * callback the buffer has no room for a record of the largest size, polling pauses until
 * setBuffer() gives a new one (libpcap's ring then absorbs the packets; its drops show in stats()).
 * While polling, the handle keeps its JS object alive.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <node_api.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#define REC_HDR 16u

typedef struct {
  napi_env env;
  pcap_t *p;
  uv_poll_t *poll;
  napi_ref self;      /* strong while polling */
  napi_ref cb;        /* the batch callback */
  napi_ref buf;       /* the buffer being written */
  napi_async_context actx;
  uint8_t *data;
  size_t cap;
  size_t pos;
  uint32_t snaplen;
  uint32_t maxrec;
  uint32_t pkts;
  int nano;
  int polling;
  int in_callback;
  int release_self;   /* close() inside the callback: drop the strong ref after it returns */
} Handle;

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "pbx pcap binding: Node-API call failed"); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value throw_code(napi_env env, const char *code, const char *msg) {
  napi_value m, c, err;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &err);
  napi_throw(env, err);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) return -1;
  return len + 1 >= size ? -1 : 0;
}

static int opt_int(napi_env env, napi_value obj, const char *name, int64_t def, int64_t *out) {
  napi_value v;
  napi_valuetype t;
  *out = def;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return -1;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return 0;
  if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    *out = b;
    return 0;
  }
  if (t != napi_number) return -1;
  return napi_get_value_int64(env, v, out) == napi_ok ? 0 : -1;
}

/* ---------------------------------------------------------------- packets */

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  Handle *x = (Handle *)user;
  uint32_t cl = h->caplen > x->snaplen ? x->snaplen : h->caplen;
  uint32_t hdr[4];
  uint8_t *d = x->data + x->pos;
  hdr[0] = (uint32_t)h->ts.tv_sec;
  hdr[1] = x->nano ? (uint32_t)h->ts.tv_usec : (uint32_t)h->ts.tv_usec * 1000u;
  hdr[2] = cl;
  hdr[3] = h->len;
  memcpy(d, hdr, REC_HDR);
  memcpy(d + REC_HDR, bytes, cl);
  x->pos += REC_HDR + ((cl + 3u) & ~3u);
  x->pkts++;
}

static void stop_polling(Handle *x) {
  if (x->polling) {
    uv_poll_stop(x->poll);
    x->polling = 0;
  }
}

static void free_poll(uv_handle_t *h) { free(h); }

static void unref_self(Handle *x) {
  if (x->self != NULL) {
    napi_delete_reference(x->env, x->self);
    x->self = NULL;
  }
}

static void close_handle(Handle *x) {
  stop_polling(x);
  if (x->poll != NULL) {
    uv_close((uv_handle_t *)x->poll, free_poll);
    x->poll = NULL;
  }
  if (x->p != NULL) {
    pcap_close(x->p);
    x->p = NULL;
  }
  if (x->buf != NULL) {
    napi_delete_reference(x->env, x->buf);
    x->buf = NULL;
  }
  x->data = NULL;
  x->cap = x->pos = 0;
  if (x->cb != NULL) {
    napi_delete_reference(x->env, x->cb);
    x->cb = NULL;
  }
  if (x->actx != NULL) {
    napi_async_destroy(x->env, x->actx);
    x->actx = NULL;
  }
  if (x->in_callback)
    x->release_self = 1;
  else
    unref_self(x);
}

static int has_room(Handle *x) { return x->data != NULL && x->cap - x->pos >= x->maxrec; }

static void on_readable(uv_poll_t *poll, int status, int events) {
  Handle *x = (Handle *)poll->data;
  napi_env env = x->env;
  const char *error = NULL;
  char errtext[PCAP_ERRBUF_SIZE + 32];
  (void)events;
  if (x->p == NULL) return;
  x->pkts = 0;
  if (status < 0) {
    snprintf(errtext, sizeof errtext, "poll: %s", uv_strerror(status));
    error = errtext;
  } else {
    while (has_room(x)) {
      int n = (int)((x->cap - x->pos) / x->maxrec);
      int r = pcap_dispatch(x->p, n, on_packet, (u_char *)x);
      if (r < 0) {
        if (r != PCAP_ERROR_BREAK) {
          snprintf(errtext, sizeof errtext, "%s", pcap_geterr(x->p));
          error = errtext;
        }
        break;
      }
      if (r < n) break; /* libpcap holds nothing more for now */
    }
  }
  if (error != NULL) stop_polling(x);
  if (x->pkts == 0 && error == NULL) {
    if (!has_room(x)) stop_polling(x);
    return;
  }

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, self, argv[3], result;
  int argc = 2;
  napi_get_reference_value(env, x->cb, &cb);
  napi_get_reference_value(env, x->self, &self);
  napi_create_uint32(env, x->pkts, &argv[0]);
  napi_create_double(env, (double)x->pos, &argv[1]);
  if (error != NULL) {
    napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &argv[2]);
    argc = 3;
  }
  x->in_callback = 1;
  napi_status st = napi_make_callback(env, x->actx, self, cb, argc, argv, &result);
  x->in_callback = 0;
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  if (x->release_self) {
    x->release_self = 0;
    unref_self(x);
  } else if (x->p != NULL && !has_room(x)) {
    stop_polling(x);
  }
  napi_close_handle_scope(env, scope);
}

static int start_polling(Handle *x) {
  if (x->polling || x->poll == NULL || x->p == NULL || !has_room(x)) return 0;
  if (uv_poll_start(x->poll, UV_READABLE, on_readable) != 0) return -1;
  x->polling = 1;
  return 0;
}

/* ---------------------------------------------------------------- class Pcap */

static Handle *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *x = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &x) != napi_ok || x == NULL) {
    napi_throw_error(env, NULL, "not a pcap handle");
    return NULL;
  }
  return (Handle *)x;
}

static Handle *open_handle(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  Handle *x = unwrap(env, info, argc, argv);
  if (x != NULL && x->p == NULL) {
    napi_throw_error(env, NULL, "the capture handle is closed");
    return NULL;
  }
  return x;
}

static void finalize(napi_env env, void *data, void *hint) {
  Handle *x = (Handle *)data;
  (void)hint;
  x->in_callback = 0;
  close_handle(x);
  free(x);
}

static napi_value Pcap_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  char device[512];
  char errbuf[PCAP_ERRBUF_SIZE];
  int64_t snaplen, promisc, immediate, bufsize, timeout, nano;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  if (argc < 2 || get_string(env, argv[0], device, sizeof device) != 0)
    return throw_code(env, "PCAP", "Pcap(device, options): device must be a string");
  if (opt_int(env, argv[1], "snaplen", 262144, &snaplen) || opt_int(env, argv[1], "promisc", 0, &promisc) ||
      opt_int(env, argv[1], "immediate", 0, &immediate) || opt_int(env, argv[1], "bufferSize", 2 * 1024 * 1024, &bufsize) ||
      opt_int(env, argv[1], "timeoutMs", 100, &timeout) || opt_int(env, argv[1], "nano", 1, &nano))
    return throw_code(env, "PCAP", "Pcap(device, options): bad option");
  if (snaplen < 1 || snaplen > 262144 || bufsize < 1 || bufsize > INT32_MAX || timeout < 0 || timeout > INT32_MAX)
    return throw_code(env, "PCAP", "Pcap(device, options): option out of range");

  errbuf[0] = 0;
  pcap_t *p = pcap_create(device, errbuf);
  if (p == NULL) return throw_code(env, "PCAP", errbuf[0] ? errbuf : "pcap_create failed");
  pcap_set_snaplen(p, (int)snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_immediate_mode(p, immediate ? 1 : 0);
  pcap_set_buffer_size(p, (int)bufsize);
  pcap_set_timeout(p, (int)timeout);
  if (nano) pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO); /* micro when refused */
  int rc = pcap_activate(p);
  if (rc < 0) {
    char msg[PCAP_ERRBUF_SIZE + 64];
    const char *code = rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED ? "PERM"
                       : rc == PCAP_ERROR_NO_SUCH_DEVICE                                   ? "NODEV"
                                                                                             : "PCAP";
    const char *text = pcap_geterr(p);
    snprintf(msg, sizeof msg, "%s", text != NULL && text[0] ? text : pcap_statustostr(rc));
    pcap_close(p);
    return throw_code(env, code, msg);
  }
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    char msg[PCAP_ERRBUF_SIZE];
    snprintf(msg, sizeof msg, "%s", errbuf);
    pcap_close(p);
    return throw_code(env, "PCAP", msg);
  }
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    pcap_close(p);
    return throw_code(env, "PCAP", "this device has no selectable file descriptor");
  }

  Handle *x = (Handle *)calloc(1, sizeof *x);
  uv_loop_t *loop = NULL;
  if (x == NULL) {
    pcap_close(p);
    return throw_code(env, "PCAP", "out of memory");
  }
  x->env = env;
  x->p = p;
  x->snaplen = (uint32_t)pcap_snapshot(p);
  if (x->snaplen == 0 || x->snaplen > (uint32_t)snaplen) x->snaplen = (uint32_t)snaplen;
  x->maxrec = REC_HDR + ((x->snaplen + 3u) & ~3u);
  x->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  x->poll = (uv_poll_t *)calloc(1, sizeof *x->poll);
  if (x->poll == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, x->poll, fd) != 0) {
    free(x->poll);
    x->poll = NULL;
    pcap_close(p);
    free(x);
    return throw_code(env, "PCAP", "cannot watch the capture descriptor on the event loop");
  }
  x->poll->data = x;
  if (napi_wrap(env, self, x, finalize, NULL, NULL) != napi_ok) {
    uv_close((uv_handle_t *)x->poll, free_poll);
    pcap_close(p);
    free(x);
    return throw_code(env, "PCAP", "cannot wrap the capture handle");
  }
  napi_value nanov;
  napi_get_boolean(env, x->nano, &nanov);
  napi_set_named_property(env, self, "nano", nanov);
  napi_value snapv;
  napi_create_uint32(env, x->snaplen, &snapv);
  napi_set_named_property(env, self, "snaplen", snapv);
  return self;
}

static napi_value Pcap_setFilter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Handle *x = open_handle(env, info, &argc, argv);
  if (x == NULL) return NULL;
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok)
    return throw_code(env, "FILTER", "setFilter(expression): expression must be a string");
  char *expr = (char *)malloc(len + 1);
  if (expr == NULL) return throw_code(env, "FILTER", "out of memory");
  napi_get_value_string_utf8(env, argv[0], expr, len + 1, &len);
  struct bpf_program prog;
  char msg[PCAP_ERRBUF_SIZE + 32];
  int failed = pcap_compile(x->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0;
  free(expr);
  if (failed) {
    snprintf(msg, sizeof msg, "%s", pcap_geterr(x->p));
    return throw_code(env, "FILTER", msg);
  }
  failed = pcap_setfilter(x->p, &prog) != 0;
  pcap_freecode(&prog);
  if (failed) {
    snprintf(msg, sizeof msg, "%s", pcap_geterr(x->p));
    return throw_code(env, "FILTER", msg);
  }
  return NULL;
}

static napi_value Pcap_datalink(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Handle *x = open_handle(env, info, &argc, NULL);
  if (x == NULL) return NULL;
  napi_value v;
  CHECK(napi_create_int32(env, pcap_datalink(x->p), &v));
  return v;
}

static napi_value Pcap_setBuffer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Handle *x = open_handle(env, info, &argc, argv);
  if (x == NULL) return NULL;
  bool isbuf = false;
  void *data = NULL;
  size_t len = 0;
  int64_t off = 0;
  if (argc < 2 || napi_is_buffer(env, argv[0], &isbuf) != napi_ok || !isbuf || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok ||
      napi_get_value_int64(env, argv[1], &off) != napi_ok || off < 0 || (size_t)off > len)
    return throw_code(env, "PCAP", "setBuffer(buffer, offset): a Buffer and an offset within it");
  napi_ref ref;
  CHECK(napi_create_reference(env, argv[0], 1, &ref));
  if (x->buf != NULL) napi_delete_reference(env, x->buf);
  x->buf = ref;
  x->data = (uint8_t *)data;
  x->cap = len;
  x->pos = (size_t)off;
  if (x->cb != NULL && !x->in_callback && start_polling(x) != 0) return throw_code(env, "PCAP", "cannot poll the capture descriptor");
  return NULL;
}

static napi_value Pcap_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, name;
  napi_valuetype t;
  Handle *x = open_handle(env, info, &argc, argv);
  if (x == NULL) return NULL;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return throw_code(env, "PCAP", "start(callback): callback must be a function");
  if (x->cb != NULL) return throw_code(env, "PCAP", "start(): already started");
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CHECK(napi_create_reference(env, argv[0], 1, &x->cb));
  CHECK(napi_create_string_utf8(env, "pbx:pcap", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, self, name, &x->actx));
  CHECK(napi_create_reference(env, self, 1, &x->self));
  if (start_polling(x) != 0) return throw_code(env, "PCAP", "cannot poll the capture descriptor");
  return NULL;
}

static napi_value Pcap_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Handle *x = open_handle(env, info, &argc, NULL);
  if (x == NULL) return NULL;
  struct pcap_stat ps;
  if (pcap_stats(x->p, &ps) != 0) {
    char msg[PCAP_ERRBUF_SIZE];
    snprintf(msg, sizeof msg, "%s", pcap_geterr(x->p));
    return throw_code(env, "PCAP", msg);
  }
  napi_value o, v;
  CHECK(napi_create_object(env, &o));
  napi_create_double(env, ps.ps_recv, &v);
  napi_set_named_property(env, o, "recv", v);
  napi_create_double(env, ps.ps_drop, &v);
  napi_set_named_property(env, o, "drop", v);
  napi_create_double(env, ps.ps_ifdrop, &v);
  napi_set_named_property(env, o, "ifdrop", v);
  return o;
}

static napi_value Pcap_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Handle *x = unwrap(env, info, &argc, NULL);
  if (x == NULL) return NULL;
  close_handle(x);
  return NULL;
}

/* ---------------------------------------------------------------- module functions */

static napi_value addr_string(napi_env env, const struct sockaddr *sa) {
  char text[INET6_ADDRSTRLEN];
  const void *src;
  napi_value v;
  if (sa == NULL) return NULL;
  if (sa->sa_family == AF_INET)
    src = &((const struct sockaddr_in *)sa)->sin_addr;
  else if (sa->sa_family == AF_INET6)
    src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
  else
    return NULL;
  if (inet_ntop(sa->sa_family, src, text, sizeof text) == NULL) return NULL;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

static napi_value findAllDevs(napi_env env, napi_callback_info info) {
  pcap_if_t *all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  (void)info;
  errbuf[0] = 0;
  if (pcap_findalldevs(&all, errbuf) != 0) return throw_code(env, "PCAP", errbuf[0] ? errbuf : "pcap_findalldevs failed");
  napi_value list, v;
  uint32_t i = 0;
  napi_create_array(env, &list);
  for (pcap_if_t *d = all; d != NULL; d = d->next) {
    napi_value dev, addrs;
    uint32_t j = 0;
    napi_create_object(env, &dev);
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, dev, "name", v);
    if (d->description != NULL) {
      napi_create_string_utf8(env, d->description, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, dev, "description", v);
    }
    napi_get_boolean(env, (d->flags & PCAP_IF_LOOPBACK) != 0, &v);
    napi_set_named_property(env, dev, "loopback", v);
    napi_get_boolean(env, (d->flags & PCAP_IF_UP) != 0, &v);
    napi_set_named_property(env, dev, "up", v);
    napi_get_boolean(env, (d->flags & PCAP_IF_RUNNING) != 0, &v);
    napi_set_named_property(env, dev, "running", v);
    napi_create_array(env, &addrs);
    for (pcap_addr_t *a = d->addresses; a != NULL; a = a->next) {
      napi_value addr = addr_string(env, a->addr), o, s;
      if (addr == NULL) continue; /* IPv4 and IPv6 only */
      napi_create_object(env, &o);
      napi_set_named_property(env, o, "addr", addr);
      if ((s = addr_string(env, a->netmask)) != NULL) napi_set_named_property(env, o, "netmask", s);
      if ((s = addr_string(env, a->broadaddr)) != NULL) napi_set_named_property(env, o, "broadaddr", s);
      if ((s = addr_string(env, a->dstaddr)) != NULL) napi_set_named_property(env, o, "dstaddr", s);
      napi_set_element(env, addrs, j++, o);
    }
    napi_set_named_property(env, dev, "addresses", addrs);
    napi_set_element(env, list, i++, dev);
  }
  pcap_freealldevs(all);
  return list;
}

static napi_value libVersion(napi_env env, napi_callback_info info) {
  napi_value v;
  (void)info;
  CHECK(napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v));
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"setFilter", NULL, Pcap_setFilter, NULL, NULL, NULL, napi_default, NULL},
      {"datalink", NULL, Pcap_datalink, NULL, NULL, NULL, napi_default, NULL},
      {"setBuffer", NULL, Pcap_setBuffer, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, Pcap_start, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, Pcap_stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Pcap_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, fn;
  CHECK(napi_define_class(env, "Pcap", NAPI_AUTO_LENGTH, Pcap_new, NULL, sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(napi_set_named_property(env, exports, "Pcap", cls));
  CHECK(napi_create_function(env, "findAllDevs", NAPI_AUTO_LENGTH, findAllDevs, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "findAllDevs", fn));
  CHECK(napi_create_function(env, "libVersion", NAPI_AUTO_LENGTH, libVersion, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "libVersion", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
