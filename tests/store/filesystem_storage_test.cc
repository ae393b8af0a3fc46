// FilesystemStorage and BlobId: paths only from server-generated ids, commit is atomic and
// durable, discarded and interrupted writes leave nothing behind.
#include "store/filesystem_storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "store/blob_id.h"
#include "store/sha256.h"

namespace bastion::store {
namespace {

namespace fs = std::filesystem;

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bastion-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    auto opened = FilesystemStorage::Open(root_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    storage_ = std::move(opened).value();
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::vector<std::uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
  std::size_t FilesUnder(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
    return n;
  }

  fs::path root_;
  std::unique_ptr<FilesystemStorage> storage_;
};

TEST(BlobIdTest, GeneratesDistinct32HexDigitIds) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    BlobId id = BlobId::Generate();
    ASSERT_EQ(id.str().size(), 32u);
    ASSERT_TRUE(BlobId::Parse(id.str()).ok());
    seen.insert(id.str());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(BlobIdTest, ParseRejectsAnythingThatCouldNameAnotherPath) {
  for (const char* bad : {"", "../../../../etc/passwd", "0123456789abcdef0123456789abcde/",
                          "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef0",
                          "0123456789abcdef0123456789abcde.", "1.2.840.10008.5.1.4.1.1.2"}) {
    EXPECT_FALSE(BlobId::Parse(bad).ok()) << bad;
  }
}

TEST(Sha256Test, MatchesTheFips180TestVector) {
  Sha256 h;
  const std::string abc = "abc";
  h.Update(std::span(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()));
  EXPECT_EQ(h.FinishHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(StorageTest, CommittedFileHasTheBytesAtAPathMadeOfItsId) {
  auto blob = storage_->Begin();
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE((*blob)->Write(Bytes("hello ")).ok());
  ASSERT_TRUE((*blob)->Write(Bytes("world")).ok());
  const BlobId id = (*blob)->id();
  const std::string temp = (*blob)->temp_path();
  EXPECT_TRUE(fs::exists(temp));
  // Received beside its final name (the rename stays within one directory), under a name that
  // says it is not an instance yet.
  EXPECT_EQ(fs::path(temp).parent_path(), fs::path(storage_->PathOf(id)).parent_path());
  EXPECT_EQ(fs::path(temp).filename(), id.str() + ".part");
  EXPECT_FALSE(fs::exists(storage_->PathOf(id)));  // invisible until committed
  ASSERT_TRUE((*blob)->Commit().ok());
  EXPECT_FALSE(fs::exists(temp));
  const std::string path = storage_->PathOf(id);
  EXPECT_EQ(path, root_.string() + "/" + id.str().substr(0, 2) + "/" + id.str() + ".dcm");
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "hello world");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::others_all, fs::perms::none);
}

TEST_F(StorageTest, LargeWritesBypassTheBufferInOrder) {
  auto blob = storage_->Begin();
  ASSERT_TRUE(blob.ok());
  std::vector<std::uint8_t> big(1 << 20, 0x5A);
  ASSERT_TRUE((*blob)->Write(Bytes("a")).ok());
  ASSERT_TRUE((*blob)->Write(big).ok());
  ASSERT_TRUE((*blob)->Write(Bytes("z")).ok());
  EXPECT_EQ((*blob)->size(), big.size() + 2);
  ASSERT_TRUE((*blob)->Commit().ok());
  std::ifstream in(storage_->PathOf((*blob)->id()), std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  ASSERT_EQ(content.size(), big.size() + 2);
  EXPECT_EQ(content.front(), 'a');
  EXPECT_EQ(content[1], 0x5A);
  EXPECT_EQ(content.back(), 'z');
}

TEST_F(StorageTest, DiscardedAndAbandonedWritesLeaveNothing) {
  {
    auto blob = storage_->Begin();
    ASSERT_TRUE(blob.ok());
    ASSERT_TRUE((*blob)->Write(Bytes("partial")).ok());
    (*blob)->Discard();
  }
  {
    auto blob = storage_->Begin();
    ASSERT_TRUE(blob.ok());
    ASSERT_TRUE((*blob)->Write(Bytes("partial")).ok());
  }  // destroyed without commit
  EXPECT_EQ(FilesUnder(root_), 0u);
}

TEST_F(StorageTest, SweepRemovesTemporaryFilesOfInterruptedTransfers) {
  auto committed = storage_->Begin();
  ASSERT_TRUE(committed.ok());
  ASSERT_TRUE((*committed)->Commit().ok());
  std::ofstream(root_ / "ab" / "ab23456789abcdef0123456789abcdef.part") << "interrupted";
  // Where earlier builds received instances; swept, then removed.
  fs::create_directory(root_ / "tmp");
  std::ofstream(root_ / "tmp" / "0123456789abcdef0123456789abcdef.part") << "interrupted";
  // Not a name the storage gives a temporary file: left for `bastion verify` to report.
  std::ofstream(root_ / "ab" / "evil.part") << "x";
  EXPECT_EQ(storage_->SweepTemporaryFiles(), 2u);
  EXPECT_FALSE(fs::exists(root_ / "tmp"));
  EXPECT_TRUE(fs::exists(root_ / "ab" / "evil.part"));
  EXPECT_TRUE(fs::exists(storage_->PathOf((*committed)->id())));
  EXPECT_EQ(FilesUnder(root_), 2u);
}

TEST_F(StorageTest, ForEachBlobPassesOverTransfersInProgress) {
  auto pending = storage_->Begin();
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE((*pending)->Write(Bytes("arriving")).ok());
  ASSERT_TRUE((*pending)->Contents().ok());
  std::size_t visited = 0, strays = 0;
  ASSERT_TRUE(
      storage_
          ->ForEachBlob([&](const BlobId&) { ++visited; }, [&](const std::string&) { ++strays; })
          .ok());
  EXPECT_EQ(visited, 0u);
  EXPECT_EQ(strays, 0u);
}

TEST_F(StorageTest, ForEachBlobListsCommittedFilesAndReportsStrays) {
  auto blob = storage_->Begin();
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE((*blob)->Commit().ok());
  const BlobId id = (*blob)->id();
  const fs::path dir = fs::path(storage_->PathOf(id)).parent_path();
  std::ofstream(dir / "evil.dcm") << "x";
  std::vector<std::string> ids, strays;
  ASSERT_TRUE(storage_
                  ->ForEachBlob([&](const BlobId& b) { ids.push_back(b.str()); },
                                [&](const std::string& p) { strays.push_back(p); })
                  .ok());
  EXPECT_EQ(ids, std::vector<std::string>{id.str()});
  ASSERT_EQ(strays.size(), 1u);
  EXPECT_NE(strays[0].find("evil.dcm"), std::string::npos);
}

TEST_F(StorageTest, RemoveDeletesOnlyCommittedFiles) {
  auto blob = storage_->Begin();
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE((*blob)->Commit().ok());
  EXPECT_TRUE(storage_->Remove((*blob)->id()).ok());
  EXPECT_EQ(storage_->Remove((*blob)->id()).code(), StatusCode::kNotFound);
}

TEST_F(StorageTest, ReportsDiskSpace) {
  auto space = storage_->Space();
  ASSERT_TRUE(space.ok());
  EXPECT_GT(space->total_bytes, 0u);
  EXPECT_LE(space->free_bytes, space->total_bytes);
}

}  // namespace
}  // namespace bastion::store
