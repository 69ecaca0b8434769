// Server-side TLS contexts for the HTTP server (src/http). This file owns every OpenSSL call
// of the TLS listeners; src/http only hands the opaque handles to Boost.Asio's SSL stream
// (see docs/architecture.md "HTTP server" and cmake/check_openssl_includes.cmake).
//
// Contract:
// - make_server_tls_context() builds an SSL_CTX for TLS 1.2+ from a PEM certificate chain
//   (leaf first) and a PEM private key (unencrypted PKCS#8 or traditional) and checks that
//   the key matches the leaf. TLS 1.2 is limited to ECDHE with AES-GCM or ChaCha20-Poly1305
//   (no static-RSA key exchange, no CBC suites); TLS 1.3 uses OpenSSL's default suites. With
//   `request_client_cert` the server requests (does not require) a client certificate: a client
//   that presents one must chain to one of `trusted_client_ca_der` or the handshake fails; a client
//   without one is served.
// - verified_peer_chain() returns the DER of the verified client chain (leaf first, trust
//   anchor last), or an empty vector when the client presented no certificate.
//
// Client side (the CLI's HTTP client, http/client.h):
// - make_client_tls_context() builds an SSL_CTX for TLS 1.2+ that verifies the server's chain
//   against the PEM certificates in `ca_file`, or OpenSSL's default trust store (Debian:
//   /etc/ssl/certs) when it is empty; the handshake fails on an unverified chain.
// - expect_server_identity() is called on a connection before its handshake: it sends SNI for
//   a DNS name and makes the handshake fail unless the server's certificate carries `host`
//   (a DNS name, or an IP address in an iPAddress SAN).
// - verify_failure() after a failed handshake: why the server's certificate was refused
//   ("certificate has expired", "hostname mismatch", ...), or empty if it was not.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

struct ssl_ctx_st;  // SSL_CTX
struct ssl_st;      // SSL

namespace hpki::ossl {

struct TlsServerConfig {
  std::string cert_chain_pem;   // leaf first, then intermediates
  std::string private_key_pem;  // unencrypted
  bool request_client_cert = false;
  std::vector<Bytes> trusted_client_ca_der;  // used when request_client_cert
};

struct TlsContextDeleter {
  void operator()(ssl_ctx_st* ctx) const noexcept;
};
using TlsContextPtr = std::unique_ptr<ssl_ctx_st, TlsContextDeleter>;

[[nodiscard]] Result<TlsContextPtr> make_server_tls_context(const TlsServerConfig& config);

// `ssl` is the SSL* of an established server connection (asio ssl::stream::native_handle()).
[[nodiscard]] Result<std::vector<Bytes>> verified_peer_chain(ssl_st* ssl);

struct TlsClientConfig {
  std::string ca_file;  // PEM trust anchors; empty = the system's default trust store
};

[[nodiscard]] Result<TlsContextPtr> make_client_tls_context(const TlsClientConfig& config);
[[nodiscard]] Result<void> expect_server_identity(ssl_st* ssl, const std::string& host);
[[nodiscard]] std::string verify_failure(ssl_st* ssl);

}  // namespace hpki::ossl
