// OpenSSL engine for nng 1.5.2's pluggable TLS layer (nng/supplemental/tls/engine.h, API version 1).
//
// nng owns the TCP stream and the buffering; this file turns its byte-moving callbacks (nng_tls_engine_send /
// nng_tls_engine_recv, which answer NNG_EAGAIN when they must wait for I/O) into an OpenSSL BIO, and maps
// OpenSSL's results back to nng error codes. nng calls every connection operation with the connection's lock
// held, so one connection is never entered by two threads at once.
#include "CNNGOpenSSL.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <nng/supplemental/tls/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define TLS12_CIPHERS                                                                                          \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                 \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define GROUPS "X25519:P-256:P-384"
// The largest record plaintext whose record (TLS 1.2 AES-GCM adds 29 bytes, the other suites fewer) fits 16,384.
#define RECORD_PLAINTEXT (16384 - 29)

struct nng_tls_engine_config {
    SSL_CTX *ctx;
    bool server;
    char *server_name;
};

// Where one direction of a connection stands in nng's byte stream: the 8-byte SP header of the negotiation, then
// messages framed as an 8-byte big-endian length and that many bytes (src/sp/transport/tls/tls.c).
enum frame_phase { FRAME_NEGOTIATION, FRAME_LENGTH, FRAME_BODY };
struct frames {
    enum frame_phase phase;
    uint64_t left;      // bytes of the negotiation header or of the body still to come
    uint8_t length[8];  // the length prefix of the current frame, `have` bytes of it so far
    unsigned have;
    bool idle;          // the last call moved no byte (NNG_EAGAIN or an error): nng has no step of it to continue
};

// Where one direction of a connection's plaintext stream is in nng's tls+tcp framing: the 8-byte SP preamble, then
// messages, each an 8-byte big-endian length and that many bytes (for message tracing only).
typedef struct frame_state {
    uint8_t preamble;  // preamble bytes seen (8 = done)
    uint8_t have;      // length bytes seen of the next message
    uint8_t header[8];
    uint64_t length;   // the current message's length
    uint64_t remaining; // its bytes still to come (0 = between messages)
} frame_state;

struct nng_tls_engine_conn {
    void *nng;     // nng's connection context, passed back to nng_tls_engine_send/recv
    SSL *ssl;
    bool server;
    bool finished; // the handshake ended (either way) and was reported
    int io_error;  // the last hard error nng's send/recv returned to the BIO, 0 if none
    nng_sockaddr remote, local;
    bool have_addresses;
    int socket;    // the TCP descriptor under nng's stream (see find_socket), -1 if unknown
    bool is_stream; // `nng` is nng 1.5's TLS stream object (nng_stream_close may be called on it)
    // A refusal held back until the peer has read our alert (see "Refusals"); written under nng's connection lock
    // and state_lock.
    int deferred_error;
    double refused_at;
    // The sweeper's bookkeeping (behind state_lock): the live list, when the socket was first seen hung up.
    nng_tls_engine_conn *live_next, *live_prev;
    double hung_since;
    bool swept;    // nng_stream_close was called on it by the engine (sweeper or retirement)
    // Retirement (see "Retiring a connection"): behind io_lock, which conn_send/conn_recv hold around each step.
    pthread_mutex_t io_lock;
    bool retired;
    struct frames tx, rx;
    char peer[64];
    char local_text[64];
    // The first chain error the verify callback saw, and the leaf certificate the peer presented.
    char verify_error[160];
    char subject[256];
    char common_name[128];
    char fingerprint[65];
    frame_state sending, receiving;
};

// MARK: Events and the identity table

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static fedattr_tls_event_handler event_handler;
static void *event_context;
static long live_connections;
static nng_tls_engine_conn *live_list; // every connection between conn_init and conn_fini
static long swept_connections;
static long retired_connections; // connections retired (fedattr_tls_retire) and not yet freed

// Verified server-side connections, for fedattr_tls_peer_identity; unlinked in conn_fini.
typedef struct identity {
    struct identity *next;
    nng_tls_engine_conn *conn;
} identity;
static identity *identities;

void fedattr_tls_set_event_handler(fedattr_tls_event_handler handler, void *context) {
    pthread_mutex_lock(&state_lock);
    event_handler = handler;
    event_context = context;
    pthread_mutex_unlock(&state_lock);
}

long fedattr_tls_live_connections(void) {
    pthread_mutex_lock(&state_lock);
    long n = live_connections;
    pthread_mutex_unlock(&state_lock);
    return n;
}

long fedattr_tls_retiring_connections(void) {
    pthread_mutex_lock(&state_lock);
    long n = retired_connections;
    pthread_mutex_unlock(&state_lock);
    return n;
}

long fedattr_tls_swept_connections(void) {
    pthread_mutex_lock(&state_lock);
    long n = swept_connections;
    pthread_mutex_unlock(&state_lock);
    return n;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool same_address(const nng_sockaddr *a, const nng_sockaddr *b) {
    if (a->s_family != b->s_family) return false;
    switch (a->s_family) {
    case NNG_AF_INET:
        return a->s_in.sa_addr == b->s_in.sa_addr && a->s_in.sa_port == b->s_in.sa_port;
    case NNG_AF_INET6:
        return a->s_in6.sa_port == b->s_in6.sa_port && memcmp(a->s_in6.sa_addr, b->s_in6.sa_addr, 16) == 0;
    default:
        return false;
    }
}

bool fedattr_tls_peer_identity(const nng_sockaddr *remote, const nng_sockaddr *local, char *common_name,
                               size_t common_name_size, char *fingerprint, size_t fingerprint_size) {
    bool found = false;
    pthread_mutex_lock(&state_lock);
    for (identity *i = identities; i != NULL; i = i->next) {
        nng_tls_engine_conn *c = i->conn;
        if (same_address(&c->remote, remote) && same_address(&c->local, local)) {
            if (strlen(c->common_name) < common_name_size && strlen(c->fingerprint) < fingerprint_size) {
                strcpy(common_name, c->common_name);
                strcpy(fingerprint, c->fingerprint);
                found = true;
            }
            break;
        }
    }
    pthread_mutex_unlock(&state_lock);
    return found;
}

static void identity_remove(nng_tls_engine_conn *conn) {
    pthread_mutex_lock(&state_lock);
    for (identity **p = &identities; *p != NULL; p = &(*p)->next) {
        if ((*p)->conn == conn) {
            identity *gone = *p;
            *p = gone->next;
            free(gone);
            break;
        }
    }
    pthread_mutex_unlock(&state_lock);
}

static void identity_add(nng_tls_engine_conn *conn) {
    identity *i = calloc(1, sizeof(*i));
    if (i == NULL) return; // the connection then simply has no binding; the application refuses its messages
    i->conn = conn;
    pthread_mutex_lock(&state_lock);
    i->next = identities;
    identities = i;
    pthread_mutex_unlock(&state_lock);
}

static void report(nng_tls_engine_conn *conn, bool refused, const char *reason) {
    pthread_mutex_lock(&state_lock);
    fedattr_tls_event_handler handler = event_handler;
    void *context = event_context;
    pthread_mutex_unlock(&state_lock);
    if (handler == NULL) return;
    const SSL_CIPHER *cipher = SSL_get_current_cipher(conn->ssl);
    fedattr_tls_event event = {
        .server = conn->server,
        .refused = refused,
        .reason = reason,
        .peer = conn->peer,
        .local = conn->local_text,
        .subject = conn->subject,
        .fingerprint = conn->fingerprint,
        .version = refused ? "" : SSL_get_version(conn->ssl),
        .cipher = (refused || cipher == NULL) ? "" : SSL_CIPHER_get_name(cipher),
    };
    handler(&event, context);
}

// MARK: Certificates

// Records subject, common name and fingerprint of `leaf` on the connection.
static void remember_leaf(nng_tls_engine_conn *conn, X509 *leaf) {
    if (leaf == NULL || conn->fingerprint[0] != '\0') return;
    X509_NAME *name = X509_get_subject_name(leaf);
    BIO *out = BIO_new(BIO_s_mem());
    if (out != NULL) {
        X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253);
        int n = BIO_read(out, conn->subject, sizeof(conn->subject) - 1);
        conn->subject[n > 0 ? n : 0] = '\0';
        BIO_free(out);
    }
    if (X509_NAME_get_text_by_NID(name, NID_commonName, conn->common_name, sizeof(conn->common_name)) < 0) {
        conn->common_name[0] = '\0';
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(leaf, EVP_sha256(), digest, &length) == 1 && length == 32) {
        for (unsigned int i = 0; i < length; i++) snprintf(conn->fingerprint + 2 * i, 3, "%02x", digest[i]);
    }
}

static int verify_callback(int ok, X509_STORE_CTX *store) {
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    nng_tls_engine_conn *conn = ssl == NULL ? NULL : SSL_get_app_data(ssl);
    if (conn == NULL) return ok;
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(store);
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    remember_leaf(conn, leaf != NULL ? leaf : (chain != NULL && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL));
    if (!ok && conn->verify_error[0] == '\0') {
        int error = X509_STORE_CTX_get_error(store);
        snprintf(conn->verify_error, sizeof(conn->verify_error), "certificate verify failed at depth %d: %s",
                 X509_STORE_CTX_get_error_depth(store), X509_verify_cert_error_string(error));
    }
    return ok;
}

// Reads every PEM certificate in `pem`; calls `use` on each; returns how many were read, or -1 on a malformed block.
static int each_certificate(const char *pem, int (*use)(void *, X509 *, int), void *target) {
    BIO *in = BIO_new_mem_buf(pem, -1);
    if (in == NULL) return -1;
    int count = 0;
    for (;;) {
        X509 *cert = PEM_read_bio_X509(in, NULL, NULL, NULL);
        if (cert == NULL) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error(); // end of input
                break;
            }
            ERR_clear_error();
            count = -1;
            break;
        }
        int rv = use(target, cert, count);
        X509_free(cert);
        if (rv != 1) {
            count = -1;
            break;
        }
        count++;
    }
    BIO_free(in);
    return count;
}

// MARK: The TCP descriptor under nng's stream

// Why: nng 1.5.2's TLS layer (src/supplemental/tls/tls_common.c) handles a TCP error that arrives while no
// send or receive is queued by closing the TCP stream and its aios (tls_tcp_error) without marking the TLS
// connection closed. A send or receive queued afterwards starts a TCP transfer on the stopped aio, which
// nni_aio_begin refuses without ever calling back, so it waits forever: the SP negotiation (whose 10 s timer
// cancels only the TCP aio) or the pipe never ends, and its descriptor and buffers stay until the listener
// closes. That is the window between two steps of the SP header exchange, hit by a peer that closes or resets
// right after the handshake. nng_tls_engine_recv/send then only ever answer NNG_EAGAIN, but nng's close
// shuts the socket down first (shutdown(SHUT_RDWR), under the connection lock that also covers our calls), so
// before waiting for I/O the engine asks the socket: a hung-up socket fails the call, nng fails the aio, and
// the pipe is reaped.

static bool same_socket_address(const struct sockaddr_storage *s, const nng_sockaddr *a) {
    if (s->ss_family == AF_INET && a->s_family == NNG_AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)s;
        return in->sin_port == a->s_in.sa_port && in->sin_addr.s_addr == a->s_in.sa_addr;
    }
    if (s->ss_family == AF_INET6 && a->s_family == NNG_AF_INET6) {
        const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)s;
        return in->sin6_port == a->s_in6.sa_port && memcmp(&in->sin6_addr, a->s_in6.sa_addr, 16) == 0;
    }
    return false;
}

// The descriptor of this process whose local and peer addresses are `local` and `remote` (a TCP connection's
// four-tuple names one socket), or -1. It stays valid for the connection's life: nng frees the TCP stream
// only after conn_fini.
static int find_socket(const nng_sockaddr *local, const nng_sockaddr *remote) {
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) return -1; // no /proc, or no descriptor left: the connection goes without the check
    int found = -1;
    struct dirent *entry;
    while (found < 0 && (entry = readdir(dir)) != NULL) {
        char *end;
        long fd = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || end == entry->d_name || fd == dirfd(dir)) continue;
        struct sockaddr_storage address;
        socklen_t length = sizeof(address);
        if (getsockname((int)fd, (struct sockaddr *)&address, &length) != 0 || !same_socket_address(&address, local)) continue;
        length = sizeof(address);
        if (getpeername((int)fd, (struct sockaddr *)&address, &length) != 0 || !same_socket_address(&address, remote)) continue;
        found = (int)fd;
    }
    closedir(dir);
    return found;
}

// Whether the TCP socket is hung up (shut down by nng, or reset): nothing more will arrive or leave.
static bool socket_hung_up(int socket) {
    if (socket < 0) return false;
    struct pollfd p = {.fd = socket, .events = 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static bool hung_up(const nng_tls_engine_conn *conn) { return socket_hung_up(conn->socket); }

// MARK: The sweeper (backstop)

// Why: the checks in the BIO run only when nng calls into the engine. A connection nng has stranded (see above)
// and that nng never calls again, or a refusal held back for a peer that never closes (see "Refusals"), would keep
// its descriptor and buffers until the listener closes. Twice a second this thread looks at every live
// connection and, for one whose socket has been hung up for HUNG_LIMIT seconds (nng frees a hung-up connection
// within milliseconds when nothing is stuck) or whose refusal has waited REFUSAL_LIMIT seconds, calls
// nng_stream_close on nng's TLS stream: nng then fails every send and receive queued on it (tls_close →
// tls_tcp_error), the SP negotiation or pipe ends with an error, and nng frees the connection and its descriptor.
// conn_fini takes sweep_lock, so a connection is never freed while the sweeper closes it.
#define SWEEP_INTERVAL_MS 500
#define HUNG_LIMIT 3.0
#define REFUSAL_LIMIT 2.0
#define SWEEP_BATCH 64

// MARK: Retiring a connection

// Why: nng 1.5.2 sends a message in steps (the transport hands the TLS layer its 8-byte length, the protocol header
// and the body as separate buffers, and a partial write is another step) and starts each next step from the
// previous step's completion callback; it receives the same way (length, then body). If the pipe is closed while
// such a callback is queued — nng_pipe_close, or nng itself after a read error — the transport has already
// stopped that aio (nni_aio_close in tlstran_pipe_close), the callback's next nng_stream_send/recv is refused by
// nni_aio_begin without ever completing, and the protocol's send or receive on that pipe never finishes. The
// protocol's pipe stop (surv0_pipe_stop → nni_aio_stop) then waits for it for ever on nng's single reaper thread:
// from then on no pipe or connection of the process is freed, each keeps its descriptor, and nng_close never
// returns. A coordinator that closes connections while it broadcasts (probes every 0.5 s, round tasks) on a loaded
// machine hits that window (docs/SECURITY.md).
//
// So the application closes a connection by retiring it here instead of nng_pipe_close: from then on the engine
// moves no byte in either direction (conn_send and conn_recv answer NNG_EAGAIN, which parks nng's aio in its TLS
// layer, where a close fails it properly), and the engine closes nng's TLS stream itself (nng_stream_close, as the
// sweeper does: nng fails every queued send and receive, the pipe ends with an error and is reaped) at the first
// moment neither direction has a step whose continuation is still to run: each side is between two messages, or
// its last call moved nothing. Since a retired connection completes no further step, that moment comes as soon
// as the callbacks already queued have run, and then lasts. The frames below follow nng's byte stream to know
// where a message ends; `io_lock` makes each step and its bookkeeping atomic against the check.

static void frames_init(struct frames *f) {
    memset(f, 0, sizeof(*f));
    f->phase = FRAME_NEGOTIATION;
    f->left = 8;
}

static void frames_advance(struct frames *f, const uint8_t *data, size_t n) {
    while (n > 0) {
        if (f->phase == FRAME_LENGTH) {
            f->length[f->have++] = *data++;
            n--;
            if (f->have == 8) {
                uint64_t length = 0;
                for (int i = 0; i < 8; i++) length = (length << 8) | f->length[i];
                f->have = 0;
                if (length > 0) {
                    f->phase = FRAME_BODY;
                    f->left = length;
                }
            }
            continue;
        }
        size_t k = n < f->left ? n : (size_t)f->left;
        f->left -= k;
        data += k;
        n -= k;
        if (f->left == 0) f->phase = FRAME_LENGTH;
    }
}

// Whether nng can have no continuation of this direction pending: between messages, or the last call moved nothing.
static bool frames_at_rest(const struct frames *f) {
    return f->idle || (f->phase == FRAME_LENGTH && f->have == 0);
}

// Whether closing the connection now cannot strand it (see above); caller holds io_lock.
static bool at_rest(const nng_tls_engine_conn *conn) { return frames_at_rest(&conn->tx) && frames_at_rest(&conn->rx); }

static pthread_mutex_t sweep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweep_wake = PTHREAD_COND_INITIALIZER; // signalled (with state_lock) when live_list gains one
static pthread_once_t sweeper_once = PTHREAD_ONCE_INIT;

static void sweep(void) {
    nng_tls_engine_conn *victims[SWEEP_BATCH];
    int count = 0;
    double now = now_seconds();
    pthread_mutex_lock(&sweep_lock);
    pthread_mutex_lock(&state_lock);
    for (nng_tls_engine_conn *c = live_list; c != NULL && count < SWEEP_BATCH; c = c->live_next) {
        if (c->swept || !c->is_stream) continue;
        if (c->retired) {
            pthread_mutex_lock(&c->io_lock);
            bool rest = at_rest(c);
            pthread_mutex_unlock(&c->io_lock);
            if (rest) {
                c->swept = true;
                victims[count++] = c;
            }
            continue;
        }
        bool due = c->deferred_error != 0 && now - c->refused_at >= REFUSAL_LIMIT;
        if (!due && socket_hung_up(c->socket)) {
            if (c->hung_since == 0) c->hung_since = now;
            due = now - c->hung_since >= HUNG_LIMIT;
        } else if (!due) {
            c->hung_since = 0;
        }
        if (due) {
            c->swept = true;
            swept_connections++;
            victims[count++] = c;
        }
    }
    pthread_mutex_unlock(&state_lock);
    // Outside state_lock (nng's close calls conn_close, which takes it); inside sweep_lock (no victim is freed).
    for (int i = 0; i < count; i++) nng_stream_close((nng_stream *)victims[i]->nng);
    pthread_mutex_unlock(&sweep_lock);
}

static void *sweeper(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&state_lock);
        while (live_list == NULL) pthread_cond_wait(&sweep_wake, &state_lock);
        pthread_mutex_unlock(&state_lock);
        struct timespec pause = {.tv_sec = 0, .tv_nsec = SWEEP_INTERVAL_MS * 1000000L};
        nanosleep(&pause, NULL);
        sweep();
    }
    return NULL;
}

static void start_sweeper(void) {
    pthread_t thread;
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return;
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    (void)pthread_create(&thread, &attributes, sweeper, NULL); // without it, only the in-call checks remain
    pthread_attr_destroy(&attributes);
}

static void live_add(nng_tls_engine_conn *conn) {
    pthread_mutex_lock(&state_lock);
    conn->live_prev = NULL;
    conn->live_next = live_list;
    if (live_list != NULL) live_list->live_prev = conn;
    live_list = conn;
    live_connections++;
    pthread_cond_signal(&sweep_wake);
    pthread_mutex_unlock(&state_lock);
}

static void live_remove(nng_tls_engine_conn *conn) {
    pthread_mutex_lock(&sweep_lock);
    pthread_mutex_lock(&state_lock);
    if (conn->live_prev != NULL) conn->live_prev->live_next = conn->live_next;
    else live_list = conn->live_next;
    if (conn->live_next != NULL) conn->live_next->live_prev = conn->live_prev;
    conn->live_next = conn->live_prev = NULL;
    live_connections--;
    if (conn->retired) retired_connections--;
    pthread_mutex_unlock(&state_lock);
    pthread_mutex_unlock(&sweep_lock);
}

bool fedattr_tls_retire(const nng_sockaddr *remote, const nng_sockaddr *local) {
    nng_tls_engine_conn *found = NULL;
    bool close_now = false;
    pthread_mutex_lock(&sweep_lock);
    pthread_mutex_lock(&state_lock);
    for (nng_tls_engine_conn *c = live_list; c != NULL; c = c->live_next) {
        if (c->is_stream && c->have_addresses && same_address(&c->remote, remote) && same_address(&c->local, local)) {
            found = c;
            break;
        }
    }
    if (found != NULL && !found->swept) {
        pthread_mutex_lock(&found->io_lock);
        if (!found->retired) {
            found->retired = true;
            retired_connections++;
        }
        close_now = at_rest(found);
        pthread_mutex_unlock(&found->io_lock);
        if (close_now) found->swept = true;
    }
    pthread_mutex_unlock(&state_lock);
    // Outside state_lock (nng's close calls conn_close, which takes it); inside sweep_lock (not freed meanwhile).
    if (close_now) nng_stream_close((nng_stream *)found->nng);
    pthread_mutex_unlock(&sweep_lock);
    return found != NULL;
}

// MARK: Message tracing

// When enabled, each connection follows nng's message framing in its plaintext and records when a message's last
// byte was handed to OpenSSL for sending (encrypted into nng's TLS buffer) and when a received message's first and
// last bytes were decrypted, on CLOCK_MONOTONIC, into a bounded buffer the application drains (for timelines).
static volatile bool trace_on;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
#define TRACE_CAPACITY 4096
static fedattr_tls_trace_event trace_events[TRACE_CAPACITY];
static size_t trace_count;

void fedattr_tls_trace(bool on) { trace_on = on; }

size_t fedattr_tls_trace_drain(fedattr_tls_trace_event *out, size_t capacity) {
    pthread_mutex_lock(&trace_lock);
    size_t n = trace_count < capacity ? trace_count : capacity;
    memcpy(out, trace_events, n * sizeof(*out));
    memmove(trace_events, trace_events + n, (trace_count - n) * sizeof(*out));
    trace_count -= n;
    pthread_mutex_unlock(&trace_lock);
    return n;
}

static void trace_record(nng_tls_engine_conn *conn, fedattr_tls_trace_kind kind, uint64_t length) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fedattr_tls_trace_event e = {(uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000, length, kind, 0};
    if (conn->have_addresses) {
        e.peer_port = conn->remote.s_family == NNG_AF_INET ? ntohs(conn->remote.s_in.sa_port)
                                                           : ntohs(conn->remote.s_in6.sa_port);
    }
    pthread_mutex_lock(&trace_lock);
    if (trace_count < TRACE_CAPACITY) trace_events[trace_count++] = e;
    pthread_mutex_unlock(&trace_lock);
}

// Follows `count` plaintext bytes of one direction through the framing, recording message boundaries.
static void trace_frames(nng_tls_engine_conn *conn, frame_state *f, const uint8_t *bytes, size_t count, bool send) {
    while (count > 0) {
        if (f->preamble < 8) {
            size_t k = (size_t)(8 - f->preamble) < count ? (size_t)(8 - f->preamble) : count;
            f->preamble += (uint8_t)k, bytes += k, count -= k;
        } else if (f->remaining == 0) {
            size_t k = (size_t)(8 - f->have) < count ? (size_t)(8 - f->have) : count;
            memcpy(f->header + f->have, bytes, k);
            f->have += (uint8_t)k, bytes += k, count -= k;
            if (f->have < 8) continue;
            f->have = 0;
            f->length = 0;
            for (int i = 0; i < 8; i++) f->length = f->length << 8 | f->header[i];
            f->remaining = f->length;
            if (!send && f->length > 0) trace_record(conn, FEDATTR_TLS_TRACE_FIRST_RECEIVED, f->length);
        } else {
            size_t k = f->remaining < count ? (size_t)f->remaining : count;
            f->remaining -= k, bytes += k, count -= k;
            if (f->remaining == 0) {
                trace_record(conn, send ? FEDATTR_TLS_TRACE_SENT : FEDATTR_TLS_TRACE_LAST_RECEIVED, f->length);
            }
        }
    }
}

// MARK: BIO over nng's stream

static BIO_METHOD *nng_bio_method;

static int bio_write(BIO *bio, const char *data, size_t length, size_t *written) {
    nng_tls_engine_conn *conn = BIO_get_data(bio);
    size_t n = length;
    BIO_clear_retry_flags(bio);
    // After nng's tls_tcp_error its send buffer still takes bytes and reports success, though nothing is sent
    // any more: a send to a hung-up socket fails here instead (so no multi-part send goes on into a closed pipe).
    if (hung_up(conn)) {
        conn->io_error = NNG_ECONNSHUT;
        return 0;
    }
    int rv = nng_tls_engine_send(conn->nng, (const uint8_t *)data, &n);
    if (rv == 0) {
        *written = n;
        return 1;
    }
    if (rv == NNG_EAGAIN && hung_up(conn)) {
        conn->io_error = NNG_ECONNSHUT;
    } else if (rv == NNG_EAGAIN) {
        BIO_set_retry_write(bio);
    } else {
        conn->io_error = rv;
    }
    return 0;
}

static int bio_read(BIO *bio, char *data, size_t length, size_t *read) {
    nng_tls_engine_conn *conn = BIO_get_data(bio);
    size_t n = length;
    BIO_clear_retry_flags(bio);
    int rv = nng_tls_engine_recv(conn->nng, (uint8_t *)data, &n);
    if (rv == 0) {
        *read = n;
        return 1;
    }
    if (rv == NNG_EAGAIN && hung_up(conn)) {
        // nng holds no byte (NNG_EAGAIN) and the connection is over. Bytes still queued in the kernel (a refusing
        // peer's alert before its reset, which nng may never read once it has shut the socket down) are taken here,
        // so the refusal is reported as such; then the end.
        ssize_t got = recv(conn->socket, data, length, MSG_DONTWAIT);
        if (got > 0) {
            *read = (size_t)got;
            return 1;
        }
        conn->io_error = NNG_ECONNSHUT;
    } else if (rv == NNG_EAGAIN) {
        BIO_set_retry_read(bio);
    } else {
        conn->io_error = rv;
    }
    return 0;
}

static long bio_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)bio, (void)number, (void)pointer;
    return command == BIO_CTRL_FLUSH ? 1 : 0; // nng sends buffered bytes by itself
}

static int bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

// MARK: Errors

// Maps a failed SSL call to an nng error and a reason; `result` is SSL_get_error's answer.
static int failure(nng_tls_engine_conn *conn, int result, char *reason, size_t size) {
    unsigned long e = ERR_peek_last_error();
    int rv = NNG_ECRYPTO;
    if (conn->verify_error[0] != '\0') {
        snprintf(reason, size, "%s", conn->verify_error);
    } else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET) {
        // The peer sent an alert: it refused us.
        int alert = ERR_GET_REASON(e) - SSL_AD_REASON_OFFSET;
        snprintf(reason, size, "peer sent alert: %s", SSL_alert_desc_string_long(alert));
        rv = alert == TLS13_AD_CERTIFICATE_REQUIRED ? NNG_ECONNSHUT : NNG_ECRYPTO;
    } else if (e != 0) {
        const char *text = ERR_reason_error_string(e);
        snprintf(reason, size, "%s", text != NULL ? text : "TLS protocol error");
        if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
            snprintf(reason, size, "peer presented no certificate");
        }
    } else if (conn->io_error != 0) {
        snprintf(reason, size, "connection failed: %s", nng_strerror(conn->io_error));
        rv = conn->io_error;
    } else if (result == SSL_ERROR_ZERO_RETURN || result == SSL_ERROR_SYSCALL) {
        snprintf(reason, size, "peer closed the connection");
        rv = NNG_ECONNSHUT;
    } else {
        snprintf(reason, size, "TLS error %d", result);
    }
    ERR_clear_error();
    return rv;
}

// MARK: Connections

// "a.b.c.d:port" or "[v6]:port" (as the application writes pipe addresses); "" for other families.
static void address_text(const nng_sockaddr *a, char *text, size_t size) {
    if (a->s_family == NNG_AF_INET) {
        uint32_t ip = ntohl(a->s_in.sa_addr);
        snprintf(text, size, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff,
                 ntohs(a->s_in.sa_port));
    } else if (a->s_family == NNG_AF_INET6) {
        const uint8_t *b = a->s_in6.sa_addr;
        char groups[48];
        snprintf(groups, sizeof(groups), "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
                 b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11], b[12] << 8 | b[13],
                 b[14] << 8 | b[15]);
        snprintf(text, size, "[%s]:%u", groups, ntohs(a->s_in6.sa_port));
    } else {
        text[0] = '\0';
    }
}

static int conn_init(nng_tls_engine_conn *conn, void *nng, nng_tls_engine_config *config) {
    conn->nng = nng;
    conn->server = config->server;
    conn->socket = -1;
    frames_init(&conn->tx);
    frames_init(&conn->rx);
    // nng 1.5.2 passes its TLS stream object, whose options reach the TCP stream's addresses (used for logs and
    // for binding a pipe to its peer certificate). Only trusted on the 1.5 series, whose layout this was read from.
    if (strncmp(nng_version(), "1.5.", 4) == 0) {
        nng_stream *stream = nng;
        conn->is_stream = true;
        conn->have_addresses = nng_stream_get_addr(stream, NNG_OPT_REMADDR, &conn->remote) == 0 &&
                               nng_stream_get_addr(stream, NNG_OPT_LOCADDR, &conn->local) == 0;
        if (conn->have_addresses) {
            address_text(&conn->remote, conn->peer, sizeof(conn->peer));
            address_text(&conn->local, conn->local_text, sizeof(conn->local_text));
            conn->socket = find_socket(&conn->local, &conn->remote);
        }
    }
    if ((conn->ssl = SSL_new(config->ctx)) == NULL) {
        ERR_clear_error();
        return NNG_ENOMEM;
    }
    BIO *bio = BIO_new(nng_bio_method);
    if (bio == NULL) {
        SSL_free(conn->ssl);
        conn->ssl = NULL;
        return NNG_ENOMEM;
    }
    BIO_set_data(bio, conn);
    SSL_set_bio(conn->ssl, bio, bio);
    SSL_set_app_data(conn->ssl, conn);
    if (config->server) {
        SSL_set_accept_state(conn->ssl);
    } else {
        SSL_set_connect_state(conn->ssl);
        if (config->server_name != NULL) {
            // SNI always carries the name; an IP address is checked against IP SANs, a name against DNS SANs.
            if (SSL_set_tlsext_host_name(conn->ssl, config->server_name) != 1 ||
                (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn->ssl), config->server_name) != 1 &&
                 SSL_set1_host(conn->ssl, config->server_name) != 1)) {
                ERR_clear_error();
                SSL_free(conn->ssl);
                conn->ssl = NULL;
                return NNG_EINVAL;
            }
            ERR_clear_error();
        }
    }
    pthread_mutex_init(&conn->io_lock, NULL);
    pthread_once(&sweeper_once, start_sweeper);
    live_add(conn);
    return 0;
}

static void conn_fini(nng_tls_engine_conn *conn) {
    if (conn->ssl == NULL) return;
    live_remove(conn);
    identity_remove(conn);
    SSL_free(conn->ssl);
    conn->ssl = NULL;
    pthread_mutex_destroy(&conn->io_lock);
}

static void conn_close(nng_tls_engine_conn *conn) {
    // Best effort close_notify; nng closes the TCP stream itself.
    if (SSL_is_init_finished(conn->ssl)) (void)SSL_shutdown(conn->ssl);
    ERR_clear_error();
    identity_remove(conn);
}

// MARK: Refusals

// Why: under TLS 1.3 a client finishes its handshake before the listener has judged the client's certificate,
// then sends its SP header and waits. If the listener returned its refusal to nng at once, nng would shut the
// socket down (tls_tcp_error) while the alert might still sit in its send buffer (a send still completing), and
// close it later with the client's SP header unread, so the kernel answers with a reset; nng's poller on the
// client fails a read on a reset socket without reading the bytes before it (tcp_cb in posix_tcpconn.c). Either
// way the client saw "connection shut" instead of the refusal. So a listener that refuses a certificate hands
// nng no error yet: it keeps the connection (nng sends the alert), reads and drops whatever the client still
// sends (so nothing is left unread), and lets the client close first — on the alert it closes at once, nng's
// read fails and nng frees the connection. A client that never closes is closed by the sweeper after
// REFUSAL_LIMIT seconds.

// Reads and drops what nng holds for this connection; nng then waits for more (or for the peer's close).
static void drain(nng_tls_engine_conn *conn) {
    uint8_t scratch[4096];
    for (int i = 0; i < 64; i++) {
        size_t n = sizeof(scratch);
        if (nng_tls_engine_recv(conn->nng, scratch, &n) != 0) break;
    }
}

// The refusal waiting for the peer to close, 0 if none. Read under nng's connection lock, which its writer holds
// too (state_lock is for the sweeper).
static int deferred(nng_tls_engine_conn *conn) {
    int error = conn->deferred_error;
    if (error != 0) drain(conn);
    return error;
}

// Ends a failed handshake: reports it once and returns the nng error, or NNG_EAGAIN when a listener's refusal
// of the peer's certificate waits for the peer to read the alert.
static int handshake_failed(nng_tls_engine_conn *conn, int result) {
    char reason[256];
    bool certificate = conn->verify_error[0] != '\0';
    unsigned long e = ERR_peek_last_error();
    if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
        certificate = true;
    }
    int error = failure(conn, result, reason, sizeof(reason));
    if (!conn->finished) {
        conn->finished = true;
        report(conn, true, reason);
    }
    if (!conn->server || !certificate || !conn->is_stream || conn->io_error != 0) return error;
    pthread_mutex_lock(&state_lock);
    conn->deferred_error = error;
    conn->refused_at = now_seconds();
    pthread_mutex_unlock(&state_lock);
    drain(conn);
    return NNG_EAGAIN;
}

static int conn_handshake(nng_tls_engine_conn *conn) {
    if (deferred(conn) != 0) return NNG_EAGAIN;
    int rv = SSL_do_handshake(conn->ssl);
    if (rv == 1) {
        if (!conn->finished) {
            conn->finished = true;
            remember_leaf(conn, SSL_get0_peer_certificate(conn->ssl));
            if (conn->server && conn->have_addresses && SSL_get_verify_result(conn->ssl) == X509_V_OK &&
                SSL_get0_peer_certificate(conn->ssl) != NULL) {
                identity_add(conn);
            }
            report(conn, false, "");
        }
        return 0;
    }
    int result = SSL_get_error(conn->ssl, rv);
    if ((result == SSL_ERROR_WANT_READ || result == SSL_ERROR_WANT_WRITE) && conn->io_error == 0) return NNG_EAGAIN;
    return handshake_failed(conn, result);
}

static int conn_recv(nng_tls_engine_conn *conn, uint8_t *buffer, size_t *size) {
    if (deferred(conn) != 0) return NNG_EAGAIN;
    pthread_mutex_lock(&conn->io_lock);
    if (conn->retired) { // see "Retiring a connection"
        conn->rx.idle = true;
        pthread_mutex_unlock(&conn->io_lock);
        return NNG_EAGAIN;
    }
    size_t n = 0;
    int rv = SSL_read_ex(conn->ssl, buffer, *size, &n);
    conn->rx.idle = rv != 1;
    if (rv == 1) frames_advance(&conn->rx, buffer, n);
    pthread_mutex_unlock(&conn->io_lock);
    if (rv == 1) {
        if (trace_on) trace_frames(conn, &conn->receiving, buffer, n, false);
        *size = n;
        return 0;
    }
    int result = SSL_get_error(conn->ssl, rv);
    if ((result == SSL_ERROR_WANT_READ || result == SSL_ERROR_WANT_WRITE) && conn->io_error == 0) return NNG_EAGAIN;
    if (result == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return NNG_ECLOSED;
    }
    if (!SSL_is_init_finished(conn->ssl) && !conn->finished) return handshake_failed(conn, result);
    char reason[256];
    return failure(conn, result, reason, sizeof(reason));
}

static int conn_send(nng_tls_engine_conn *conn, const uint8_t *buffer, size_t *size) {
    if (deferred(conn) != 0) return NNG_EAGAIN;
    pthread_mutex_lock(&conn->io_lock);
    if (conn->retired) { // see "Retiring a connection"
        conn->tx.idle = true;
        pthread_mutex_unlock(&conn->io_lock);
        return NNG_EAGAIN;
    }
    size_t n = 0;
    int rv = SSL_write_ex(conn->ssl, buffer, *size, &n);
    conn->tx.idle = rv != 1;
    if (rv == 1) frames_advance(&conn->tx, buffer, n);
    pthread_mutex_unlock(&conn->io_lock);
    if (rv == 1) {
        if (trace_on) trace_frames(conn, &conn->sending, buffer, n, true);
        *size = n;
        return 0;
    }
    int result = SSL_get_error(conn->ssl, rv);
    if ((result == SSL_ERROR_WANT_READ || result == SSL_ERROR_WANT_WRITE) && conn->io_error == 0) return NNG_EAGAIN;
    if (!SSL_is_init_finished(conn->ssl) && !conn->finished) return handshake_failed(conn, result);
    char reason[256];
    return failure(conn, result, reason, sizeof(reason));
}

static bool conn_verified(nng_tls_engine_conn *conn) {
    return SSL_get0_peer_certificate(conn->ssl) != NULL && SSL_get_verify_result(conn->ssl) == X509_V_OK;
}

// MARK: Configurations

static void config_fini(nng_tls_engine_config *config) {
    SSL_CTX_free(config->ctx);
    free(config->server_name);
}

static int config_init(nng_tls_engine_config *config, nng_tls_mode mode) {
    config->server = mode == NNG_TLS_MODE_SERVER;
    config->ctx = SSL_CTX_new(config->server ? TLS_server_method() : TLS_client_method());
    if (config->ctx == NULL) {
        ERR_clear_error();
        return NNG_ENOMEM;
    }
    SSL_CTX *ctx = config->ctx;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
        SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) != 1 || SSL_CTX_set1_groups_list(ctx, GROUPS) != 1) {
        ERR_clear_error();
        SSL_CTX_free(ctx);
        config->ctx = NULL;
        return NNG_ECRYPTO;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // nng's TLS layer moves at most 16,384 bytes of ciphertext per TCP send (NNG_TLS_MAX_SEND_SIZE) and reads at
    // most as much per TCP receive; a full-size record (16,384 bytes of plaintext + up to 29 of header, nonce and
    // tag) never fits, so every record took two sends (with an I/O callback in between) and straddled two reads.
    // Records of at most RECORD_PLAINTEXT bytes fit one send and one read whole.
    SSL_CTX_set_max_send_fragment(ctx, RECORD_PLAINTEXT);
    // The peer's certificate must be fit for its role: a server's for serverAuth, a client's for clientAuth.
    SSL_CTX_set_purpose(ctx, config->server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
    // Like nng's own engine: clients verify the server by default, servers ask nothing unless told to.
    SSL_CTX_set_verify(ctx, config->server ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, verify_callback);
    return 0;
}

static int config_server(nng_tls_engine_config *config, const char *name) {
    char *copy = strdup(name);
    if (copy == NULL) return NNG_ENOMEM;
    free(config->server_name);
    config->server_name = copy;
    return 0;
}

static int config_auth(nng_tls_engine_config *config, nng_tls_auth_mode mode) {
    switch (mode) {
    case NNG_TLS_AUTH_MODE_NONE:
        SSL_CTX_set_verify(config->ctx, SSL_VERIFY_NONE, verify_callback);
        return 0;
    case NNG_TLS_AUTH_MODE_OPTIONAL:
        SSL_CTX_set_verify(config->ctx, SSL_VERIFY_PEER, verify_callback);
        return 0;
    case NNG_TLS_AUTH_MODE_REQUIRED:
        SSL_CTX_set_verify(config->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_callback);
        return 0;
    }
    return NNG_EINVAL;
}

static int add_trusted(void *store, X509 *cert, int index) {
    (void)index;
    return X509_STORE_add_cert(store, cert);
}

static int config_ca_chain(nng_tls_engine_config *config, const char *certs, const char *crl) {
    X509_STORE *store = SSL_CTX_get_cert_store(config->ctx);
    if (each_certificate(certs, add_trusted, store) < 1) return NNG_ECRYPTO;
    if (crl != NULL) {
        BIO *in = BIO_new_mem_buf(crl, -1);
        if (in == NULL) return NNG_ENOMEM;
        int added = 0;
        X509_CRL *list;
        while ((list = PEM_read_bio_X509_CRL(in, NULL, NULL, NULL)) != NULL) {
            added += X509_STORE_add_crl(store, list) == 1;
            X509_CRL_free(list);
        }
        ERR_clear_error();
        BIO_free(in);
        if (added == 0) return NNG_ECRYPTO;
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    return 0;
}

static int use_own(void *ctx, X509 *cert, int index) {
    return index == 0 ? SSL_CTX_use_certificate(ctx, cert) : SSL_CTX_add1_chain_cert(ctx, cert);
}

static int config_own_cert(nng_tls_engine_config *config, const char *cert, const char *key, const char *pass) {
    if (each_certificate(cert, use_own, config->ctx) < 1) return NNG_ECRYPTO;
    BIO *in = BIO_new_mem_buf(key, -1);
    if (in == NULL) return NNG_ENOMEM;
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, (void *)(pass != NULL ? pass : ""));
    BIO_free(in);
    int ok = pkey != NULL && SSL_CTX_use_PrivateKey(config->ctx, pkey) == 1 && SSL_CTX_check_private_key(config->ctx) == 1;
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return ok ? 0 : NNG_ECRYPTO;
}

static int protocol_version(nng_tls_version version) {
    switch (version) {
    case NNG_TLS_1_2: return TLS1_2_VERSION;
    case NNG_TLS_1_3: return TLS1_3_VERSION;
    default: return 0; // TLS 1.0 and 1.1 are never offered
    }
}

static int config_version(nng_tls_engine_config *config, nng_tls_version min, nng_tls_version max) {
    if (min > max) return NNG_ENOTSUP;
    int low = protocol_version(min < NNG_TLS_1_2 ? NNG_TLS_1_2 : min);
    int high = protocol_version(max);
    if (low == 0 || high == 0) return NNG_ENOTSUP;
    if (SSL_CTX_set_min_proto_version(config->ctx, low) != 1 || SSL_CTX_set_max_proto_version(config->ctx, high) != 1) {
        ERR_clear_error();
        return NNG_ENOTSUP;
    }
    return 0;
}

// MARK: Registration

static nng_tls_engine_config_ops config_ops = {
    .size = sizeof(nng_tls_engine_config),
    .init = config_init,
    .fini = config_fini,
    .server = config_server,
    .auth = config_auth,
    .ca_chain = config_ca_chain,
    .own_cert = config_own_cert,
    .version = config_version,
};

static nng_tls_engine_conn_ops conn_ops = {
    .size = sizeof(nng_tls_engine_conn),
    .init = conn_init,
    .fini = conn_fini,
    .close = conn_close,
    .handshake = conn_handshake,
    .recv = conn_recv,
    .send = conn_send,
    .verified = conn_verified,
};

static nng_tls_engine engine = {
    .version = NNG_TLS_ENGINE_VERSION,
    .config_ops = &config_ops,
    .conn_ops = &conn_ops,
    .name = "openssl",
    .description = OPENSSL_VERSION_TEXT,
    .fips_mode = false,
};

static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static void make_method(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nng stream");
    if (method == NULL) return;
    BIO_meth_set_write_ex(method, bio_write);
    BIO_meth_set_read_ex(method, bio_read);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    nng_bio_method = method;
}

int fedattr_tls_openssl_register(void) {
    pthread_once(&method_once, make_method);
    if (nng_bio_method == NULL) return NNG_ENOMEM;
    // nng's own start-up installs the built-in engine; make sure it has run so ours is not overwritten by it.
    (void)nng_tls_engine_name();
    return nng_tls_engine_register(&engine);
}

const char *fedattr_tls_openssl_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

// MARK: Process exit

// Why: OpenSSL frees its global state in an atexit handler, but nng runs handshakes and frees connections on its own
// threads, and nng_close does not wait for a connection still being negotiated (a client's redial after the
// coordinator closed it, or a peer still connecting to a listener). A daemon returning from main while such a
// handshake ran crashed inside OpenSSL: SIGSEGV in CRYPTO_THREAD_write_lock on a freed lock under conn_handshake, or
// glibc's "free(): invalid pointer" (tools/openssl_exit_race.sh reproduces it). Without the handler the process exits
// with OpenSSL intact and the kernel takes the memory back. Only the first initialisation decides, hence a
// constructor: it runs before main, so before anything else touches OpenSSL.
static bool exit_cleanup_disabled;

__attribute__((constructor)) static void keep_openssl_until_exit(void) {
    exit_cleanup_disabled = OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL) == 1;
}

bool fedattr_openssl_exit_cleanup_disabled(void) { return exit_cleanup_disabled; }
