// An nng 1.5.2 TLS engine (engine API version 1) backed by OpenSSL, for fedattr's tls+tcp:// transport.
//
// Policy: TLS 1.3 preferred, TLS 1.2 only with ECDHE key exchange and AEAD ciphers (AES-GCM first, then
// ChaCha20-Poly1305); no renegotiation, no session resumption. The peer's chain is verified against the
// configured CA with the extended key usage of its role (a server must carry serverAuth, a client clientAuth);
// a client checks the configured server name against the server certificate's DNS names (or IP addresses).
#ifndef FEDATTR_CNNGOPENSSL_H
#define FEDATTR_CNNGOPENSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nng/nng.h>

// What the engine tells the application about one finished handshake (refused or accepted).
typedef struct fedattr_tls_event {
    bool server;             // we were the server (listener) side
    bool refused;            // the handshake failed (else it succeeded)
    const char *reason;      // why it failed ("" on success)
    const char *peer;        // "a.b.c.d:port" / "[v6]:port", or "" when unknown
    const char *local;       // our end, same format: a server's listening address, so handshakes can be told per listener
    const char *subject;     // the peer leaf certificate's subject (RFC 2253), "" when none was presented
    const char *fingerprint; // SHA-256 of the peer leaf certificate (DER), lower-case hex, "" when none
    const char *version;     // "TLSv1.3", "TLSv1.2", or "" when not negotiated
    const char *cipher;      // negotiated cipher suite, or ""
} fedattr_tls_event;

typedef void (*fedattr_tls_event_handler)(const fedattr_tls_event *event, void *context);

// Registers the OpenSSL engine with nng, replacing the default (mbedTLS) engine for every TLS configuration
// allocated afterwards, process-wide. Returns 0 or an nng error code. Idempotent.
int fedattr_tls_openssl_register(void);

// "OpenSSL 3.0.x ..." (the library in use).
const char *fedattr_tls_openssl_version(void);

// Whether OpenSSL was told at load time (before main) not to free its state at process exit, where nng's threads
// may still be in a handshake (see "Process exit" in engine.c).
bool fedattr_openssl_exit_cleanup_disabled(void);

// Calls `handler` on nng's I/O thread after each handshake of the OpenSSL engine ends (keep it short; it must not
// call into nng). NULL removes the handler.
void fedattr_tls_set_event_handler(fedattr_tls_event_handler handler, void *context);

// The verified peer certificate of the live server-side connection between `remote` and `local` (a pipe's
// NNG_OPT_REMADDR and NNG_OPT_LOCADDR): copies its subject common name and SHA-256 fingerprint (hex) and
// returns true; false when no verified connection with these addresses is known (or the buffers are too small).
bool fedattr_tls_peer_identity(const nng_sockaddr *remote, const nng_sockaddr *local,
                               char *common_name, size_t common_name_size,
                               char *fingerprint, size_t fingerprint_size);

// Closes the live connection between `remote` and `local` (a pipe's NNG_OPT_REMADDR and NNG_OPT_LOCADDR) the way
// nng 1.5.2 can reap it: from now on it moves no byte either way, and nng's TLS stream is closed as soon as neither
// direction is between two steps of a message (at once when it is idle; else by the sweeper, within half a second of
// the pending steps' callbacks having run). Closing a pipe mid-message instead strands it and stalls nng's reaper
// (engine.c, "Retiring a connection"). Returns false when no such connection is known (then close the pipe with nng).
bool fedattr_tls_retire(const nng_sockaddr *remote, const nng_sockaddr *local);

// Number of retired connections not yet freed by nng.
long fedattr_tls_retiring_connections(void);

// Number of engine connection objects alive (for leak checks).
long fedattr_tls_live_connections(void);

// Number of connections the engine's sweeper closed because nng had left them on a hung-up socket, or because a
// refused peer did not close within 2 s (engine.c, "The sweeper").
long fedattr_tls_swept_connections(void);

// Message tracing (for timelines): what happened to one message on one connection, and when (CLOCK_MONOTONIC).
typedef enum fedattr_tls_trace_kind {
    FEDATTR_TLS_TRACE_SENT = 0,           // its last byte was encrypted into nng's send buffer
    FEDATTR_TLS_TRACE_FIRST_RECEIVED = 1, // its first bytes were decrypted
    FEDATTR_TLS_TRACE_LAST_RECEIVED = 2,  // its last byte was decrypted
} fedattr_tls_trace_kind;

typedef struct fedattr_tls_trace_event {
    uint64_t micros;      // CLOCK_MONOTONIC, microseconds
    uint64_t length;      // the message's length in nng's framing (header + body)
    fedattr_tls_trace_kind kind;
    uint16_t peer_port;   // the connection's remote TCP port, 0 if unknown
} fedattr_tls_trace_event;

// Turns message tracing on or off, process-wide (off by default; it costs a clock read per message end).
void fedattr_tls_trace(bool on);

// Moves up to `capacity` recorded events, oldest first, into `out`; returns how many. At most 4096 are kept
// between drains (later ones are dropped).
size_t fedattr_tls_trace_drain(fedattr_tls_trace_event *out, size_t capacity);

#endif
