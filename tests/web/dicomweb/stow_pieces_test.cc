// STOW-RS (web/dicomweb/stow_rs.cc) whatever pieces the body arrives in: a part's head may be
// whole in one piece (parsed where it is), split across pieces (gathered, then parsed), or
// arrive a byte at a time; each way every instance is stored byte for byte and listed in the
// response. Instances are stored in a real archive, inline (no background executor).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "archive/archive.h"
#include "archive/test_instances.h"
#include "audit/audit_event.h"
#include "base/byte_source.h"
#include "dicom/reader.h"
#include "dicom/writer.h"
#include "index/sqlite/sqlite_index.h"
#include "store/filesystem_storage.h"
#include "web/dicomweb/archive_fixture.h"
#include "web/dicomweb/services.h"

namespace bastion::web::dicomweb {
namespace {

namespace fs = std::filesystem;
using archive::testing::Bytes;
using dicom::Tag;

constexpr const char* kStudy = "1.2.826.0.1.9";
constexpr const char* kBoundary = "stow-pieces-boundary";

class StowPiecesTest : public testing::ArchiveFixture {
 protected:
  // A Part 10 file of a CT instance with `pixel_bytes` of pixel data.
  static Bytes Part10(const std::string& sop, std::size_t pixel_bytes) {
    const dicom::DataSet ds = archive::testing::Instance(sop, 7, kStudy, pixel_bytes);
    dicom::DataSet meta;
    meta.SetString(Tag{0x0002, 0x0002}, dicom::Vr::kUI, archive::testing::kCtImage);
    meta.SetString(Tag{0x0002, 0x0003}, dicom::Vr::kUI, sop);
    meta.SetString(Tag{0x0002, 0x0010}, dicom::Vr::kUI, archive::testing::kExplicitLe);
    dicom::VectorSink sink;
    EXPECT_TRUE(dicom::WritePart10(meta, ds, dicom::ExplicitVrLittleEndian(), sink).ok());
    return sink.out;
  }

  static std::string Body(const std::vector<Bytes>& files) {
    std::string body;
    for (const Bytes& f : files) {
      body += std::string("--") + kBoundary + "\r\nContent-Type: application/dicom\r\n\r\n";
      body.append(f.begin(), f.end());
      body += "\r\n";
    }
    return body + "--" + kBoundary + "--\r\n";
  }

  // POSTs `body` to /studies, handing it to the consumer in pieces of `piece` bytes.
  http::Response Post(const std::string& body, std::size_t piece) {
    http::RequestHead head;
    head.method = "POST";
    head.target = "/dicom-web/studies";
    head.headers.emplace_back("content-type",
                              std::string("multipart/related; type=\"application/dicom\"; "
                                          "boundary=") +
                                  kBoundary);
    head.content_length = body.size();
    http::Target target;
    Caller caller;
    caller.identity.user = "modality";
    const Call call{context_, head, target, caller};
    http::Dispatch dispatch = StoreInstances(call, "");
    EXPECT_TRUE(dispatch.consumer) << dispatch.response.body;
    if (!dispatch.consumer) return std::move(dispatch.response);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(body.data());
    for (std::size_t at = 0; at < body.size(); at += piece) {
      const std::size_t n = std::min(piece, body.size() - at);
      const Status fed = dispatch.consumer->Consume(std::span(bytes + at, n));
      EXPECT_TRUE(fed.ok()) << fed.ToString();
    }
    return dispatch.consumer->Finish();
  }

  // The stored file of `sop`, byte for byte from its data set on (the meta is Bastion's own).
  Bytes StoredDataSet(const std::string& sop) {
    auto found = index_->FindInstance(sop);
    EXPECT_TRUE(found.ok() && *found) << "not stored: " << sop;
    if (!found.ok() || !*found) return {};
    auto stored = archive_->OpenStored(**found);
    EXPECT_TRUE(stored.ok());
    const auto file = stored->file->bytes();
    return Bytes(file.begin() + static_cast<std::ptrdiff_t>((*found)->storage.data_offset),
                 file.end());
  }

  // What follows the File Meta Information of a Part 10 file: the data set as sent.
  static Bytes DataSetOf(const Bytes& part10) {
    auto summary = dicom::SummarizePart10(OwnedBytes::Make(part10), {});
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    if (!summary.ok()) return {};
    return Bytes(part10.begin() + static_cast<std::ptrdiff_t>(summary->data_offset), part10.end());
  }
};

TEST_F(StowPiecesTest, EveryInstanceIsStoredWhateverPiecesTheBodyArrivesIn) {
  // Piece sizes: a byte at a time, heads split across pieces, heads whole in their piece
  // (the 64 KiB first attempt and beyond), and the body whole.
  const std::size_t pieces[] = {1, 1000, 70 * 1024, 200 * 1024, 1 << 22};
  int round = 0;
  for (const std::size_t piece : pieces) {
    SCOPED_TRACE("piece of " + std::to_string(piece) + " bytes");
    std::vector<Bytes> files;
    std::vector<std::string> sops;
    // Sizes around the first head attempt: smaller than it, just over, and far beyond.
    for (const std::size_t pixels :
         {std::size_t{4096}, std::size_t{66 * 1024}, std::size_t{300 * 1024}}) {
      sops.push_back("1.2.826.0.1.9." + std::to_string(++round));
      files.push_back(Part10(sops.back(), pixels));
    }
    if (piece == 1) {  // a byte at a time: one instance is enough
      files.resize(1);
      sops.resize(1);
    }
    const http::Response response = Post(Body(files), piece);
    EXPECT_EQ(response.status, 200u) << response.body;
    EXPECT_EQ(response.body.find("00081198"), std::string::npos) << response.body;  // no failure
    for (std::size_t i = 0; i < files.size(); ++i) {
      SCOPED_TRACE(sops[i]);
      EXPECT_NE(response.body.find(sops[i]), std::string::npos);
      EXPECT_EQ(StoredDataSet(sops[i]), DataSetOf(files[i]));
    }
  }
}

TEST_F(StowPiecesTest, APartThatIsNotDicomFailsAloneWhateverThePieces) {
  for (const std::size_t piece : {std::size_t{7}, std::size_t{1 << 20}}) {
    SCOPED_TRACE("piece of " + std::to_string(piece) + " bytes");
    const std::string sop = "1.2.826.0.1.9.100." + std::to_string(piece);
    const Bytes junk(90 * 1024, 'x');
    const http::Response response = Post(Body({junk, Part10(sop, 2048)}), piece);
    EXPECT_EQ(response.status, 202u) << response.body;  // some stored, some failed
    EXPECT_NE(response.body.find("00081198"), std::string::npos);
    EXPECT_NE(response.body.find(sop), std::string::npos);
  }
}

}  // namespace
}  // namespace bastion::web::dicomweb
