// Writes the test-PKI seed files of the crypto fuzz corpora:
//   <out>/pkcs7/testpki_{rsa_attrs,ec_attrs,rsa_plain}.der  SignedData variants
//   <out>/x509/testpki_chain_{rsa,ec}.der                   leaf|intermediate|root DER
// Run: bazel run //core/crypto/testing:gen_fuzz_seeds -- "$PWD/testdata/fuzz"
// Keys are fresh on every run, so the bytes change; the shapes do not.
#include <cstdio>
#include <fstream>
#include <string>

#include "core/crypto/testing/signed_data_builder.h"
#include "core/crypto/testing/test_pki.h"

namespace t = ::enlist::crypto::testing;

namespace {

bool Write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  if (!out) {
    std::fprintf(stderr, "gen_fuzz_seeds: cannot write %s\n", path.c_str());
    return false;
  }
  std::printf("wrote %s (%zu bytes)\n", path.c_str(), data.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_fuzz_seeds <testdata/fuzz dir>\n");
    return 2;
  }
  const std::string out = argv[1];
  t::TestPki rsa = t::MakeTestPki(/*ec=*/false);
  t::TestPki ec = t::MakeTestPki(/*ec=*/true);
  bool ok = true;

  t::SignedDataSpec s;
  s.key = rsa.leaf_key.get();
  s.signer_cert = rsa.leaf.get();
  s.certificates = {rsa.intermediate.get(), rsa.leaf.get()};
  ok &= Write(out + "/pkcs7/testpki_rsa_plain.der", t::BuildSignedData(s));
  s.digest_oid = t::kOidSha256;
  s.signature_oid = t::kOidSha256WithRsa;
  s.signed_attributes = true;
  s.signing_time = absl::FromUnixSeconds(1704067200);
  ok &= Write(out + "/pkcs7/testpki_rsa_attrs.der", t::BuildSignedData(s));

  t::SignedDataSpec e;
  e.key = ec.leaf_key.get();
  e.signer_cert = ec.leaf.get();
  e.certificates = {ec.leaf.get()};
  e.digest_oid = t::kOidSha256;
  e.signature_oid = t::kOidEcdsaWithSha256;
  e.signed_attributes = true;
  ok &= Write(out + "/pkcs7/testpki_ec_attrs.der", t::BuildSignedData(e));

  ok &= Write(
      out + "/x509/testpki_chain_rsa.der",
      t::CertDer(rsa.leaf.get()) + t::CertDer(rsa.intermediate.get()) + t::CertDer(rsa.root.get()));
  ok &= Write(
      out + "/x509/testpki_chain_ec.der",
      t::CertDer(ec.leaf.get()) + t::CertDer(ec.intermediate.get()) + t::CertDer(ec.root.get()));
  return ok ? 0 : 1;
}
