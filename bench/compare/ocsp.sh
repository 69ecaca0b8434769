#!/usr/bin/env bash
# OCSP responder throughput (issue 6 Bench), same machine, same run, same certificate set:
#   hpki      `hpki serve --role ocsp`, keep-alive GET (RFC 5019), pre-signed answers
#   nginx     the identical pre-signed response bytes from a file (the practical ceiling)
#   openssl   `openssl ocsp -index ... -port` (reference responder: signs every response live
#             and closes every connection), GET
#   cfssl     `cfssl ocspserve` over hpki's pre-signed responses, POST (cfssl 1.2's GET handler
#             is broken: it decodes the path with its leading '/' and '+' becomes a space)
# Prints responses/s for each and the ratios; then the pre-signing cost (bench_ocsp, when built:
# presign vs raw signature, and the time for 1,000,000 responses).
#   usage: bench/compare/ocsp.sh BUILD_DIR
# Environment: BENCH_SECONDS (default 5) per wrk run, BENCH_CONNECTIONS (default 32),
# BENCH_CERTS (default 20). Needs root for its own network namespace (`openssl ocsp -port`
# binds every interface; inside the namespace only loopback exists) and wrk, nginx, cfssl
# (scripts/install-deps.sh --bench).
set -euo pipefail

BUILD_DIR=${1:?usage: bench/compare/ocsp.sh BUILD_DIR}
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
if [ "${HPKI_BENCH_NETNS:-}" != 1 ]; then
  exec unshare -n env HPKI_BENCH_NETNS=1 bash "$0" "$BUILD_DIR"
fi
ip link set lo up

HPKI="$BUILD_DIR/bin/hpki"
DUR=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-32}
N=${BENCH_CERTS:-20}
for t in wrk nginx cfssl openssl curl sqlite3; do
  command -v $t >/dev/null || { echo "bench/compare/ocsp.sh: $t is required (scripts/install-deps.sh --bench)" >&2; exit 1; }
done
W=$(mktemp -d /tmp/hpki-ocsp-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$W/nginx.pid" ] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
export HPKI_PASSPHRASE=bench-passphrase
H="$W/home"
"$HPKI" --home "$H" ca init --families ecdsa >/dev/null
printf '\n[ocsp]\nsync_seconds = 3600\n' >>"$H/hpki.toml"
# A production OCSP node logs warnings only: at info every request writes an access-log line.
sed -i 's/^level = "info"/level = "warn"/' "$H/hpki.toml"
"$HPKI" --home "$H" ca chain --family ecdsa --out "$W/chain.pem"
csplit -s -z -f "$W/ca-" "$W/chain.pem" '/-----BEGIN CERTIFICATE-----/' '{*}'   # ca-00 issuing, ca-01 root
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/leaf.key" \
  -out "$W/leaf.csr" -subj "/CN=bench" 2>/dev/null
for i in $(seq 1 "$N"); do
  "$HPKI" --home "$H" cert issue --profile device --csr "$W/leaf.csr" --org bench \
    --dns "host$i.example.cn" --out "$W/leaf$i.pem" >/dev/null
done
# The responder certificate and key, for openssl's reference responder.
sqlite3 "$H/hpki.db" "SELECT hex(certificate) FROM cas WHERE id = 'ecdsa-ocsp'" | xxd -r -p |
  openssl x509 -inform der -out "$W/ocsp.pem"
openssl pkey -in "$H/keys/ecdsa-ocsp.key.pem" -passin env:HPKI_PASSPHRASE -out "$W/ocsp.key"

openssl ocsp -issuer "$W/ca-00" -cert "$W/leaf1.pem" -no_nonce -reqout "$W/req.der" >/dev/null 2>&1
B64=$(base64 -w0 "$W/req.der" | sed 's/+/%2B/g; s#/#%2F#g; s/=/%3D/g')

# wrk scripts: no address probe (openssl ocsp spins on a connection closed without a request).
cat >"$W/get.lua" <<'LUA'
function wrk.resolve(host, service) wrk.addrs = wrk.lookup(host, service) end
LUA
cat >"$W/post.lua" <<LUA
function wrk.resolve(host, service) wrk.addrs = wrk.lookup(host, service) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
local f = io.open("$W/req.der", "rb"); wrk.body = f:read("*a"); f:close()
LUA
rate() {  # rate SCRIPT URL -> responses/s (non-2xx and socket errors excluded)
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$1" "$2" 2>&1)
  local total bad
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); bad=${bad:-0}
  awk -v t="$total" -v b="$bad" -v d="$DUR" 'BEGIN { printf "%.0f", (t - b) / d }'
}
wait_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1; }
check_good() {  # check_good FILE: a verifying "good" answer for leaf1
  openssl ocsp -respin "$1" -issuer "$W/ca-00" -cert "$W/leaf1.pem" -CAfile "$W/ca-01" 2>&1 |
    grep -q "leaf1.pem: good"
}

# hpki
"$HPKI" --home "$H" serve --role ocsp --http-listen 127.0.0.1:18080 >"$W/hpki.out" 2>"$W/hpki.err" &
PIDS+=($!)
wait_port 18080
curl -s -o "$W/hpki.der" "http://127.0.0.1:18080/ocsp/$B64"
check_good "$W/hpki.der" || { echo "hpki answer does not verify" >&2; exit 1; }
# Every certificate's pre-signed response, for nginx and cfssl.
: >"$W/responses.txt"
for i in $(seq 1 "$N"); do
  openssl ocsp -issuer "$W/ca-00" -cert "$W/leaf$i.pem" -no_nonce -reqout "$W/r$i.der" >/dev/null 2>&1
  curl -s -o "$W/resp$i.der" --data-binary @"$W/r$i.der" -H 'Content-Type: application/ocsp-request' \
    "http://127.0.0.1:18080/ocsp"
  base64 -w0 "$W/resp$i.der" >>"$W/responses.txt"; echo >>"$W/responses.txt"
done
hpki_rate=$(rate "$W/get.lua" "http://127.0.0.1:18080/ocsp/$B64")

# nginx: the same bytes from a file.
mkdir -p "$W/www"
chmod 711 "$W"  # nginx workers (www-data) traverse to www/ only
cp "$W/hpki.der" "$W/www/resp.der"
cat >"$W/nginx.conf" <<NGINX
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; fastcgi_temp_path $W/tmp;
  uwsgi_temp_path $W/tmp; scgi_temp_path $W/tmp;
  server {
    listen 127.0.0.1:18081;
    root $W/www;
    location /ocsp/ { default_type application/ocsp-response; try_files /resp.der =404; }
  }
}
NGINX
mkdir -p "$W/tmp"
nginx -c "$W/nginx.conf" -g 'daemon on;'
wait_port 18081
curl -s -o "$W/nginx.der" "http://127.0.0.1:18081/ocsp/$B64"
cmp -s "$W/nginx.der" "$W/hpki.der" || { echo "nginx does not serve the same bytes" >&2; exit 1; }
nginx_rate=$(rate "$W/get.lua" "http://127.0.0.1:18081/ocsp/$B64")
kill "$(cat "$W/nginx.pid")"; rm -f "$W/nginx.pid"

# openssl ocsp (fresh responder for the run), GET.
{
  for i in $(seq 1 "$N"); do
    s=$(openssl x509 -in "$W/leaf$i.pem" -noout -serial | cut -d= -f2)
    e=$(date -u -d "$(openssl x509 -in "$W/leaf$i.pem" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
    printf 'V\t%s\t\t%s\tunknown\t/CN=bench\n' "$e" "$s"
  done
} >"$W/index.txt"
echo "unique_subject = no" >"$W/index.txt.attr"
openssl_run() {
  openssl ocsp -index "$W/index.txt" -port 18082 -rsigner "$W/ocsp.pem" -rkey "$W/ocsp.key" \
    -CA "$W/ca-00" -nmin 60 >"$W/openssl.out" 2>&1 &
  PIDS+=($!)
  sleep 0.5
}
openssl_run
curl -s -o "$W/openssl.der" "http://127.0.0.1:18082/$B64" || true
if check_good "$W/openssl.der"; then
  kill "${PIDS[-1]}" 2>/dev/null || true; openssl_run
  openssl_rate=$(rate "$W/get.lua" "http://127.0.0.1:18082/$B64")
else
  openssl_rate=0
fi
kill "${PIDS[-1]}" 2>/dev/null || true

# cfssl ocspserve over the same pre-signed responses, POST.
cfssl ocspserve -address 127.0.0.1 -port 18083 -responses "$W/responses.txt" >"$W/cfssl.out" 2>&1 &
PIDS+=($!)
sleep 0.5
curl -s -o "$W/cfssl.der" --data-binary @"$W/req.der" -H 'Content-Type: application/ocsp-request' \
  "http://127.0.0.1:18083/" || true
if check_good "$W/cfssl.der"; then cfssl_rate=$(rate "$W/post.lua" "http://127.0.0.1:18083/"); else cfssl_rate=0; fi

echo
echo "OCSP responses/s, wrk -t2 -c$CONNS ${DUR}s keep-alive, $(nproc) cores, P-256 CA, $N certificates"
printf '%-28s %10s %10s\n' responder "resp/s" "x nginx"
for row in "hpki:$hpki_rate" "nginx (same bytes, file):$nginx_rate" "openssl ocsp -index:$openssl_rate" "cfssl ocspserve (POST):$cfssl_rate"; do
  name=${row%%:*}; r=${row##*:}
  awk -v n="$name" -v r="$r" -v g="$nginx_rate" 'BEGIN { printf "%-28s %10d %10.2f\n", n, r, (g > 0 ? r / g : 0) }'
done
awk -v h="$hpki_rate" -v o="$openssl_rate" -v c="$cfssl_rate" 'BEGIN {
  printf "hpki / openssl ocsp = %.1fx, hpki / cfssl = %.1fx (target: >= 70%% of nginx, >= 3x both)\n",
    (o > 0 ? h / o : 0), (c > 0 ? h / c : 0) }'

if [ -x "$BUILD_DIR/bench/bench_ocsp" ]; then
  echo
  "$BUILD_DIR/bench/bench_ocsp" --benchmark_min_time="${BENCH_SECONDS:-2}" --benchmark_format=json 2>/dev/null |
    jq -r '.benchmarks[] | select(.run_type == "iteration") | "\(.name) \(1e9 / .cpu_time)"' |
    awk '{ split($1, k, "/"); r[k[1] " " k[2]] = $2; if (!(k[2] in seen)) { seen[k[2]] = 1; algs[++n] = k[2] } }
      END {
        printf "%-8s %14s %14s %10s %14s\n", "alg", "raw sign/s", "presign/s", "ratio", "1M presign s"
        for (i = 1; i <= n; i++) { a = algs[i]; raw = r["raw_sign " a]; pre = r["presign " a]
          printf "%-8s %14.0f %14.0f %10.2f %14.1f\n", a, raw, pre, raw / pre, 1e6 / pre }
        print "(ratio = presign time / raw signing time, one thread, CPU time; target <= 1.2)" }'
fi
