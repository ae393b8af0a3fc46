// Reading a 2 GiB file must not cost 2 GiB of memory: large values are references into the
// memory-mapped file (issue 2). The file is sparse, so the test costs no disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/mapped_file.h"
#include "dicom/byte_builder.h"
#include "dicom/reader.h"

namespace bastion::dicom {
namespace {

long ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(LargeFileTest, ReadsATwoGibibyteFileWithoutCopyingItsPixelData) {
  const std::uint32_t pixel_length = (2u << 30) - 1024;  // just under 2 GiB, even
  auto prefix = testing::Part10Prefix(transfer_syntax::kExplicitVrLittleEndian);
  testing::ByteBuilder body(testing::Syntax::kExplicitLittle);
  body.Element(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
  body.Header(0x7FE0, 0x0010, "OB", pixel_length);
  prefix.insert(prefix.end(), body.bytes().begin(), body.bytes().end());

  const std::string path =
      (std::filesystem::temp_directory_path() / ("bastion-large-" + std::to_string(::getpid()) +
                                                 ".dcm"))
          .string();
  {
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, prefix.data(), prefix.size()), static_cast<ssize_t>(prefix.size()));
    // The pixel data: a hole, read back as zeros without using disk.
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(prefix.size() + pixel_length)), 0);
    ::close(fd);
  }
  const long before = ResidentKib();
  {
    auto source = MappedFile::Open(path);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    auto file = ReadPart10(*source);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    const Element* pixels = file->dataset.Find(tags::kPixelData);
    ASSERT_NE(pixels, nullptr);
    EXPECT_TRUE(pixels->value.is_reference());
    EXPECT_EQ(pixels->value.size(), pixel_length);
    const long during = ResidentKib();
    EXPECT_LT(during - before, 64 * 1024) << "reading raised resident memory by "
                                           << (during - before) << " KiB";
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bastion::dicom
