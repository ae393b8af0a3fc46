// OpenArchiveService: the temporary files of an unclean stop are swept once no other process
// uses the archive, and only then; a clean start does not look for them.
#include "server/archive_service.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "audit/audit_event.h"

namespace bastion::server {
namespace {

namespace fs = std::filesystem;

class ArchiveServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bastion-archive-service-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "index");
    config_.storage.objects_dir = (dir_ / "objects").string();
    config_.storage.index_file = (dir_ / "index" / "index.sqlite").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<ArchiveService> Open() {
    auto service = OpenArchiveService(config_, audit_);
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    return service.ok() ? std::move(service).value() : nullptr;
  }
  // What an interrupted transfer leaves: its temporary file in a fan-out directory.
  fs::path LeaveTemporaryFile() {
    const fs::path part = dir_ / "objects" / "ab" / "ab23456789abcdef0123456789abcdef.part";
    std::ofstream(part) << "interrupted";
    return part;
  }
  // The marker of a process that is gone: a pid that was just reaped.
  void LeaveStaleMarker() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    std::ofstream(dir_ / "index" / ("running." + std::to_string(child)));
  }
  // The marker of another process that is running: our parent (the test runner's shell).
  void LeaveLiveMarker() {
    std::ofstream(dir_ / "index" / ("running." + std::to_string(::getppid())));
  }

  fs::path dir_;
  Config config_;
  audit::MemoryAuditSink audit_;
};

TEST_F(ArchiveServiceTest, ACleanStartLeavesTransfersInProgressAlone) {
  Open().reset();  // creates the fan-out directories
  const fs::path part = LeaveTemporaryFile();
  auto service = Open();
  ASSERT_TRUE(service);
  EXPECT_TRUE(fs::exists(part));
  EXPECT_FALSE(service->reconciliation.has_value());
}

TEST_F(ArchiveServiceTest, AnUncleanStopsTemporaryFilesAreSweptWhenAlone) {
  Open().reset();
  const fs::path part = LeaveTemporaryFile();
  LeaveStaleMarker();
  auto service = Open();
  ASSERT_TRUE(service);
  EXPECT_FALSE(fs::exists(part));
  EXPECT_TRUE(service->reconciliation.has_value());
  EXPECT_FALSE(fs::exists(dir_ / "index" / "unswept"));
}

TEST_F(ArchiveServiceTest, TheSweepWaitsUntilNoOtherProcessUsesTheArchive) {
  Open().reset();
  const fs::path part = LeaveTemporaryFile();
  LeaveStaleMarker();
  LeaveLiveMarker();
  Open().reset();  // another process is running: its transfers may be in progress
  EXPECT_TRUE(fs::exists(part));
  EXPECT_TRUE(fs::exists(dir_ / "index" / "unswept"));
  fs::remove(dir_ / "index" / ("running." + std::to_string(::getppid())));  // it stops cleanly
  Open().reset();  // alone, and the sweep is owed
  EXPECT_FALSE(fs::exists(part));
  EXPECT_FALSE(fs::exists(dir_ / "index" / "unswept"));
}

}  // namespace
}  // namespace bastion::server
