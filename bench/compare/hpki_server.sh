# Sourced by the issuance benchmarks: a fresh hpki home served for a load test.
#   bench_hpki_start HPKI HOME OUT_PREFIX WORKERS -- [ca init args...]
# creates HOME (`ca init` with the given arguments), lifts the per-key and per-address rate
# limits and the per-address connection cap (the bench is one API key from one address),
# creates an admin API key and starts `hpki serve` on free loopback ports, its output in
# OUT_PREFIX.out / .err. Sets BENCH_PID, BENCH_API (https://.../api/v1/) and BENCH_KEY; the
# caller stops BENCH_PID. Exits the script when the server does not start.
bench_hpki_start() {
  local hpki=$1 home=$2 out=$3 workers=$4
  shift 5
  "$hpki" --home "$home" ca init "$@" >/dev/null
  sed -i '/^\[server\]/a rate_limit_per_second = 10000000\nrate_limit_burst = 10000000\nip_rate_limit_per_second = 0\nmax_connections_per_ip = 0' "$home/hpki.toml"
  BENCH_KEY=$("$hpki" --home "$home" apikey create --role admin 2>/dev/null | tail -n 1)
  "$hpki" --home "$home" serve --api-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --threads 2 \
    --workers "$workers" >"$out.out" 2>"$out.err" &
  BENCH_PID=$!
  for _ in $(seq 1 100); do grep -q '^  HTTP' "$out.out" 2>/dev/null && break; sleep 0.1; done
  BENCH_API=$(grep -o 'https://[^ ]*' "$out.out" | head -n 1)
  [ -n "$BENCH_API" ] || { echo "hpki serve did not start:" >&2; cat "$out.err" >&2; exit 1; }
}
