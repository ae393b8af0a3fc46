// Scope: which studies an identity may see, as a rule over study attributes.
//
// A scope is a list of conditions that must all hold; each condition names one study attribute
// and the values it may take (any one of them). No condition: every study. The attributes are
// the ones hospitals partition by: the institution that produced the study, the issuer of the
// patient ID (the patient identity domain), the referring physician, and labels that
// administrators put on studies. Values match exactly (after the trimming DICOM applies).
// When two identities stack (a registered peer and the user it sends), a study must be in
// both scopes: Intersect() concatenates their conditions.
// The rule lives here; the index turns it into its query language (index/sqlite/), so C-FIND,
// C-MOVE, C-GET and DICOMweb apply the very same rule.
// Thread-safety: values and stateless functions.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace bastion::security {

enum class ScopeAttribute : std::uint8_t {
  kInstitution,         // Institution Name (0008,0080) of the study
  kIssuerOfPatientId,   // Issuer of Patient ID (0010,0021)
  kReferringPhysician,  // Referring Physician's Name (0008,0090)
  kLabel,               // a label given with `bastion label add`
};

std::string_view ScopeAttributeName(ScopeAttribute attribute);  // "institution", ...
Result<ScopeAttribute> ParseScopeAttribute(std::string_view name);

struct ScopeCondition {
  ScopeAttribute attribute = ScopeAttribute::kLabel;
  std::vector<std::string> values;  // at least one
};

struct Scope {
  std::vector<ScopeCondition> conditions;  // all must hold; none: unrestricted
  bool unrestricted() const { return conditions.empty(); }
};

// A study must satisfy both.
Scope Intersect(Scope a, const Scope& b);

// From command-line arguments "ATTRIBUTE=VALUE": values of the same attribute are alternatives,
// different attributes must all hold.
Result<Scope> ParseScopeArguments(const std::vector<std::string>& arguments);

// "institution=A|B; label=research", or "all studies".
std::string DescribeScope(const Scope& scope);

// {"institution": ["A", "B"], "label": ["research"]}; an empty object is unrestricted.
nlohmann::json ScopeToJson(const Scope& scope);
Result<Scope> ScopeFromJson(const nlohmann::json& json);

// Label text: 1-64 characters, printable, no backslash (kept out of DICOM multi-values).
Status ValidateLabel(std::string_view label);

}  // namespace bastion::security
