#include "net/pdu/pdu_codec.h"

#include <algorithm>
#include <string_view>

#include "base/byte_reader.h"

namespace bastion::net::pdu {
namespace {

constexpr std::size_t kAssociateFixedLength = 68;  // version .. reserved (PS3.8 9.3.2)
constexpr std::size_t kMaxUidLength = 64;

std::string Trim(std::string_view s, bool leading) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  while (leading && !s.empty() && s.front() == ' ') s.remove_prefix(1);
  return std::string(s);
}

std::string AsString(std::span<const std::uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

Status Bad(std::string what) { return Status::Malformed(std::move(what)); }

Result<std::string> ReadUid(std::span<const std::uint8_t> b, const char* what) {
  std::string uid = Trim(AsString(b), false);
  if (uid.size() > kMaxUidLength) {
    return Bad(std::string(what) + " is " + std::to_string(uid.size()) +
               " characters long; UIDs have at most 64 (PS3.5 9.1)");
  }
  return uid;
}

struct Item {
  std::uint8_t type;
  std::span<const std::uint8_t> value;
};

// Items and sub-items: type (1), reserved (1), length (2, big endian), value.
Result<Item> NextItem(ByteReader& r, const char* where) {
  auto type = r.ReadU8();
  auto reserved = r.ReadU8();
  auto length = r.ReadU16();
  if (!type || !reserved || !length) return Bad(std::string("truncated item header in ") + where);
  auto value = r.ReadSpan(*length);
  if (!value) {
    return Bad("item 0x" + std::to_string(*type) + " of length " + std::to_string(*length) +
               " overruns " + where);
  }
  return Item{*type, *value};
}

Status DecodeUserInformation(std::span<const std::uint8_t> body, const PduLimits& limits,
                             UserInformation& out) {
  ByteReader r(body, Endian::kBig);
  bool seen_max = false, seen_class = false, seen_version = false, seen_async = false;
  while (!r.empty()) {
    BASTION_ASSIGN_OR_RETURN(Item item, NextItem(r, "the user information item"));
    ByteReader v(item.value, Endian::kBig);
    switch (item.type) {
      case 0x51: {  // Maximum Length (PS3.8 D.1)
        auto len = v.ReadU32();
        if (!len || !v.empty() || seen_max) return Bad("invalid maximum length sub-item");
        out.max_pdu_length = *len;
        seen_max = true;
        break;
      }
      case 0x52: {
        if (seen_class) return Bad("repeated implementation class UID sub-item");
        BASTION_ASSIGN_OR_RETURN(out.implementation_class_uid,
                                 ReadUid(item.value, "the implementation class UID"));
        seen_class = true;
        break;
      }
      case 0x53: {
        auto invoked = v.ReadU16();
        auto performed = v.ReadU16();
        if (!invoked || !performed || !v.empty() || seen_async) {
          return Bad("invalid asynchronous operations window sub-item");
        }
        out.async_operations = AsyncOperationsWindow{*invoked, *performed};
        seen_async = true;
        break;
      }
      case 0x54: {
        if (out.role_selections.size() >= limits.max_role_selections) {
          return Status::LimitExceeded("more than " + std::to_string(limits.max_role_selections) +
                                       " role selection sub-items");
        }
        auto uid_length = v.ReadU16();
        if (!uid_length) return Bad("truncated role selection sub-item");
        auto uid = v.ReadSpan(*uid_length);
        auto scu = v.ReadU8();
        auto scp = v.ReadU8();
        if (!uid || !scu || !scp || !v.empty()) return Bad("inconsistent role selection lengths");
        RoleSelection role;
        BASTION_ASSIGN_OR_RETURN(role.sop_class_uid, ReadUid(*uid, "a role selection SOP class"));
        role.scu_role = *scu == 1;
        role.scp_role = *scp == 1;
        out.role_selections.push_back(std::move(role));
        break;
      }
      case 0x55: {
        if (seen_version || item.value.size() > 16) {
          return Bad("invalid implementation version name sub-item");
        }
        out.implementation_version_name = Trim(AsString(item.value), true);
        seen_version = true;
        break;
      }
      case 0x56: {
        if (out.extended_negotiations.size() >= limits.max_extended_negotiations) {
          return Status::LimitExceeded("too many extended negotiation sub-items");
        }
        auto uid_length = v.ReadU16();
        if (!uid_length) return Bad("truncated extended negotiation sub-item");
        auto uid = v.ReadSpan(*uid_length);
        if (!uid) return Bad("inconsistent extended negotiation lengths");
        ExtendedNegotiation ext;
        BASTION_ASSIGN_OR_RETURN(ext.sop_class_uid, ReadUid(*uid, "an extended negotiation UID"));
        ext.application_info = AsString(v.data().subspan(v.position()));
        out.extended_negotiations.push_back(std::move(ext));
        break;
      }
      case 0x58: {  // User Identity Negotiation request (PS3.7 D.3.3.7.1)
        if (out.user_identity_rq) return Bad("repeated user identity sub-item");
        auto type = v.ReadU8();
        auto positive = v.ReadU8();
        auto primary_length = v.ReadU16();
        if (!type || !positive || !primary_length) return Bad("truncated user identity sub-item");
        if (*primary_length > limits.max_user_identity_field) {
          return Status::LimitExceeded("user identity primary field of " +
                                       std::to_string(*primary_length) + " bytes");
        }
        auto primary = v.ReadSpan(*primary_length);
        auto secondary_length = v.ReadU16();
        if (!primary || !secondary_length) return Bad("inconsistent user identity lengths");
        if (*secondary_length > limits.max_user_identity_field) {
          return Status::LimitExceeded("user identity secondary field of " +
                                       std::to_string(*secondary_length) + " bytes");
        }
        auto secondary = v.ReadSpan(*secondary_length);
        if (!secondary || !v.empty()) return Bad("inconsistent user identity lengths");
        if (*type < 1 || *type > 5) {
          return Bad("unknown user identity type " + std::to_string(*type));
        }
        UserIdentityRq id;
        id.type = static_cast<UserIdentityType>(*type);
        id.positive_response_requested = *positive == 1;
        id.primary_field = AsString(*primary);
        id.secondary_field = AsString(*secondary);
        out.user_identity_rq = std::move(id);
        break;
      }
      case 0x59: {
        if (out.user_identity_ac) return Bad("repeated user identity response sub-item");
        auto length = v.ReadU16();
        if (!length) return Bad("truncated user identity response");
        auto response = v.ReadSpan(*length);
        if (!response || !v.empty()) return Bad("inconsistent user identity response length");
        out.user_identity_ac = UserIdentityAc{AsString(*response)};
        break;
      }
      default:
        // Unknown sub-items are ignored (PS3.7 D.3.3), their bytes already bounded.
        break;
    }
  }
  return Status::Ok();
}

template <typename Associate>
Status DecodeAssociateFixed(ByteReader& r, Associate& out) {
  auto version = r.ReadU16();
  if (!version || !r.Skip(2)) return Bad("truncated A-ASSOCIATE fixed fields");
  out.protocol_version = *version;
  auto called = r.ReadSpan(16);
  auto calling = r.ReadSpan(16);
  if (!called || !calling || !r.Skip(32)) return Bad("truncated A-ASSOCIATE fixed fields");
  out.called_ae_title = Trim(AsString(*called), true);
  out.calling_ae_title = Trim(AsString(*calling), true);
  return Status::Ok();
}

Result<Pdu> DecodeAssociateRq(std::span<const std::uint8_t> body, const PduLimits& limits) {
  if (body.size() < kAssociateFixedLength) return Bad("A-ASSOCIATE-RQ shorter than 68 bytes");
  ByteReader r(body, Endian::kBig);
  AAssociateRq rq;
  BASTION_RETURN_IF_ERROR(DecodeAssociateFixed(r, rq));
  bool seen_context = false, seen_user = false;
  rq.application_context.clear();
  while (!r.empty()) {
    BASTION_ASSIGN_OR_RETURN(Item item, NextItem(r, "the A-ASSOCIATE-RQ"));
    switch (item.type) {
      case 0x10: {
        if (seen_context) return Bad("repeated application context item");
        BASTION_ASSIGN_OR_RETURN(rq.application_context,
                                 ReadUid(item.value, "the application context name"));
        seen_context = true;
        break;
      }
      case 0x20: {
        if (rq.presentation_contexts.size() >= limits.max_presentation_contexts) {
          return Status::LimitExceeded("more than " +
                                       std::to_string(limits.max_presentation_contexts) +
                                       " presentation contexts");
        }
        ByteReader v(item.value, Endian::kBig);
        auto id = v.ReadU8();
        if (!id || !v.Skip(3)) return Bad("truncated presentation context item");
        PresentationContextRq pc;
        pc.id = *id;
        bool seen_abstract = false;
        while (!v.empty()) {
          BASTION_ASSIGN_OR_RETURN(Item sub, NextItem(v, "a presentation context item"));
          if (sub.type == 0x30) {
            if (seen_abstract) return Bad("repeated abstract syntax sub-item");
            BASTION_ASSIGN_OR_RETURN(pc.abstract_syntax, ReadUid(sub.value, "an abstract syntax"));
            seen_abstract = true;
          } else if (sub.type == 0x40) {
            if (pc.transfer_syntaxes.size() >= limits.max_transfer_syntaxes_per_context) {
              return Status::LimitExceeded(
                  "more than " + std::to_string(limits.max_transfer_syntaxes_per_context) +
                  " transfer syntaxes in one presentation context");
            }
            BASTION_ASSIGN_OR_RETURN(std::string ts, ReadUid(sub.value, "a transfer syntax"));
            pc.transfer_syntaxes.push_back(std::move(ts));
          } else {
            return Bad("unexpected sub-item type " + std::to_string(sub.type) +
                       " in a presentation context");
          }
        }
        if (!seen_abstract || pc.transfer_syntaxes.empty()) {
          return Bad("presentation context " + std::to_string(pc.id) +
                     " lacks an abstract syntax or transfer syntax");
        }
        rq.presentation_contexts.push_back(std::move(pc));
        break;
      }
      case 0x50:
        if (seen_user) return Bad("repeated user information item");
        BASTION_RETURN_IF_ERROR(DecodeUserInformation(item.value, limits, rq.user_information));
        seen_user = true;
        break;
      default:
        return Bad("unexpected item type " + std::to_string(item.type) + " in A-ASSOCIATE-RQ");
    }
  }
  if (!seen_context) return Bad("A-ASSOCIATE-RQ without an application context item");
  if (!seen_user) return Bad("A-ASSOCIATE-RQ without a user information item (PS3.8 9.3.2)");
  return Pdu(std::move(rq));
}

Result<Pdu> DecodeAssociateAc(std::span<const std::uint8_t> body, const PduLimits& limits) {
  if (body.size() < kAssociateFixedLength) return Bad("A-ASSOCIATE-AC shorter than 68 bytes");
  ByteReader r(body, Endian::kBig);
  AAssociateAc ac;
  BASTION_RETURN_IF_ERROR(DecodeAssociateFixed(r, ac));
  bool seen_context = false, seen_user = false;
  while (!r.empty()) {
    BASTION_ASSIGN_OR_RETURN(Item item, NextItem(r, "the A-ASSOCIATE-AC"));
    switch (item.type) {
      case 0x10: {
        if (seen_context) return Bad("repeated application context item");
        BASTION_ASSIGN_OR_RETURN(ac.application_context,
                                 ReadUid(item.value, "the application context name"));
        seen_context = true;
        break;
      }
      case 0x21: {
        if (ac.presentation_contexts.size() >= limits.max_presentation_contexts) {
          return Status::LimitExceeded("too many presentation contexts in A-ASSOCIATE-AC");
        }
        ByteReader v(item.value, Endian::kBig);
        auto id = v.ReadU8();
        auto reserved = v.ReadU8();
        auto result = v.ReadU8();
        if (!id || !reserved || !result || !v.Skip(1)) {
          return Bad("truncated presentation context result item");
        }
        if (*result > 4)
          return Bad("invalid presentation context result " + std::to_string(*result));
        PresentationContextAc pc;
        pc.id = *id;
        pc.result = static_cast<ContextResult>(*result);
        while (!v.empty()) {
          BASTION_ASSIGN_OR_RETURN(Item sub, NextItem(v, "a presentation context result"));
          if (sub.type != 0x40) return Bad("unexpected sub-item in a presentation context result");
          BASTION_ASSIGN_OR_RETURN(pc.transfer_syntax, ReadUid(sub.value, "a transfer syntax"));
        }
        ac.presentation_contexts.push_back(std::move(pc));
        break;
      }
      case 0x50:
        if (seen_user) return Bad("repeated user information item");
        BASTION_RETURN_IF_ERROR(DecodeUserInformation(item.value, limits, ac.user_information));
        seen_user = true;
        break;
      default:
        return Bad("unexpected item type " + std::to_string(item.type) + " in A-ASSOCIATE-AC");
    }
  }
  if (!seen_context) return Bad("A-ASSOCIATE-AC without an application context item");
  return Pdu(std::move(ac));
}

Result<Pdu> DecodePData(std::span<const std::uint8_t> body, const PduLimits& limits) {
  ByteReader r(body, Endian::kBig);
  PDataTf pdata;
  while (!r.empty()) {
    if (pdata.values.size() >= limits.max_pdvs_per_pdu) {
      return Status::LimitExceeded("more than " + std::to_string(limits.max_pdvs_per_pdu) +
                                   " presentation data values in one P-DATA-TF");
    }
    auto length = r.ReadU32();
    if (!length) return Bad("truncated presentation data value item");
    if (*length < 2) return Bad("presentation data value item shorter than its 2-byte header");
    auto value = r.ReadSpan(*length);
    if (!value) {
      return Bad("presentation data value of " + std::to_string(*length) +
                 " bytes overruns the P-DATA-TF");
    }
    PresentationDataValue pdv;
    pdv.context_id = (*value)[0];
    const std::uint8_t control = (*value)[1];
    if (control > 0x03) return Bad("invalid message control header " + std::to_string(control));
    pdv.is_command = (control & 0x01) != 0;
    pdv.is_last = (control & 0x02) != 0;
    pdv.data.assign(value->begin() + 2, value->end());
    pdata.values.push_back(std::move(pdv));
  }
  if (pdata.values.empty()) return Bad("P-DATA-TF without presentation data values");
  return Pdu(std::move(pdata));
}

// ---- encoding ----

class Out {
 public:
  void U8(std::uint8_t v) { b.push_back(v); }
  void U16(std::uint16_t v) { ByteWriter(b, Endian::kBig).WriteU16(v); }
  void U32(std::uint32_t v) { ByteWriter(b, Endian::kBig).WriteU32(v); }
  void Text(std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
  void Zeros(std::size_t n) { b.insert(b.end(), n, 0); }
  void AeTitle(std::string_view ae) {
    std::string padded(ae.substr(0, 16));
    padded.resize(16, ' ');
    Text(padded);
  }
  // Item with a 2-byte length: returns the position to patch.
  std::size_t BeginItem(std::uint8_t type) {
    U8(type);
    U8(0);
    U16(0);
    return b.size();
  }
  void EndItem(std::size_t start) {
    const auto length = static_cast<std::uint16_t>(b.size() - start);
    b[start - 2] = static_cast<std::uint8_t>(length >> 8);
    b[start - 1] = static_cast<std::uint8_t>(length);
  }
  void TextItem(std::uint8_t type, std::string_view text) {
    auto s = BeginItem(type);
    Text(text);
    EndItem(s);
  }
  std::vector<std::uint8_t> b;
};

void EncodeUserInformation(Out& o, const UserInformation& ui) {
  auto start = o.BeginItem(0x50);
  auto max = o.BeginItem(0x51);
  o.U32(ui.max_pdu_length);
  o.EndItem(max);
  o.TextItem(0x52, ui.implementation_class_uid);
  if (ui.async_operations) {
    auto s = o.BeginItem(0x53);
    o.U16(ui.async_operations->max_invoked);
    o.U16(ui.async_operations->max_performed);
    o.EndItem(s);
  }
  for (const RoleSelection& role : ui.role_selections) {
    auto s = o.BeginItem(0x54);
    o.U16(static_cast<std::uint16_t>(role.sop_class_uid.size()));
    o.Text(role.sop_class_uid);
    o.U8(role.scu_role ? 1 : 0);
    o.U8(role.scp_role ? 1 : 0);
    o.EndItem(s);
  }
  if (!ui.implementation_version_name.empty()) o.TextItem(0x55, ui.implementation_version_name);
  for (const ExtendedNegotiation& ext : ui.extended_negotiations) {
    auto s = o.BeginItem(0x56);
    o.U16(static_cast<std::uint16_t>(ext.sop_class_uid.size()));
    o.Text(ext.sop_class_uid);
    o.Text(ext.application_info);
    o.EndItem(s);
  }
  if (ui.user_identity_rq) {
    const UserIdentityRq& id = *ui.user_identity_rq;
    auto s = o.BeginItem(0x58);
    o.U8(static_cast<std::uint8_t>(id.type));
    o.U8(id.positive_response_requested ? 1 : 0);
    o.U16(static_cast<std::uint16_t>(id.primary_field.size()));
    o.Text(id.primary_field);
    o.U16(static_cast<std::uint16_t>(id.secondary_field.size()));
    o.Text(id.secondary_field);
    o.EndItem(s);
  }
  if (ui.user_identity_ac) {
    auto s = o.BeginItem(0x59);
    o.U16(static_cast<std::uint16_t>(ui.user_identity_ac->server_response.size()));
    o.Text(ui.user_identity_ac->server_response);
    o.EndItem(s);
  }
  o.EndItem(start);
}

template <typename Associate>
void EncodeAssociateFixed(Out& o, const Associate& a) {
  o.U16(a.protocol_version);
  o.Zeros(2);
  o.AeTitle(a.called_ae_title);
  o.AeTitle(a.calling_ae_title);
  o.Zeros(32);
  o.TextItem(0x10, a.application_context);
}

std::vector<std::uint8_t> WithHeader(PduType type, std::vector<std::uint8_t> body) {
  std::vector<std::uint8_t> out;
  out.reserve(body.size() + kPduHeaderLength);
  ByteWriter w(out, Endian::kBig);
  w.WriteU8(static_cast<std::uint8_t>(type));
  w.WriteU8(0);
  w.WriteU32(static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace

PduType TypeOf(const Pdu& pdu) {
  return std::visit(
      [](const auto& p) -> PduType {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, AAssociateRq>) return PduType::kAAssociateRq;
        if constexpr (std::is_same_v<T, AAssociateAc>) return PduType::kAAssociateAc;
        if constexpr (std::is_same_v<T, AAssociateRj>) return PduType::kAAssociateRj;
        if constexpr (std::is_same_v<T, PDataTf>) return PduType::kPDataTf;
        if constexpr (std::is_same_v<T, AReleaseRq>) return PduType::kAReleaseRq;
        if constexpr (std::is_same_v<T, AReleaseRp>) return PduType::kAReleaseRp;
        return PduType::kAAbort;
      },
      pdu);
}

Result<PduHeader> DecodePduHeader(std::span<const std::uint8_t> header, const PduLimits& limits) {
  if (header.size() < kPduHeaderLength) return Bad("truncated PDU header");
  const std::uint8_t type = header[0];
  const std::uint32_t length = static_cast<std::uint32_t>(header[2]) << 24 |
                               static_cast<std::uint32_t>(header[3]) << 16 |
                               static_cast<std::uint32_t>(header[4]) << 8 | header[5];
  if (type < 0x01 || type > 0x07) {
    return Status::Unsupported("unrecognized PDU type " + std::to_string(type));
  }
  PduHeader h{static_cast<PduType>(type), length};
  switch (h.type) {
    case PduType::kAAssociateRq:
    case PduType::kAAssociateAc:
      if (length > limits.max_associate_length) {
        return Status::LimitExceeded("A-ASSOCIATE PDU of " + std::to_string(length) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits.max_associate_length));
      }
      if (length < kAssociateFixedLength) {
        return Bad("A-ASSOCIATE PDU length " + std::to_string(length) + " is below 68");
      }
      break;
    case PduType::kPDataTf:
      if (length > limits.max_pdata_length) {
        return Status::LimitExceeded("P-DATA-TF of " + std::to_string(length) +
                                     " bytes exceeds the negotiated maximum of " +
                                     std::to_string(limits.max_pdata_length));
      }
      if (length < 6) return Bad("P-DATA-TF length " + std::to_string(length) + " is below 6");
      break;
    case PduType::kAAssociateRj:
    case PduType::kAReleaseRq:
    case PduType::kAReleaseRp:
    case PduType::kAAbort:
      if (length != 4) {
        return Bad("PDU type " + std::to_string(type) + " must have length 4, not " +
                   std::to_string(length));
      }
      break;
  }
  return h;
}

Result<Pdu> DecodePduBody(const PduHeader& header, std::span<const std::uint8_t> body,
                          const PduLimits& limits) {
  if (body.size() != header.length) return Bad("PDU body length differs from its header");
  switch (header.type) {
    case PduType::kAAssociateRq:
      return DecodeAssociateRq(body, limits);
    case PduType::kAAssociateAc:
      return DecodeAssociateAc(body, limits);
    case PduType::kAAssociateRj: {
      if (body[1] < 1 || body[1] > 2 || body[2] < 1 || body[2] > 3) {
        return Bad("invalid A-ASSOCIATE-RJ result or source");
      }
      return Pdu(AAssociateRj{static_cast<RejectResult>(body[1]),
                              static_cast<RejectSource>(body[2]), body[3]});
    }
    case PduType::kPDataTf:
      return DecodePData(body, limits);
    case PduType::kAReleaseRq:
      return Pdu(AReleaseRq{});
    case PduType::kAReleaseRp:
      return Pdu(AReleaseRp{});
    case PduType::kAAbort: {
      const std::uint8_t source = body[2];
      const std::uint8_t reason = body[3];
      AAbort abort;
      abort.source = source == 2 ? AbortSource::kServiceProvider : AbortSource::kServiceUser;
      abort.reason = (reason <= 6 && reason != 3) ? static_cast<AbortReason>(reason)
                                                  : AbortReason::kNotSpecified;
      return Pdu(abort);
    }
  }
  return Status::Internal("unhandled PDU type");
}

std::vector<std::uint8_t> EncodePdu(const Pdu& pdu) {
  Out o;
  std::visit(
      [&o](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, AAssociateRq>) {
          EncodeAssociateFixed(o, p);
          for (const PresentationContextRq& pc : p.presentation_contexts) {
            auto s = o.BeginItem(0x20);
            o.U8(pc.id);
            o.Zeros(3);
            o.TextItem(0x30, pc.abstract_syntax);
            for (const std::string& ts : pc.transfer_syntaxes) o.TextItem(0x40, ts);
            o.EndItem(s);
          }
          EncodeUserInformation(o, p.user_information);
        } else if constexpr (std::is_same_v<T, AAssociateAc>) {
          EncodeAssociateFixed(o, p);
          for (const PresentationContextAc& pc : p.presentation_contexts) {
            auto s = o.BeginItem(0x21);
            o.U8(pc.id);
            o.U8(0);
            o.U8(static_cast<std::uint8_t>(pc.result));
            o.U8(0);
            o.TextItem(0x40, pc.transfer_syntax);
            o.EndItem(s);
          }
          EncodeUserInformation(o, p.user_information);
        } else if constexpr (std::is_same_v<T, AAssociateRj>) {
          o.U8(0);
          o.U8(static_cast<std::uint8_t>(p.result));
          o.U8(static_cast<std::uint8_t>(p.source));
          o.U8(p.reason);
        } else if constexpr (std::is_same_v<T, PDataTf>) {
          for (const PresentationDataValue& pdv : p.values) {
            o.U32(static_cast<std::uint32_t>(pdv.data.size() + 2));
            o.U8(pdv.context_id);
            o.U8(static_cast<std::uint8_t>((pdv.is_command ? 1 : 0) | (pdv.is_last ? 2 : 0)));
            o.b.insert(o.b.end(), pdv.data.begin(), pdv.data.end());
          }
        } else if constexpr (std::is_same_v<T, AAbort>) {
          o.Zeros(2);
          o.U8(static_cast<std::uint8_t>(p.source));
          o.U8(static_cast<std::uint8_t>(p.reason));
        } else {
          o.Zeros(4);  // A-RELEASE-RQ / RP
        }
      },
      pdu);
  return WithHeader(TypeOf(pdu), std::move(o.b));
}

AbortReason AbortReasonFor(const Status& error) {
  return error.code() == StatusCode::kUnsupported ? AbortReason::kUnrecognizedPdu
                                                  : AbortReason::kInvalidPduParameterValue;
}

void PduFramer::Feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Pdu>> PduFramer::Next() {
  if (failed_) return *failed_;
  if (!header_) {
    if (buffer_.size() < kPduHeaderLength) return std::optional<Pdu>();
    auto header = DecodePduHeader(std::span(buffer_).first(kPduHeaderLength), limits_);
    if (!header.ok()) {
      failed_ = header.status();
      buffer_.clear();
      return *failed_;
    }
    header_ = *header;
  }
  const std::size_t total = kPduHeaderLength + header_->length;
  if (buffer_.size() < total) return std::optional<Pdu>();
  auto pdu = DecodePduBody(*header_, std::span(buffer_).subspan(kPduHeaderLength, header_->length),
                           limits_);
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(total));
  header_.reset();
  if (!pdu.ok()) {
    failed_ = pdu.status();
    buffer_.clear();
    return *failed_;
  }
  return std::optional<Pdu>(std::move(pdu).value());
}

}  // namespace bastion::net::pdu
