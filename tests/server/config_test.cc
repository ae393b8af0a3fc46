// bastion.toml (server/config.h) beyond the JWT issuers: the [http] plaintext listener, the
// [query_retrieve] conversion limit and the [storage] direct-write buffers are read and checked,
// with messages that name the setting.
#include "server/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace bastion::server {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "bastion-cfg-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // The sample `bastion init` writes, with `edit` applied (a regex replacement).
  Result<Config> Load(const std::string& pattern = "", const std::string& replacement = "") {
    std::string text = RenderInitialConfig("BASTION", 11112, 8443);
    if (!pattern.empty()) text = std::regex_replace(text, std::regex(pattern), replacement);
    std::ofstream(dir_ + "/" + kConfigFileName) << text;
    ::chmod((dir_ + "/" + kConfigFileName).c_str(), 0600);
    return LoadConfig(dir_);
  }
  std::string dir_;
};

TEST_F(ConfigTest, TheSampleHasNoPlaintextHttpAndTheDefaultConversionLimit) {
  auto config = Load();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http.plaintext_port, 0u);
  EXPECT_EQ(config->http.plaintext_bind_address, "127.0.0.1");
  EXPECT_EQ(config->query_retrieve.max_conversion_bytes, 512ull << 20);
}

TEST_F(ConfigTest, ReadsThePlaintextHttpListener) {
  auto config = Load("# plaintext_port = 8080[^\n]*\n# plaintext_bind = [^\n]*",
                     "plaintext_port = 8080\nplaintext_bind = \"0.0.0.0\"");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http.plaintext_port, 8080u);
  EXPECT_EQ(config->http.plaintext_bind_address, "0.0.0.0");
  EXPECT_EQ(config->dicom.plaintext_port, 0u);  // the [dicom] one is another setting
}

TEST_F(ConfigTest, APlaintextHttpPortEqualToTheHttpsPortIsRefused) {
  auto config = Load("# plaintext_port = 8080[^\n]*", "plaintext_port = 8443");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("http.plaintext_port must differ from http.port"),
            std::string::npos)
      << config.status().message();
}

TEST_F(ConfigTest, ReadsAndBoundsTheConversionLimit) {
  auto config = Load("max_conversion_bytes = [0-9]+", "max_conversion_bytes = 1073741824");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->query_retrieve.max_conversion_bytes, 1ull << 30);
  auto too_small = Load("max_conversion_bytes = [0-9]+", "max_conversion_bytes = 1000");
  ASSERT_FALSE(too_small.ok());
  EXPECT_NE(too_small.status().message().find("query_retrieve.max_conversion_bytes"),
            std::string::npos);
}

TEST_F(ConfigTest, ReadsAndBoundsTheDirectWriteBuffers) {
  auto defaults = Load();
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->storage.direct_write_max_bytes, 4ull << 20);
  EXPECT_EQ(defaults->storage.direct_write_buffers, 32u);
  auto off = Load("direct_write_buffers = [0-9]+", "direct_write_buffers = 0");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off->storage.direct_write_buffers, 0u);
  auto too_many = Load("direct_write_buffers = [0-9]+", "direct_write_buffers = 100000");
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("storage.direct_write_buffers"), std::string::npos);
  auto too_big = Load("direct_write_max_bytes = [0-9]+", "direct_write_max_bytes = 4294967296");
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("storage.direct_write_max_bytes"), std::string::npos);
}

TEST_F(ConfigTest, LoopbackAddressesAreRecognised) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
  }
  for (const char* a : {"0.0.0.0", "10.0.0.1", "::", "128.0.0.1", "localhost.example"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

}  // namespace
}  // namespace bastion::server
