// `bastion audit verify|query --dir DIR`: the local audit trail (audit/chained_log.h). Reading
// it is itself recorded (Audit Log Used) and is for the account that owns the data directory,
// the local holder of the `audit` permission.
#include <iostream>
#include <nlohmann/json.hpp>

#include "audit/chained_log.h"
#include "audit/dicom_audit_message.h"
#include "commands.h"
#include "server/data_dir.h"

namespace bastion::cli {

namespace {

using Json = nlohmann::json;

void RecordUse(server::DataDir& dir, const std::string& what, audit::AuditOutcome outcome) {
  dir.audit->Emit(LocalEvent(dir, audit::AuditEventType::kAuditLogUsed, what, outcome));
}

struct Filter {
  std::string since, until, user, peer, patient, study, type;

  bool Contains(const Json& record, const char* key, const std::string& value) const {
    const auto it = record.find(key);
    if (it == record.end() || !it->is_array()) return false;
    for (const Json& v : *it) {
      if (v.is_string() && v.get<std::string>() == value) return true;
    }
    return false;
  }
  bool Matches(const Json& r) const {
    const std::string time = r.value("time", "");
    if (!since.empty() && time < since) return false;
    if (!until.empty() && time > until) return false;
    if (!user.empty() && r.value("user", "") != user) return false;
    if (!peer.empty() && r.value("peer_ae", "") != peer) return false;
    if (!type.empty() && r.value("event", "") != type) return false;
    if (!study.empty() && !Contains(r, "studies", study)) return false;
    if (!patient.empty() && !Contains(r, "patients", patient)) return false;
    return true;
  }
  std::string Describe() const {
    std::string out;
    auto add = [&out](const char* name, const std::string& v) {
      if (!v.empty()) out += std::string(out.empty() ? "" : ", ") + name + "=" + v;
    };
    add("since", since);
    add("until", until);
    add("user", user);
    add("peer", peer);
    add("patient", patient);
    add("study", study);
    add("event", type);
    return out.empty() ? "all records" : out;
  }
};

// A table cell: `text` cut to `width` - 1 characters and padded, so columns never run together.
std::string Cell(const std::string& text, std::size_t width) {
  std::string out = text.size() >= width ? text.substr(0, width - 2) + "~" : text;
  out.resize(width, ' ');
  return out;
}

// "2026-12-01" or "2026-12-01T10:00" as a bound on the log's "2026-12-01T10:00:00Z" times.
std::string Bound(const std::string& text, bool upper) {
  if (text.empty()) return text;
  return upper ? text + "\xFF" : text;
}

}  // namespace

void RegisterAuditCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("audit", "Check and search the local audit trail");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>();

  CLI::App* verify = cmd->add_subcommand(
      "verify", "Check that no record was changed, removed, reordered or cut off");
  verify->add_option("--dir", *dir, "Data directory")->required();
  verify->callback([dir] {
    auto d = server::OpenDataDir(server::AbsoluteDir(*dir));
    if (!d.ok()) return ReportFailure("audit verify", d.status());
    auto report = audit::VerifyAuditLog(d->config.audit_log_file(), d->config.audit_head_file(),
                                        d->config.tls.certificate_file);
    if (!report.ok()) return ReportFailure("audit verify", report.status());
    if (report->ok) {
      std::cout << "audit log intact: " << report->records << " records, " << report->checkpoints
                << " signed checkpoints (last at record " << report->last_checkpoint_seq << ")\n";
      RecordUse(*d, "audit log verified: intact", audit::AuditOutcome::kSuccess);
      return;
    }
    std::cout << "audit log TAMPERED: " << report->problem << "\n";
    RecordUse(*d, "audit log verified: " + report->problem, audit::AuditOutcome::kSeriousFailure);
    d->audit->Emit(LocalEvent(*d, audit::AuditEventType::kSecurityAlert,
                              "audit log integrity check failed: " + report->problem,
                              audit::AuditOutcome::kSeriousFailure));
    ExitCode() = 1;
  });

  auto filter = std::make_shared<Filter>();
  auto json = std::make_shared<bool>(false);
  auto dicom = std::make_shared<bool>(false);
  CLI::App* query = cmd->add_subcommand("query", "List audit records, filtered");
  query->add_option("--dir", *dir, "Data directory")->required();
  query->add_option("--since", filter->since,
                    "From this UTC time on (2026-12-01 or 2026-12-01T08:00)");
  query->add_option("--until", filter->until, "Up to this UTC time");
  query->add_option("--user", filter->user, "Only this user");
  query->add_option("--peer", filter->peer, "Only this peer AE title");
  query->add_option("--patient", filter->patient, "Only records concerning this patient ID");
  query->add_option("--study", filter->study, "Only records concerning this Study Instance UID");
  query->add_option("--event", filter->type,
                    "Only this event type (e.g. query, instances-sent, security-alert)");
  query->add_flag("--json", *json, "One JSON object per line, as stored");
  query->add_flag("--dicom", *dicom,
                  "One DICOM audit message (PS3.15 A.5, XML) per line, as a collector receives it");
  query->callback([dir, filter, json, dicom] {
    auto d = server::OpenDataDir(server::AbsoluteDir(*dir));
    if (!d.ok()) return ReportFailure("audit query", d.status());
    Filter f = *filter;
    f.since = Bound(f.since, false);
    f.until = Bound(f.until, true);
    std::size_t shown = 0;
    const audit::AuditSource source{d->config.dicom.ae_title, ""};
    if (!*json && !*dicom) {
      std::cout << Cell("TIME", 22) << Cell("EVENT", 26) << Cell("OUTCOME", 8) << Cell("USER", 30)
                << Cell("PEER", 18) << "DESCRIPTION\n";
    }
    Status read = audit::ReadAuditLog(d->config.audit_log_file(), [&](const std::string& line) {
      const Json r = Json::parse(line, nullptr, false);
      if (!r.is_object() || r.value("event", "") == "checkpoint" || !f.Matches(r)) return true;
      ++shown;
      if (*json) {
        std::cout << line << "\n";
      } else if (*dicom) {
        auto event = audit::EventFromJsonLine(line);
        if (event.ok()) std::cout << audit::ToDicomAuditMessage(*event, source) << "\n";
      } else {
        std::cout << Cell(r.value("time", ""), 22) << Cell(r.value("event", ""), 26)
                  << Cell(std::to_string(r.value("outcome", 0)), 8)
                  << Cell(r.value("user", "-"), 30) << Cell(r.value("peer_ae", "-"), 18)
                  << r.value("description", "") << "\n";
      }
      return true;
    });
    if (!read.ok()) return ReportFailure("audit query", read);
    std::cerr << shown << " record" << (shown == 1 ? "" : "s") << "\n";
    RecordUse(*d,
              "audit log searched (" + filter->Describe() + "): " + std::to_string(shown) +
                  " record(s) shown",
              audit::AuditOutcome::kSuccess);
  });
}

}  // namespace bastion::cli
