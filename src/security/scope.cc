#include "security/scope.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace bastion::security {

namespace {

constexpr std::array<std::pair<ScopeAttribute, std::string_view>, 4> kNames{{
    {ScopeAttribute::kInstitution, "institution"},
    {ScopeAttribute::kIssuerOfPatientId, "issuer"},
    {ScopeAttribute::kReferringPhysician, "referring_physician"},
    {ScopeAttribute::kLabel, "label"},
}};

// The values of index text columns are trimmed of DICOM padding; scope values are too.
std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return "";
  const auto last = text.find_last_not_of(' ');
  return std::string(text.substr(first, last - first + 1));
}

Status ValidateValue(ScopeAttribute attribute, std::string_view value) {
  if (value.empty()) {
    return Status::Malformed("an empty value for scope attribute " +
                             std::string(ScopeAttributeName(attribute)));
  }
  if (attribute == ScopeAttribute::kLabel) return ValidateLabel(value);
  if (value.size() > 256) return Status::Malformed("a scope value is longer than 256 bytes");
  return Status::Ok();
}

void AddValue(Scope& scope, ScopeAttribute attribute, std::string value) {
  for (ScopeCondition& c : scope.conditions) {
    if (c.attribute != attribute) continue;
    if (std::find(c.values.begin(), c.values.end(), value) == c.values.end()) {
      c.values.push_back(std::move(value));
    }
    return;
  }
  scope.conditions.push_back({attribute, {std::move(value)}});
}

}  // namespace

std::string_view ScopeAttributeName(ScopeAttribute attribute) {
  for (const auto& [a, name] : kNames) {
    if (a == attribute) return name;
  }
  return "unknown";
}

Result<ScopeAttribute> ParseScopeAttribute(std::string_view name) {
  for (const auto& [a, n] : kNames) {
    if (n == name) return a;
  }
  return Status::Malformed("unknown scope attribute '" + std::string(name) +
                           "' (known: institution, issuer, referring_physician, label)");
}

Scope Intersect(Scope a, const Scope& b) {
  a.conditions.insert(a.conditions.end(), b.conditions.begin(), b.conditions.end());
  return a;
}

Result<Scope> ParseScopeArguments(const std::vector<std::string>& arguments) {
  Scope scope;
  for (const std::string& argument : arguments) {
    const auto equals = argument.find('=');
    if (equals == std::string::npos) {
      return Status::Malformed("scope '" + argument + "' is not ATTRIBUTE=VALUE");
    }
    BASTION_ASSIGN_OR_RETURN(ScopeAttribute attribute,
                             ParseScopeAttribute(argument.substr(0, equals)));
    std::string value = Trim(std::string_view(argument).substr(equals + 1));
    BASTION_RETURN_IF_ERROR(ValidateValue(attribute, value));
    AddValue(scope, attribute, std::move(value));
  }
  return scope;
}

std::string DescribeScope(const Scope& scope) {
  if (scope.unrestricted()) return "all studies";
  std::string out;
  for (const ScopeCondition& c : scope.conditions) {
    out += (out.empty() ? "" : "; ") + std::string(ScopeAttributeName(c.attribute)) + "=";
    for (std::size_t i = 0; i < c.values.size(); ++i) out += (i == 0 ? "" : "|") + c.values[i];
  }
  return out;
}

nlohmann::json ScopeToJson(const Scope& scope) {
  nlohmann::json out = nlohmann::json::object();
  for (const ScopeCondition& c : scope.conditions) {
    auto& values = out[std::string(ScopeAttributeName(c.attribute))];
    for (const std::string& v : c.values) values.push_back(v);
  }
  return out;
}

Result<Scope> ScopeFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Status::Malformed("a scope must be an object");
  Scope scope;
  for (const auto& [name, values] : json.items()) {
    BASTION_ASSIGN_OR_RETURN(ScopeAttribute attribute, ParseScopeAttribute(name));
    if (!values.is_array() || values.empty()) {
      return Status::Malformed("scope attribute " + name + " needs a non-empty list of values");
    }
    for (const auto& v : values) {
      if (!v.is_string()) return Status::Malformed("scope values must be strings");
      std::string value = Trim(v.get<std::string>());
      BASTION_RETURN_IF_ERROR(ValidateValue(attribute, value));
      AddValue(scope, attribute, std::move(value));
    }
  }
  return scope;
}

Status ValidateLabel(std::string_view label) {
  if (label.empty() || label.size() > 64) {
    return Status::Malformed("a label must have 1 to 64 characters");
  }
  for (char c : label) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '\\') {
      return Status::Malformed("a label may not contain control characters or backslashes");
    }
  }
  return Status::Ok();
}

}  // namespace bastion::security
