// `bastion token create|list|revoke|prune --dir DIR ...`: bearer tokens for DICOMweb clients that
// cannot run an OAuth2 flow (security/token_store.h). A token speaks for an existing user and
// gets that user's roles and scope at each request. Changes take effect in a running server
// without a restart (it reloads DIR/tokens.json when the file changes). The secret is printed
// once, on stdout, and never reaches the audit trail.

#include <charconv>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "base/utc_time.h"
#include "commands.h"
#include "security/token_store.h"
#include "server/data_dir.h"

namespace bastion::cli {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::system_clock;

constexpr const char* kDefaultTtl = "90d";

// "30m", "12h", "90d", "1y" (a year is 365 days). The store enforces the 1 minute .. 2 years
// bounds; this only reads the number and its unit.
Result<std::chrono::seconds> ParseDuration(const std::string& text) {
  const Status bad = Status::Malformed("--ttl '" + text +
                                       "' is not a duration such as 30m, 12h, 90d or 1y "
                                       "(1 minute to 2 years)");
  if (text.size() < 2 || text.size() > 10) return bad;
  std::uint32_t count = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, count);
  if (ec != std::errc() || ptr != end || count == 0) return bad;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'y':
      unit = 365 * 86400;
      break;
    default:
      return bad;
  }
  // At most 9 digits, so the product fits easily in 64 bits.
  return std::chrono::seconds(static_cast<std::int64_t>(count) * unit);
}

// The store needs the data directory's tokens.json; the first token creates it.
Result<std::unique_ptr<security::TokenStore>> OpenTokens(const server::DataDir& dir) {
  security::TokenStoreOptions options;
  options.create_if_missing = true;
  return security::TokenStore::Load(dir.config.tokens_file(), options);
}

std::string State(const security::TokenInfo& t, Clock::time_point now) {
  if (t.revoked) return "revoked";
  if (now >= t.expires) return "expired";
  return "active";
}

}  // namespace

void RegisterTokenCommand(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Manage bearer tokens for DICOMweb clients");
  token->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>();
  auto ttl = std::make_shared<std::string>(kDefaultTtl);
  auto description = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto id = std::make_shared<std::string>();

  CLI::App* create = token->add_subcommand(
      "create", "Create a token for a user; prints it once, alone on the first line of stdout");
  create->add_option("--dir", *dir, "Data directory")->required();
  create->add_option("USER", *user, "The user the token speaks for (must exist)")->required();
  create->add_option("--ttl", *ttl, "Lifetime: 30m, 12h, 90d, 1y ... (1 minute to 2 years)")
      ->default_str(kDefaultTtl);
  create->add_option("--description", *description, "What the token is for (printable ASCII)");
  create->add_flag("--json", *as_json, "Print {id, user, expires, token} as one JSON object");
  create->callback([=] {
    auto lifetime = ParseDuration(*ttl);
    if (!lifetime.ok()) return ReportFailure("token create", lifetime.status());
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("token create", d.status());
    std::optional<security::User> account = d->users->Find(*user);
    if (!account) {
      return ReportFailure("token create", Status::NotFound("no user " + *user +
                                                            "; add it first with `bastion "
                                                            "user add --dir " +
                                                            *dir + " " + *user + " --role ...`"));
    }
    if (account->disabled) {
      return ReportFailure(
          "token create",
          Status::PermissionDenied("user " + *user + " is disabled; its tokens would not work"));
    }
    auto tokens = OpenTokens(*d);
    if (!tokens.ok()) return ReportFailure("token create", tokens.status());
    auto created = (*tokens)->Create(*user, *lifetime, *description, Clock::now());
    if (!created.ok()) return ReportFailure("token create", created.status());
    const security::TokenInfo& info = created->first;
    const std::string expires = UtcTimestamp(info.expires);
    AuditConfigurationChange(
        *d, "token " + info.id + " for user '" + info.user + "' created, expires " + expires);
    if (*as_json) {
      std::cout << Json{{"id", info.id},
                        {"user", info.user},
                        {"expires", expires},
                        {"token", created->second}}
                       .dump()
                << std::endl;
    } else {
      std::cout << created->second << std::endl;
    }
    std::cerr << "token " << info.id << " for " << info.user << " expires " << expires
              << "; it is shown only once\n";
  });

  CLI::App* list = token->add_subcommand("list", "List tokens (never their secrets)");
  list->add_option("--dir", *dir, "Data directory")->required();
  list->add_option("--user", *user, "Only this user's tokens");
  list->add_flag("--json", *as_json, "Print a JSON array");
  list->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("token list", d.status());
    auto tokens = OpenTokens(*d);
    if (!tokens.ok()) return ReportFailure("token list", tokens.status());
    const Clock::time_point now = Clock::now();
    std::optional<std::string_view> only;
    if (!user->empty()) only = *user;
    Json out = Json::array();
    for (const security::TokenInfo& t : (*tokens)->List(only)) {
      if (*as_json) {
        out.push_back({{"id", t.id},
                       {"user", t.user},
                       {"description", t.description},
                       {"created", UtcTimestamp(t.created)},
                       {"expires", UtcTimestamp(t.expires)},
                       {"revoked", t.revoked},
                       {"state", State(t, now)}});
      } else {
        std::cout << t.id << "\t" << t.user << "\t" << UtcTimestamp(t.created) << "\t"
                  << UtcTimestamp(t.expires) << "\t" << State(t, now)
                  << (t.description.empty() ? "" : "\t" + t.description) << "\n";
      }
    }
    if (*as_json) std::cout << out.dump(2) << "\n";
  });

  CLI::App* revoke = token->add_subcommand("revoke", "Revoke a token by its id");
  revoke->add_option("--dir", *dir, "Data directory")->required();
  revoke->add_option("ID", *id, "Token id (12 hex digits, from `bastion token list`)")->required();
  revoke->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("token revoke", d.status());
    auto tokens = OpenTokens(*d);
    if (!tokens.ok()) return ReportFailure("token revoke", tokens.status());
    Status st = (*tokens)->Revoke(*id);
    if (!st.ok()) return ReportFailure("token revoke", st);
    std::optional<security::TokenInfo> info = (*tokens)->Find(*id);
    const std::string owner = info ? info->user : "?";
    AuditConfigurationChange(*d, "token " + *id + " of user '" + owner + "' revoked");
    std::cout << "token " << *id << " of " << owner << " revoked\n";
  });

  auto revoked_too = std::make_shared<bool>(false);
  CLI::App* prune = token->add_subcommand(
      "prune", "Remove expired tokens now (create also drops those expired over 30 days ago)");
  prune->add_option("--dir", *dir, "Data directory")->required();
  prune->add_flag("--revoked", *revoked_too, "Remove revoked tokens as well");
  prune->callback([=] {
    auto d = server::OpenDataDir(*dir);
    if (!d.ok()) return ReportFailure("token prune", d.status());
    auto tokens = OpenTokens(*d);
    if (!tokens.ok()) return ReportFailure("token prune", tokens.status());
    auto removed = (*tokens)->RemoveExpired(Clock::now(), *revoked_too);
    if (!removed.ok()) return ReportFailure("token prune", removed.status());
    if (*removed > 0) {
      AuditConfigurationChange(*d, std::to_string(*removed) + " expired" +
                                       (*revoked_too ? " or revoked" : "") + " tokens removed");
    }
    std::cout << *removed << " token(s) removed, " << (*tokens)->size() << " left\n";
  });
}

}  // namespace bastion::cli
