#include "net/transport/client.h"

#include <openssl/err.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>

#include "net/dimse/message.h"
#include "net/pdu/pdu_codec.h"
#include "net/ul/association_machine.h"

namespace bastion::net::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string DescribeRejection(const pdu::AAssociateRj& rj) {
  std::string out =
      rj.result == pdu::RejectResult::kPermanent ? "Rejected Permanent" : "Rejected Transient";
  std::string reason = "reason " + std::to_string(rj.reason);
  switch (rj.source) {
    case pdu::RejectSource::kServiceUser:
      out += ", Source: Service User";
      if (rj.reason == pdu::reject_reason::kNoReasonGiven) reason = "No Reason Given";
      if (rj.reason == pdu::reject_reason::kApplicationContextNotSupported) {
        reason = "Application Context Name Not Supported";
      }
      if (rj.reason == pdu::reject_reason::kCallingAeNotRecognized) {
        reason = "Calling AE Title Not Recognized";
      }
      if (rj.reason == pdu::reject_reason::kCalledAeNotRecognized) {
        reason = "Called AE Title Not Recognized";
      }
      break;
    case pdu::RejectSource::kServiceProviderAcse:
      out += ", Source: Service Provider (ACSE)";
      if (rj.reason == pdu::reject_reason::kProtocolVersionNotSupported) {
        reason = "Protocol Version Not Supported";
      }
      break;
    case pdu::RejectSource::kServiceProviderPresentation:
      out += ", Source: Service Provider (Presentation)";
      if (rj.reason == pdu::reject_reason::kTemporaryCongestion) reason = "Temporary Congestion";
      if (rj.reason == pdu::reject_reason::kLocalLimitExceeded) reason = "Local Limit Exceeded";
      break;
  }
  return out + ", Reason: " + reason;
}

struct ClientAssociation::Impl : dimse::MessageHandler {
  ClientOptions options;
  asio::io_context io;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
  std::unique_ptr<tcp::socket> plain;
  std::shared_ptr<asio::ssl::context> tls_context;
  ul::AssociationMachine machine;
  pdu::PduFramer framer{pdu::PduLimits{}};
  pdu::AAssociateRq request;
  std::optional<acse::NegotiatedAssociation> association;
  bool identity_confirmed = false;
  std::optional<pdu::AAssociateRj> rejected;
  bool closed = false;
  bool released = false;
  std::optional<dimse::MessageAssembler> assembler;
  std::deque<ClientAssociation::Received> received;
  // A command whose data set is still arriving, and that data set so far (bounded).
  std::optional<dimse::Command> awaiting_data;
  std::vector<std::uint8_t> data_so_far;
  std::string received_syntax;
  std::string failure;

  tcp::socket& Socket() { return tls ? tls->next_layer() : *plain; }

  // Runs one asynchronous operation to completion or until the timeout.
  template <typename Start>
  Status Wait(Start start, const char* what) {
    boost::system::error_code result;
    bool done = false;
    start([&](boost::system::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    io.restart();
    io.run_for(options.timeout);
    if (!done) {
      boost::system::error_code ignored;
      Socket().close(ignored);
      io.restart();
      io.run();
      return Status::Unavailable(std::string(what) + " timed out after " +
                                 std::to_string(options.timeout.count()) + " ms");
    }
    if (result) return Status::Unavailable(std::string(what) + " failed: " + result.message());
    return Status::Ok();
  }

  Status Connect() {
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec) return Status::Unavailable("cannot resolve " + options.host + ": " + ec.message());
    if (options.tls) {
      BASTION_ASSIGN_OR_RETURN(tls_context, MakeClientTlsContext(options.tls_files));
      tls = std::make_unique<asio::ssl::stream<tcp::socket>>(io, *tls_context);
    } else {
      plain = std::make_unique<tcp::socket>(io);
    }
    BASTION_RETURN_IF_ERROR(Wait(
        [&](auto handler) { asio::async_connect(Socket(), endpoints, handler); }, "connecting"));
    Socket().set_option(tcp::no_delay(true), ec);
    if (tls) {
      // Verify the server's name as well as its chain.
      SSL_set_tlsext_host_name(tls->native_handle(), options.host.c_str());
      tls->set_verify_callback(asio::ssl::host_name_verification(options.host));
      BASTION_RETURN_IF_ERROR(
          Wait([&](auto handler) { tls->async_handshake(asio::ssl::stream_base::client, handler); },
               "the TLS handshake"));
    }
    return Status::Ok();
  }

  Status Write(const std::vector<std::uint8_t>& bytes) {
    return Wait(
        [&](auto handler) {
          if (tls) {
            asio::async_write(*tls, asio::buffer(bytes), handler);
          } else {
            asio::async_write(*plain, asio::buffer(bytes), handler);
          }
        },
        "sending");
  }

  Status Execute(ul::Effects effects) {
    for (ul::Effect& effect : effects) {
      if (auto* send = std::get_if<ul::SendPdu>(&effect)) {
        BASTION_RETURN_IF_ERROR(Write(pdu::EncodePdu(send->pdu)));
      } else if (std::holds_alternative<ul::CloseTransport>(effect)) {
        boost::system::error_code ignored;
        Socket().close(ignored);
        closed = true;
      } else if (auto* indication = std::get_if<ul::Indication>(&effect)) {
        BASTION_RETURN_IF_ERROR(Handle(*indication));
      }
    }
    return Status::Ok();
  }

  Status Execute(Result<ul::Effects> effects) {
    if (!effects.ok()) return effects.status();
    return Execute(std::move(effects).value());
  }

  Status Handle(const ul::Indication& indication) {
    if (auto* ac = std::get_if<ul::AssociateAcceptConfirmation>(&indication)) {
      BASTION_ASSIGN_OR_RETURN(auto negotiated, acse::InterpretAssociateAc(request, ac->response));
      association = std::move(negotiated);
      identity_confirmed = ac->response.user_information.user_identity_ac.has_value();
      assembler.emplace(dimse::CommandLimits{}, [this](std::uint8_t id) {
        return association->FindContext(id) != nullptr;
      });
    } else if (auto* rj = std::get_if<ul::AssociateRejectConfirmation>(&indication)) {
      rejected = rj->response;
    } else if (auto* data = std::get_if<ul::DataIndication>(&indication)) {
      if (assembler) return assembler->Consume(data->data, *this);
    } else if (std::holds_alternative<ul::ReleaseConfirmation>(indication)) {
      released = true;
    } else if (std::holds_alternative<ul::AbortIndication>(indication)) {
      failure = "the peer aborted the association";
    } else if (auto* p = std::get_if<ul::ProviderAbortIndication>(&indication)) {
      failure = "the association was aborted (protocol error, reason " +
                std::to_string(static_cast<int>(p->reason)) + ")";
    }
    return Status::Ok();
  }

  Status OnCommand(std::uint8_t context_id, dimse::Command command) override {
    const acse::AcceptedContext* context = association->FindContext(context_id);
    received_syntax = context != nullptr ? context->transfer_syntax : "";
    if (command.has_data_set()) {
      awaiting_data = std::move(command);
      data_so_far.clear();
    } else {
      received.push_back({std::move(command), {}, received_syntax});
    }
    return Status::Ok();
  }
  Status OnDataSetFragment(std::uint8_t, std::span<const std::uint8_t> bytes, bool last) override {
    if (data_so_far.size() + bytes.size() > options.max_received_data_set_bytes) {
      return Status::LimitExceeded("a received data set is larger than " +
                                   std::to_string(options.max_received_data_set_bytes) + " bytes");
    }
    data_so_far.insert(data_so_far.end(), bytes.begin(), bytes.end());
    if (last && awaiting_data) {
      received.push_back({std::move(*awaiting_data), std::move(data_so_far), received_syntax});
      awaiting_data.reset();
      data_so_far.clear();
    }
    return Status::Ok();
  }

  // Reads and processes PDUs until `until` holds or the connection closes.
  template <typename Predicate>
  Status Pump(Predicate until, const char* waiting_for) {
    std::array<std::uint8_t, 64 * 1024> buffer{};
    while (!until()) {
      if (closed) {
        return Status::Unavailable(
            failure.empty() ? std::string("the connection closed while waiting for ") + waiting_for
                            : failure);
      }
      std::size_t n = 0;
      boost::system::error_code read_error;
      Status st = Wait(
          [&](auto handler) {
            auto done = [&n, &read_error, handler](boost::system::error_code ec,
                                                   std::size_t bytes) mutable {
              n = bytes;
              read_error = ec;
              handler(boost::system::error_code{}, bytes);
            };
            if (tls) {
              tls->async_read_some(asio::buffer(buffer), done);
            } else {
              plain->async_read_some(asio::buffer(buffer), done);
            }
          },
          waiting_for);
      if (!st.ok()) return st;
      if (read_error) {
        BASTION_RETURN_IF_ERROR(Execute(machine.OnTransportClosed()));
        closed = true;
        // A TLS alert arrives on the first read after a handshake that looked fine (TLS 1.3
        // sends the server's verdict on our certificate then): say so rather than "aborted".
        if (read_error.category() == asio::error::get_ssl_category() ||
            ERR_GET_LIB(static_cast<unsigned long>(read_error.value())) == ERR_LIB_SSL) {
          failure = "the peer ended the TLS connection (" + read_error.message() +
                    "): does it require a client certificate (--cert/--key), or not trust ours?";
        }
        continue;
      }
      framer.Feed(std::span<const std::uint8_t>(buffer.data(), n));
      while (true) {
        auto next = framer.Next();
        if (!next.ok()) {
          BASTION_RETURN_IF_ERROR(
              Execute(machine.OnInvalidPdu(pdu::AbortReasonFor(next.status()))));
          return next.status().WithContext("invalid PDU from the peer");
        }
        if (!next->has_value()) break;
        BASTION_RETURN_IF_ERROR(Execute(machine.OnPduReceived(std::move(**next))));
      }
    }
    return Status::Ok();
  }
};

ClientAssociation::ClientAssociation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClientAssociation::~ClientAssociation() {
  if (impl_ && !impl_->closed) Abort();
}

Result<std::unique_ptr<ClientAssociation>> ClientAssociation::Open(
    const ClientOptions& options, const acse::LocalApplication& local) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->request = acse::BuildAssociateRq(options.calling_ae_title, options.called_ae_title, local,
                                         options.identity);
  auto effects = impl->machine.RequestAssociation(impl->request);
  if (!effects.ok()) return effects.status();
  BASTION_RETURN_IF_ERROR(impl->Connect());
  BASTION_RETURN_IF_ERROR(impl->Execute(impl->machine.OnTransportConnected()));
  Impl* p = impl.get();
  BASTION_RETURN_IF_ERROR(
      impl->Pump([p] { return p->association || p->rejected; }, "the association response"));
  if (impl->rejected) {
    return Status::PermissionDenied("association rejected: " + DescribeRejection(*impl->rejected));
  }
  return std::unique_ptr<ClientAssociation>(new ClientAssociation(std::move(impl)));
}

const acse::NegotiatedAssociation& ClientAssociation::association() const {
  return *impl_->association;
}

bool ClientAssociation::identity_confirmed() const { return impl_->identity_confirmed; }

Status ClientAssociation::Send(const std::string& abstract_syntax, const dicom::DataSet& command,
                               std::span<const std::uint8_t> data_set,
                               const std::string& transfer_syntax) {
  const acse::AcceptedContext* context =
      impl_->association->FindContextFor(abstract_syntax, transfer_syntax);
  if (context == nullptr) {
    return Status::Unsupported("the peer accepted no presentation context for " + abstract_syntax +
                               (transfer_syntax.empty() ? "" : " in " + transfer_syntax));
  }
  const auto bytes = dimse::EncodeCommand(command);
  Status sent = Status::Ok();
  dimse::ForEachFragment(context->id, bytes, data_set, impl_->association->peer_max_pdu_length,
                         [this, &sent](pdu::PDataTf pdata) {
                           sent = impl_->Execute(impl_->machine.SendData(std::move(pdata)));
                           return sent.ok();
                         });
  return sent;
}

Result<ClientAssociation::Received> ClientAssociation::Receive() {
  Impl* p = impl_.get();
  BASTION_RETURN_IF_ERROR(impl_->Pump([p] { return !p->received.empty(); }, "the response"));
  Received message = std::move(impl_->received.front());
  impl_->received.pop_front();
  return message;
}

Result<dimse::Command> ClientAssociation::Request(const std::string& abstract_syntax,
                                                  const dicom::DataSet& command,
                                                  std::span<const std::uint8_t> data_set,
                                                  const std::string& transfer_syntax) {
  BASTION_RETURN_IF_ERROR(Send(abstract_syntax, command, data_set, transfer_syntax));
  BASTION_ASSIGN_OR_RETURN(Received message, Receive());
  return std::move(message.command);
}

Status ClientAssociation::Release() {
  BASTION_RETURN_IF_ERROR(impl_->Execute(impl_->machine.RequestRelease()));
  Impl* p = impl_.get();
  BASTION_RETURN_IF_ERROR(impl_->Pump([p] { return p->released || p->closed; }, "the release"));
  boost::system::error_code ignored;
  impl_->Socket().close(ignored);
  impl_->closed = true;
  return Status::Ok();
}

void ClientAssociation::Abort() {
  auto effects = impl_->machine.Abort();
  if (effects.ok()) (void)impl_->Execute(std::move(effects).value());
  boost::system::error_code ignored;
  impl_->Socket().close(ignored);
  impl_->closed = true;
}

}  // namespace bastion::net::transport
