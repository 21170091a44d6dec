// SSL_GET with the SSL block's files: the real server's certificate verified against `ca`, and a
// client certificate (its key encrypted with `password`) presented to a server that demands one.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "base/test_certs.h"
#include "check/http_probe.h"
#include "check/test_http_server.h"

namespace keel::check {
namespace {

using base::testing::KeyCert;
using base::testing::makeCert;
using base::testing::TempPki;
using std::chrono::milliseconds;
using testing::TestConnection;
using testing::TestServer;

constexpr milliseconds kTimeout{2000};

// A server context with `server`'s certificate; with `client_ca`, it demands a client
// certificate that chains to it.
std::shared_ptr<SSL_CTX> serverContext(const KeyCert& server, const KeyCert* client_ca) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr || SSL_CTX_use_certificate(ctx, server.cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, server.key.get()) != 1) {
    std::abort();
  }
  if (client_ca != nullptr) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), client_ca->cert.get());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return {ctx, SSL_CTX_free};
}

void replyOk(TestConnection& c) {
  c.readRequest();
  c.send("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

class TlsProbeTest : public ::testing::Test {
 protected:
  void SetUp() override { loop_ = event::Loop::create(clock_).value(); }

  ProbeResult run(const TestServer& server, const base::TlsFiles& files) {
    model::HttpCheck check;
    check.tls = true;
    check.urls = {{.path = "/"}};
    check.ssl = files;
    ProbeTarget target;
    target.endpoint = base::Endpoint(base::IpAddress::v4(0x7f000001), server.port());
    HttpProbe probe(*loop_, check, target);
    bool reported = false;
    ProbeResult result;
    const base::TimePoint start = clock_.now();
    probe.start(start + kTimeout, [&](ProbeResult r) {
      reported = true;
      result = std::move(r);
    });
    while (!reported && clock_.now() < start + kTimeout + std::chrono::seconds(3)) {
      EXPECT_TRUE(loop_->runOnce(milliseconds(50)));
    }
    EXPECT_TRUE(reported);
    return result;
  }

  base::SteadyClock clock_;
  std::unique_ptr<event::Loop> loop_;
  TempPki pki_;
  KeyCert ca_ = makeCert("keel test CA", nullptr, true, 1);
  KeyCert other_ca_ = makeCert("another CA", nullptr, true, 2);
  KeyCert server_ = makeCert("real.example", &ca_, false, 3);
  KeyCert client_ = makeCert("checker.example", &ca_, false, 4);
};

TEST_F(TlsProbeTest, CaVerifiesTheRealServersCertificate) {
  TestServer server(replyOk, serverContext(server_, nullptr));
  const ProbeResult trusted = run(server, {.ca = pki_.writeCert("ca.pem", ca_)});
  EXPECT_TRUE(trusted.ok) << trusted.reason;
  const ProbeResult untrusted = run(server, {.ca = pki_.writeCert("other.pem", other_ca_)});
  EXPECT_FALSE(untrusted.ok);
  EXPECT_NE(untrusted.reason.find("certificate verify failed"), std::string::npos)
      << untrusted.reason;
  const ProbeResult unchecked = run(server, {});
  EXPECT_TRUE(unchecked.ok) << "without ca nothing is verified, as keepalived: "
                            << unchecked.reason;
}

TEST_F(TlsProbeTest, PresentsTheClientCertificateWithAnEncryptedKey) {
  TestServer server(replyOk, serverContext(server_, &ca_));
  const ProbeResult without = run(server, {});
  EXPECT_FALSE(without.ok) << "the server demands a client certificate";
  const base::TlsFiles files{.certificate = pki_.writeCert("client.pem", client_),
                             .key = pki_.writeKey("client.key", client_, "s3cret"),
                             .password = "s3cret"};
  const ProbeResult with = run(server, files);
  EXPECT_TRUE(with.ok) << with.reason;
}

TEST_F(TlsProbeTest, AFileThatNoLongerLoadsFailsTheCheck) {
  TestServer server(replyOk, serverContext(server_, nullptr));
  const ProbeResult r = run(server, {.ca = pki_.path("gone.pem")});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("cannot load CA file"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace keel::check
