// Shared set-up for tests that run the real server in-process on 127.0.0.1: a fresh data
// directory from InitDataDir, settings edited in bastion.toml, peers registered, the server
// started on free ports, and a plaintext loopback listener so raw bytes reach the protocol code.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "dicom/writer.h"
#include "net/acse/negotiation.h"
#include "server/data_dir.h"
#include "server/dicom_server.h"

namespace bastion::server::testing {

inline std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline net::acse::LocalApplication EchoApplication() {
  net::acse::LocalApplication local;
  local.syntaxes.push_back({"1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
  local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
  local.max_pdu_length = 16384;
  return local;
}

// Sets `key = value` in the TOML text, replacing the lines (commented out or not) that have it:
// in every table, or with `first_only` in the first that has the key (`plaintext_port` is in
// [dicom], then in [http]).
inline void SetSetting(std::string& text, const std::string& key, const std::string& value,
                       bool first_only = false) {
  text = std::regex_replace(
      text, std::regex("(^|\n)#? ?" + key + " = [^\n]*"), "$1" + key + " = " + value,
      first_only ? std::regex_constants::format_first_only : std::regex_constants::format_default);
}

// Creates DIR with InitDataDir, applies `settings` (plaintext_port is set to a free port),
// registers `peers` and starts the server. Fails the calling test on any error.
struct TestServer {
  std::filesystem::path dir;
  std::uint16_t plaintext_port = 0;
  std::unique_ptr<DicomServer> server;

  ~TestServer() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
};

inline std::unique_ptr<TestServer> StartTestServer(
    const std::string& name, const std::map<std::string, std::string>& settings,
    const std::vector<security::Peer>& peers) {
  auto t = std::make_unique<TestServer>();
  t->dir = std::filesystem::temp_directory_path() /
           ("bastion-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(t->dir);
  InitOptions init;
  init.data_dir = t->dir.string();
  init.ae_title = "BASTION";
  init.dicom_port = FreePort();
  init.http_port = FreePort();
  auto created = InitDataDir(init);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  if (!created.ok()) return nullptr;
  t->plaintext_port = FreePort();
  const auto config = t->dir / "bastion.toml";
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  SetSetting(text, "plaintext_port", std::to_string(t->plaintext_port), /*first_only=*/true);
  SetSetting(text, "bind", "\"127.0.0.1\"");  // the DICOM and the HTTPS listeners
  for (const auto& [key, value] : settings) SetSetting(text, key, value);
  std::ofstream(config, std::ios::trunc) << text;
  auto dir = OpenDataDir(t->dir.string());
  EXPECT_TRUE(dir.ok()) << dir.status().ToString();
  if (!dir.ok()) return nullptr;
  for (const security::Peer& peer : peers) EXPECT_TRUE(dir->peers->Add(peer).ok());
  auto server = DicomServer::Create(t->dir.string());
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  t->server = std::move(server).value();
  auto started = t->server->Start();
  EXPECT_TRUE(started.ok()) << started.status().ToString();
  if (!started.ok()) return nullptr;
  EXPECT_EQ(t->server->plaintext_port(), t->plaintext_port);
  return t;
}

}  // namespace bastion::server::testing
