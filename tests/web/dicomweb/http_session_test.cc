// HttpSession driven byte by byte through a fake connection: the HTTP/1.1 framing, limits,
// streaming both ways and keep-alive, with no socket (the session only sees Connection).
#include "web/transport/http_session.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace bastion::web::transport {
namespace {

using net::transport::TimerId;

// Runs everything the session posts on the test thread, in order.
class FakeConnection final : public net::transport::Connection {
 public:
  const net::transport::PeerInfo& peer() const override { return peer_; }
  void Send(std::vector<std::uint8_t> bytes) override { sent_.append(bytes.begin(), bytes.end()); }
  void Close(bool) override { closed_ = true; }
  void StartTimer(TimerId id, std::chrono::milliseconds) override { timers_[int(id)] = true; }
  void StopTimer(TimerId id) override { timers_[int(id)] = false; }
  void WhenWritten(std::function<void()> callback) override { Post(std::move(callback)); }
  void PauseReading() override { paused_ = true; }
  void ResumeReading() override { paused_ = false; }
  void Post(std::function<void()> task) override {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
    ready_.notify_one();
  }
  Poster MakePoster() override {
    return [this](std::function<void()> task) { Post(std::move(task)); };
  }
  // Runs posted tasks until none arrives for a while (workers answer within milliseconds).
  void Drain() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!ready_.wait_for(lock, std::chrono::milliseconds(200),
                             [&] { return !tasks_.empty(); })) {
          return;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::string TakeSent() { return std::exchange(sent_, {}); }
  void Reset() {
    closed_ = false;
    paused_ = false;
    sent_.clear();
  }
  bool closed() const { return closed_; }
  bool paused() const { return paused_; }
  bool timer(TimerId id) const { return timers_[int(id)]; }

 private:
  net::transport::PeerInfo peer_{"127.0.0.1", 40000, true, "", "https", false};
  std::string sent_;
  bool closed_ = false;
  bool paused_ = false;
  bool timers_[4] = {};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
};

class Pieces final : public http::BodyProducer {
 public:
  explicit Pieces(int n) : left_(n) {}
  Result<bool> Next(std::string& out, std::size_t) override {
    out += "piece" + std::to_string(left_);
    return --left_ > 0;
  }

 private:
  int left_;
};

class Collect final : public http::BodyConsumer {
 public:
  explicit Collect(std::string* into) : into_(into) {}
  Status Consume(std::span<const std::uint8_t> bytes) override {
    into_->append(bytes.begin(), bytes.end());
    if (into_->find("poison") != std::string::npos) return Status::Malformed("poisoned body");
    return Status::Ok();
  }
  http::Response Finish() override {
    return http::TextResponse(201, "text/plain", "got " + std::to_string(into_->size()));
  }

 private:
  std::string* into_;
};

// A consumer that counts its calls and, while its gate is shut, waits in Consume (a consumer
// slower than the network).
struct Gate {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = true;
  int calls = 0;
  void Set(bool value) {
    std::lock_guard<std::mutex> lock(mutex);
    open = value;
    opened.notify_all();
  }
};

class Gated final : public http::BodyConsumer {
 public:
  Gated(std::string* into, Gate* gate) : into_(into), gate_(gate) {}
  Status Consume(std::span<const std::uint8_t> bytes) override {
    std::unique_lock<std::mutex> lock(gate_->mutex);
    gate_->opened.wait(lock, [this] { return gate_->open; });
    ++gate_->calls;
    into_->append(bytes.begin(), bytes.end());
    return Status::Ok();
  }
  http::Response Finish() override {
    return http::TextResponse(201, "text/plain", "got " + std::to_string(into_->size()));
  }

 private:
  std::string* into_;
  Gate* gate_;
};

// GET /stream streams three pieces; POST reads the body (/gated through a Gated consumer);
// anything else echoes the target.
class TestHandler final : public http::Handler {
 public:
  http::Dispatch Begin(const http::RequestHead& head) override {
    heads.push_back(head);
    http::Dispatch d;
    if (head.method == "POST") {
      if (head.target == "/refuse") {
        d.response = http::TextResponse(403, "text/plain", "no");
        return d;
      }
      if (head.target == "/gated") {
        d.consumer = std::make_unique<Gated>(&body, &gate);
      } else {
        d.consumer = std::make_unique<Collect>(&body);
      }
      return d;
    }
    if (head.target == "/stream") {
      d.response.producer = std::make_unique<Pieces>(3);
      return d;
    }
    d.response = http::TextResponse(200, "text/plain", "echo " + head.target);
    return d;
  }
  http::Response ErrorResponse(const Status& status, unsigned http_status) override {
    return http::TextResponse(http_status != 0 ? http_status : http::HttpStatusFor(status),
                              "text/plain", status.message());
  }
  std::vector<http::RequestHead> heads;
  std::string body;
  Gate gate;
};

class HttpSessionTest : public ::testing::Test {
 protected:
  HttpSessionTest() : workers_(1) {}
  ~HttpSessionTest() override { workers_.join(); }

  void Open(HttpLimits limits = {}) {
    connection_.Reset();
    session_ = std::make_unique<HttpSession>(handler_, workers_, limits);
    session_->OnOpen(connection_);
  }
  std::string Exchange(std::string_view bytes) {
    session_->OnData(connection_,
                     std::span<const std::uint8_t>(
                         reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    connection_.Drain();
    return connection_.TakeSent();
  }

  // A connection answered without its body being read drains for a while, then closes.
  void ExpectClosed() {
    if (!connection_.closed()) session_->OnTimer(connection_, TimerId::kPdu);
    EXPECT_TRUE(connection_.closed());
  }

  void Feed(std::string_view bytes) {
    session_->OnData(connection_,
                     std::span<const std::uint8_t>(
                         reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
  // Feeds body[at, end) as a transport would, in 16 KiB reads (what one TLS read yields),
  // none while reading is paused (posted work runs then, as on the connection's strand).
  void FeedRespectingPauses(const std::string& body, std::size_t at) {
    constexpr std::size_t kRecord = 16 * 1024;
    while (at < body.size()) {
      if (connection_.paused()) {
        connection_.Drain();
        ASSERT_FALSE(connection_.paused()) << "reading never resumed at byte " << at;
        continue;
      }
      Feed(std::string_view(body).substr(at, kRecord));
      at += kRecord;
    }
    connection_.Drain();
  }
  // A body of `n` bytes that differ from one position to the next (order errors show).
  static std::string Pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
  }

  TestHandler handler_;
  boost::asio::thread_pool workers_;
  FakeConnection connection_;
  std::unique_ptr<HttpSession> session_;
};

TEST_F(HttpSessionTest, AnswersPipelinedRequestsInOrderOnOneConnection) {
  Open();
  const std::string out =
      Exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto a = out.find("echo /a");
  const auto b = out.find("echo /b");
  ASSERT_NE(a, std::string::npos) << out;
  ASSERT_NE(b, std::string::npos) << out;
  EXPECT_LT(a, b);
  EXPECT_FALSE(connection_.closed());
  EXPECT_NE(out.find("strict-transport-security: max-age=31536000"), std::string::npos);
  EXPECT_NE(out.find("x-content-type-options: nosniff"), std::string::npos);
  EXPECT_NE(out.find("cache-control: no-store"), std::string::npos);
  EXPECT_EQ(handler_.heads.size(), 2u);
  EXPECT_EQ(handler_.heads[0].remote_address, "127.0.0.1");
}

TEST_F(HttpSessionTest, HeadersAreLowerCasedForHandlers) {
  Open();
  Exchange("GET /a HTTP/1.1\r\nHost: x\r\nX-CSRF-Token: abc\r\n\r\n");
  ASSERT_EQ(handler_.heads.size(), 1u);
  EXPECT_EQ(http::FindHeader(handler_.heads[0].headers, "x-csrf-token"), "abc");
}

TEST_F(HttpSessionTest, ARequestArrivingOneByteAtATimeIsTheSameRequest) {
  Open();
  std::string out;
  for (char c : std::string("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")) out += Exchange({&c, 1});
  EXPECT_NE(out.find("echo /slow"), std::string::npos) << out;
}

TEST_F(HttpSessionTest, StreamsAProducedBodyChunked) {
  Open();
  const std::string out = Exchange("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(out.find("transfer-encoding: chunked"), std::string::npos) << out;
  EXPECT_NE(out.find("6\r\npiece3\r\n6\r\npiece2\r\n6\r\npiece1\r\n0\r\n\r\n"), std::string::npos)
      << out;
}

TEST_F(HttpSessionTest, DeliversAChunkedRequestBodyToTheConsumer) {
  Open();
  const std::string out = Exchange(
      "POST /store HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(handler_.body, "hello world");
  EXPECT_NE(out.find("HTTP/1.1 201"), std::string::npos) << out;
  EXPECT_NE(out.find("got 11"), std::string::npos);
}

TEST_F(HttpSessionTest, SendsContinueOnlyWhenTheHandlerWantsTheBody) {
  Open();
  std::string out = Exchange(
      "POST /store HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
  out = Exchange("abc");
  EXPECT_NE(out.find("got 3"), std::string::npos) << out;

  Open();
  out = Exchange(
      "POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: "
      "100-continue\r\n\r\n");
  EXPECT_EQ(out.find("100 Continue"), std::string::npos) << out;
  EXPECT_NE(out.find("HTTP/1.1 403"), std::string::npos);
  EXPECT_NE(out.find("connection: close"), std::string::npos);
  EXPECT_FALSE(connection_.closed());  // discards what the client still sends, first
  ExpectClosed();
}

TEST_F(HttpSessionTest, AConsumerErrorAnswersWithItsStatusAndCloses) {
  Open();
  const std::string out =
      Exchange("POST /store HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\npoison");
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  EXPECT_NE(out.find("poisoned body"), std::string::npos);
  EXPECT_TRUE(connection_.closed());
}

TEST_F(HttpSessionTest, RefusesAHeadOverTheLimitWith431) {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  Open(limits);
  const std::string out =
      Exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 431"), std::string::npos) << out;
  ExpectClosed();
  EXPECT_TRUE(handler_.heads.empty());
}

TEST_F(HttpSessionTest, RefusesADeclaredBodyOverTheLimitBeforeReadingIt) {
  HttpLimits limits;
  limits.max_body_bytes = 1000;
  Open(limits);
  const std::string out =
      Exchange("POST /store HTTP/1.1\r\nHost: x\r\nContent-Length: 4294967296\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos) << out;
  ExpectClosed();
  EXPECT_TRUE(handler_.body.empty());
}

TEST_F(HttpSessionTest, RefusesMalformedFramingWith400) {
  for (const char* bad : {
           "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
           "GET / HTTP/9.9\r\n\r\n",
           "GET / HTTP/1.1\r\n\r\n",  // no Host
           "GARBAGE\r\n\r\n",
       }) {
    Open();
    const std::string out = Exchange(bad);
    EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << bad << "\n" << out;
    ExpectClosed();
  }
}

TEST_F(HttpSessionTest, ClosesAfterARequestThatAsksForIt) {
  Open();
  const std::string out = Exchange("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("echo /a"), std::string::npos);
  EXPECT_TRUE(connection_.closed());
}

TEST_F(HttpSessionTest, AStalledRequestTimesOutWith408) {
  Open();
  Exchange("GET /a HTTP/1.1\r\nHost");
  EXPECT_TRUE(connection_.timer(TimerId::kPdu));
  session_->OnTimer(connection_, TimerId::kPdu);
  connection_.Drain();
  EXPECT_NE(connection_.TakeSent().find("HTTP/1.1 408"), std::string::npos);
  ExpectClosed();
}

TEST_F(HttpSessionTest, GathersABodyArrivingInTlsRecordSizedReadsIntoFewPieces) {
  Open();
  const std::string body = Pattern(2 << 20);
  Exchange("POST /gated HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n");
  FeedRespectingPauses(body, 0);
  const std::string out = connection_.TakeSent();
  EXPECT_EQ(handler_.body, body);
  // 128 reads; a piece is handed over once 256 KiB gathered (or at the end), not per read.
  EXPECT_LE(handler_.gate.calls, 9);
  EXPECT_GE(handler_.gate.calls, 2);
  EXPECT_FALSE(connection_.closed());
}

TEST_F(HttpSessionTest, ReadsOnWhileAPieceIsConsumedAndPausesWhenTheConsumerFallsBehind) {
  Open();
  const std::string body = Pattern(3 << 20);
  Exchange("POST /gated HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n");
  handler_.gate.Set(false);  // the first piece is held in Consume
  constexpr std::size_t kRecord = 16 * 1024;
  std::size_t at = 0;
  while (at < body.size() && !connection_.paused()) {
    Feed(std::string_view(body).substr(at, kRecord));
    at += kRecord;
  }
  // Reading went on past the piece being consumed (256 KiB), then paused, well before the end:
  // what is held stays bounded (the piece, 512 KiB gathered, one read in hand).
  EXPECT_TRUE(connection_.paused());
  EXPECT_GT(at, std::size_t{512 * 1024});
  EXPECT_LE(at, std::size_t{1024 * 1024});
  EXPECT_FALSE(connection_.timer(TimerId::kPdu));  // our delay, not the client's stall
  handler_.gate.Set(true);
  FeedRespectingPauses(body, at);
  const std::string out = connection_.TakeSent();
  EXPECT_EQ(handler_.body, body);
  EXPECT_NE(out.find("HTTP/1.1 201"), std::string::npos) << out.substr(0, 200);
  EXPECT_NE(out.find("got " + std::to_string(body.size())), std::string::npos);
}

TEST_F(HttpSessionTest, AConsumerErrorInALargeBodyAnswersOnceAndCloses) {
  Open();
  std::string body = Pattern(1 << 20);
  body.replace(300 * 1024, 6, "poison");
  const std::string out = Exchange("POST /store HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                   std::to_string(body.size() + 1000) + "\r\n\r\n" + body);
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out.substr(0, 200);
  EXPECT_EQ(out.find("HTTP/1.1", 1), std::string::npos) << "one answer only";
  ExpectClosed();
}

}  // namespace
}  // namespace bastion::web::transport
