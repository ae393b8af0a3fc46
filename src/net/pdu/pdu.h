// Upper-layer PDUs of PS3.8 section 9.3 and the user information sub-items of PS3.7 Annex D.3.3.
//
// Pure values; pdu_codec.h turns them into bytes and back. Names follow the standard:
// AAssociateRq is A-ASSOCIATE-RQ (9.3.2), PDataTf is P-DATA-TF (9.3.5), and so on.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bastion::net::pdu {

enum class PduType : std::uint8_t {
  kAAssociateRq = 0x01,
  kAAssociateAc = 0x02,
  kAAssociateRj = 0x03,
  kPDataTf = 0x04,
  kAReleaseRq = 0x05,
  kAReleaseRp = 0x06,
  kAAbort = 0x07,
};

inline constexpr std::string_view kDicomApplicationContext = "1.2.840.10008.3.1.1.1";

// Presentation context item of an A-ASSOCIATE-RQ (9.3.2.2).
struct PresentationContextRq {
  std::uint8_t id = 0;  // odd, 1..255
  std::string abstract_syntax;
  std::vector<std::string> transfer_syntaxes;
};

// Result/reason of a presentation context in an A-ASSOCIATE-AC (9.3.3.2, Table 9-18).
enum class ContextResult : std::uint8_t {
  kAcceptance = 0,
  kUserRejection = 1,
  kNoReason = 2,
  kAbstractSyntaxNotSupported = 3,
  kTransferSyntaxesNotSupported = 4,
};

struct PresentationContextAc {
  std::uint8_t id = 0;
  ContextResult result = ContextResult::kAcceptance;
  std::string transfer_syntax;  // meaningful only on acceptance
};

// SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4).
struct RoleSelection {
  std::string sop_class_uid;
  bool scu_role = false;
  bool scp_role = false;
};

// Asynchronous Operations Window sub-item (PS3.7 D.3.3.3).
struct AsyncOperationsWindow {
  std::uint16_t max_invoked = 1;
  std::uint16_t max_performed = 1;
};

// User Identity Negotiation (PS3.7 D.3.3.7): request sub-item 58H.
enum class UserIdentityType : std::uint8_t {
  kUsername = 1,
  kUsernameAndPasscode = 2,
  kKerberos = 3,
  kSaml = 4,
  kJwt = 5,
};

struct UserIdentityRq {
  UserIdentityType type = UserIdentityType::kUsername;
  bool positive_response_requested = false;
  std::string primary_field;    // username, Kerberos ticket, SAML assertion or JWT
  std::string secondary_field;  // passcode, only for type 2
};

// User Identity Negotiation response sub-item 59H.
struct UserIdentityAc {
  std::string server_response;  // empty for types 1 and 2
};

// SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5), kept opaque.
struct ExtendedNegotiation {
  std::string sop_class_uid;
  std::string application_info;
};

// User Information item (9.3.2.3, PS3.7 D.3.3).
struct UserInformation {
  std::uint32_t max_pdu_length = 0;  // 0 means no limit (PS3.8 D.1)
  std::string implementation_class_uid;
  std::string implementation_version_name;
  std::optional<AsyncOperationsWindow> async_operations;
  std::vector<RoleSelection> role_selections;
  std::vector<ExtendedNegotiation> extended_negotiations;
  std::optional<UserIdentityRq> user_identity_rq;
  std::optional<UserIdentityAc> user_identity_ac;
};

struct AAssociateRq {
  std::uint16_t protocol_version = 1;
  std::string called_ae_title;  // as received, trailing spaces removed
  std::string calling_ae_title;
  std::string application_context = std::string(kDicomApplicationContext);
  std::vector<PresentationContextRq> presentation_contexts;
  UserInformation user_information;
};

struct AAssociateAc {
  std::uint16_t protocol_version = 1;
  std::string called_ae_title;  // echoed from the request (not tested by the requestor)
  std::string calling_ae_title;
  std::string application_context = std::string(kDicomApplicationContext);
  std::vector<PresentationContextAc> presentation_contexts;
  UserInformation user_information;
};

// A-ASSOCIATE-RJ (9.3.4, Table 9-21).
enum class RejectResult : std::uint8_t { kPermanent = 1, kTransient = 2 };
enum class RejectSource : std::uint8_t {
  kServiceUser = 1,
  kServiceProviderAcse = 2,
  kServiceProviderPresentation = 3,
};
// Reasons, meaning depends on the source.
namespace reject_reason {
// source 1 (service user)
inline constexpr std::uint8_t kNoReasonGiven = 1;
inline constexpr std::uint8_t kApplicationContextNotSupported = 2;
inline constexpr std::uint8_t kCallingAeNotRecognized = 3;
inline constexpr std::uint8_t kCalledAeNotRecognized = 7;
// source 2 (ACSE)
inline constexpr std::uint8_t kAcseNoReasonGiven = 1;
inline constexpr std::uint8_t kProtocolVersionNotSupported = 2;
// source 3 (presentation)
inline constexpr std::uint8_t kTemporaryCongestion = 1;
inline constexpr std::uint8_t kLocalLimitExceeded = 2;
}  // namespace reject_reason

struct AAssociateRj {
  RejectResult result = RejectResult::kPermanent;
  RejectSource source = RejectSource::kServiceUser;
  std::uint8_t reason = reject_reason::kNoReasonGiven;
};

// One presentation data value item (9.3.5.1) with its message control header.
struct PresentationDataValue {
  std::uint8_t context_id = 0;
  bool is_command = false;  // bit 0 of the message control header
  bool is_last = false;     // bit 1
  std::vector<std::uint8_t> data;
};

struct PDataTf {
  std::vector<PresentationDataValue> values;
};

struct AReleaseRq {};
struct AReleaseRp {};

// A-ABORT (9.3.8, Table 9-26).
enum class AbortSource : std::uint8_t { kServiceUser = 0, kServiceProvider = 2 };
enum class AbortReason : std::uint8_t {
  kNotSpecified = 0,
  kUnrecognizedPdu = 1,
  kUnexpectedPdu = 2,
  kUnrecognizedPduParameter = 4,
  kUnexpectedPduParameter = 5,
  kInvalidPduParameterValue = 6,
};

struct AAbort {
  AbortSource source = AbortSource::kServiceUser;
  AbortReason reason = AbortReason::kNotSpecified;
};

using Pdu =
    std::variant<AAssociateRq, AAssociateAc, AAssociateRj, PDataTf, AReleaseRq, AReleaseRp, AAbort>;

PduType TypeOf(const Pdu& pdu);

}  // namespace bastion::net::pdu
