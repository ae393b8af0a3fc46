// WADO-RS retrieval by transfer syntax (web/dicomweb/wado_rs.cc; PS3.18 8.7.3.4, 8.7.3.5,
// 10.4.1): the default syntax (Explicit VR Little Endian) when the Accept names none, a syntax
// asked for explicitly, `*` (as stored, unless stored in a syntax the web excludes), 406 for
// what cannot be sent, and each part's Content-Type naming the syntax it is in. Instances are
// stored in a real archive and read back from the multipart body the service produces.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "archive/archive.h"
#include "archive/test_instances.h"
#include "audit/audit_event.h"
#include "dicom/reader.h"
#include "dicom/writer.h"
#include "index/sqlite/sqlite_index.h"
#include "store/filesystem_storage.h"
#include "web/dicomweb/archive_fixture.h"
#include "web/dicomweb/services.h"
#include "web/http/media_type.h"

namespace bastion::web::dicomweb {
namespace {

namespace fs = std::filesystem;
namespace ts_uid = dicom::transfer_syntax;
using archive::testing::Bytes;
using dicom::Tag;

constexpr std::string_view kJpegBaseline = "1.2.840.10008.1.2.4.50";
constexpr std::string_view kJpegLsLossless = "1.2.840.10008.1.2.4.80";
constexpr const char* kStudy = "1.2.826.0.1.7";
constexpr const char* kDicomParts = "multipart/related; type=\"application/dicom\"";

struct ReceivedPart {
  std::string content_type;
  Bytes body;
};

struct Received {
  unsigned status = 0;
  std::string content_type;
  std::string body;  // error bodies
  std::vector<ReceivedPart> parts;
};

class BytesSource final : public ByteSource {
 public:
  explicit BytesSource(Bytes bytes) : bytes_(std::move(bytes)) {}
  std::span<const std::uint8_t> bytes() const override { return bytes_; }

 private:
  Bytes bytes_;
};

class WadoTransferSyntaxTest : public testing::ArchiveFixture {
 protected:
  static dicom::DataSet Uncompressed(const std::string& sop, const std::string& series) {
    dicom::DataSet ds = archive::testing::Instance(sop, 3, kStudy, 512);
    ds.SetString(Tag{0x0020, 0x000E}, dicom::Vr::kUI, series);
    Bytes ramp(512);
    for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<std::uint8_t>(i * 5);
    ds.SetBytes(Tag{0x7FE0, 0x0010}, dicom::Vr::kOW, ramp);
    ds.SetU16(Tag{0x0028, 0x0010}, 16);
    return ds;
  }

  static dicom::DataSet Compressed(const std::string& sop, const std::string& series) {
    dicom::DataSet ds = archive::testing::Instance(sop, 3, kStudy, 0);
    ds.SetString(Tag{0x0020, 0x000E}, dicom::Vr::kUI, series);
    dicom::Element pixels;
    pixels.tag = Tag{0x7FE0, 0x0010};
    pixels.vr = dicom::Vr::kOB;
    pixels.encapsulated = true;
    pixels.fragments.emplace_back(Bytes{});
    pixels.fragments.emplace_back(Bytes(64, 0xAB));
    ds.Insert(std::move(pixels));
    return ds;
  }

  // Stores `ds` encoded in `ts` through the archive's ingest path.
  void Store(const dicom::DataSet& ds, std::string_view ts) {
    archive::IncomingInstance in;
    in.sop_class_uid = archive::testing::kCtImage;
    in.sop_instance_uid = *ds.GetString(Tag{0x0008, 0x0018});
    in.transfer_syntax_uid = std::string(ts);
    in.source_ae_title = "TEST";
    auto ingest = archive_->Begin(in);
    ASSERT_TRUE(ingest.ok()) << ingest.status().ToString();
    const auto syntax = *dicom::FindTransferSyntax(ts);
    auto bytes = dicom::EncodeDataSet(
        ds, syntax, syntax.encapsulated ? syntax : dicom::ExplicitVrLittleEndian());
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    ASSERT_TRUE((*ingest)->Write(*bytes).ok());
    auto done = (*ingest)->Finish();
    ASSERT_TRUE(done.ok()) << done.status().ToString();
  }

  // GET of the study (or one instance) with `accept` and query `params`; the body split.
  Received Get(std::optional<std::string> accept, const std::string& sop = "",
               std::vector<std::pair<std::string, std::string>> params = {}) {
    http::RequestHead head;
    head.method = "GET";
    head.target = "/dicom-web/studies/" + std::string(kStudy);
    if (accept) head.headers.emplace_back("accept", *accept);
    http::Target target;
    target.query = std::move(params);
    Caller caller;
    caller.identity.user = "tester";
    const Call call{context_, head, target, caller};
    ResourceUids uids;
    uids.study = kStudy;
    if (!sop.empty()) {
      auto found = index_->FindInstances(ScopedQuery(call, uids), 1000);
      for (const auto& i : *found) {
        if (i.sop_instance_uid == sop) {
          uids.series = i.series_instance_uid;
          uids.instance = sop;
        }
      }
    }
    http::Response response = RetrieveInstances(call, uids);
    Received r;
    r.status = response.status;
    for (const auto& [name, value] : response.headers) {
      if (name == "content-type") r.content_type = value;
    }
    if (!response.producer) {
      r.body = response.body;
      return r;
    }
    std::string body;
    while (true) {
      std::string piece;
      auto more = response.producer->Next(piece, 64 * 1024);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      body += piece;
      if (!more.ok() || !*more) break;
    }
    auto media = http::ParseMediaType(r.content_type);
    EXPECT_TRUE(media.ok());
    const std::string delimiter = "--" + std::string(*media->Parameter("boundary"));
    std::size_t at = body.find(delimiter);
    while (at != std::string::npos) {
      at += delimiter.size();
      if (body.compare(at, 2, "--") == 0) break;  // close delimiter
      const std::size_t head_end = body.find("\r\n\r\n", at);
      const std::size_t next = body.find("\r\n" + delimiter, head_end);
      EXPECT_NE(next, std::string::npos);
      if (head_end == std::string::npos || next == std::string::npos) break;
      ReceivedPart part;
      const std::string headers = body.substr(at, head_end - at);
      const std::size_t ct = headers.find("Content-Type: ");
      if (ct != std::string::npos) {
        part.content_type = headers.substr(ct + 14, headers.find("\r\n", ct) - ct - 14);
      }
      part.body.assign(body.begin() + static_cast<std::ptrdiff_t>(head_end + 4),
                       body.begin() + static_cast<std::ptrdiff_t>(next));
      r.parts.push_back(std::move(part));
      at = next + 2;
    }
    return r;
  }

  static dicom::Part10File Read(const ReceivedPart& part) {
    auto file = dicom::ReadPart10(std::make_shared<BytesSource>(part.body));
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(*file) : dicom::Part10File{};
  }

  // The stored file of `sop`, byte for byte.
  Bytes StoredFile(const std::string& sop) {
    http::RequestHead head;
    http::Target target;
    Caller caller;
    const Call call{context_, head, target, caller};
    ResourceUids uids;
    uids.study = kStudy;
    auto found = index_->FindInstances(ScopedQuery(call, uids), 1000);
    for (const auto& i : *found) {
      if (i.sop_instance_uid == sop) {
        auto stored = archive_->OpenStored(i);
        return Bytes(stored->file->bytes().begin(), stored->file->bytes().end());
      }
    }
    ADD_FAILURE() << "no stored " << sop;
    return {};
  }
};

std::string WithSyntax(std::string_view ts) {
  return std::string(kDicomParts) + "; transfer-syntax=" + std::string(ts);
}

TEST_F(WadoTransferSyntaxTest, WithoutATransferSyntaxTheDefaultExplicitLittleEndianIsSent) {
  const dicom::DataSet original = Uncompressed("1.2.826.0.1.7.1.1", "1.2.826.0.1.7.1");
  Store(original, ts_uid::kImplicitVrLittleEndian);
  for (const char* accept : {kDicomParts, "*/*"}) {
    SCOPED_TRACE(accept);
    const Received r = Get(accept);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_NE(r.content_type.find("transfer-syntax=1.2.840.10008.1.2.1"), std::string::npos);
    ASSERT_EQ(r.parts.size(), 1u);
    EXPECT_EQ(r.parts[0].content_type, "application/dicom; transfer-syntax=1.2.840.10008.1.2.1");
    const dicom::Part10File file = Read(r.parts[0]);
    EXPECT_EQ(file.transfer_syntax.uid, ts_uid::kExplicitVrLittleEndian);
    const auto pixels = file.dataset.Find(Tag{0x7FE0, 0x0010})->value.view();
    const auto want = original.Find(Tag{0x7FE0, 0x0010})->value.view();
    EXPECT_TRUE(std::equal(pixels.begin(), pixels.end(), want.begin(), want.end()));
    EXPECT_EQ(file.dataset.GetString(Tag{0x0010, 0x0010}), "Doe^Jane");
  }
}

TEST_F(WadoTransferSyntaxTest, AnExplicitLittleEndianInstanceGoesOutAsStoredByteForByte) {
  Store(Uncompressed("1.2.826.0.1.7.1.1", "1.2.826.0.1.7.1"), ts_uid::kExplicitVrLittleEndian);
  for (const std::string& accept :
       {std::string(kDicomParts), WithSyntax("*"), WithSyntax(ts_uid::kExplicitVrLittleEndian)}) {
    SCOPED_TRACE(accept);
    const Received r = Get(accept);
    ASSERT_EQ(r.status, 200u) << r.body;
    ASSERT_EQ(r.parts.size(), 1u);
    EXPECT_EQ(r.parts[0].body, StoredFile("1.2.826.0.1.7.1.1"));
  }
}

TEST_F(WadoTransferSyntaxTest, AnExplicitlyAskedUncompressedSyntaxIsConvertedTo) {
  const dicom::DataSet original = Uncompressed("1.2.826.0.1.7.1.1", "1.2.826.0.1.7.1");
  Store(original, ts_uid::kExplicitVrLittleEndian);
  const Received r = Get(WithSyntax(ts_uid::kDeflatedExplicitVrLittleEndian));
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].content_type, "application/dicom; transfer-syntax=1.2.840.10008.1.2.1.99");
  const dicom::Part10File file = Read(r.parts[0]);
  EXPECT_EQ(file.transfer_syntax.uid, ts_uid::kDeflatedExplicitVrLittleEndian);
  EXPECT_EQ(file.dataset.GetString(Tag{0x0008, 0x0018}), "1.2.826.0.1.7.1.1");
}

TEST_F(WadoTransferSyntaxTest, StarSendsAsStoredExceptSyntaxesTheWebExcludes) {
  Store(Uncompressed("1.2.826.0.1.7.1.1", "1.2.826.0.1.7.1"), ts_uid::kImplicitVrLittleEndian);
  Store(Uncompressed("1.2.826.0.1.7.2.1", "1.2.826.0.1.7.2"), ts_uid::kExplicitVrBigEndian);
  Store(Compressed("1.2.826.0.1.7.3.1", "1.2.826.0.1.7.3"), kJpegLsLossless);
  const Received r = Get(WithSyntax("*"));
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.parts.size(), 3u);
  // Parts in different syntaxes: the multipart type names none, each part its own.
  EXPECT_EQ(r.content_type.find("transfer-syntax"), std::string::npos) << r.content_type;
  std::vector<std::string> syntaxes;
  for (const ReceivedPart& part : r.parts) {
    const dicom::Part10File file = Read(part);
    syntaxes.emplace_back(file.transfer_syntax.uid);
    EXPECT_EQ(part.content_type, "application/dicom; transfer-syntax=" + syntaxes.back());
  }
  std::sort(syntaxes.begin(), syntaxes.end());
  EXPECT_EQ(syntaxes, (std::vector<std::string>{"1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1",
                                                std::string(kJpegLsLossless)}));
  EXPECT_EQ(Get(WithSyntax("*"), "1.2.826.0.1.7.3.1").parts[0].body,
            StoredFile("1.2.826.0.1.7.3.1"));
}

TEST_F(WadoTransferSyntaxTest, ImplicitAndBigEndianAreNotAcceptable) {
  // PS3.18 8.7.3: those two syntaxes "shall not be used with Web Services".
  Store(Uncompressed("1.2.826.0.1.7.1.1", "1.2.826.0.1.7.1"), ts_uid::kExplicitVrLittleEndian);
  for (std::string_view ts : {ts_uid::kImplicitVrLittleEndian, ts_uid::kExplicitVrBigEndian}) {
    const Received r = Get(WithSyntax(ts));
    EXPECT_EQ(r.status, 406u) << ts;
    EXPECT_NE(r.body.find("8.7.3"), std::string::npos) << r.body;
  }
}

TEST_F(WadoTransferSyntaxTest, ACompressedInstanceIsNotAcceptableInAnotherSyntax) {
  Store(Compressed("1.2.826.0.1.7.3.1", "1.2.826.0.1.7.3"), kJpegLsLossless);
  const Received explicit_le = Get(WithSyntax(ts_uid::kExplicitVrLittleEndian));
  EXPECT_EQ(explicit_le.status, 406u);
  EXPECT_NE(explicit_le.body.find(std::string(kJpegLsLossless)), std::string::npos)
      << explicit_le.body;
  // Lossless: the default is owed and cannot be made (no decompression), so 406 too.
  EXPECT_EQ(Get(kDicomParts).status, 406u);
  // Its own syntax is fine.
  const Received own = Get(WithSyntax(kJpegLsLossless));
  ASSERT_EQ(own.status, 200u);
  EXPECT_EQ(own.parts[0].content_type,
            "application/dicom; transfer-syntax=" + std::string(kJpegLsLossless));
}

TEST_F(WadoTransferSyntaxTest, ALossyInstanceMayStandInForTheDefault) {
  // PS3.18 8.7.3.4: an origin server holding only lossy compressed pixel data may send it.
  Store(Compressed("1.2.826.0.1.7.4.1", "1.2.826.0.1.7.4"), kJpegBaseline);
  const Received r = Get(kDicomParts);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.parts[0].content_type,
            "application/dicom; transfer-syntax=" + std::string(kJpegBaseline));
  EXPECT_EQ(r.parts[0].body, StoredFile("1.2.826.0.1.7.4.1"));
  EXPECT_EQ(Get(WithSyntax(ts_uid::kExplicitVrLittleEndian)).status, 406u);
}

TEST_F(WadoTransferSyntaxTest, TheAcceptQueryParameterStandsInForTheHeader) {
  Store(Uncompressed("1.2.826.0.1.7.1.1", "1.2.826.0.1.7.1"), ts_uid::kExplicitVrLittleEndian);
  const Received r =
      Get("*/*", "", {{"accept", WithSyntax(ts_uid::kDeflatedExplicitVrLittleEndian)}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(Read(r.parts[0]).transfer_syntax.uid, ts_uid::kDeflatedExplicitVrLittleEndian);
  EXPECT_EQ(Get("*/*", "", {{"accept", "*/*"}}).status, 400u);
}

}  // namespace
}  // namespace bastion::web::dicomweb
