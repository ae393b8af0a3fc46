// ArchiveFixture: a real archive (tests/archive/archive_fixture.h) and the DicomWebContext that
// serves it, for tests that drive the DICOMweb services directly.
#pragma once

#include "archive/archive_fixture.h"
#include "web/dicomweb/dicomweb_context.h"

namespace bastion::web::dicomweb::testing {

class ArchiveFixture : public archive::testing::ArchiveFixture {
 protected:
  void SetUp() override {
    archive::testing::ArchiveFixture::SetUp();
    context_.archive = archive_.get();
    context_.audit = &audit_;
    context_.local_ae_title = "BASTION";
  }

  DicomWebContext context_;
};

}  // namespace bastion::web::dicomweb::testing
