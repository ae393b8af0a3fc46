// Held blobs and their direct write: an instance that fits a write buffer is held in memory,
// read back from there, and reaches its file whole whatever its size (whole pages written
// directly, the tail through the page cache); one that outgrows the buffer, or arrives when
// every buffer is leased, is written through the page cache with the same result.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/filesystem_storage.h"
#include "store/write_buffer_pool.h"

namespace bastion::store {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> Pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7 + i / 251);
  return out;
}

class DirectWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bastion-direct-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Open(std::size_t max_bytes, std::size_t buffers, const fs::path& root) {
    StorageOptions options;
    options.direct_write_max_bytes = max_bytes;
    options.direct_write_buffers = buffers;
    auto opened = FilesystemStorage::Open(root.string(), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    storage_ = std::move(opened).value();
  }

  // Writes `bytes` in pieces of `piece`, checks Contents() before the commit, commits, and
  // returns the committed file's bytes.
  std::vector<std::uint8_t> StoreInPieces(const std::vector<std::uint8_t>& bytes,
                                          std::size_t piece) {
    auto blob = storage_->Begin();
    EXPECT_TRUE(blob.ok());
    if (!blob.ok()) return {};
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      const std::size_t n = std::min(piece, bytes.size() - at);
      EXPECT_TRUE((*blob)->Write({bytes.data() + at, n}).ok());
    }
    EXPECT_EQ((*blob)->size(), bytes.size());
    auto contents = (*blob)->Contents();
    EXPECT_TRUE(contents.ok());
    if (contents.ok()) {
      const auto seen = (*contents)->bytes();
      EXPECT_TRUE(std::equal(seen.begin(), seen.end(), bytes.begin(), bytes.end()));
    }
    EXPECT_TRUE((*blob)->Commit().ok());
    std::ifstream in(storage_->PathOf((*blob)->id()), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  fs::path root_;
  std::unique_ptr<FilesystemStorage> storage_;
};

TEST_F(DirectWriteTest, HeldFilesOfEverySizeArriveWhole) {
  Open(1 << 20, 4, root_);
  const std::size_t page = WriteBufferPool::kAlignment;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, page - 1, page, page + 1, 3 * page,
                           5 * page + 123, std::size_t{1} << 20}) {
    SCOPED_TRACE(size);
    const auto bytes = Pattern(size, static_cast<std::uint8_t>(size));
    EXPECT_EQ(StoreInPieces(bytes, 1000), bytes);
  }
}

TEST_F(DirectWriteTest, AFileOutgrowingItsBufferGoesThroughThePageCache) {
  Open(3 * WriteBufferPool::kAlignment, 4, root_);
  // Small pieces first (held), then the one that does not fit, then more after the spill.
  const auto bytes = Pattern(100'000, 3);
  EXPECT_EQ(StoreInPieces(bytes, 5000), bytes);
  // A single write larger than the buffer, into an empty blob.
  const auto big = Pattern(50'000, 9);
  EXPECT_EQ(StoreInPieces(big, big.size()), big);
}

TEST_F(DirectWriteTest, WhenEveryBufferIsLeasedTheNextBlobIsNotHeld) {
  Open(1 << 16, 1, root_);
  auto first = storage_->Begin();
  auto second = storage_->Begin();
  ASSERT_TRUE(first.ok() && second.ok());
  const auto a = Pattern(10'000, 1), b = Pattern(10'000, 2);
  ASSERT_TRUE((*first)->Write(a).ok());
  ASSERT_TRUE((*second)->Write(b).ok());
  // The held one has written nothing to its file yet; the other one is in its file.
  auto second_contents = (*second)->Contents();
  ASSERT_TRUE(second_contents.ok());
  EXPECT_EQ(fs::file_size((*first)->temp_path()), 0u);
  EXPECT_EQ(fs::file_size((*second)->temp_path()), b.size());
  ASSERT_TRUE((*first)->Commit().ok());
  ASSERT_TRUE((*second)->Commit().ok());
  EXPECT_EQ(fs::file_size(storage_->PathOf((*first)->id())), a.size());
  EXPECT_EQ(fs::file_size(storage_->PathOf((*second)->id())), b.size());
  // The committed blob's buffer is back in the pool: the next blob is held again.
  auto third = storage_->Begin();
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE((*third)->Write(a).ok());
  EXPECT_EQ(fs::file_size((*third)->temp_path()), 0u);
}

TEST_F(DirectWriteTest, ContentsOutliveTheBlobThatHeldThem) {
  Open(1 << 16, 1, root_);
  const auto bytes = Pattern(9000, 5);
  std::shared_ptr<const ByteSource> contents;
  {
    auto blob = storage_->Begin();
    ASSERT_TRUE(blob.ok());
    ASSERT_TRUE((*blob)->Write(bytes).ok());
    contents = std::move((*blob)->Contents()).value();
  }  // discarded: the file goes, the bytes read back stay valid
  const auto seen = contents->bytes();
  EXPECT_TRUE(std::equal(seen.begin(), seen.end(), bytes.begin(), bytes.end()));
  // And the lease keeps the buffer from a new blob until they go.
  auto next = storage_->Begin();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE((*next)->Write(bytes).ok());
  ASSERT_TRUE((*next)->Contents().ok());  // flushes what a blob that is not held gathered
  EXPECT_EQ(fs::file_size((*next)->temp_path()), bytes.size());
}

TEST_F(DirectWriteTest, DisabledBuffersWriteEverythingThroughThePageCache) {
  Open(1 << 20, 0, root_);
  auto blob = storage_->Begin();
  ASSERT_TRUE(blob.ok());
  const auto bytes = Pattern(70'000, 4);
  ASSERT_TRUE((*blob)->Write(bytes).ok());
  ASSERT_TRUE((*blob)->Contents().ok());
  EXPECT_EQ(fs::file_size((*blob)->temp_path()), bytes.size());
}

TEST_F(DirectWriteTest, AFileSystemWithoutDirectIoStillGetsTheWholeFile) {
  // tmpfs refuses O_DIRECT before Linux 6.6 (Debian 12's own kernel is 6.1): the held file is
  // then written through the page cache instead. Skipped without a writable /dev/shm.
  const fs::path shm_root = fs::path("/dev/shm") / root_.filename();
  std::error_code ec;
  fs::create_directory(shm_root, ec);
  if (ec) GTEST_SKIP() << "no writable /dev/shm";
  Open(1 << 20, 2, shm_root);
  const auto bytes = Pattern(3 * WriteBufferPool::kAlignment + 17, 8);
  EXPECT_EQ(StoreInPieces(bytes, 4096), bytes);
  fs::remove_all(shm_root);
}

}  // namespace
}  // namespace bastion::store
