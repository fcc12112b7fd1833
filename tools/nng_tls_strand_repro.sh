#!/bin/sh
# Reproduces nng 1.5.2's stranded TLS connections with stock nng + mbedTLS (Debian's nngcat), no fedattr code in the
# listener: 300 peers complete the mutual TLS handshake, send the SP header and close / reset / read-then-close; the
# listener keeps the descriptors of many of them forever (sockets in TCP CLOSE state, absent from `ss`).
# Usage: tools/nng_tls_strand_repro.sh [FEDATTR_BINARY] (default .build/debug/fedattr, used only to make certificates)
set -eu
FEDATTR=${1:-.build/debug/fedattr}
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$FEDATTR" pki init --dir "$DIR/pki" --clients 1 >/dev/null
nngcat --surveyor --listen "tls+tcp://127.0.0.1:$PORT" --cert "$DIR/pki/coordinator.pem" --cacert "$DIR/pki/ca.crt" \
    --data hello --interval 1 -q >/dev/null 2>&1 &
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 1
BEFORE=$(ls /proc/$LISTENER/fd | wc -l)
for MODE in close reset readclose; do
python3 - "$PORT" "$DIR/pki/ca.crt" "$DIR/pki/client-0.pem" "$MODE" <<'PY'
import socket, ssl, struct, sys
port, ca, bundle, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.load_verify_locations(ca); ctx.load_cert_chain(bundle); ctx.check_hostname = False
for _ in range(100):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(b"\x00SP\x00" + struct.pack(">H", 0x63) + b"\x00\x00")   # survey0 respondent header
    if mode == "readclose": s.recv(8)
    if mode == "reset": s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
PY
done
sleep 15   # well past nng's 10 s negotiation timeout
AFTER=$(ls /proc/$LISTENER/fd | wc -l)
SOCKETS=$(ss -tanp | grep -c "pid=$LISTENER," || true)
echo "nngcat (nng $(dpkg-query -W -f '${Version}' libnng1 2>/dev/null), mbedTLS): descriptors $BEFORE before 300 connections, $AFTER after 15 s; sockets ss still lists: $SOCKETS (the listener)"
