// The gate's decisions, with real stores in a temporary directory and no network: who may
// associate, with which identity and permissions, and the audit event each decision emits.
#include "server/association_gate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace bastion::server {
namespace {

namespace pdu = net::pdu;
namespace fs = std::filesystem;

class AssociationGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bastion-gate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all);
    security::UserStoreOptions user_options;
    user_options.hash_params = security::Argon2Params::ForTesting();
    user_options.create_if_missing = true;
    users_ = std::move(security::UserStore::Load(dir_ / "users.json", user_options)).value();
    ASSERT_TRUE(users_->Add("alice", {"viewer"}, "alice-password-123").ok());
    ASSERT_TRUE(users_->Add("root", {"admin"}, "root-password-12345").ok());
    security::PeerRegistryOptions peer_options;
    peer_options.create_if_missing = true;
    peers_ = std::move(security::PeerRegistry::Load(dir_ / "peers.json", peer_options)).value();
    security::Peer modality{"CT01", "127.0.0.1", 0, {"modality"}, "", false, false, {}, false};
    security::Peer workstation{"WS1", "127.0.0.1", 0, {"viewer"}, "", true, false, {}, false};
    ASSERT_TRUE(peers_->Add(modality).ok());
    ASSERT_TRUE(peers_->Add(workstation).ok());

    net::acse::LocalApplication local;
    local.ae_title = "BASTION";
    local.syntaxes.push_back({"1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
    local.implementation_class_uid = "2.25.1";
    gate_ = std::make_unique<AssociationGate>(
        local, roles_, *users_, *peers_, JwtVerifier(),
        [](const std::string&) { return std::vector<std::string>{}; }, audit_);
    peer_.address = "127.0.0.1";
    peer_.port = 40000;
    peer_.tls = true;
  }
  void TearDown() override { fs::remove_all(dir_); }

  pdu::AAssociateRq Request(const std::string& calling) {
    pdu::AAssociateRq rq;
    rq.called_ae_title = "BASTION";
    rq.calling_ae_title = calling;
    rq.presentation_contexts.push_back({1, "1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
    rq.user_information.max_pdu_length = 16384;
    return rq;
  }

  fs::path dir_;
  security::RoleCatalog roles_;
  std::unique_ptr<security::UserStore> users_;
  std::unique_ptr<security::PeerRegistry> peers_;
  audit::MemoryAuditSink audit_;
  std::unique_ptr<AssociationGate> gate_;
  net::transport::PeerInfo peer_;
};

TEST_F(AssociationGateTest, AcceptsARegisteredPeerWithItsRolesPermissions) {
  auto d = gate_->Decide(Request("CT01"), peer_);
  ASSERT_TRUE(d.accepted) << d.reason;
  EXPECT_EQ(d.permissions,
            (security::PermissionSet{security::Permission::kEcho, security::Permission::kStore}));
  EXPECT_EQ(d.negotiation.association.contexts.size(), 1u);
  ASSERT_FALSE(audit_.events().empty());
  EXPECT_EQ(audit_.events().back().type, audit::AuditEventType::kAssociationAccepted);
}

TEST_F(AssociationGateTest, RefusesUnknownCallingAeAsCallingAeNotRecognized) {
  auto d = gate_->Decide(Request("NOBODY"), peer_);
  ASSERT_FALSE(d.accepted);
  EXPECT_EQ(d.rejection.result, pdu::RejectResult::kPermanent);
  EXPECT_EQ(d.rejection.source, pdu::RejectSource::kServiceUser);
  EXPECT_EQ(d.rejection.reason, pdu::reject_reason::kCallingAeNotRecognized);
  EXPECT_TRUE(d.authentication_failed);
  EXPECT_EQ(audit_.events().back().type, audit::AuditEventType::kAssociationRejected);
}

TEST_F(AssociationGateTest, RefusesTheRightAeTitleFromTheWrongHost) {
  peer_.address = "127.0.0.2";
  auto d = gate_->Decide(Request("CT01"), peer_);
  ASSERT_FALSE(d.accepted);
  EXPECT_EQ(d.rejection.reason, pdu::reject_reason::kCallingAeNotRecognized);
}

TEST_F(AssociationGateTest, RefusesWhenOverCapacityAsTransientLocalLimit) {
  peer_.over_capacity = true;
  auto d = gate_->Decide(Request("CT01"), peer_);
  ASSERT_FALSE(d.accepted);
  EXPECT_EQ(d.rejection.result, pdu::RejectResult::kTransient);
  EXPECT_EQ(d.rejection.source, pdu::RejectSource::kServiceProviderPresentation);
  EXPECT_EQ(d.rejection.reason, pdu::reject_reason::kLocalLimitExceeded);
  EXPECT_FALSE(d.authentication_failed);
}

TEST_F(AssociationGateTest, RequiresAVerifiedIdentityWhenThePeerDemandsOne) {
  auto d = gate_->Decide(Request("WS1"), peer_);
  ASSERT_FALSE(d.accepted);
  EXPECT_TRUE(d.authentication_failed);

  auto rq = Request("WS1");
  rq.user_information.user_identity_rq =
      pdu::UserIdentityRq{pdu::UserIdentityType::kUsername, true, "alice", ""};
  EXPECT_FALSE(gate_->Decide(rq, peer_).accepted) << "a username alone never authenticates";

  rq.user_information.user_identity_rq =
      pdu::UserIdentityRq{pdu::UserIdentityType::kUsernameAndPasscode, true, "alice", "wrong"};
  EXPECT_FALSE(gate_->Decide(rq, peer_).accepted);

  rq.user_information.user_identity_rq->secondary_field = "alice-password-123";
  auto ok = gate_->Decide(rq, peer_);
  ASSERT_TRUE(ok.accepted) << ok.reason;
  EXPECT_EQ(ok.identity.user, "alice");
  EXPECT_TRUE(ok.negotiation.ac.user_information.user_identity_ac.has_value());
}

TEST_F(AssociationGateTest, AUserThroughAPeerGetsOnlyWhatBothMayDo) {
  auto rq = Request("CT01");  // modality: echo + store
  rq.user_information.user_identity_rq = pdu::UserIdentityRq{
      pdu::UserIdentityType::kUsernameAndPasscode, false, "root", "root-password-12345"};
  auto d = gate_->Decide(rq, peer_);
  ASSERT_TRUE(d.accepted) << d.reason;
  EXPECT_EQ(d.permissions,
            (security::PermissionSet{security::Permission::kEcho, security::Permission::kStore}));
  EXPECT_FALSE(d.negotiation.ac.user_information.user_identity_ac.has_value())
      << "no positive response unless requested";
}

TEST_F(AssociationGateTest, AUserThroughAPeerSeesOnlyStudiesInBothScopes) {
  ASSERT_TRUE(peers_->SetScope("WS1", *security::ParseScopeArguments({"label=research"})).ok());
  ASSERT_TRUE(
      users_->SetScope("alice", *security::ParseScopeArguments({"institution=Clinic"})).ok());
  auto peer_only = gate_->Decide(Request("CT01"), peer_);
  ASSERT_TRUE(peer_only.accepted);
  EXPECT_TRUE(peer_only.identity.scope.unrestricted());
  auto rq = Request("WS1");
  rq.user_information.user_identity_rq = pdu::UserIdentityRq{
      pdu::UserIdentityType::kUsernameAndPasscode, false, "alice", "alice-password-123"};
  auto d = gate_->Decide(rq, peer_);
  ASSERT_TRUE(d.accepted) << d.reason;
  EXPECT_EQ(security::DescribeScope(d.identity.scope), "institution=Clinic; label=research");
}

TEST_F(AssociationGateTest, RefusesJwtWhenNoIssuerIsConfigured) {
  auto rq = Request("WS1");
  rq.user_information.user_identity_rq =
      pdu::UserIdentityRq{pdu::UserIdentityType::kJwt, true, "a.b.c", ""};
  auto d = gate_->Decide(rq, peer_);
  ASSERT_FALSE(d.accepted);
  bool audited = false;
  for (const auto& e : audit_.events()) {
    audited = audited || (e.type == audit::AuditEventType::kAuthenticationFailed &&
                          e.description.find("JWT") != std::string::npos);
  }
  EXPECT_TRUE(audited);
}

}  // namespace
}  // namespace bastion::server
