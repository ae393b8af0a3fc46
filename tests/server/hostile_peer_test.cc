// Hostile peers against the real server (issue 3): malformed and truncated PDUs, absurd
// lengths, too many contexts, PDUs out of state, slow senders, idle connections, floods, abort
// storms and garbage. Each test checks the server's answer and then that a normal C-ECHO still
// succeeds promptly. All traffic is on 127.0.0.1, through the plaintext listener so that raw
// bytes reach the protocol code; every loop is bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "dicom/writer.h"
#include "net/acse/negotiation.h"
#include "net/dimse/command.h"
#include "net/pdu/pdu_codec.h"
#include "net/transport/client.h"
#include "server/data_dir.h"
#include "server/dicom_server.h"
#include "server/test_server.h"

namespace bastion::server {
namespace {

namespace fs = std::filesystem;
namespace pdu = net::pdu;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

using testing::EchoApplication;
using testing::FreePort;

// A raw TCP client that says exactly what a test tells it to.
class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void Send(const Bytes& b) { (void)!::send(fd_, b.data(), b.size(), MSG_NOSIGNAL); }

  // Reads until `want` bytes arrived, the peer closed, or `timeout` passed.
  Bytes Receive(std::size_t want, std::chrono::milliseconds timeout) {
    Bytes out;
    const auto deadline = Clock::now() + timeout;
    while (out.size() < want) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      std::uint8_t buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.insert(out.end(), buf, buf + n);
    }
    return out;
  }
  // True when the server closes the connection within `timeout`.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    if (closed_) return true;
    Receive(1 << 20, timeout);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

class HostilePeerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Short timeouts and small caps so that every case finishes in seconds.
    server_ = testing::StartTestServer(
                  "hostile",
                  {{"artim_timeout_seconds", "2"},
                   {"pdu_timeout_seconds", "2"},
                   {"idle_timeout_seconds", "3"},
                   {"max_associations_per_address", "8"},
                   {"threads", "2"}},
                  {security::Peer{"HOSTILE", "127.0.0.1", 0, {"modality"}, "", false, false, {}, false}})
                  .release();
    ASSERT_NE(server_, nullptr);
    port_ = server_->plaintext_port;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // A normal association with C-ECHO; returns how long it took, or fails the test.
  static std::chrono::milliseconds EchoWorks() {
    const auto start = Clock::now();
    net::transport::ClientOptions options;
    options.host = "127.0.0.1";
    options.port = port_;
    options.tls = false;
    options.calling_ae_title = "HOSTILE";
    options.called_ae_title = "BASTION";
    options.timeout = std::chrono::seconds(5);
    auto association = net::transport::ClientAssociation::Open(options, EchoApplication());
    EXPECT_TRUE(association.ok()) << association.status().ToString();
    if (!association.ok()) return std::chrono::hours(1);
    auto response = (*association)->Request("1.2.840.10008.1.1", net::dimse::MakeCEchoRq(1));
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    if (response.ok()) {
      EXPECT_EQ(response->status(), net::dimse::status::kSuccess);
    }
    EXPECT_TRUE((*association)->Release().ok());
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  static void ExpectEchoStillPrompt() {
    EXPECT_LT(EchoWorks().count(), 1500) << "a normal C-ECHO must still be answered promptly";
  }

  static Bytes AssociateRq(std::size_t contexts = 1) {
    auto rq = net::acse::BuildAssociateRq("HOSTILE", "BASTION", EchoApplication(), std::nullopt);
    for (std::size_t i = 1; i < contexts; ++i) {
      rq.presentation_contexts.push_back({static_cast<std::uint8_t>(2 * (i % 127) + 1),
                                          "1.2.840.10008.1.1",
                                          {"1.2.840.10008.1.2"}});
    }
    return pdu::EncodePdu(rq);
  }

  // Associates on a raw connection and returns once the A-ASSOCIATE-AC arrived.
  static bool Associate(RawPeer& peer) {
    peer.Send(AssociateRq());
    Bytes ac = peer.Receive(6, std::chrono::seconds(3));
    return !ac.empty() && ac[0] == 0x02;
  }

  // The A-ABORT answer: type 7, source at byte 8, reason at byte 9.
  static void ExpectAbort(const Bytes& answer, int reason) {
    ASSERT_GE(answer.size(), 10u) << "expected an A-ABORT";
    EXPECT_EQ(answer[0], 0x07);
    EXPECT_EQ(answer[8], 2) << "source: service provider";
    if (reason >= 0) {
      EXPECT_EQ(answer[9], reason);
    }
  }

  static std::uint16_t port_;
  static testing::TestServer* server_;
};

std::uint16_t HostilePeerTest::port_ = 0;
testing::TestServer* HostilePeerTest::server_ = nullptr;

TEST_F(HostilePeerTest, UnknownPduTypeIsAbortedAsUnrecognized) {
  for (std::uint8_t type : {std::uint8_t{0x08}, std::uint8_t{0xFF}, std::uint8_t{0x00}}) {
    RawPeer peer(port_);
    peer.Send({type, 0, 0, 0, 0, 4, 0, 0, 0, 0});
    ExpectAbort(peer.Receive(10, std::chrono::seconds(3)), 1);
    EXPECT_TRUE(peer.ClosedWithin(std::chrono::seconds(4)));
  }
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, DataBeforeAssociationIsAbortedAsUnexpected) {
  RawPeer peer(port_);
  peer.Send({0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, 3, 0, 0});
  ExpectAbort(peer.Receive(10, std::chrono::seconds(3)), 2);
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, AbsurdPduLengthIsAbortedBeforeAllocating) {
  RawPeer peer(port_);
  peer.Send({0x04, 0, 0xFF, 0xFF, 0xFF, 0xFF});
  ExpectAbort(peer.Receive(10, std::chrono::seconds(3)), -1);
  RawPeer big_rq(port_);
  big_rq.Send({0x01, 0, 0x00, 0x01, 0x00, 0x01});  // 65537 bytes: past the A-ASSOCIATE limit
  ExpectAbort(big_rq.Receive(10, std::chrono::seconds(3)), -1);
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, TruncatedPduThenSilenceIsClosedByThePduTimeout) {
  RawPeer peer(port_);
  Bytes rq = AssociateRq();
  peer.Send(Bytes(rq.begin(), rq.begin() + 20));
  const auto start = Clock::now();
  EXPECT_TRUE(peer.ClosedWithin(std::chrono::seconds(6)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, SilentConnectionIsClosedByArtimWhileOthersAreServed) {
  RawPeer silent(port_);
  ASSERT_TRUE(silent.connected());
  ExpectEchoStillPrompt();  // the silent connection delays nobody
  EXPECT_TRUE(silent.ClosedWithin(std::chrono::seconds(5)));
}

TEST_F(HostilePeerTest, SlowSenderNeverDelaysOtherPeers) {
  std::atomic<bool> stop{false};
  std::thread slow([&stop] {
    RawPeer peer(port_);
    Bytes rq = AssociateRq();
    for (std::size_t i = 0; i < rq.size() && i < 40 && !stop; ++i) {
      peer.Send({rq[i]});
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < 3; ++i) ExpectEchoStillPrompt();
  stop = true;
  slow.join();
}

TEST_F(HostilePeerTest, TooManyPresentationContextsAreRefused) {
  RawPeer peer(port_);
  peer.Send(AssociateRq(1000));
  Bytes answer = peer.Receive(10, std::chrono::seconds(3));
  ASSERT_FALSE(answer.empty());
  EXPECT_TRUE(answer[0] == 0x07 || answer[0] == 0x03) << "A-ABORT or A-ASSOCIATE-RJ";
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, SecondAssociateRequestOnAnAssociationIsAborted) {
  RawPeer peer(port_);
  ASSERT_TRUE(Associate(peer));
  peer.Send(AssociateRq());
  ExpectAbort(peer.Receive(10, std::chrono::seconds(3)), 2);
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, DataOnAContextNotAcceptedIsAborted) {
  RawPeer peer(port_);
  ASSERT_TRUE(Associate(peer));
  Bytes command = net::dimse::EncodeCommand(net::dimse::MakeCEchoRq(1));
  pdu::PDataTf pdata{{{99, true, true, command}}};
  peer.Send(pdu::EncodePdu(pdata));
  Bytes answer = peer.Receive(10, std::chrono::seconds(3));
  ASSERT_GE(answer.size(), 1u);
  EXPECT_EQ(answer[0], 0x07);
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, EmptyPresentationDataValueIsAborted) {
  RawPeer peer(port_);
  ASSERT_TRUE(Associate(peer));
  peer.Send({0x04, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0});  // PDV item length 0
  ExpectAbort(peer.Receive(10, std::chrono::seconds(3)), -1);
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, IdleAssociationIsAbortedAfterTheIdleTimeout) {
  RawPeer peer(port_);
  ASSERT_TRUE(Associate(peer));
  Bytes answer = peer.Receive(10, std::chrono::seconds(6));
  ASSERT_GE(answer.size(), 1u) << "no A-ABORT after the idle timeout";
  EXPECT_EQ(answer[0], 0x07);
  EXPECT_TRUE(peer.ClosedWithin(std::chrono::seconds(4)));
}

TEST_F(HostilePeerTest, ConnectionFloodIsRefusedWithLocalLimitExceeded) {
  std::vector<std::unique_ptr<RawPeer>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<RawPeer>(port_));
    ASSERT_TRUE(Associate(*held.back()));
  }
  RawPeer extra(port_);
  extra.Send(AssociateRq());
  Bytes rj = extra.Receive(10, std::chrono::seconds(3));
  ASSERT_GE(rj.size(), 10u);
  EXPECT_EQ(rj[0], 0x03) << "A-ASSOCIATE-RJ";
  EXPECT_EQ(rj[7], 2) << "result: transient";
  EXPECT_EQ(rj[8], 3) << "source: service provider (presentation)";
  EXPECT_EQ(rj[9], 2) << "reason: local limit exceeded";
  held.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, AbortStormLeavesTheServerHealthy) {
  for (int i = 0; i < 100; ++i) {
    RawPeer peer(port_);
    peer.Send(AssociateRq());
    peer.Send(pdu::EncodePdu(pdu::AAbort{}));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ExpectEchoStillPrompt();
}

TEST_F(HostilePeerTest, RandomGarbageLeavesTheServerHealthy) {
  std::mt19937 rng(20261124);
  for (int i = 0; i < 100; ++i) {
    RawPeer peer(port_);
    Bytes garbage(1 + rng() % 2000);
    for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
    if (i % 2 == 0) garbage[0] = static_cast<std::uint8_t>(1 + rng() % 7);  // plausible type
    peer.Send(garbage);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ExpectEchoStillPrompt();
}

}  // namespace
}  // namespace bastion::server
