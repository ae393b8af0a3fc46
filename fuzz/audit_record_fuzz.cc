// libFuzzer target: an audit trail as an attacker may leave it (issue 7), read back by
// VerifyAuditLog (every record's seal, chain, sequence and checkpoint signature) and, line by
// line, by EventFromJsonLine and ToDicomAuditMessage (bastion audit query --dicom, the syslog
// export).
//
// Invariants checked (a violation aborts): a trail the fuzzer made up never verifies as intact
// with a checkpoint (it cannot sign one); every rendered message is one <AuditMessage> element
// with no control character in it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "audit/chained_log.h"
#include "audit/dicom_audit_message.h"
#include "security/local_ca.h"

namespace {

struct Files {
  std::string log, head, certificate;
  Files() {
    const std::string base = "/tmp/bastion-audit-fuzz-" + std::to_string(::getpid());
    log = base + ".log";
    head = base + ".head";
    certificate = base + ".pem";
    auto ca = bastion::security::CreateCertificateAuthority("audit fuzz", 1);
    if (!ca.ok()) std::abort();
    std::ofstream(certificate) << ca->certificate_pem;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bastion;
  static const Files files;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::ofstream(files.log, std::ios::binary | std::ios::trunc) << text;
  auto report = audit::VerifyAuditLog(files.log, files.head, files.certificate);
  if (report.ok() && report->ok && report->checkpoints > 0) std::abort();

  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto event = audit::EventFromJsonLine(text.substr(start, end - start));
    if (event.ok()) {
      const std::string xml = audit::ToDicomAuditMessage(*event, {"FUZZ", ""});
      if (xml.rfind("<AuditMessage>", 0) != 0 || xml.size() < 15 ||
          xml.compare(xml.size() - 15, 15, "</AuditMessage>") != 0) {
        std::abort();
      }
      for (char c : xml) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') std::abort();
      }
    }
    start = end + 1;
  }
  return 0;
}
