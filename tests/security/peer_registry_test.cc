#include "security/peer_registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "security/test_support.h"

namespace bastion::security {
namespace {

using testing::TempDir;
using testing::WriteAll;

PeerRegistryOptions Options(bool create = true) {
  PeerRegistryOptions o;
  o.create_if_missing = create;
  return o;
}

Peer MakePeer(std::string ae, std::string host) {
  Peer p;
  p.ae_title = std::move(ae);
  p.host = std::move(host);
  p.roles = {"modality"};
  return p;
}

HostResolver NoDns() {
  return [](const std::string&) -> std::vector<std::string> {
    ADD_FAILURE() << "resolver called for an IP literal";
    return {};
  };
}

TEST(AeTitleTest, AcceptsDefaultRepertoireUpTo16) {
  EXPECT_TRUE(ValidateAeTitle("CT1").ok());
  EXPECT_TRUE(ValidateAeTitle("A").ok());
  EXPECT_TRUE(ValidateAeTitle("ABCDEFGHIJKLMNOP").ok());
  EXPECT_TRUE(ValidateAeTitle("MR_3 WEST-2").ok());
  EXPECT_EQ(NormalizeAeTitle("  CT1   ").value(), "CT1");
}

TEST(AeTitleTest, RefusesInvalidTitles) {
  EXPECT_FALSE(ValidateAeTitle("").ok());
  EXPECT_FALSE(ValidateAeTitle("                ").ok());
  EXPECT_FALSE(ValidateAeTitle("ABCDEFGHIJKLMNOPQ").ok());
  EXPECT_FALSE(ValidateAeTitle("CT\\1").ok());
  EXPECT_FALSE(ValidateAeTitle("CT\t1").ok());
  EXPECT_FALSE(ValidateAeTitle(std::string("CT\0", 3)).ok());
  EXPECT_FALSE(ValidateAeTitle("CT\x7f").ok());
  EXPECT_FALSE(ValidateAeTitle("C\xc3\xa9").ok());
}

TEST(HostTest, AcceptsIpLiteralsNamesAndWildcard) {
  EXPECT_TRUE(ValidateHost("10.0.0.5").ok());
  EXPECT_TRUE(ValidateHost("::1").ok());
  EXPECT_TRUE(ValidateHost("2001:db8::7").ok());
  EXPECT_TRUE(ValidateHost("ct-scanner.radiology.example").ok());
  EXPECT_TRUE(ValidateHost("localhost").ok());
  EXPECT_TRUE(ValidateHost("*").ok());
}

TEST(HostTest, RefusesMalformedHosts) {
  EXPECT_FALSE(ValidateHost("").ok());
  EXPECT_FALSE(ValidateHost("bad host").ok());
  EXPECT_FALSE(ValidateHost("-lead.example").ok());
  EXPECT_FALSE(ValidateHost("a..b").ok());
  EXPECT_FALSE(ValidateHost("10.0.0").ok());  // inet_aton would read it as 10.0.0.0
  EXPECT_FALSE(ValidateHost("3232235777").ok());
  EXPECT_FALSE(ValidateHost("fe80::1%eth0").ok());
  EXPECT_FALSE(ValidateHost(std::string(64, 'a') + ".example").ok());
  EXPECT_FALSE(ValidateHost("host_name.example").ok());
}

TEST(IpMatchTest, ComparesAddressesNotText) {
  EXPECT_TRUE(SameIpAddress("10.0.0.5", "10.0.0.5"));
  EXPECT_TRUE(SameIpAddress("10.0.0.5", "::ffff:10.0.0.5"));
  EXPECT_TRUE(SameIpAddress("2001:db8::1", "2001:0db8:0:0:0:0:0:1"));
  EXPECT_TRUE(SameIpAddress("fe80::1", "fe80::1%eth0"));
  EXPECT_FALSE(SameIpAddress("10.0.0.5", "10.0.0.6"));
  EXPECT_FALSE(SameIpAddress("10.0.0.5", "10.0.0.50"));
  EXPECT_FALSE(SameIpAddress("host", "host"));
  EXPECT_FALSE(SameIpAddress("", ""));
}

TEST(CheckPeerTest, IpLiteralHostMatchesOnlyThatAddress) {
  Peer p = NormalizePeer(MakePeer("CT1", "10.0.0.5")).value();
  EXPECT_EQ(CheckPeer(p, {"CT1", "10.0.0.5", std::nullopt}, NoDns()), PeerRefusal::kNone);
  EXPECT_EQ(CheckPeer(p, {"CT1", "::ffff:10.0.0.5", std::nullopt}, NoDns()), PeerRefusal::kNone);
  EXPECT_EQ(CheckPeer(p, {"CT1", "10.0.0.6", std::nullopt}, NoDns()), PeerRefusal::kWrongHost);
}

TEST(CheckPeerTest, HostNameMatchesResolvedAddresses) {
  Peer p = NormalizePeer(MakePeer("CT1", "ct.example")).value();
  int calls = 0;
  HostResolver resolve = [&](const std::string& host) {
    ++calls;
    EXPECT_EQ(host, "ct.example");
    return std::vector<std::string>{"192.0.2.1", "2001:db8::1"};
  };
  EXPECT_EQ(CheckPeer(p, {"CT1", "2001:db8::1", std::nullopt}, resolve), PeerRefusal::kNone);
  EXPECT_EQ(CheckPeer(p, {"CT1", "192.0.2.1", std::nullopt}, resolve), PeerRefusal::kNone);
  EXPECT_EQ(CheckPeer(p, {"CT1", "192.0.2.2", std::nullopt}, resolve), PeerRefusal::kWrongHost);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(CheckPeer(p, {"CT1", "192.0.2.1", std::nullopt}, nullptr), PeerRefusal::kWrongHost);
}

TEST(CheckPeerTest, PinnedCertificateIsRequiredAndMustMatch) {
  Peer p = MakePeer("CT1", "10.0.0.5");
  p.cert_sha256 = std::string(64, 'A');
  p = NormalizePeer(p).value();
  EXPECT_TRUE(p.require_client_cert);
  EXPECT_EQ(p.cert_sha256, std::string(64, 'a'));
  EXPECT_EQ(CheckPeer(p, {"CT1", "10.0.0.5", std::nullopt}, NoDns()),
            PeerRefusal::kClientCertificateRequired);
  EXPECT_EQ(CheckPeer(p, {"CT1", "10.0.0.5", std::string(64, 'b')}, NoDns()),
            PeerRefusal::kClientCertificateMismatch);
  EXPECT_EQ(CheckPeer(p, {"CT1", "10.0.0.5", std::string(64, 'a')}, NoDns()), PeerRefusal::kNone);
  EXPECT_EQ(CheckPeer(p, {"CT1", "10.0.0.9", std::string(64, 'a')}, NoDns()),
            PeerRefusal::kWrongHost);
}

TEST(CheckPeerTest, WildcardHostOnlyWithCertificate) {
  EXPECT_EQ(NormalizePeer(MakePeer("CT1", "*")).status().code(), StatusCode::kMalformed);
  Peer p = MakePeer("CT1", "*");
  p.cert_sha256 = std::string(64, 'c');
  p = NormalizePeer(p).value();
  EXPECT_EQ(CheckPeer(p, {"CT1", "203.0.113.9", std::string(64, 'c')}, NoDns()),
            PeerRefusal::kNone);
  EXPECT_EQ(CheckPeer(p, {"CT1", "203.0.113.9", std::nullopt}, NoDns()),
            PeerRefusal::kClientCertificateRequired);
}

TEST(FingerprintTest, NormalizesColonsAndCase) {
  std::string colons;
  for (int i = 0; i < 32; ++i) colons += (i ? ":" : "") + std::string("AB");
  std::string expected;
  for (int i = 0; i < 32; ++i) expected += "ab";
  EXPECT_EQ(NormalizeFingerprint(colons).value(), expected);
  EXPECT_FALSE(NormalizeFingerprint("abc").ok());
  EXPECT_FALSE(NormalizeFingerprint(std::string(64, 'g')).ok());
}

TEST(FingerprintTest, FromPemFileMatchesIndependentDigest) {
  TempDir dir;
  auto key = testing::MakeEcKey();
  std::string pem = testing::SelfSignedCertificatePem(key.get(), "CT1");
  WriteAll(dir.File("ct1.pem"), pem, 0644);
  auto fp = CertificateFingerprintFromFile(dir.File("ct1.pem"));
  ASSERT_TRUE(fp.ok()) << fp.status().ToString();
  EXPECT_EQ(*fp, testing::IndependentFingerprint(pem));
  EXPECT_EQ(fp->size(), 64u);
}

TEST(FingerprintTest, FromPemFileRefusesMissingAndNonCertificates) {
  TempDir dir;
  EXPECT_FALSE(CertificateFingerprintFromFile(dir.File("absent.pem")).ok());
  auto key = testing::MakeEcKey();
  WriteAll(dir.File("key.pem"), testing::PublicKeyPem(key.get()));
  EXPECT_FALSE(CertificateFingerprintFromFile(dir.File("key.pem")).ok());
}

class PeerRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_ = PeerRegistry::Load(path_, Options()).value(); }
  TempDir dir_;
  std::string path_ = dir_.File("peers.json");
  std::unique_ptr<PeerRegistry> registry_;
};

TEST_F(PeerRegistryTest, AddFindCheckAndRemove) {
  Peer p = MakePeer(" CT1 ", "10.0.0.5");
  p.port = 104;
  p.require_identity = true;
  ASSERT_TRUE(registry_->Add(p).ok());
  auto found = registry_->Find("CT1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ae_title, "CT1");
  EXPECT_EQ(found->port, 104);
  EXPECT_TRUE(found->require_identity);
  EXPECT_FALSE(found->require_client_cert);

  PeerRefusal why{};
  auto ok = registry_->Check({"CT1             ", "10.0.0.5", std::nullopt}, NoDns(), &why);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(why, PeerRefusal::kNone);
  EXPECT_EQ(ok->ae_title, "CT1");

  auto unknown = registry_->Check({"CT2", "10.0.0.5", std::nullopt}, NoDns(), &why);
  EXPECT_EQ(unknown.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(why, PeerRefusal::kUnknownAeTitle);
  auto wrong_host = registry_->Check({"CT1", "10.0.0.7", std::nullopt}, NoDns(), &why);
  EXPECT_FALSE(wrong_host.ok());
  EXPECT_EQ(why, PeerRefusal::kWrongHost);
  auto case_differs = registry_->Check({"ct1", "10.0.0.5", std::nullopt}, NoDns(), &why);
  EXPECT_EQ(why, PeerRefusal::kUnknownAeTitle);
  auto garbage = registry_->Check({"CT\\1", "10.0.0.5", std::nullopt}, NoDns(), &why);
  EXPECT_EQ(why, PeerRefusal::kUnknownAeTitle);

  ASSERT_TRUE(registry_->Remove("CT1").ok());
  EXPECT_EQ(registry_->Remove("CT1").code(), StatusCode::kNotFound);
  EXPECT_FALSE(registry_->Find("CT1").has_value());
}

TEST_F(PeerRegistryTest, AddRefusesDuplicatesAndInvalidEntries) {
  ASSERT_TRUE(registry_->Add(MakePeer("CT1", "10.0.0.5")).ok());
  EXPECT_EQ(registry_->Add(MakePeer("CT1 ", "10.0.0.6")).code(), StatusCode::kConflict);
  EXPECT_FALSE(registry_->Add(MakePeer("WAY_TOO_LONG_AE_TITLE", "10.0.0.5")).ok());
  EXPECT_FALSE(registry_->Add(MakePeer("CT2", "not a host")).ok());
  Peer bad_role = MakePeer("CT3", "10.0.0.5");
  bad_role.roles = {"root"};
  EXPECT_EQ(registry_->Add(bad_role).code(), StatusCode::kNotFound);
  Peer no_role = MakePeer("CT3", "10.0.0.5");
  no_role.roles.clear();
  EXPECT_FALSE(registry_->Add(no_role).ok());
  EXPECT_EQ(registry_->size(), 1u);
}

TEST_F(PeerRegistryTest, PersistsWithMode0600AndReloadsOnChange) {
  auto server = PeerRegistry::Load(path_, Options()).value();
  Peer p = MakePeer("CT1", "10.0.0.5");
  p.cert_sha256 = std::string(64, 'd');
  ASSERT_TRUE(registry_->Add(p).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(server->Find("CT1").has_value());
  EXPECT_TRUE(server->ReloadIfChanged().value());
  auto found = server->Find("CT1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->cert_sha256, std::string(64, 'd'));
  EXPECT_TRUE(found->require_client_cert);
  EXPECT_FALSE(server->ReloadIfChanged().value());

  auto fresh = PeerRegistry::Load(path_, Options(false)).value();
  EXPECT_EQ(fresh->List().size(), 1u);
}

TEST_F(PeerRegistryTest, LoadRefusesInvalidEntries) {
  WriteAll(path_, R"({"format":"bastion-peers","version":1,"peers":[
      {"ae_title":"CT\\1","host":"10.0.0.5","roles":["modality"]}]})");
  EXPECT_EQ(PeerRegistry::Load(path_, Options(false)).status().code(), StatusCode::kMalformed);
  WriteAll(path_, R"({"format":"bastion-peers","version":1,"peers":[
      {"ae_title":"CT1","host":"10.0.0.5","port":70000,"roles":["modality"]}]})");
  EXPECT_EQ(PeerRegistry::Load(path_, Options(false)).status().code(), StatusCode::kMalformed);
  WriteAll(path_, R"({"format":"bastion-peers","version":1,"peers":[
      {"ae_title":"CT1","host":"*","roles":["modality"]}]})");
  EXPECT_EQ(PeerRegistry::Load(path_, Options(false)).status().code(), StatusCode::kMalformed);
  WriteAll(path_, R"({"format":"bastion-peers","version":1,"peers":[
      {"ae_title":"CT1","host":"10.0.0.5","roles":["modality"]},
      {"ae_title":"CT1 ","host":"10.0.0.6","roles":["modality"]}]})");
  EXPECT_EQ(PeerRegistry::Load(path_, Options(false)).status().code(), StatusCode::kMalformed);
  WriteAll(path_, R"({"format":"bastion-peers","version":1,"peers":[]})", 0640);
  EXPECT_EQ(PeerRegistry::Load(path_, Options(false)).status().code(),
            StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace bastion::security
