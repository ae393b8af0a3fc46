#include "net/transport/server.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "net/transport/tls_context.h"

namespace bastion::net::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
// The executor of an accepted socket: a strand, so every handler of one connection is serialised.
using Strand = asio::any_io_executor;

// The read buffer of a connection that streams (see Session::read_buffer_).
constexpr std::size_t kStreamingReadBuffer = 256 * 1024;

// Counts connections in total and per address; a Ticket releases its slot when destroyed.
class Admission {
 public:
  explicit Admission(const TransportLimits& limits) : limits_(limits) {}

  struct Ticket {
    Admission* owner;
    std::string address;
    ~Ticket() { owner->Release(address); }
  };

  // nullopt: refuse outright. Otherwise a ticket, and whether it is over the caps.
  std::shared_ptr<Ticket> Admit(const std::string& address, bool& over_capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::uint32_t per_address = per_address_[address];
    over_capacity =
        total_ >= limits_.max_connections || per_address >= limits_.max_connections_per_address;
    if (over_capacity &&
        (total_ >= limits_.max_connections + limits_.overflow_connections ||
         per_address >= limits_.max_connections_per_address + limits_.overflow_connections)) {
      if (per_address == 0) per_address_.erase(address);
      return nullptr;
    }
    ++total_;
    ++per_address_[address];
    return std::shared_ptr<Ticket>(new Ticket{this, address});
  }

  std::uint32_t total() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return total_;
  }

 private:
  void Release(const std::string& address) {
    std::lock_guard<std::mutex> lock(mutex_);
    --total_;
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }

  TransportLimits limits_;
  mutable std::mutex mutex_;
  std::uint32_t total_ = 0;
  std::map<std::string, std::uint32_t> per_address_;
};

// One connection; Stream is tcp::socket or ssl::stream<tcp::socket>.
template <typename Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Strand strand, Stream stream, PeerInfo peer, std::shared_ptr<Admission::Ticket> ticket)
      : strand_(std::move(strand)),
        stream_(std::move(stream)),
        peer_(std::move(peer)),
        ticket_(std::move(ticket)),
        artim_(strand_),
        idle_(strand_),
        pdu_(strand_),
        custom_(strand_),
        handshake_(strand_) {}

  void Begin(std::unique_ptr<ConnectionLogic> logic, std::chrono::milliseconds handshake_timeout) {
    logic_ = std::move(logic);
    // The session owns itself until Shutdown: while reading is paused (a decision pending on
    // another thread) no I/O handler holds it.
    keepalive_ = this->shared_from_this();
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      Opened();
    } else {
      handshake_.expires_after(handshake_timeout);
      handshake_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->Shutdown("TLS handshake timed out");
      });
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::system::error_code ec) {
                                self->handshake_.cancel();
                                if (ec) {
                                  self->Shutdown("TLS handshake failed: " + ec.message());
                                  return;
                                }
                                self->peer_.certificate_fingerprint =
                                    PeerCertificateFingerprint(self->stream_.native_handle());
                                self->Opened();
                              });
    }
  }

  // ---- Connection ----
  const PeerInfo& peer() const override { return peer_; }

  void Send(std::vector<std::uint8_t> bytes) override {
    if (closed_ || bytes.empty()) return;
    writes_.push_back(std::move(bytes));
    if (writes_.size() == 1) WriteNext();
  }

  void WhenWritten(std::function<void()> callback) override {
    if (closed_) return;
    if (writes_.empty()) {
      callback();
      return;
    }
    written_callbacks_.push_back(std::move(callback));
  }

  void Close(bool immediately) override {
    if (closed_) return;
    closing_ = true;
    if (immediately || writes_.empty()) Shutdown("closed by the server");
  }

  void StartTimer(TimerId id, std::chrono::milliseconds after) override {
    asio::steady_timer& t = TimerFor(id);
    t.expires_after(after);
    t.async_wait([self = this->shared_from_this(), id,
                  gen = ++timer_generation_[Index(id)]](boost::system::error_code ec) {
      if (ec || self->closed_ || gen != self->timer_generation_[Index(id)]) return;
      self->logic_->OnTimer(*self, id);
    });
  }

  void StopTimer(TimerId id) override {
    ++timer_generation_[Index(id)];
    TimerFor(id).cancel();
  }

  void PauseReading() override { paused_ = true; }

  void ResumeReading() override {
    if (!paused_) return;
    paused_ = false;
    if (!reading_ && !closed_ && !closing_) ReadNext();
  }

  void Post(std::function<void()> task) override {
    std::weak_ptr<Session> weak = this->shared_from_this();
    asio::post(strand_, [weak, task = std::move(task)] {
      auto self = weak.lock();
      if (self && !self->closed_) task();
    });
  }

  Poster MakePoster() override {
    std::weak_ptr<Session> weak = this->shared_from_this();
    return [weak](std::function<void()> task) {
      if (auto self = weak.lock()) self->Post(std::move(task));
    };
  }

  void ForceClose() {
    asio::post(strand_, [self = this->shared_from_this()] { self->Shutdown("server stopping"); });
  }

 private:
  static std::size_t Index(TimerId id) { return static_cast<std::size_t>(id); }
  asio::steady_timer& TimerFor(TimerId id) {
    switch (id) {
      case TimerId::kArtim:
        return artim_;
      case TimerId::kIdle:
        return idle_;
      case TimerId::kPdu:
        return pdu_;
      case TimerId::kCustom:
        break;
    }
    return custom_;
  }

  tcp::socket& Socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }

  void Opened() {
    logic_->OnOpen(*this);
    if (!closed_ && !closing_ && !paused_) ReadNext();
  }

  void ReadNext() {
    reading_ = true;
    stream_.async_read_some(
        asio::buffer(read_buffer_),
        [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
          self->reading_ = false;
          if (self->closed_) return;
          if (ec) {
            self->Shutdown(ec == asio::error::eof ? "peer closed the connection"
                                                  : "read failed: " + ec.message());
            return;
          }
          self->logic_->OnData(*self, std::span<const std::uint8_t>(self->read_buffer_.data(), n));
          // Not while a read is outstanding (OnData may have resumed reading): it uses the buffer.
          if (n == self->read_buffer_.size() && n < kStreamingReadBuffer && !self->reading_) {
            self->read_buffer_.resize(kStreamingReadBuffer);
          }
          // OnData may have paused and resumed reading, which already started the next read:
          // a second one outstanding would deliver bytes out of order.
          if (!self->closed_ && !self->closing_ && !self->paused_ && !self->reading_) {
            self->ReadNext();
          }
        });
  }

  void WriteNext() {
    asio::async_write(stream_, asio::buffer(writes_.front()),
                      [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (self->closed_) return;
                        if (ec) {
                          self->Shutdown("write failed: " + ec.message());
                          return;
                        }
                        self->writes_.pop_front();
                        if (!self->writes_.empty()) {
                          self->WriteNext();
                          return;
                        }
                        auto callbacks = std::move(self->written_callbacks_);
                        self->written_callbacks_.clear();
                        for (auto& callback : callbacks) {
                          if (!self->closed_) callback();
                        }
                        if (self->closing_ && self->writes_.empty()) {
                          self->Shutdown("closed by the server");
                        }
                      });
  }

  void Shutdown(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    for (asio::steady_timer* t : {&artim_, &idle_, &pdu_, &custom_, &handshake_}) t->cancel();
    boost::system::error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
    writes_.clear();
    written_callbacks_.clear();
    if (logic_) logic_->OnClosed(reason);
    ticket_.reset();
    // The logic may be the caller (Close from inside OnData): destroy it, and this object,
    // only after the current handler has returned.
    asio::post(strand_, [self = std::move(keepalive_), logic = std::move(logic_)] {});
  }

  Strand strand_;
  Stream stream_;
  PeerInfo peer_;
  std::shared_ptr<Admission::Ticket> ticket_;
  std::unique_ptr<ConnectionLogic> logic_;
  std::shared_ptr<Session> keepalive_;
  asio::steady_timer artim_, idle_, pdu_, custom_, handshake_;
  std::uint64_t timer_generation_[4] = {0, 0, 0, 0};
  // 16 KiB (one TLS record) while a connection is quiet (hundreds of idle associations cost
  // little); a read that fills it means a stream (a C-STORE data set), and the buffer grows once to
  // 256 KiB so that a 1 MiB PDU takes 4 reads instead of 64.
  std::vector<std::uint8_t> read_buffer_ = std::vector<std::uint8_t>(16 * 1024);
  std::deque<std::vector<std::uint8_t>> writes_;
  std::vector<std::function<void()>> written_callbacks_;
  bool reading_ = false;
  bool paused_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

struct Server::Impl {
  Impl(TransportLimits l, ConnectionLogicFactory f)
      : limits(l), factory(std::move(f)), admission(l), work(asio::make_work_guard(io)) {}

  struct Listener {
    ListenerConfig config;
    std::unique_ptr<tcp::acceptor> acceptor;
  };

  void Accept(Listener& listener) {
    listener.acceptor->async_accept(
        asio::make_strand(io), [this, &listener](boost::system::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || stopping) return;
          if (!ec) OnAccepted(listener, std::move(socket));
          Accept(listener);
        });
  }

  void OnAccepted(Listener& listener, tcp::socket socket) {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);  // never wait for Nagle (about 40 ms a message)
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    PeerInfo peer;
    peer.address = remote.address().to_string();
    peer.port = remote.port();
    peer.tls = listener.config.tls != nullptr;
    peer.local_listener = listener.config.name;
    auto ticket = admission.Admit(peer.address, peer.over_capacity);
    if (!ticket) return;  // far beyond the caps: close without a word
    auto logic = factory(peer);
    if (!logic) return;
    Strand strand(socket.get_executor());
    if (listener.config.tls) {
      using TlsStream = asio::ssl::stream<tcp::socket>;
      auto session = std::make_shared<Session<TlsStream>>(
          strand, TlsStream(std::move(socket), *listener.config.tls), peer, std::move(ticket));
      Track(session);
      session->Begin(std::move(logic), limits.tls_handshake_timeout);
    } else {
      auto session = std::make_shared<Session<tcp::socket>>(strand, std::move(socket), peer,
                                                            std::move(ticket));
      Track(session);
      session->Begin(std::move(logic), limits.tls_handshake_timeout);
    }
  }

  template <typename S>
  void Track(const std::shared_ptr<S>& session) {
    std::lock_guard<std::mutex> lock(sessions_mutex);
    // Drop entries whose sessions are gone; keep the list bounded by live connections.
    std::erase_if(closers, [](const auto& c) { return c.first.expired(); });
    std::weak_ptr<S> weak = session;
    closers.emplace_back(weak, [weak] {
      if (auto s = weak.lock()) s->ForceClose();
    });
  }

  TransportLimits limits;
  ConnectionLogicFactory factory;
  Admission admission;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  std::mutex sessions_mutex;
  std::vector<std::pair<std::weak_ptr<void>, std::function<void()>>> closers;
  std::atomic<bool> stopping{false};
};

Server::Server(TransportLimits limits, ConnectionLogicFactory factory)
    : impl_(std::make_unique<Impl>(limits, std::move(factory))) {}

Server::~Server() { Stop(); }

Result<std::uint16_t> Server::AddListener(const ListenerConfig& config) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config.bind_address, ec);
  if (ec) return Status::Malformed("invalid bind address '" + config.bind_address + "'");
  auto listener = std::make_unique<Impl::Listener>();
  listener->config = config;
  listener->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  tcp::endpoint endpoint(address, config.port);
  listener->acceptor->open(endpoint.protocol(), ec);
  if (!ec) listener->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) listener->acceptor->bind(endpoint, ec);
  if (!ec) listener->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + config.bind_address + ":" +
                               std::to_string(config.port) + ": " + ec.message());
  }
  const std::uint16_t port = listener->acceptor->local_endpoint().port();
  impl_->listeners.push_back(std::move(listener));
  return port;
}

void Server::Start() {
  for (auto& listener : impl_->listeners) impl_->Accept(*listener);
  unsigned n = impl_->limits.threads != 0 ? impl_->limits.threads
                                          : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void Server::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  asio::post(impl_->io, [this] {
    for (auto& listener : impl_->listeners) {
      boost::system::error_code ignored;
      listener->acceptor->close(ignored);
    }
  });
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mutex);
    for (auto& [weak, close] : impl_->closers) close();
  }
  impl_->work.reset();
  // Give sessions a moment to finish their close handlers, then stop the loop.
  asio::post(impl_->io, [this] { impl_->io.stop(); });
  for (std::thread& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

std::uint32_t Server::connection_count() const { return impl_->admission.total(); }

}  // namespace bastion::net::transport
