#include "ossl/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <limits>

#include "ossl/error.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

void TlsContextDeleter::operator()(ssl_ctx_st* ctx) const noexcept { SSL_CTX_free(ctx); }

namespace {

Result<Ptr<BIO>> mem_bio(const std::string& text) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::kTooLarge, "TLS PEM input too large");
  }
  Ptr<BIO> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return fail(take_error(ErrorCode::kInternal, "BIO_new_mem_buf"));
  return bio;
}

// TLS 1.2 cipher suites of the server: ECDHE key exchange (forward secrecy) with an AEAD cipher
// only — no static-RSA key exchange, no CBC (MAC-then-encrypt, SHA-1), no DHE, no 3DES/RC4.
// Mozilla's "intermediate" TLS 1.2 list without its DHE suites. TLS 1.3 keeps OpenSSL's
// default suites (all AEAD with ephemeral key exchange). The SM suites of TLCP (GB/T 38636) and
// RFC 8998 (TLS_SM4_GCM_SM3) are not in OpenSSL 3.0, so none is listed (docs/operations.md).
constexpr char kTls12CipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Session ids must be bound to a context when client certificates are verified, or
// OpenSSL refuses resumed sessions (SSL_CTX_set_session_id_context(3)).
constexpr unsigned char kSessionIdContext[] = "hpki-http";

struct NameStackDeleter {
  void operator()(STACK_OF(X509_NAME) * names) const noexcept {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
  }
};

}  // namespace

Result<TlsContextPtr> make_server_tls_context(const TlsServerConfig& config) {
  TlsContextPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return fail(take_error(ErrorCode::kCrypto, "SSL_CTX_new"));
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "SSL_CTX_set_min_proto_version"));
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx.get(), kTls12CipherList) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "SSL_CTX_set_cipher_list"));
  }

  // Certificate chain: leaf first, the rest as extra chain certificates.
  Ptr<BIO> chain_bio = HPKI_TRY(mem_bio(config.cert_chain_pem));
  Ptr<X509> leaf(PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) return fail(take_error(ErrorCode::kBadCertificate, "TLS certificate chain: no leaf"));
  if (SSL_CTX_use_certificate(ctx.get(), leaf.get()) != 1) {
    return fail(take_error(ErrorCode::kBadCertificate, "SSL_CTX_use_certificate"));
  }
  SSL_CTX_clear_chain_certs(ctx.get());
  for (;;) {
    Ptr<X509> extra(PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr));
    if (!extra) {
      ERR_clear_error();  // end of input
      break;
    }
    if (SSL_CTX_add0_chain_cert(ctx.get(), extra.get()) != 1) {
      return fail(take_error(ErrorCode::kBadCertificate, "SSL_CTX_add0_chain_cert"));
    }
    static_cast<void>(extra.release());  // owned by ctx now
  }

  Ptr<BIO> key_bio = HPKI_TRY(mem_bio(config.private_key_pem));
  Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(take_error(ErrorCode::kMalformed, "TLS private key PEM"));
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
    return fail(take_error(ErrorCode::kKeyMismatch, "SSL_CTX_use_PrivateKey"));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return fail(take_error(ErrorCode::kKeyMismatch, "TLS private key does not match the leaf"));
  }

  if (config.request_client_cert) {
    if (config.trusted_client_ca_der.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "client certificates requested but no trusted CA certificate given");
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    std::unique_ptr<STACK_OF(X509_NAME), NameStackDeleter> names(sk_X509_NAME_new_null());
    if (!names) return fail(take_error(ErrorCode::kInternal, "sk_X509_NAME_new_null"));
    for (const Bytes& der : config.trusted_client_ca_der) {
      const unsigned char* p = der.data();
      if (der.size() > static_cast<std::size_t>(std::numeric_limits<long>::max())) {
        return fail(ErrorCode::kTooLarge, "trusted CA certificate too large");
      }
      Ptr<X509> ca(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
      if (!ca || p != der.data() + der.size()) {
        return fail(take_error(ErrorCode::kBadCertificate, "trusted client CA certificate DER"));
      }
      if (X509_STORE_add_cert(store, ca.get()) != 1) {
        return fail(take_error(ErrorCode::kBadCertificate, "X509_STORE_add_cert"));
      }
      Ptr<X509_NAME> name(X509_NAME_dup(X509_get_subject_name(ca.get())));
      if (!name || sk_X509_NAME_push(names.get(), name.get()) <= 0) {
        return fail(take_error(ErrorCode::kInternal, "client CA name list"));
      }
      static_cast<void>(name.release());
    }
    SSL_CTX_set_client_CA_list(ctx.get(), names.release());
    // Request, not require: no SSL_VERIFY_FAIL_IF_NO_PEER_CERT.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext,
                                       sizeof(kSessionIdContext) - 1) != 1) {
      return fail(take_error(ErrorCode::kInternal, "SSL_CTX_set_session_id_context"));
    }
  }
  return ctx;
}

Result<std::vector<Bytes>> verified_peer_chain(ssl_st* ssl) {
  std::vector<Bytes> out;
  if (ssl == nullptr) return out;
  if (SSL_get0_peer_certificate(ssl) == nullptr) return out;
  if (SSL_get_verify_result(ssl) != X509_V_OK) {
    return fail(ErrorCode::kBadCertificate, "client certificate not verified");
  }
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  if (chain == nullptr) return out;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    int len = i2d_X509(cert, nullptr);
    if (len <= 0) return fail(take_error(ErrorCode::kInternal, "i2d_X509"));
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d_X509(cert, &p) != len) return fail(take_error(ErrorCode::kInternal, "i2d_X509"));
    out.push_back(std::move(der));
  }
  return out;
}

Result<TlsContextPtr> make_client_tls_context(const TlsClientConfig& config) {
  TlsContextPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return fail(take_error(ErrorCode::kCrypto, "SSL_CTX_new"));
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return fail(take_error(ErrorCode::kCrypto, "SSL_CTX_set_min_proto_version"));
  }
  if (config.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return fail(take_error(ErrorCode::kInternal, "the system's trust store"));
    }
  } else if (SSL_CTX_load_verify_locations(ctx.get(), config.ca_file.c_str(), nullptr) != 1) {
    return fail(take_error(ErrorCode::kBadCertificate,
                           "trusted certificates (PEM) from " + config.ca_file));
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

Result<void> expect_server_identity(ssl_st* ssl, const std::string& host) {
  if (ssl == nullptr || host.empty()) return fail(ErrorCode::kInvalidArgument, "no TLS host");
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  // An IP address literal is matched against iPAddress SANs and gets no SNI (RFC 6066 3).
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1) return {};
  ERR_clear_error();
  // SSL_set_tlsext_host_name() without its C cast.
  if (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(host.c_str())) != 1) {
    return fail(take_error(ErrorCode::kInvalidArgument, "TLS server name '" + host + "'"));
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, host.c_str()) != 1) {
    return fail(take_error(ErrorCode::kInvalidArgument, "TLS host name '" + host + "'"));
  }
  return {};
}

std::string verify_failure(ssl_st* ssl) {
  if (ssl == nullptr) return {};
  const long r = SSL_get_verify_result(ssl);
  if (r == X509_V_OK) return {};
  return X509_verify_cert_error_string(r);
}

}  // namespace hpki::ossl
