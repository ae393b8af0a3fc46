// ArchiveFixture: a real archive (files and a SQLite index in a fresh temporary directory) and
// the DicomWebContext that serves it, for tests that drive the DICOMweb services directly.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "archive/archive.h"
#include "audit/audit_event.h"
#include "index/sqlite/sqlite_index.h"
#include "store/filesystem_storage.h"
#include "web/dicomweb/dicomweb_context.h"

namespace bastion::web::dicomweb::testing {

class ArchiveFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("bastion-dicomweb-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    archive::IngestPolicy policy;
    policy.min_free_disk_bytes = 0;
    storage_ = std::move(store::FilesystemStorage::Open((root_ / "objects").string())).value();
    index_ = std::move(index::SqliteIndex::Open((root_ / "index.sqlite").string())).value();
    archive_ = std::make_unique<archive::Archive>(*storage_, *index_, audit_, policy, "BASTION");
    context_.archive = archive_.get();
    context_.audit = &audit_;
    context_.local_ae_title = "BASTION";
  }
  void TearDown() override {
    archive_.reset();
    index_.reset();
    storage_.reset();
    std::filesystem::remove_all(root_);
  }

  std::filesystem::path root_;
  audit::MemoryAuditSink audit_;
  std::unique_ptr<store::FilesystemStorage> storage_;
  std::unique_ptr<index::SqliteIndex> index_;
  std::unique_ptr<archive::Archive> archive_;
  DicomWebContext context_;
};

}  // namespace bastion::web::dicomweb::testing
