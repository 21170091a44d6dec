// Tests only: a small PKI made with OpenSSL's API in a temporary directory (a CA, certificates
// it signs, PEM files with optionally encrypted keys), for the SSL block's tests in base, conf
// and check. Header-only so each test binary that reaches base can include it. The directory
// and everything in it are removed by the destructor. One thread.
#pragma once

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace keel::base::testing {

struct KeyCert {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

inline void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext != nullptr) X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A P-256 certificate for CN=`cn`, valid for an hour either side of now, signed by `issuer`
// (self-signed when null); `ca` makes it a CA.
inline KeyCert makeCert(const std::string& cn, const KeyCert* issuer, bool ca, long serial) {
  KeyCert out{std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free),
              std::shared_ptr<X509>(X509_new(), X509_free)};
  X509* cert = out.cert.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, out.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  addExtension(cert, issuer_cert, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (ca) addExtension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert, issuer_cert, NID_subject_alt_name, ("DNS:" + cn).c_str());
  X509_sign(cert, issuer != nullptr ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

class TempPki {
 public:
  TempPki() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "keel-pki-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
  }
  ~TempPki() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempPki(const TempPki&) = delete;
  TempPki& operator=(const TempPki&) = delete;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string writeCert(const std::string& name, const KeyCert& kc) const {
    const std::string p = path(name);
    FILE* f = std::fopen(p.c_str(), "w");
    if (f != nullptr) {
      PEM_write_X509(f, kc.cert.get());
      std::fclose(f);
    }
    return p;
  }
  // The key in PKCS#8 PEM, AES-256-encrypted with `password` unless it is empty.
  std::string writeKey(const std::string& name, const KeyCert& kc,
                       const std::string& password = "") const {
    const std::string p = path(name);
    FILE* f = std::fopen(p.c_str(), "w");
    if (f != nullptr) {
      PEM_write_PKCS8PrivateKey(f, kc.key.get(), password.empty() ? nullptr : EVP_aes_256_cbc(),
                                nullptr, 0, nullptr,
                                password.empty() ? nullptr : const_cast<char*>(password.c_str()));
      std::fclose(f);
    }
    return p;
  }
  std::string writeText(const std::string& name, const std::string& text) const {
    const std::string p = path(name);
    FILE* f = std::fopen(p.c_str(), "w");
    if (f != nullptr) {
      std::fputs(text.c_str(), f);
      std::fclose(f);
    }
    return p;
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace keel::base::testing
