// Archive ingest, duplicates, quotas, hostile data sets, deletion, reconciliation and
// verification, against real storage and a real SQLite index in a temporary directory.
#include "archive/archive.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "archive/archive_fixture.h"
#include "archive/test_instances.h"
#include "base/mapped_file.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"
#include "index/sqlite/sqlite_index.h"
#include "store/blob_id.h"

namespace bastion::archive {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using dicom::Tag;
using dicom::Vr;

using testing::Append;
using testing::Encode;
using testing::Explicit;
using testing::Instance;
using testing::kCtImage;
using testing::kExplicitLe;

class ArchiveTest : public testing::ArchiveFixture {
 protected:
  IncomingInstance Announce(const std::string& sop, const std::string& ts = kExplicitLe) {
    IncomingInstance in;
    in.sop_class_uid = kCtImage;
    in.sop_instance_uid = sop;
    in.transfer_syntax_uid = ts;
    in.source_ae_title = "MODALITY";
    in.source_user = "tech";
    return in;
  }

  Result<IngestResult> Store(const std::string& sop, const Bytes& data,
                             const std::string& ts = kExplicitLe) {
    BASTION_ASSIGN_OR_RETURN(auto ingest, archive_->Begin(Announce(sop, ts)));
    // In PDV-sized pieces, as C-STORE delivers them.
    for (std::size_t at = 0; at < data.size(); at += 16000) {
      const std::size_t n = std::min<std::size_t>(16000, data.size() - at);
      BASTION_RETURN_IF_ERROR(ingest->Write(std::span(data).subspan(at, n)));
    }
    return ingest->Finish();
  }

  std::size_t FilesOnDisk() {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(root_ / "objects")) {
      n += e.is_regular_file() ? 1 : 0;
    }
    return n;
  }
  std::string PathOf(const std::string& sop) {
    auto found = index_->FindInstance(sop);
    return storage_->PathOf(*store::BlobId::Parse((*found)->storage.blob_id));
  }
  static Bytes ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), {});
  }
  // Checks a refused instance left the archive as it was.
  void ExpectNothingStored() {
    EXPECT_EQ(FilesOnDisk(), 0u);
    EXPECT_EQ(index_->Counts()->instances, 0u);
  }
};

TEST_F(ArchiveTest, StoresTheDataSetAsReceivedBehindAZeroPreamble) {
  const Bytes data = Encode(Instance("1.2.826.0.1.1.1.1"));
  auto result = Store("1.2.826.0.1.1.1.1", data);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->outcome, index::AddOutcome::kAdded);
  const Bytes file = ReadFile(PathOf("1.2.826.0.1.1.1.1"));
  ASSERT_GT(file.size(), data.size() + 132);
  EXPECT_TRUE(std::all_of(file.begin(), file.begin() + 128, [](auto b) { return b == 0; }));
  EXPECT_EQ(std::string(file.begin() + 128, file.begin() + 132), "DICM");
  EXPECT_TRUE(std::equal(data.begin(), data.end(), file.end() - static_cast<long>(data.size())));
  auto mapped = MappedFile::Open(PathOf("1.2.826.0.1.1.1.1"));
  ASSERT_TRUE(mapped.ok());
  auto reread = dicom::ReadPart10(*mapped, {});
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(Encode(reread->dataset), data);
  EXPECT_EQ(reread->meta.GetString(dicom::tags::kTransferSyntaxUid), kExplicitLe);
  const auto counts = index_->Counts();
  EXPECT_EQ(counts->instances, 1u);
  EXPECT_EQ(counts->studies, 1u);
  EXPECT_EQ(counts->bytes, file.size());
  for (const auto& e : fs::recursive_directory_iterator(root_ / "objects")) {
    EXPECT_NE(e.path().extension(), ".part") << "temporary file left: " << e.path();
  }
}

TEST_F(ArchiveTest, IdenticalResendIsAcknowledgedAndStoresNothingNew) {
  const Bytes data = Encode(Instance("1.2.826.0.1.1.1.1"));
  ASSERT_TRUE(Store("1.2.826.0.1.1.1.1", data).ok());
  auto again = Store("1.2.826.0.1.1.1.1", data);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, index::AddOutcome::kIdentical);
  EXPECT_EQ(FilesOnDisk(), 1u);
  EXPECT_EQ(index_->Counts()->instances, 1u);
}

TEST_F(ArchiveTest, SameUidWithDifferentPixelsIsRefusedTheOriginalKeptAndAlerted) {
  ASSERT_TRUE(Store("1.2.826.0.1.1.1.1", Encode(Instance("1.2.826.0.1.1.1.1", 1))).ok());
  const std::string path = PathOf("1.2.826.0.1.1.1.1");
  const Bytes before = ReadFile(path);
  auto forged = Store("1.2.826.0.1.1.1.1", Encode(Instance("1.2.826.0.1.1.1.1", 2)));
  EXPECT_EQ(forged.status().code(), StatusCode::kConflict);
  EXPECT_EQ(ReadFile(path), before);
  EXPECT_EQ(FilesOnDisk(), 1u);
  const auto events = audit_.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, audit::AuditEventType::kSecurityAlert);
  EXPECT_NE(events.back().description.find("different content"), std::string::npos);
  EXPECT_EQ(events.back().peer_ae_title, "MODALITY");
}

TEST_F(ArchiveTest, RefusesAnnouncedUidsThatAreNotUids) {
  for (const std::string& bad : {std::string("../../etc/passwd"), std::string(65, '1'),
                                 std::string("1.2.3/../4"), std::string("")}) {
    auto begun = archive_->Begin(Announce(bad));
    EXPECT_EQ(begun.status().code(), StatusCode::kMalformed) << bad;
  }
  ExpectNothingStored();
}

TEST_F(ArchiveTest, RefusesADataSetWhoseUidsAreNotUids) {
  auto result = Store("1.2.3.4", Encode(Instance("1.2.3.4", 1, "1.2.3/../../x")));
  EXPECT_EQ(result.status().code(), StatusCode::kMalformed);
  EXPECT_NE(result.status().message().find("Study Instance UID"), std::string::npos);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, RefusesADataSetThatDiffersFromTheAnnouncement) {
  auto result = Store("1.2.3.5", Encode(Instance("1.2.3.4")));
  EXPECT_EQ(result.status().code(), StatusCode::kMalformed);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, RefusesAnElementLongerThanTheDataSet) {
  const Bytes data =
      Append(Encode(Instance("1.2.3.4")), Explicit().Header(0x7FE1, 0x0010, "OB", 0xFFFFFFF0));
  auto result = Store("1.2.3.4", data);
  EXPECT_EQ(result.status().code(), StatusCode::kMalformed);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, RefusesATruncatedDataSet) {
  Bytes data = Encode(Instance("1.2.3.4"));
  data.resize(data.size() - 100);
  EXPECT_EQ(Store("1.2.3.4", data).status().code(), StatusCode::kMalformed);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, RefusesNestingDeeperThanTheLimit) {
  policy_.read.limits.max_sequence_depth = 8;
  Reopen();
  auto nested = Explicit();
  for (int level = 0; level < 20; ++level) nested.SequenceStart(0x0040, 0xA730).ItemStart();
  const Bytes data = Append(Encode(Instance("1.2.3.4", 1, "1.2.826.0.1.1", 0)), nested);
  EXPECT_EQ(Store("1.2.3.4", data).status().code(), StatusCode::kMalformed);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, RefusesADeflateBomb) {
  policy_.read.limits.max_inflated_size = 4u << 20;
  Reopen();
  // A small deflated stream that inflates to 64 MiB.
  const Bytes head = Append(Encode(Instance("1.2.3.4", 1, "1.2.826.0.1.1", 0)),
                            Explicit().Header(0x0011, 0x1010, "OB", 64u << 20));
  const Bytes deflated = testing::DeflateWithZeros(head, 64u << 20);
  ASSERT_LT(deflated.size(), 200u << 10);
  auto result = Store("1.2.3.4", deflated, "1.2.840.10008.1.2.1.99");
  EXPECT_EQ(result.status().code(), StatusCode::kMalformed);
  EXPECT_NE(result.status().message().find("inflat"), std::string::npos)
      << result.status().message();
  ExpectNothingStored();
}

TEST_F(ArchiveTest, ArchiveSizeQuotaRefusesBeforeAnythingArrives) {
  ASSERT_TRUE(Store("1.2.3.1", Encode(Instance("1.2.3.1"))).ok());
  policy_.max_archive_bytes = 8000;  // the first instance already takes more
  Reopen();
  auto begun = archive_->Begin(Announce("1.2.3.2"));
  EXPECT_EQ(begun.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(begun.status().message().find("max_archive_bytes"), std::string::npos);
  EXPECT_EQ(FilesOnDisk(), 1u);
}

TEST_F(ArchiveTest, FreeDiskThresholdRefuses) {
  policy_.min_free_disk_bytes = ~0ull;
  Reopen();
  EXPECT_EQ(archive_->Begin(Announce("1.2.3.1")).status().code(), StatusCode::kLimitExceeded);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, InstanceSizeLimitStopsTheWriteAndKeepsNothing) {
  policy_.max_instance_bytes = 4096;
  Reopen();
  EXPECT_EQ(Store("1.2.3.1", Encode(Instance("1.2.3.1"))).status().code(),
            StatusCode::kLimitExceeded);
  ExpectNothingStored();
}

TEST_F(ArchiveTest, BigEndianInstancesHaveTheirOwnLowerCap) {
  policy_.max_big_endian_instance_bytes = 4096;  // their values are copied to be read back
  Reopen();
  auto big_endian = dicom::EncodeDataSet(Instance("1.2.3.1"), dicom::ExplicitVrBigEndian(),
                                         dicom::ExplicitVrLittleEndian());
  ASSERT_TRUE(big_endian.ok());
  auto result = Store("1.2.3.1", *big_endian, "1.2.840.10008.1.2.2");
  EXPECT_EQ(result.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(result.status().message().find("big endian"), std::string::npos);
  ExpectNothingStored();
  // Below the cap they are stored like any other.
  policy_.max_big_endian_instance_bytes = 1u << 20;
  Reopen();
  EXPECT_TRUE(Store("1.2.3.1", *big_endian, "1.2.840.10008.1.2.2").ok());
}

TEST_F(ArchiveTest, ImportsAPart10FileLikeACStore) {
  const fs::path file = root_ / "in.dcm";
  {
    auto meta = dicom::BuildFileMeta(Instance("1.2.3.9"), dicom::ExplicitVrLittleEndian());
    dicom::VectorSink sink;
    ASSERT_TRUE(
        dicom::WritePart10(*meta, Instance("1.2.3.9"), dicom::ExplicitVrLittleEndian(), sink).ok());
    sink.out[0] = 'M';  // a non-zero preamble: never stored
    sink.out[1] = 'Z';
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(sink.out.data()),
               static_cast<std::streamsize>(sink.out.size()));
  }
  auto result = archive_->ImportFile(file.string(), "admin");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Bytes stored = ReadFile(PathOf("1.2.3.9"));
  EXPECT_EQ(stored[0], 0);
  EXPECT_EQ(stored[1], 0);
}

TEST_F(ArchiveTest, RemoveDeletesFilesAndIndexAndIsAudited) {
  ASSERT_TRUE(Store("1.2.826.0.1.1.1.1", Encode(Instance("1.2.826.0.1.1.1.1"))).ok());
  ASSERT_TRUE(Store("1.2.826.0.1.1.1.2", Encode(Instance("1.2.826.0.1.1.1.2"))).ok());
  auto removed = archive_->Remove(index::Level::kStudy, "1.2.826.0.1.1", "admin");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->size(), 2u);
  ExpectNothingStored();
  EXPECT_TRUE(index_->Tombstones()->empty());
  EXPECT_EQ(audit_.events().back().type, audit::AuditEventType::kStudyDeleted);
  EXPECT_EQ(audit_.events().back().user, "admin");
  EXPECT_EQ(audit_.events().back().instance_count, 2u);
}

TEST_F(ArchiveTest, ReconcileIndexesCommittedFilesTheIndexLostAndRemovesTombstonedOnes) {
  ASSERT_TRUE(Store("1.2.3.1", Encode(Instance("1.2.3.1"))).ok());
  ASSERT_TRUE(Store("1.2.3.2", Encode(Instance("1.2.3.2"))).ok());
  const std::string lost = PathOf("1.2.3.1");
  const std::string deleted = PathOf("1.2.3.2");
  // Simulate a crash: the index lost the commit of 1.2.3.1 (file kept), and the removal of
  // 1.2.3.2 reached the index but not the file system.
  const Bytes lost_bytes = ReadFile(lost);
  ASSERT_TRUE(index_->RemoveInstances(index::Level::kInstance, "1.2.3.1").ok());
  ASSERT_TRUE(index_->ForgetTombstones(*index_->Tombstones()).ok());
  ASSERT_TRUE(index_->RemoveInstances(index::Level::kInstance, "1.2.3.2").ok());
  ASSERT_TRUE(fs::exists(lost) && fs::exists(deleted));

  auto r = archive_->Reconcile();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->reindexed, 1u);
  EXPECT_EQ(r->removed_tombstoned, 1u);
  EXPECT_TRUE(r->problems.empty());
  EXPECT_FALSE(fs::exists(deleted));
  auto found = index_->FindInstance("1.2.3.1");
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(ReadFile(PathOf("1.2.3.1")), lost_bytes);
  auto verified = archive_->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok());  // the recomputed digests match the file
}

TEST_F(ArchiveTest, VerifyFindsChangedMissingAndUnindexedFiles) {
  ASSERT_TRUE(Store("1.2.3.1", Encode(Instance("1.2.3.1"))).ok());
  ASSERT_TRUE(Store("1.2.3.2", Encode(Instance("1.2.3.2"))).ok());
  ASSERT_TRUE(Store("1.2.3.3", Encode(Instance("1.2.3.3"))).ok());
  auto clean = archive_->Verify();
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->ok());
  EXPECT_EQ(clean->checked, 3u);

  {  // one pixel byte changed
    std::fstream f(PathOf("1.2.3.1"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-10, std::ios::end);
    f.put('X');
  }
  {  // an executable planted in the preamble
    std::fstream f(PathOf("1.2.3.3"), std::ios::in | std::ios::out | std::ios::binary);
    f.put('M');
    f.put('Z');
  }
  fs::remove(PathOf("1.2.3.2"));
  const fs::path stray = fs::path(PathOf("1.2.3.1")).parent_path() / "planted.dcm";
  std::ofstream(stray) << "x";
  auto report = archive_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->changed.size(), 2u);
  EXPECT_NE(report->changed[0].find("data set changed"), std::string::npos);
  EXPECT_NE(report->changed[1].find("preamble"), std::string::npos);
  ASSERT_EQ(report->missing.size(), 1u);
  EXPECT_NE(report->missing[0].find("1.2.3.2"), std::string::npos);
  ASSERT_EQ(report->unindexed.size(), 1u);
  EXPECT_EQ(audit_.events().back().type, audit::AuditEventType::kSecurityAlert);
}

}  // namespace
}  // namespace bastion::archive
