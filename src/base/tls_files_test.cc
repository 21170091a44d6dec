#include "base/tls_files.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>

#include "base/test_certs.h"

namespace keel::base {
namespace {

using testing::KeyCert;
using testing::makeCert;
using testing::TempPki;

struct Ctx {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free};
};

class TlsFilesTest : public ::testing::Test {
 protected:
  TempPki pki_;
  KeyCert ca_ = makeCert("keel test CA", nullptr, true, 1);
  KeyCert client_ = makeCert("checker.example", &ca_, false, 2);
};

TEST_F(TlsFilesTest, NothingSetLeavesVerificationOff) {
  Ctx c;
  EXPECT_FALSE(loadTlsFiles(c.ctx.get(), {}));
  EXPECT_EQ(SSL_CTX_get_verify_mode(c.ctx.get()), SSL_VERIFY_NONE);
}

TEST_F(TlsFilesTest, CaTurnsPeerVerificationOn) {
  Ctx c;
  EXPECT_FALSE(loadTlsFiles(c.ctx.get(), {.ca = pki_.writeCert("ca.pem", ca_)}));
  EXPECT_EQ(SSL_CTX_get_verify_mode(c.ctx.get()), SSL_VERIFY_PEER);
}

TEST_F(TlsFilesTest, LoadsACertificateAndItsEncryptedKey) {
  Ctx c;
  const TlsFiles files{.certificate = pki_.writeCert("client.pem", client_),
                       .key = pki_.writeKey("client.key", client_, "s3cret"),
                       .password = "s3cret"};
  const auto err = loadTlsFiles(c.ctx.get(), files);
  EXPECT_FALSE(err) << err->error.message;
  EXPECT_NE(SSL_CTX_get0_certificate(c.ctx.get()), nullptr);
}

TEST_F(TlsFilesTest, WrongOrMissingPasswordFailsOnTheKey) {
  for (const char* password : {"wrong", ""}) {
    Ctx c;
    const TlsFiles files{.certificate = pki_.writeCert("client.pem", client_),
                         .key = pki_.writeKey("client.key", client_, "s3cret"),
                         .password = password};
    const auto err = loadTlsFiles(c.ctx.get(), files);
    ASSERT_TRUE(err) << password;
    EXPECT_EQ(err->file, TlsFile::Key);
    EXPECT_NE(err->error.message.find("cannot load key file"), std::string::npos);
  }
}

TEST_F(TlsFilesTest, BadFilesNameTheirKind) {
  const std::string garbage = pki_.writeText("garbage.pem", "not a certificate\n");
  Ctx a;
  auto err = loadTlsFiles(a.ctx.get(), {.ca = garbage});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->file, TlsFile::Ca);
  EXPECT_NE(err->error.message.find("cannot load CA file " + garbage), std::string::npos);
  Ctx b;
  err = loadTlsFiles(b.ctx.get(), {.certificate = pki_.path("missing.pem"),
                                   .key = pki_.writeKey("k.pem", client_)});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->file, TlsFile::Certificate);
}

TEST_F(TlsFilesTest, KeyMustMatchTheCertificate) {
  const KeyCert other = makeCert("other", &ca_, false, 3);
  Ctx c;
  const auto err = loadTlsFiles(c.ctx.get(), {.certificate = pki_.writeCert("c.pem", client_),
                                              .key = pki_.writeKey("k.pem", other)});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->file, TlsFile::Key);
}

TEST_F(TlsFilesTest, CertificateAndKeyNeedEachOther) {
  Ctx c;
  auto err = loadTlsFiles(c.ctx.get(), {.certificate = pki_.writeCert("c.pem", client_)});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->file, TlsFile::Certificate);
  err = loadTlsFiles(c.ctx.get(), {.key = pki_.writeKey("k.pem", client_)});
  ASSERT_TRUE(err);
  EXPECT_EQ(err->file, TlsFile::Key);
}

}  // namespace
}  // namespace keel::base
