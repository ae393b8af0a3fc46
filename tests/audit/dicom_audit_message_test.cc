// DICOM audit messages (audit/dicom_audit_message.h): the event codes, participants and objects
// of PS3.15 A.5.3, escaping of peer-controlled text, and records read back from the trail.
// Schema validity of every event type is checked with xmllint by the integration tests.
#include "audit/dicom_audit_message.h"

#include <gtest/gtest.h>

namespace bastion::audit {
namespace {

AuditEvent Sent() {
  AuditEvent e;
  e.type = AuditEventType::kInstancesSent;
  e.user = "alice";
  e.peer_ae_title = "WS7";
  e.peer_address = "10.1.2.7:40000";
  e.local_ae_title = "PACS";
  e.description = "C-MOVE to WS7: sent 3 instance(s), 0 failed";
  e.study_instance_uids = {"1.2.3"};
  e.patient_ids = {"PID<1>&\"2\""};
  e.instance_count = 3;
  return e;
}

TEST(DicomAuditMessageTest, ATransferNamesItsEventParticipantsAndObjects) {
  const std::string xml = ToDicomAuditMessage(Sent(), {"PACS", ""});
  EXPECT_NE(xml.find("<EventID csd-code=\"110104\" codeSystemName=\"DCM\" "
                     "originalText=\"DICOM Instances Transferred\"/>"),
            std::string::npos);
  EXPECT_NE(xml.find("EventActionCode=\"R\""), std::string::npos);
  // The requesting user, from the peer's address (without its port), receives the data.
  EXPECT_NE(xml.find("<ActiveParticipant UserID=\"alice\" UserIsRequestor=\"true\" "
                     "NetworkAccessPointID=\"10.1.2.7\" NetworkAccessPointTypeCode=\"2\">"
                     "<RoleIDCode csd-code=\"110152\""),
            std::string::npos);
  EXPECT_NE(xml.find("UserID=\"PACS\" UserIsRequestor=\"false\"><RoleIDCode csd-code=\"110153\""),
            std::string::npos);
  EXPECT_NE(xml.find("ParticipantObjectID=\"1.2.3\" ParticipantObjectTypeCode=\"2\" "
                     "ParticipantObjectTypeCodeRole=\"3\""),
            std::string::npos);
  EXPECT_NE(xml.find("ParticipantObjectID=\"PID&lt;1&gt;&amp;&quot;2&quot;\""), std::string::npos)
      << "peer-controlled text is escaped";
}

TEST(DicomAuditMessageTest, RecordsReadBackFromTheTrailRenderTheSame) {
  const AuditEvent e = Sent();
  auto back = EventFromJsonLine(ToJsonLine(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToDicomAuditMessage(*back, {"PACS", ""}), ToDicomAuditMessage(e, {"PACS", ""}));
  EXPECT_EQ(EventFromJsonLine("{\"event\":\"checkpoint\"}").status().code(),
            StatusCode::kMalformed);
  EXPECT_EQ(EventFromJsonLine("not json").status().code(), StatusCode::kMalformed);
  EXPECT_TRUE(EventFromJsonLine("{\"event\":\"query\",\"outcome\":\"x\",\"studies\":[1]}").ok())
      << "odd field types are ignored, not fatal";
}

TEST(DicomAuditMessageTest, ControlCharactersNeverReachTheXml) {
  AuditEvent e;
  e.type = AuditEventType::kSecurityAlert;
  e.description = std::string("bad\x01\x1f end");
  const std::string xml = ToDicomAuditMessage(e, {"PACS", ""});
  EXPECT_NE(xml.find("bad?? end"), std::string::npos);
}

}  // namespace
}  // namespace bastion::audit
