#!/usr/bin/env bash
# hpki apikey create|list|revoke and hpki operator add through the real binary (issue 5
# "Authentication and roles"), on SQLite or PostgreSQL:
#   tests/integration/apikey.sh sqlite|postgresql
source "$(dirname "$0")/lib.sh"
setup_db "$1"
H=$WORK/home
new_home "$H" sm2
h() { "$HPKI" --home "$H" "$@"; }

# create: the key alone on the last line of stdout, the rest on stderr
h apikey create --role integration --org 示例医院 >"$WORK/out" 2>"$WORK/err"
key=$(tail -n 1 "$WORK/out")
expect_eq "stdout is the key only" 1 "$(wc -l <"$WORK/out")"
check "key format hpki_<16 hex>_<43 base64url>" grep -Eq '^hpki_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$' <<<"$key"
id=$(cut -d_ -f2 <<<"$key")
check "stderr names the id and warns it is shown once" grep -q "$id.*only once" "$WORK/err"
check "pepper file is 0600" test "$(stat -c %a "$H/keys/apikey.pepper")" == 600

# --json
json=$(h --json apikey create --role admin)
expect_eq "--json role" admin "$(jq -r .role <<<"$json")"
expect_eq "--json org empty" "" "$(jq -r .org <<<"$json")"
admin_id=$(jq -r .id <<<"$json")
check "--json key matches its id" grep -Eq "^hpki_${admin_id}_" <(jq -r .key <<<"$json")
h apikey create --role auditor >/dev/null 2>&1

# list: ids, roles, orgs, never the key
list=$(h apikey list)
check "list has the integration key" grep -Eq "^$id	api_key	integration	示例医院	20[0-9-]+T[0-9:]+Z	active$" <<<"$list"
check "list has the admin key" grep -Eq "^$admin_id	api_key	admin	-	" <<<"$list"
expect_eq "list has three keys" 3 "$(wc -l <<<"$list")"
secret=${key:22}
all=$(h apikey list; h --json apikey list)
check "list never prints a secret" bash -c "! grep -qF -- '$secret' <<<'$all'"
expect_eq "--json list length" 3 "$(h --json apikey list | jq length)"
expect_eq "--json list revoked is null" null "$(h --json apikey list | jq -r ".[] | select(.id==\"$id\") | .revoked")"
# the database holds no secret
if [ -z "$DB_URL" ]; then
  check "database does not contain the secret" bash -c "! grep -qaF -- '$secret' '$H/hpki.db'"
fi

# revoke
expect_eq "revoke prints the id" "revoked $id" "$(h apikey revoke "$id")"
check "list shows it revoked" grep -Eq "^$id	.*	revoked 20" <(h apikey list)
expect_eq "--json list revoked time" 1 "$(h --json apikey list | jq "[.[] | select(.revoked != null)] | length")"

# audit trail
audit=$(h audit list)
check "audit: create" grep -q "auth.apikey_create	api-key:$id" <<<"$audit"
check "audit: revoke" grep -q "auth.apikey_revoke	api-key:$id" <<<"$audit"
audit_json=$(h --json audit list)
check "audit never contains a secret" bash -c "! grep -qF -- '$secret' <<<'$audit_json'"
check "audit log verifies" h audit verify

# operator add
openssl req -new -newkey sm2 -sm3 -sigopt distid:1234567812345678 -nodes -utf8 \
  -keyout "$WORK/op.key" -out "$WORK/op.csr" -subj "/C=CN/O=示例医院/CN=operator-1" 2>/dev/null
h cert issue --profile operator --csr "$WORK/op.csr" --name operator-1 --org 示例医院 --out "$WORK/op.pem" >/dev/null
op=$(h operator add --cert "$WORK/op.pem" --role ra_officer --org 示例医院)
check "operator add prints an op- id" grep -Eq '^op-[0-9a-f]{16}$' <<<"$op"
check "operator listed as client_certificate" grep -Eq "^$op	client_certificate	ra_officer	示例医院	" <(h apikey list)
check "audit: operator add" grep -q "auth.operator_add	operator:$op" <(h audit list)

# errors: exit codes per docs/cli.md, one line on stderr, nothing printed on stdout
set +e
out=$(h apikey create --role root 2>"$WORK/err"); rc=$?
expect_eq "unknown role: exit 2" 2 "$rc"; expect_eq "unknown role: no key printed" "" "$out"
check "unknown role: one error line" grep -q "^hpki: invalid_argument: unknown role 'root'" "$WORK/err"
out=$(h apikey create --role ra_officer 2>"$WORK/err"); rc=$?
expect_eq "ra_officer without org: exit 2" 2 "$rc"; expect_eq "ra_officer without org: no key" "" "$out"
h apikey create --role admin --org 示例医院 >/dev/null 2>&1; rc=$?
expect_eq "admin with org: exit 2" 2 "$rc"
h apikey create >/dev/null 2>&1; rc=$?
expect_eq "missing --role: exit 2" 2 "$rc"
h apikey revoke "$id" >/dev/null 2>"$WORK/err"; rc=$?
expect_eq "revoke twice: exit 2 (not found)" 2 "$rc"
check "revoke twice: not_found" grep -q "^hpki: not_found" "$WORK/err"
h apikey revoke ffffffffffffffff >/dev/null 2>&1; rc=$?
expect_eq "revoke unknown: exit 2" 2 "$rc"
h operator add --cert "$WORK/op.pem" --role admin >/dev/null 2>"$WORK/err"; rc=$?
expect_eq "operator registered twice: exit 3 (conflict)" 3 "$rc"
h ca chain --family sm2 --out "$WORK/chain.pem"
h operator add --cert "$WORK/chain.pem" --role admin >/dev/null 2>&1; rc=$?
expect_eq "CA certificate as operator: exit 2" 2 "$rc"
h operator add --cert "$WORK/nonexistent.pem" --role admin >/dev/null 2>&1; rc=$?
expect_eq "unreadable certificate: exit 2" 2 "$rc"
set -e
expect_eq "errors created no keys" 4 "$(h apikey list | wc -l)"

finish
