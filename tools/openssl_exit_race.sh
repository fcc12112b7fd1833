#!/usr/bin/env bash
# Reproduces a crash at process exit with the OpenSSL engine, and checks the fix (keep_openssl_until_exit in
# Sources/CNNGOpenSSL/engine.c). A small C program links the engine, opens a TLS listener and a dialer in one process,
# connects, closes the listener's pipe so the dialer redials at once (1 ms reconnect), and returns from main while that
# handshake runs on nng's threads. With OpenSSL's atexit cleanup the handshake can hit freed OpenSSL state (SIGSEGV in
# CRYPTO_THREAD_write_lock, or "free(): invalid pointer"); the engine as built turns the cleanup off.
# Runs the program RUNS times built as in the product (must never crash) and RUNS times with the constructor compiled
# out (the baseline, which shows the test has the power to see the crash on this machine).
# Usage: tools/openssl_exit_race.sh [RUNS] [FEDATTR_BINARY] (defaults 200, .build/debug/fedattr, used only to make
# certificates); needs a C compiler, libnng-dev and libssl-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
FEDATTR=${2:-.build/debug/fedattr}
[ -x "$FEDATTR" ] || { echo "openssl-exit-race: no fedattr binary at $FEDATTR (swift build first, or pass its path)" >&2; exit 1; }
CC=${CC:-$(command -v cc || command -v clang)}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

# Throwaway certificates from the project's own PKI (the coordinator's names 127.0.0.1, its bundle coordinator.pem).
"$FEDATTR" pki init --dir "$DIR/pki" --clients 1 >/dev/null

cat > "$DIR/race.c" <<'EOF'
#include <nng/nng.h>
#include <nng/protocol/survey0/respond.h>
#include <nng/protocol/survey0/survey.h>
#include <nng/supplemental/tls/tls.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "CNNGOpenSSL.h"

#define CHECK(x) do { int rv_ = (x); if (rv_) { fprintf(stderr, "%s: %s\n", #x, nng_strerror(rv_)); exit(3); } } while (0)

static char *slurp(const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(n + 1);
    if (fread(b, 1, n, f) != (size_t)n) exit(2);
    b[n] = 0;
    fclose(f);
    return b;
}

static nng_tls_config *config(nng_tls_mode mode, const char *pem, const char *ca) {
    nng_tls_config *c;
    CHECK(nng_tls_config_alloc(&c, mode));
    CHECK(nng_tls_config_own_cert(c, pem, pem, NULL));
    CHECK(nng_tls_config_ca_chain(c, ca, NULL));
    CHECK(nng_tls_config_auth_mode(c, NNG_TLS_AUTH_MODE_REQUIRED));
    return c;
}

static nng_pipe pipes[64];
static int npipes;
static void on_add(nng_pipe p, nng_pipe_ev ev, void *arg) { (void)ev; (void)arg; if (npipes < 64) pipes[npipes++] = p; }

int main(int argc, char **argv) {
    const char *dir = argv[1];
    char url[64];
    snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%s", argv[2]);
    CHECK(fedattr_tls_openssl_register());
    char *ca = slurp(dir, "ca.crt");
    nng_socket server, client;
    CHECK(nng_surveyor0_open(&server));
    CHECK(nng_pipe_notify(server, NNG_PIPE_EV_ADD_POST, on_add, NULL));
    nng_listener l;
    CHECK(nng_listener_create(&l, server, url));
    CHECK(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, config(NNG_TLS_MODE_SERVER, slurp(dir, "coordinator.pem"), ca)));
    CHECK(nng_listener_start(l, 0));
    CHECK(nng_respondent0_open(&client));
    CHECK(nng_socket_set_ms(client, NNG_OPT_RECONNMINT, 1));
    CHECK(nng_socket_set_ms(client, NNG_OPT_RECONNMAXT, 5));
    nng_dialer d;
    CHECK(nng_dialer_create(&d, client, url));
    CHECK(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, config(NNG_TLS_MODE_CLIENT, slurp(dir, "client-0.pem"), ca)));
    CHECK(nng_dialer_start(d, 0));
    usleep(50000);
    for (int i = 0, n = npipes; i < n; i++) nng_pipe_close(pipes[i]);  // the dialer redials at once
    usleep(2000);
    nng_close(client);
    return 0;  // exit while the redial's handshake may still run on nng's threads
}
EOF
INCLUDE=Sources/CNNGOpenSSL/include
"$CC" -O1 -w -o "$DIR/race" "$DIR/race.c" Sources/CNNGOpenSSL/engine.c -I"$INCLUDE" -lnng -lssl -lcrypto -lpthread
"$CC" -O1 -w -Dconstructor=used -o "$DIR/race-baseline" "$DIR/race.c" Sources/CNNGOpenSSL/engine.c -I"$INCLUDE" \
    -lnng -lssl -lcrypto -lpthread
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)

# Prints how many of RUNS runs of $1 ended with a signal. A port taken meanwhile by another process is replaced; any
# other failure (exit 2 or 3) stops the script.
crashes() {
    local count=0 rc run=0
    while [ "$run" -lt "$RUNS" ]; do
        set +e
        "$1" "$DIR/pki" "$PORT" >/dev/null 2>"$DIR/stderr"
        rc=$?
        set -e
        if [ "$rc" -eq 3 ] && grep -q "Address in use" "$DIR/stderr"; then
            PORT=$(free_port)
            continue
        fi
        if [ "$rc" -ge 128 ]; then
            count=$((count + 1))
        elif [ "$rc" -ne 0 ]; then
            echo "openssl-exit-race: $1 failed (exit $rc): $(cat "$DIR/stderr")" >&2
            exit 1
        fi
        run=$((run + 1))
    done
    echo "$count"
}

BASELINE=$(crashes "$DIR/race-baseline")
FIXED=$(crashes "$DIR/race")
echo "openssl-exit-race: OpenSSL's atexit cleanup on: $BASELINE of $RUNS runs crashed at exit; as built (cleanup off): $FIXED of $RUNS"
if [ "$BASELINE" -eq 0 ]; then
    echo "openssl-exit-race: note: the baseline did not crash on this machine, so this run could not have seen the race"
fi
if [ "$FIXED" -ne 0 ]; then
    echo "openssl-exit-race: FAIL: the engine as built crashed at exit" >&2
    exit 1
fi
