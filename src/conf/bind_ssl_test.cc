// The top-level SSL block: bound into every SSL_GET, bad files reported at their statements.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "base/test_certs.h"
#include "conf/reader.h"

namespace keel::conf {
namespace {

using base::testing::KeyCert;
using base::testing::makeCert;
using base::testing::TempPki;

// The SSL block `ssl` (before the virtual server) and an SSL_GET and an HTTP_GET.
std::string config(const std::string& ssl) {
  return ssl +
         "virtual_server 198.18.0.100 443 {\n"
         "  lb_algo rr\n"
         "  lb_kind NAT\n"
         "  protocol TCP\n"
         "  real_server 198.18.0.2 443 {\n"
         "    SSL_GET {\n"
         "      url {\n"
         "        path /\n"
         "      }\n"
         "    }\n"
         "    HTTP_GET {\n"
         "      url {\n"
         "        path /\n"
         "      }\n"
         "    }\n"
         "  }\n"
         "}\n";
}

class BindSslTest : public ::testing::Test {
 protected:
  model::Config read(const std::string& text) { return readConfigText("k.conf", text, {}, diags_); }
  static const model::HttpCheck& check(const model::Config& c, std::size_t i) {
    return std::get<model::HttpCheck>(
        c.virtual_servers.at(0).real_servers.at(0).checkers.at(i).kind);
  }

  TempPki pki_;
  KeyCert ca_ = makeCert("keel test CA", nullptr, true, 1);
  KeyCert client_ = makeCert("checker.example", &ca_, false, 2);
  Diagnostics diags_;
};

TEST_F(BindSslTest, EverySslGetGetsTheBlock) {
  const std::string ca = pki_.writeCert("ca.pem", ca_);
  const std::string cert = pki_.writeCert("client.pem", client_);
  const std::string key = pki_.writeKey("client.key", client_, "pw with blanks");
  // The block after the checkers applies as well: keepalived reads it before the checkers start.
  const model::Config c = read(config("") + "SSL {\n  ca " + ca + "\n  certificate " + cert +
                               "\n  key " + key + "\n  password \"pw with blanks\"\n}\n");
  EXPECT_EQ(diags_.renderAll(), "");
  const base::TlsFiles want{
      .ca = ca, .certificate = cert, .key = key, .password = "pw with blanks"};
  EXPECT_EQ(c.ssl, want);
  EXPECT_EQ(check(c, 0).ssl, want);
  EXPECT_TRUE(check(c, 1).ssl.empty()) << "HTTP_GET has no TLS";
}

TEST_F(BindSslTest, AMissingCaIsAnErrorAtItsStatement) {
  const std::string missing = pki_.path("nope.pem");
  read(config("SSL {\n  ca " + missing + "\n}\n"));
  const std::string out = diags_.renderAll();
  EXPECT_EQ(out.rfind("k.conf:2:6: error: cannot load CA file " + missing + ": ", 0), 0u) << out;
}

TEST_F(BindSslTest, AWrongPasswordIsAnErrorAtTheKey) {
  const std::string cert = pki_.writeCert("client.pem", client_);
  const std::string key = pki_.writeKey("client.key", client_, "right");
  const model::Config c =
      read(config("SSL {\n  certificate " + cert + "\n  key " + key + "\n  password wrong\n}\n"));
  const std::string out = diags_.renderAll();
  EXPECT_EQ(out.rfind("k.conf:3:7: error: cannot load key file " + key + ": ", 0), 0u) << out;
  EXPECT_TRUE(check(c, 0).ssl.empty());
}

TEST_F(BindSslTest, ACertificateWithoutAKeyIsAnError) {
  const std::string cert = pki_.writeCert("client.pem", client_);
  read(config("SSL {\n  certificate " + cert + "\n}\n"));
  EXPECT_NE(diags_.renderAll().find("k.conf:2:15: error: a certificate needs its key"),
            std::string::npos)
      << diags_.renderAll();
}

}  // namespace
}  // namespace keel::conf
