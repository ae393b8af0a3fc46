#include "web/transport/http_session.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/optional.hpp>
#include <cstdio>

namespace bastion::web::transport {

namespace beast = boost::beast;
using net::transport::TimerId;

namespace {

// After an answer to a request whose body was not read: how long and how much to discard.
constexpr std::chrono::milliseconds kDrainTime{2000};
constexpr std::uint64_t kMaxDrainBytes = 16ull << 20;
// Received bytes held while reading is paused (requests pipelined behind the current one).
constexpr std::size_t kMaxBufferedInput = 4u << 20;
// A request body goes to its consumer in pieces of at least this much (or the rest, once the
// body is complete): a TLS read yields one record (16 KiB), and handing each to a worker and
// back cost two thread wake-ups per record, more than the consumer's own work. Reading goes on
// while a piece is consumed, up to kMaxHeldBody gathered for the next one; beyond that it
// pauses until the consumer has caught up. So a connection holds at most one piece being
// consumed, kMaxHeldBody plus one read gathered, and the transport's read buffer.
constexpr std::size_t kMinBodyPiece = 256 * 1024;
constexpr std::size_t kMaxHeldBody = 512 * 1024;

// A Beast body that appends to a string the session drains after every parse step: the
// parser never reserves memory from a Content-Length the caller controls (string_body does).
struct PieceBody {
  using value_type = std::string;
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      ec = {};
      std::size_t n = 0;
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        n += buffer.size();
      }
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

bool HasHeader(const http::HeaderFields& fields, std::string_view name) {
  return http::FindHeader(fields, name).has_value();
}

// Added to every response unless the handler set the field itself.
void AddSecurityHeaders(http::HeaderFields& fields, bool tls) {
  auto add = [&fields](std::string_view name, std::string_view value) {
    if (!HasHeader(fields, name)) fields.emplace_back(name, value);
  };
  if (tls) add("strict-transport-security", "max-age=31536000; includeSubDomains");
  add("x-content-type-options", "nosniff");
  add("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  add("x-frame-options", "DENY");
  add("referrer-policy", "no-referrer");
  add("cache-control", "no-store");
  add("cross-origin-opener-policy", "same-origin");
}

// One chunk (RFC 9112 7.1) as the bytes to send: built in one copy, on the worker thread that
// produced the piece, so the connection's strand only moves it.
std::vector<std::uint8_t> ChunkFrame(std::string_view data) {
  char size[24];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::vector<std::uint8_t> frame;
  frame.reserve(static_cast<std::size_t>(n) + data.size() + 2);
  frame.insert(frame.end(), size, size + n);
  frame.insert(frame.end(), data.begin(), data.end());
  frame.push_back('\r');
  frame.push_back('\n');
  return frame;
}

std::vector<std::uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

}  // namespace

struct HttpSession::Parser {
  explicit Parser(const HttpLimits& limits) {
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
  }
  beast::http::request_parser<PieceBody> parser;
  bool consuming = false;  // a piece of this request's body is with its consumer
  // The buffer of the last piece consumed, emptied, for the next one to gather into: without
  // it every piece costs a fresh allocation of kMaxHeldBody (mapped, faulted in page by page
  // and unmapped again). Held only while this request lasts.
  std::shared_ptr<std::string> spare;
};

HttpSession::HttpSession(http::Handler& handler, boost::asio::thread_pool& workers,
                         HttpLimits limits)
    : handler_(handler), workers_(workers), limits_(limits) {}

HttpSession::~HttpSession() = default;

void HttpSession::OnOpen(net::transport::Connection& connection) {
  connection_ = &connection;
  if (connection.peer().over_capacity) {
    Refuse(Status::Unavailable("too many connections; try again later"));
    return;
  }
  NewRequest();
  connection.StartTimer(TimerId::kIdle, limits_.idle_timeout);
}

void HttpSession::NewRequest() {
  parser_ = std::make_unique<Parser>(limits_);
  state_ = State::kReadingHead;
  consumer_.reset();
  head_request_ = false;
  chunked_response_ = false;
}

void HttpSession::OnData(net::transport::Connection&, std::span<const std::uint8_t> bytes) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kDraining) {
    drained_ += bytes.size();
    if (drained_ > kMaxDrainBytes) {
      state_ = State::kClosed;
      connection_->Close(true);
    }
    return;
  }
  if (state_ != State::kReadingHead && state_ != State::kReadingBody) {
    input_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // Reading is paused; what was already in flight is kept, within a bound (a pipelining
    // client cannot make us hold more than this while a request is served).
    if (input_.size() > kMaxBufferedInput) {
      state_ = State::kClosed;
      connection_->Close(true);
    }
    return;
  }
  connection_->StopTimer(TimerId::kIdle);
  connection_->StartTimer(TimerId::kPdu, limits_.request_timeout);
  if (!input_.empty()) {
    input_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    bytes = {};
  }
  Pump(bytes);
}

void HttpSession::Pump(std::span<const std::uint8_t> fresh) {
  // Parses input_ when it holds bytes (`fresh` is then empty), else straight from the read:
  // a body (a STOW-RS body is hundreds of megabytes) then goes from the transport's buffer
  // into its piece without a copy into input_ on the way. Whatever is not parsed stays in
  // input_ for later.
  const bool from_input = !input_.empty();
  const std::span<const std::uint8_t> data =
      from_input ? std::span(reinterpret_cast<const std::uint8_t*>(input_.data()), input_.size())
                 : fresh;
  const std::size_t consumed = Parse(data);
  if (from_input) {
    input_.erase(0, consumed);
  } else {
    input_.append(reinterpret_cast<const char*>(data.data()) + consumed, data.size() - consumed);
  }
}

std::size_t HttpSession::Parse(std::span<const std::uint8_t> data) {
  std::size_t at = 0;
  while ((state_ == State::kReadingHead || state_ == State::kReadingBody) && at < data.size()) {
    auto& parser = parser_->parser;
    if (state_ == State::kReadingBody && parser_->consuming &&
        parser.get().body().size() >= kMaxHeldBody) {
      // The consumer is behind: read nothing more until its piece is done (the piece's
      // completion resumes). Not the client's stall, so no request timeout meanwhile.
      connection_->PauseReading();
      connection_->StopTimer(TimerId::kPdu);
      return at;
    }
    beast::error_code ec;
    const std::size_t used =
        parser.put(boost::asio::buffer(data.data() + at, data.size() - at), ec);
    at += used;
    if (ec == beast::http::error::need_more) {
      if (state_ == State::kReadingHead && data.size() - at > limits_.max_header_bytes) {
        Refuse(Status::LimitExceeded("the request head is larger than the limit"), 431);
        return at;
      }
      if (state_ == State::kReadingBody) DeliverBody();
      if (used == 0) return at;
      continue;
    }
    if (ec == beast::http::error::header_limit) {
      Refuse(Status::LimitExceeded("the request head is larger than the limit"), 431);
      return at;
    }
    if (ec == beast::http::error::body_limit) {
      Refuse(Status::LimitExceeded("the request body is larger than the limit"));
      return at;
    }
    if (ec) {
      Refuse(Status::Malformed("malformed HTTP request: " + ec.message()));
      return at;
    }
    if (state_ == State::kReadingHead && parser.is_header_done()) {
      HeadComplete();
      return at;
    }
    if (state_ == State::kReadingBody) {
      DeliverBody();
      if (parser.is_done()) return at;
    }
  }
  return at;
}

void HttpSession::HeadComplete() {
  state_ = State::kWaiting;
  connection_->PauseReading();
  connection_->StopTimer(TimerId::kPdu);
  auto& parser = parser_->parser;
  const auto& message = parser.get();
  if (message.version() != 10 && message.version() != 11) {
    Refuse(Status::Malformed("only HTTP/1.0 and HTTP/1.1 are served"));
    return;
  }
  if (message.version() == 11 && message.count(beast::http::field::host) != 1) {
    Refuse(Status::Malformed("an HTTP/1.1 request needs exactly one Host header (RFC 9112 3.2)"));
    return;
  }
  http::RequestHead head;
  head.method = std::string(message.method_string());
  head.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    head.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if (parser.content_length()) head.content_length = *parser.content_length();
  head.has_body = parser.chunked() || (head.content_length && *head.content_length > 0);
  head.remote_address = connection_->peer().address;
  head.tls = connection_->peer().tls;
  head.client_certificate_fingerprint = connection_->peer().certificate_fingerprint;
  keep_alive_ = message.keep_alive() && message.version() >= 11;
  head_request_ = head.method == "HEAD";
  const bool expects_continue = [&] {
    auto expect = http::FindHeader(head.headers, "expect");
    return expect && (*expect == "100-continue" || *expect == "100-Continue");
  }();

  auto poster = connection_->MakePoster();
  boost::asio::post(workers_, [this, poster, head = std::move(head), expects_continue]() mutable {
    auto dispatch = std::make_shared<http::Dispatch>();
    try {
      *dispatch = handler_.Begin(head);
    } catch (const std::exception& e) {
      dispatch->consumer.reset();
      dispatch->response = handler_.ErrorResponse(Status::Internal(e.what()));
    }
    poster([this, dispatch, has_body = head.has_body, expects_continue] {
      if (state_ == State::kClosed) return;
      if (!dispatch->consumer) {
        // Answered without the body: do not read what may be gigabytes; close after.
        if (has_body && !parser_->parser.is_done()) {
          dispatch->response.close = true;
          unread_body_ = true;
        }
        StartResponse(std::move(dispatch->response));
        return;
      }
      consumer_ = std::move(dispatch->consumer);
      if (!has_body || parser_->parser.is_done()) {
        FinishBody();
        return;
      }
      if (expects_continue) connection_->Send(Bytes("HTTP/1.1 100 Continue\r\n\r\n"));
      state_ = State::kReadingBody;
      if (const auto length = parser_->parser.content_length()) {
        // The body (or its first piece) gathers into one buffer of that size, not into one
        // grown by doubling, a copy of everything gathered at every step. Bounded by
        // kMaxHeldBody whatever the caller announced; a chunked body grows as it comes.
        parser_->parser.get().body().reserve(std::min<std::uint64_t>(*length, kMaxHeldBody));
      }
      connection_->StartTimer(TimerId::kPdu, limits_.request_timeout);
      connection_->ResumeReading();
      Pump();
    });
  });
}

// Hands what the parser gathered to the consumer when no piece is with it already and there
// is enough (or the body is complete); reading goes on meanwhile (see kMinBodyPiece).
void HttpSession::DeliverBody() {
  auto& parser = parser_->parser;
  std::string& body = parser.get().body();
  const bool done = parser.is_done();
  if (done) {  // what follows belongs to the next request, read after the answer
    state_ = State::kWaiting;
    connection_->PauseReading();
  }
  if (parser_->consuming) return;  // its completion delivers what gathers meanwhile
  if (!done && body.size() < kMinBodyPiece) return;
  if (body.empty()) {
    FinishBody();  // done, and every byte already consumed
    return;
  }
  parser_->consuming = true;
  std::shared_ptr<std::string> piece = std::move(parser_->spare);
  if (!piece) piece = std::make_shared<std::string>();
  piece->swap(body);  // the gathered bytes go; the spare's storage gathers the next piece
  body.clear();
  if (!done) body.reserve(kMaxHeldBody);  // a no-op once the spare's storage is back
  auto poster = connection_->MakePoster();
  std::shared_ptr<http::BodyConsumer> consumer = consumer_;
  boost::asio::post(workers_, [this, poster, consumer, piece, done] {
    Status status;
    try {
      status = consumer->Consume(std::span<const std::uint8_t>(
          reinterpret_cast<const std::uint8_t*>(piece->data()), piece->size()));
    } catch (const std::exception& e) {
      status = Status::Internal(e.what());
    }
    // Kept for the next piece unless it was the last one, or grew past what a piece needs
    // (one read beyond kMaxHeldBody); otherwise freed here, on the worker.
    const bool keep = !done && status.ok() && piece->capacity() <= 2 * kMaxHeldBody;
    if (keep) {
      piece->clear();
    } else {
      std::string().swap(*piece);
    }
    poster([this, status, done, piece = keep ? piece : nullptr] {
      // Refused meanwhile (framing error, limit): that answer is already on its way.
      if (state_ != State::kReadingBody && state_ != State::kWaiting) return;
      parser_->consuming = false;
      parser_->spare = piece;
      if (!status.ok()) {
        consumer_.reset();
        http::Response response = handler_.ErrorResponse(status);
        response.close = true;
        unread_body_ = !parser_->parser.is_done();
        StartResponse(std::move(response));
        return;
      }
      if (done) {
        FinishBody();
        return;
      }
      if (parser_->parser.is_done()) {
        DeliverBody();  // the body ended while the piece was consumed: the rest of it
        return;
      }
      // Reading went on while the piece was consumed: what gathered goes next, and input
      // held while reading was paused is parsed.
      connection_->StartTimer(TimerId::kPdu, limits_.request_timeout);
      connection_->ResumeReading();
      DeliverBody();
      Pump();
    });
  });
}

void HttpSession::FinishBody() {
  state_ = State::kWaiting;
  connection_->PauseReading();
  connection_->StopTimer(TimerId::kPdu);
  auto poster = connection_->MakePoster();
  std::shared_ptr<http::BodyConsumer> consumer = std::move(consumer_);
  boost::asio::post(workers_, [this, poster, consumer] {
    auto response = std::make_shared<http::Response>();
    try {
      *response = consumer->Finish();
    } catch (const std::exception& e) {
      *response = handler_.ErrorResponse(Status::Internal(e.what()));
    }
    poster([this, response] {
      if (state_ != State::kClosed) StartResponse(std::move(*response));
    });
  });
}

void HttpSession::Refuse(const Status& status, unsigned http_status) {
  http::Response response = handler_.ErrorResponse(status, http_status);
  response.close = true;
  unread_body_ = state_ != State::kResponding;
  connection_->PauseReading();
  StartResponse(std::move(response));
}

void HttpSession::StartResponse(http::Response response) {
  state_ = State::kResponding;
  if (response.close) keep_alive_ = false;
  AddSecurityHeaders(response.headers, connection_->peer().tls);
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                     std::string(http::ReasonPhrase(response.status)) + "\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  chunked_response_ = response.producer != nullptr;
  if (chunked_response_) {
    head += "transfer-encoding: chunked\r\n";
  } else if (response.status != 204 && response.status != 304) {
    head += "content-length: " + std::to_string(response.body.size()) + "\r\n";
  }
  if (!keep_alive_) head += "connection: close\r\n";
  head += "\r\n";
  connection_->StartTimer(TimerId::kPdu, limits_.request_timeout);
  if (!chunked_response_ || head_request_) {
    if (!head_request_) head += response.body;
    connection_->Send(Bytes(head));
    connection_->WhenWritten([this] { ResponseDone(); });
    return;
  }
  connection_->Send(Bytes(head));
  SendNextPiece(std::shared_ptr<http::BodyProducer>(std::move(response.producer)));
}

void HttpSession::SendNextPiece(std::shared_ptr<http::BodyProducer> producer) {
  auto poster = connection_->MakePoster();
  const std::size_t max = limits_.response_piece_bytes;
  boost::asio::post(workers_, [this, poster, producer, max] {
    std::string piece;
    Result<bool> more = false;
    try {
      more = producer->Next(piece, max);
    } catch (const std::exception& e) {
      more = Status::Internal(e.what());
    }
    auto frame = std::make_shared<std::vector<std::uint8_t>>();
    if (more.ok() && !piece.empty()) *frame = ChunkFrame(piece);
    poster([this, producer, frame, more = std::move(more)] {
      if (state_ == State::kClosed) return;
      if (!more.ok()) {
        // The status line is gone: the only honest signal left is an unterminated body.
        state_ = State::kClosed;
        connection_->Close(true);
        return;
      }
      connection_->StartTimer(TimerId::kPdu, limits_.request_timeout);
      if (!frame->empty()) connection_->Send(std::move(*frame));
      if (*more) {
        connection_->WhenWritten([this, producer] { SendNextPiece(producer); });
        return;
      }
      connection_->Send(Bytes("0\r\n\r\n"));
      connection_->WhenWritten([this] { ResponseDone(); });
    });
  });
}

void HttpSession::ResponseDone() {
  if (state_ == State::kClosed) return;
  connection_->StopTimer(TimerId::kPdu);
  ++requests_;
  if (!keep_alive_ || requests_ >= limits_.max_requests_per_connection) {
    if (unread_body_) {
      // RFC 9112 9.6: a client still sending a body we did not read would get a reset that
      // destroys the response it has not read yet. Discard what it sends for a bounded time
      // and amount, so that it sees the answer, then close.
      state_ = State::kDraining;
      drained_ = 0;
      connection_->StartTimer(TimerId::kPdu, kDrainTime);
      connection_->ResumeReading();
      return;
    }
    state_ = State::kClosed;
    connection_->Close();
    return;
  }
  NewRequest();
  connection_->StartTimer(TimerId::kIdle, limits_.idle_timeout);
  connection_->ResumeReading();
  if (!input_.empty()) {
    connection_->StopTimer(TimerId::kIdle);
    connection_->StartTimer(TimerId::kPdu, limits_.request_timeout);
    Pump();
  }
}

void HttpSession::OnTimer(net::transport::Connection& connection, TimerId id) {
  if (state_ == State::kClosed) return;
  if (id == TimerId::kIdle) {
    if (state_ == State::kReadingHead && input_.empty()) {
      state_ = State::kClosed;
      connection.Close();
    }
    return;
  }
  if (id != TimerId::kPdu) return;
  if (state_ == State::kDraining) {
    state_ = State::kClosed;
    connection.Close(true);
    return;
  }
  if (state_ == State::kReadingHead || state_ == State::kReadingBody) {
    consumer_.reset();
    Refuse(Status::Unavailable("the request timed out"), 408);
    return;
  }
  if (state_ == State::kResponding) {  // the client stopped reading
    state_ = State::kClosed;
    connection.Close(true);
  }
}

void HttpSession::OnClosed(const std::string&) {
  state_ = State::kClosed;
  consumer_.reset();
}

}  // namespace bastion::web::transport
