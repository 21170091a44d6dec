#include "base/tls_files.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace keel::base {

namespace {

// OpenSSL's queued errors as text; clears the queue.
std::string opensslErrors() {
  std::string out;
  std::array<char, 256> buf{};
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

TlsFileError failure(TlsFile file, std::string_view what, const std::string& path) {
  return {file, makeError(ErrorCode::InvalidArgument,
                          fmt::format("cannot load {} {}: {}", what, path, opensslErrors()))};
}

// Hands OpenSSL the configured password (userdata), never a terminal prompt.
int passwordCallback(char* buf, int size, int /*rwflag*/, void* userdata) {
  const auto* password = static_cast<const std::string*>(userdata);
  if (password == nullptr || size <= 0) return 0;
  const std::size_t n = std::min(password->size(), static_cast<std::size_t>(size));
  std::copy_n(password->data(), n, buf);
  return static_cast<int>(n);
}

std::optional<TlsFileError> loadKeyPair(SSL_CTX* ctx, const TlsFiles& files) {
  if (files.certificate.empty() != files.key.empty()) {
    const bool no_key = files.key.empty();
    return TlsFileError{no_key ? TlsFile::Certificate : TlsFile::Key,
                        makeError(ErrorCode::InvalidArgument,
                                  no_key ? "a certificate needs its key (SSL key)"
                                         : "a key needs its certificate (SSL certificate)")};
  }
  if (files.certificate.empty()) return std::nullopt;
  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1) {
    return failure(TlsFile::Certificate, "certificate file", files.certificate);
  }
  SSL_CTX_set_default_passwd_cb(ctx, passwordCallback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, const_cast<std::string*>(&files.password));
  const int loaded = SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  if (loaded != 1) return failure(TlsFile::Key, "key file", files.key);
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return failure(TlsFile::Key, "key file (it does not match the certificate)", files.key);
  }
  return std::nullopt;
}

}  // namespace

std::optional<TlsFileError> loadTlsFiles(SSL_CTX* ctx, const TlsFiles& files) {
  ERR_clear_error();
  if (!files.ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, files.ca.c_str(), nullptr) != 1) {
      return failure(TlsFile::Ca, "CA file", files.ca);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return loadKeyPair(ctx, files);
}

}  // namespace keel::base
