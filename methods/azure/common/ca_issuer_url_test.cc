#include "methods/azure/common/ca_issuer_url.h"

#include "gtest/gtest.h"

namespace enlist::azure {
namespace {

TEST(CaIssuerUrlTest, MicrosoftShapes) {
  for (const char* ok : {
           "http://www.microsoft.com/pkiops/certs/Microsoft%20Azure%20RSA%20TLS%20Issuing%20CA%2004%20-%20xsign.crt",
           "https://www.microsoft.com/pkiops/certs/a.crt",
           "http://www.microsoft.com/pki/mscorp/Microsoft%20IT%20TLS%20CA%205.crt",
           "http://caissuers.microsoft.com/pkiops/certs/Microsoft%20TLS%20G2%20RSA%20CA%20OCSP%2002.crt",
       }) {
    EXPECT_TRUE(IsAllowedCaIssuerUrl(ok)) << ok;
  }
  for (const char* bad : {
           "http://www.microsoft.com.evil.com/pkiops/certs/a.crt",
           "http://www.microsoft.com:8080/pkiops/certs/a.crt",
           "http://user@www.microsoft.com/pkiops/certs/a.crt",
           "http://www.microsoft.com/pkiops/certs/a.crt?x=1",
           "http://www.microsoft.com/pkiops/certs/sub/a.crt",
           "http://www.microsoft.com/pkiops/certs/../a.crt",
           "http://www.microsoft.com/pkiops/certs/.crt",
           "http://www.microsoft.com/pkiops/crl/a.crl",
           "http://www.microsoft.com/other/a.crt",
           "ftp://www.microsoft.com/pkiops/certs/a.crt",
           "http://caissuers.microsoft.com/pki/mscorp/a.crt",
           "http://cacerts.digicert.com/DigiCertGlobalRootG2.crt",
           "http://WWW.MICROSOFT.COM/pkiops/certs/a.crt",
           "",
       }) {
    EXPECT_FALSE(IsAllowedCaIssuerUrl(bad)) << bad;
  }
}

TEST(CaIssuerUrlTest, OverridePrefixesReplaceShapes) {
  std::vector<std::string> p = {"http://127.0.0.1:8080/certs/"};
  EXPECT_TRUE(IsAllowedCaIssuerUrl("http://127.0.0.1:8080/certs/x.crt", p));
  EXPECT_FALSE(IsAllowedCaIssuerUrl("http://127.0.0.1:8080/certs/a/x.crt", p));
  EXPECT_FALSE(IsAllowedCaIssuerUrl("http://www.microsoft.com/pkiops/certs/a.crt", p));
}

}  // namespace
}  // namespace enlist::azure
