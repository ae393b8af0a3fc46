// ArchiveFixture: a real archive (instance files and a SQLite index in a fresh temporary
// directory, a memory audit sink) for tests that drive the archive, or the services on top of
// it, directly. policy_ may be changed, then Reopen() applies it (the files and index stay).
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

namespace bastion::archive::testing {

class ArchiveFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            ("bastion-archive-" + std::to_string(::getpid()) + "-" + test->test_suite_name() + "-" +
             test->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    policy_.min_free_disk_bytes = 0;  // a test machine's disk may be fuller than the default
    Reopen();
  }
  void TearDown() override {
    archive_.reset();
    index_.reset();
    storage_.reset();
    std::filesystem::remove_all(root_);
  }
  void Reopen() {
    archive_.reset();
    index_.reset();
    storage_ = std::move(store::FilesystemStorage::Open((root_ / "objects").string())).value();
    index_ = std::move(index::SqliteIndex::Open((root_ / "index.sqlite").string())).value();
    archive_ = std::make_unique<Archive>(*storage_, *index_, audit_, policy_, "BASTION");
  }

  std::filesystem::path root_;
  IngestPolicy policy_;
  audit::MemoryAuditSink audit_;
  std::unique_ptr<store::FilesystemStorage> storage_;
  std::unique_ptr<index::SqliteIndex> index_;
  std::unique_ptr<Archive> archive_;
};

}  // namespace bastion::archive::testing
