#include "security/token_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/hex.h"
#include "security/jwt.h"
#include "security/user_store.h"

namespace bastion::security {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;
using Digest = std::array<unsigned char, 32>;

constexpr std::string_view kFormat = "bastion-tokens";
constexpr int kVersion = 1;
// base64url of 32 bytes without padding.
constexpr std::size_t kSecretChars = (kTokenSecretBytes * 8 + 5) / 6;
constexpr std::size_t kTokenChars = kTokenPrefix.size() + kTokenIdHexDigits + 1 + kSecretChars;
// Stored times beyond this are damage: the system clock counts nanoseconds in 64 bits and
// overflows in 2262.
constexpr std::int64_t kMaxUnixSeconds = 9'000'000'000;

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

Status ValidateTokenId(std::string_view id) {
  if (id.size() != kTokenIdHexDigits || !IsLowerHex(id)) {
    return Status::Malformed("token ids are " + std::to_string(kTokenIdHexDigits) +
                             " lower-case hex digits");
  }
  return Status::Ok();
}

Status ValidateDescription(std::string_view text) {
  if (text.size() > kMaxTokenDescriptionBytes) {
    return Status::Malformed("token descriptions are at most " +
                             std::to_string(kMaxTokenDescriptionBytes) + " characters");
  }
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7E; })) {
    return Status::Malformed("token descriptions are printable ASCII (no control characters)");
  }
  return Status::Ok();
}

// The id of a string of our token syntax, or nullopt. Checks the whole shape (prefix, id,
// separator, a secret that is exactly 32 bytes of strict base64url) so that nothing else
// reaches the lookup.
std::optional<std::string_view> TokenId(std::string_view token) {
  if (token.size() != kTokenChars || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return std::nullopt;
  }
  std::string_view id = token.substr(kTokenPrefix.size(), kTokenIdHexDigits);
  std::string_view rest = token.substr(kTokenPrefix.size() + kTokenIdHexDigits);
  if (!IsLowerHex(id) || rest.front() != '_') return std::nullopt;
  std::string_view secret = rest.substr(1);
  if (!std::all_of(secret.begin(), secret.end(), IsBase64UrlChar)) return std::nullopt;
  std::optional<std::string> bytes = Base64UrlDecode(secret);
  if (!bytes || bytes->size() != kTokenSecretBytes) return std::nullopt;
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return id;
}

Digest Sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    // Cannot happen with the default provider; a digest of all ones matches no stored hash
    // that SHA-256 produced, so failing closed needs no error path.
    out.fill(0xFF);
  }
  return out;
}

Status RandomBytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    return Status::Internal("the random number generator failed");
  }
  return Status::Ok();
}

std::int64_t UnixSeconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Clock::time_point FromUnixSeconds(std::int64_t s) {
  return Clock::time_point(std::chrono::seconds(s));
}

}  // namespace

std::string_view TokenFailureName(TokenFailure failure) {
  switch (failure) {
    case TokenFailure::kNone:
      return "none";
    case TokenFailure::kMalformed:
      return "malformed token";
    case TokenFailure::kUnknownId:
      return "unknown token id";
    case TokenFailure::kWrongSecret:
      return "wrong token secret";
    case TokenFailure::kRevoked:
      return "token revoked";
    case TokenFailure::kExpired:
      return "token expired";
  }
  return "unknown";
}

Result<std::unique_ptr<TokenStore>> TokenStore::Load(const std::string& path,
                                                     TokenStoreOptions options) {
  std::unique_ptr<TokenStore> store(new TokenStore(path, options));
  BASTION_RETURN_IF_ERROR(store->store_.Load(store->options_.create_if_missing));
  return store;
}

Result<TokenStore::Snapshot> TokenStore::Parse(std::string_view text) const {
  // The file is ours, but it is still input: parse without exceptions and check every type.
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Malformed("not a JSON object");
  auto format = doc.find("format");
  auto version = doc.find("version");
  auto tokens = doc.find("tokens");
  if (format == doc.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    return Status::Malformed("\"format\" is not \"bastion-tokens\"");
  }
  if (version == doc.end() || !version->is_number_integer() || version->get<int>() != kVersion) {
    return Status::Unsupported("unsupported \"version\" (this build reads version 1)");
  }
  if (tokens == doc.end() || !tokens->is_array()) {
    return Status::Malformed("\"tokens\" is not a list");
  }
  if (tokens->size() > options_.max_tokens) {
    return Status::LimitExceeded("more than " + std::to_string(options_.max_tokens) + " tokens");
  }
  Snapshot out;
  for (const Json& t : *tokens) {
    if (!t.is_object()) return Status::Malformed("a token entry is not an object");
    auto id = t.find("id");
    if (id == t.end() || !id->is_string()) return Status::Malformed("a token has no id");
    Stored s;
    s.info.id = id->get<std::string>();
    BASTION_RETURN_IF_ERROR(ValidateTokenId(s.info.id));
    auto context = [&](Status st) { return st.WithContext("token " + s.info.id); };
    auto hash = t.find("sha256");
    if (hash == t.end() || !hash->is_string() ||
        hash->get_ref<const std::string&>().size() != 2 * s.sha256.size() ||
        !IsLowerHex(hash->get_ref<const std::string&>())) {
      return context(Status::Malformed("no usable sha256 (64 lower-case hex digits)"));
    }
    const std::string& hex = hash->get_ref<const std::string&>();
    for (std::size_t i = 0; i < s.sha256.size(); ++i) {
      auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
      s.sha256[i] = static_cast<unsigned char>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
    }
    auto user = t.find("user");
    if (user == t.end() || !user->is_string()) return context(Status::Malformed("no user"));
    s.info.user = user->get<std::string>();
    Status user_ok = ValidateUserName(s.info.user);
    if (!user_ok.ok()) return context(user_ok);
    if (auto d = t.find("description"); d != t.end()) {
      if (!d->is_string()) return context(Status::Malformed("description is not a string"));
      s.info.description = d->get<std::string>();
      Status described = ValidateDescription(s.info.description);
      if (!described.ok()) return context(described);
    }
    auto created = t.find("created_unix");
    auto expires = t.find("expires_unix");
    if (created == t.end() || expires == t.end() || !created->is_number_integer() ||
        !expires->is_number_integer()) {
      return context(Status::Malformed("created_unix and expires_unix must be integers"));
    }
    const auto created_s = created->get<std::int64_t>();
    const auto expires_s = expires->get<std::int64_t>();
    if (created_s < 0 || expires_s <= created_s || expires_s > kMaxUnixSeconds) {
      return context(Status::Malformed("created_unix and expires_unix out of range"));
    }
    s.info.created = FromUnixSeconds(created_s);
    s.info.expires = FromUnixSeconds(expires_s);
    auto revoked = t.find("revoked");
    if (revoked == t.end() || !revoked->is_boolean()) {
      return context(Status::Malformed("no revoked flag"));
    }
    s.info.revoked = revoked->get<bool>();
    std::string key = s.info.id;
    if (!out.emplace(std::move(key), std::move(s)).second) {
      return Status::Malformed("token " + id->get<std::string>() + " appears twice");
    }
  }
  return out;
}

std::string TokenStore::Serialize(const Snapshot& snapshot) {
  Json tokens = Json::array();
  for (const auto& [id, s] : snapshot) {
    tokens.push_back({
        {"id", s.info.id},
        {"sha256", ToHex(s.sha256)},
        {"user", s.info.user},
        {"description", s.info.description},
        {"created_unix", UnixSeconds(s.info.created)},
        {"expires_unix", UnixSeconds(s.info.expires)},
        {"revoked", s.info.revoked},
    });
  }
  Json doc = {
      {"format", std::string(kFormat)}, {"version", kVersion}, {"tokens", std::move(tokens)}};
  return doc.dump(2) + "\n";
}

Result<std::pair<TokenInfo, std::string>> TokenStore::Create(const std::string& user,
                                                             std::chrono::seconds ttl,
                                                             const std::string& description,
                                                             Clock::time_point now) {
  BASTION_RETURN_IF_ERROR(ValidateUserName(user));
  if (ttl < kMinTokenTtl || ttl > kMaxTokenTtl) {
    return Status::Malformed("a token lifetime must be between 1 minute and 2 years (730 days)");
  }
  BASTION_RETURN_IF_ERROR(ValidateDescription(description));
  const std::int64_t created_s = UnixSeconds(now);
  if (created_s < 0 || created_s > kMaxUnixSeconds - ttl.count()) {
    return Status::Malformed("the clock is outside the range tokens can record");
  }
  TokenInfo info;
  info.user = user;
  info.description = description;
  info.created = FromUnixSeconds(created_s);
  info.expires = FromUnixSeconds(created_s + ttl.count());
  std::string token;
  Status written = store_.Modify([&](Snapshot& s) -> Status {
    std::erase_if(s, [&](const auto& entry) {
      return now >= entry.second.info.expires + kExpiredTokenRetention;
    });
    if (s.size() >= options_.max_tokens) {
      return Status::LimitExceeded("the token store holds its maximum of " +
                                   std::to_string(options_.max_tokens) +
                                   " tokens; revoke tokens or remove expired ones");
    }
    // Ids are 48 random bits: a repeat is unlikely but possible, so draw until unused.
    for (int attempt = 0;; ++attempt) {
      if (attempt == 16) return Status::Internal("no unused token id after 16 draws");
      std::array<unsigned char, kTokenIdHexDigits / 2> id_bytes{};
      BASTION_RETURN_IF_ERROR(RandomBytes(id_bytes.data(), id_bytes.size()));
      info.id = ToHex(id_bytes);
      if (s.count(info.id) == 0) break;
    }
    std::array<unsigned char, kTokenSecretBytes> secret{};
    BASTION_RETURN_IF_ERROR(RandomBytes(secret.data(), secret.size()));
    token = std::string(kTokenPrefix) + info.id + "_" +
            Base64UrlEncode(
                std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
    OPENSSL_cleanse(secret.data(), secret.size());
    Stored stored;
    stored.info = info;
    stored.sha256 = Sha256(token);
    s.emplace(info.id, std::move(stored));
    // The file must stay readable by Load(): refuse a change that would outgrow its bound.
    if (Serialize(s).size() > options_.max_file_bytes) {
      return Status::LimitExceeded("the token file would exceed " +
                                   std::to_string(options_.max_file_bytes) + " bytes");
    }
    return Status::Ok();
  });
  if (!written.ok()) {
    OPENSSL_cleanse(token.data(), token.size());
    return written;
  }
  return std::make_pair(std::move(info), std::move(token));
}

Result<TokenInfo> TokenStore::Verify(std::string_view token, Clock::time_point now,
                                     TokenFailure* why) const {
  auto refuse = [&](TokenFailure reason) -> Result<TokenInfo> {
    if (why != nullptr) *why = reason;
    return Status::Unauthenticated(std::string(kBadTokenMessage));
  };
  if (token.size() > kMaxTokenBytes) return refuse(TokenFailure::kMalformed);
  std::optional<std::string_view> id = TokenId(token);
  if (!id) return refuse(TokenFailure::kMalformed);
  // Hash before the lookup, so known and unknown ids cost the same (ids are public anyway).
  const Digest digest = Sha256(token);
  std::shared_ptr<const Snapshot> snap = store_.snapshot();
  auto it = snap->find(*id);
  if (it == snap->end()) return refuse(TokenFailure::kUnknownId);
  const Stored& stored = it->second;
  if (CRYPTO_memcmp(digest.data(), stored.sha256.data(), digest.size()) != 0) {
    return refuse(TokenFailure::kWrongSecret);
  }
  // Only the holder of the secret learns (in the audit trail) that it was revoked or expired.
  if (stored.info.revoked) return refuse(TokenFailure::kRevoked);
  if (now >= stored.info.expires) return refuse(TokenFailure::kExpired);
  if (why != nullptr) *why = TokenFailure::kNone;
  return stored.info;
}

Status TokenStore::Revoke(std::string_view id) {
  BASTION_RETURN_IF_ERROR(ValidateTokenId(id));
  return store_.Modify([&](Snapshot& s) -> Status {
    auto it = s.find(id);
    if (it == s.end()) return Status::NotFound("no token " + std::string(id));
    it->second.info.revoked = true;
    return Status::Ok();
  });
}

Result<std::size_t> TokenStore::RemoveExpired(Clock::time_point now, bool revoked_too) {
  auto unusable = [&](const auto& entry) {
    return now >= entry.second.info.expires || (revoked_too && entry.second.info.revoked);
  };
  {
    std::shared_ptr<const Snapshot> snap = store_.snapshot();
    if (std::none_of(snap->begin(), snap->end(), unusable)) return std::size_t{0};
  }
  std::size_t removed = 0;
  BASTION_RETURN_IF_ERROR(store_.Modify([&](Snapshot& s) -> Status {
    removed = std::erase_if(s, unusable);
    return Status::Ok();
  }));
  return removed;
}

Result<bool> TokenStore::ReloadIfChanged() { return store_.ReloadIfChanged(); }

std::optional<TokenInfo> TokenStore::Find(std::string_view id) const {
  std::shared_ptr<const Snapshot> snap = store_.snapshot();
  auto it = snap->find(id);
  if (it == snap->end()) return std::nullopt;
  return it->second.info;
}

std::vector<TokenInfo> TokenStore::List(std::optional<std::string_view> user) const {
  std::shared_ptr<const Snapshot> snap = store_.snapshot();
  std::vector<TokenInfo> out;
  for (const auto& [id, s] : *snap) {
    if (!user || s.info.user == *user) out.push_back(s.info);
  }
  std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

std::size_t TokenStore::size() const { return store_.snapshot()->size(); }

}  // namespace bastion::security
