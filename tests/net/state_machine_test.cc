// Tests of the upper-layer state machine against PS3.8 section 9.2.
//
// The expected table below is written out again from the standard, as text, independently of
// the constexpr table in src/net/ul/state_table.cc, and so are the expected next states
// (Tables 9-6 to 9-9) and the effects each action must produce. Every (state, event) pair of
// Table 9-10 is then checked twice: the lookup, and a real machine driven into that state
// through the public API (by every role that can reach it) and given that event.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "net/pdu/pdu.h"
#include "net/pdu/pdu_codec.h"
#include "net/ul/association_machine.h"
#include "net/ul/state_table.h"

namespace bastion::net::ul {
namespace {

using pdu::AbortReason;
using pdu::AbortSource;

// PS3.8 Table 9-10, rows Evt1..Evt19, columns Sta1..Sta13; "." is a blank cell.
constexpr std::string_view kExpectedTable = R"(
        Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
Evt1    AE-1  .     .     .     .     .     .     .     .     .     .     .     .
Evt2    .     .     .     AE-2  .     .     .     .     .     .     .     .     .
Evt3    .     AA-1  AA-8  .     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4    .     AA-1  AA-8  .     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5    AE-5  .     .     .     .     .     .     .     .     .     .     .     .
Evt6    .     AE-6  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7    .     .     AE-7  .     .     .     .     .     .     .     .     .     .
Evt8    .     .     AE-8  .     .     .     .     .     .     .     .     .     .
Evt9    .     .     .     .     .     DT-1  .     AR-7  .     .     .     .     .
Evt10   .     AA-1  AA-8  .     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11   .     .     .     .     .     AR-1  .     .     .     .     .     .     .
Evt12   .     AA-1  AA-8  .     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13   .     AA-1  AA-8  .     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14   .     .     .     .     .     .     .     AR-4  AR-9  .     .     AR-4  .
Evt15   .     .     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  .
Evt16   .     AA-2  AA-3  .     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17   .     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18   .     AA-2  .     .     .     .     .     .     .     .     .     .     AA-2
Evt19   .     AA-1  AA-8  .     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
)";

// Tables 9-6 to 9-9: the next state of each action, and what the action does, in the words
// Describe() uses below. "A-ABORT(*)" stands for the A-ABORT the event calls for. Stopping
// ARTIM is checked separately (it appears exactly when the timer ran before and not after).
struct ActionSpec {
  std::string next;  // "Sta3|Sta13": condition true | false
  std::string effects;
};
const std::map<std::string, ActionSpec>& ExpectedActions() {
  static const auto* specs = new std::map<std::string, ActionSpec>{
      {"AE-1", {"Sta4", "OpenTransport"}},
      {"AE-2", {"Sta5", "Send A-ASSOCIATE-RQ"}},
      {"AE-3", {"Sta6", "Confirm A-ASSOCIATE accept"}},
      {"AE-4", {"Sta1", "Confirm A-ASSOCIATE reject; CloseTransport"}},
      {"AE-5", {"Sta2", "StartArtim"}},
      {"AE-6", {"Sta3|Sta13", "Indicate A-ASSOCIATE"}},
      {"AE-7", {"Sta6", "Send A-ASSOCIATE-AC"}},
      {"AE-8", {"Sta13", "Send A-ASSOCIATE-RJ; StartArtim"}},
      {"DT-1", {"Sta6", "Send P-DATA-TF"}},
      {"DT-2", {"Sta6", "Indicate P-DATA"}},
      {"AR-1", {"Sta7", "Send A-RELEASE-RQ"}},
      {"AR-2", {"Sta8", "Indicate A-RELEASE"}},
      {"AR-3", {"Sta1", "Confirm A-RELEASE; CloseTransport"}},
      {"AR-4", {"Sta13", "Send A-RELEASE-RP; StartArtim"}},
      {"AR-5", {"Sta1", ""}},
      {"AR-6", {"Sta7", "Indicate P-DATA"}},
      {"AR-7", {"Sta8", "Send P-DATA-TF"}},
      {"AR-8", {"Sta9|Sta10", "Indicate A-RELEASE collision"}},
      {"AR-9", {"Sta11", "Send A-RELEASE-RP"}},
      {"AR-10", {"Sta12", "Confirm A-RELEASE"}},
      {"AA-1", {"Sta13", "Send A-ABORT(*); StartArtim"}},
      {"AA-2", {"Sta1", "CloseTransport"}},
      {"AA-3", {"Sta1", "Indicate A-ABORT; CloseTransport"}},
      {"AA-4", {"Sta1", "Indicate A-P-ABORT transport-closed"}},
      {"AA-5", {"Sta1", ""}},
      {"AA-6", {"Sta13", ""}},
      {"AA-7", {"Sta13", "Send A-ABORT(*)"}},
      {"AA-8", {"Sta13", "Send A-ABORT(*); Indicate A-P-ABORT protocol-error; StartArtim"}},
  };
  return *specs;
}

std::vector<std::string> Split(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// expected[event - 1][state - 1], "" for blank.
std::vector<std::vector<std::string>> ParseExpectedTable() {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in{std::string(kExpectedTable)};
  for (std::string line; std::getline(in, line);) {
    auto words = Split(line);
    if (words.empty() || words[0].rfind("Evt", 0) != 0) continue;
    std::vector<std::string> row(words.begin() + 1, words.end());
    for (auto& cell : row) {
      if (cell == ".") cell.clear();
    }
    rows.push_back(row);
  }
  return rows;
}

const std::vector<std::vector<std::string>>& Expected() {
  static const auto* table = new std::vector<std::vector<std::string>>(ParseExpectedTable());
  return *table;
}

std::string ExpectedCell(State s, Event e) {
  return Expected()[static_cast<int>(e) - 1][static_cast<int>(s) - 1];
}

std::vector<State> AllStates() {
  std::vector<State> v;
  for (int i = 1; i <= kStateCount; ++i) v.push_back(static_cast<State>(i));
  return v;
}

std::vector<Event> AllEvents() {
  std::vector<Event> v;
  for (int i = 1; i <= kEventCount; ++i) v.push_back(static_cast<Event>(i));
  return v;
}

// ---- Sample primitives and PDUs ----

pdu::AAssociateRq Rq() {
  pdu::AAssociateRq rq;
  rq.called_ae_title = "BASTION";
  rq.calling_ae_title = "ECHOSCU";
  rq.presentation_contexts.push_back({1, "1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
  rq.user_information.max_pdu_length = 16384;
  rq.user_information.implementation_class_uid = "1.2.3.4";
  return rq;
}

pdu::AAssociateAc Ac() {
  pdu::AAssociateAc ac;
  ac.called_ae_title = "BASTION";
  ac.calling_ae_title = "ECHOSCU";
  ac.presentation_contexts.push_back({1, pdu::ContextResult::kAcceptance, "1.2.840.10008.1.2"});
  return ac;
}

pdu::AAssociateRj Rj() {
  return {pdu::RejectResult::kPermanent, pdu::RejectSource::kServiceUser,
          pdu::reject_reason::kCalledAeNotRecognized};
}

pdu::PDataTf Data() {
  pdu::PDataTf data;
  data.values.push_back({1, true, true, {0x08, 0x00, 0x00, 0x00}});
  return data;
}

// ---- Describing effects in words ----

std::string PduName(const pdu::Pdu& p) {
  switch (pdu::TypeOf(p)) {
    case pdu::PduType::kAAssociateRq:
      return "A-ASSOCIATE-RQ";
    case pdu::PduType::kAAssociateAc:
      return "A-ASSOCIATE-AC";
    case pdu::PduType::kAAssociateRj:
      return "A-ASSOCIATE-RJ";
    case pdu::PduType::kPDataTf:
      return "P-DATA-TF";
    case pdu::PduType::kAReleaseRq:
      return "A-RELEASE-RQ";
    case pdu::PduType::kAReleaseRp:
      return "A-RELEASE-RP";
    case pdu::PduType::kAAbort: {
      const auto& a = std::get<pdu::AAbort>(p);
      return "A-ABORT(" + std::to_string(static_cast<int>(a.source)) + "," +
             std::to_string(static_cast<int>(a.reason)) + ")";
    }
  }
  return "?";
}

std::string Describe(const Indication& indication) {
  struct V {
    std::string operator()(const AssociateIndication&) { return "Indicate A-ASSOCIATE"; }
    std::string operator()(const AssociateAcceptConfirmation&) {
      return "Confirm A-ASSOCIATE accept";
    }
    std::string operator()(const AssociateRejectConfirmation&) {
      return "Confirm A-ASSOCIATE reject";
    }
    std::string operator()(const DataIndication&) { return "Indicate P-DATA"; }
    std::string operator()(const ReleaseIndication& r) {
      return r.collision ? "Indicate A-RELEASE collision" : "Indicate A-RELEASE";
    }
    std::string operator()(const ReleaseConfirmation&) { return "Confirm A-RELEASE"; }
    std::string operator()(const AbortIndication&) { return "Indicate A-ABORT"; }
    std::string operator()(const ProviderAbortIndication& p) {
      switch (p.cause) {
        case ProviderAbortCause::kPeerProvider:
          return "Indicate A-P-ABORT peer-provider";
        case ProviderAbortCause::kProtocolError:
          return "Indicate A-P-ABORT protocol-error";
        case ProviderAbortCause::kTransportClosed:
          return "Indicate A-P-ABORT transport-closed";
      }
      return "Indicate A-P-ABORT ?";
    }
  };
  return std::visit(V{}, indication);
}

std::string Describe(const Effect& effect, bool include_stop = true) {
  struct V {
    bool include_stop;
    std::string operator()(const OpenTransport&) { return "OpenTransport"; }
    std::string operator()(const SendPdu& s) { return "Send " + PduName(s.pdu); }
    std::string operator()(const StartArtim&) { return "StartArtim"; }
    std::string operator()(const StopArtim&) { return include_stop ? "StopArtim" : ""; }
    std::string operator()(const CloseTransport&) { return "CloseTransport"; }
    std::string operator()(const Indication& i) { return Describe(i); }
  };
  return std::visit(V{include_stop}, effect);
}

std::string Describe(const Effects& effects, bool include_stop = true) {
  std::string out;
  for (const Effect& e : effects) {
    std::string d = Describe(e, include_stop);
    if (d.empty()) continue;
    if (!out.empty()) out += "; ";
    out += d;
  }
  return out;
}

bool HasStop(const Effects& effects) {
  for (const Effect& e : effects) {
    if (std::holds_alternative<StopArtim>(e)) return true;
  }
  return false;
}

// ---- Driving a machine ----

// The sample payload each event carries in the pair tests. Evt16 is an A-ABORT from the peer's
// service user; Evt19 an invalid PDU parameter value.
Result<Effects> Fire(AssociationMachine& m, Event e) {
  switch (e) {
    case Event::kEvt1:
      return m.RequestAssociation(Rq());
    case Event::kEvt2:
      return m.OnTransportConnected();
    case Event::kEvt3:
      return m.OnPduReceived(Ac());
    case Event::kEvt4:
      return m.OnPduReceived(Rj());
    case Event::kEvt5:
      return m.OnConnectionOpened();
    case Event::kEvt6:
      return m.OnPduReceived(Rq());
    case Event::kEvt7:
      return m.AcceptAssociation(Ac());
    case Event::kEvt8:
      return m.RejectAssociation(Rj());
    case Event::kEvt9:
      return m.SendData(Data());
    case Event::kEvt10:
      return m.OnPduReceived(Data());
    case Event::kEvt11:
      return m.RequestRelease();
    case Event::kEvt12:
      return m.OnPduReceived(pdu::AReleaseRq{});
    case Event::kEvt13:
      return m.OnPduReceived(pdu::AReleaseRp{});
    case Event::kEvt14:
      return m.RespondRelease();
    case Event::kEvt15:
      return m.Abort();
    case Event::kEvt16:
      return m.OnPduReceived(pdu::AAbort{AbortSource::kServiceUser, AbortReason::kNotSpecified});
    case Event::kEvt17:
      return m.OnTransportClosed();
    case Event::kEvt18:
      return m.OnArtimExpired();
    case Event::kEvt19:
      return m.OnInvalidPdu(AbortReason::kInvalidPduParameterValue);
  }
  return Status::Internal("unknown event");
}

// The A-ABORT an event calls for: the local user's (source 0) for Evt15, otherwise the
// provider's with the decoder's reason (Evt19) or unexpected-PDU.
std::string AbortFor(Event e) {
  if (e == Event::kEvt15) return "A-ABORT(0,0)";
  if (e == Event::kEvt19) return "A-ABORT(2,6)";
  return "A-ABORT(2,2)";
}

bool IsLocalOrTransportRequest(Event e) {
  switch (e) {
    case Event::kEvt1:
    case Event::kEvt2:
    case Event::kEvt5:
    case Event::kEvt7:
    case Event::kEvt8:
    case Event::kEvt9:
    case Event::kEvt11:
    case Event::kEvt14:
    case Event::kEvt15:
      return true;
    default:
      return false;
  }
}

struct Path {
  std::string name;
  std::optional<Role> role;
  std::vector<Event> events;  // from a fresh machine
};

// Ways into each state through the public API, for every role that can be there.
std::vector<Path> PathsTo(State s) {
  using E = Event;
  const std::vector<E> acc6 = {E::kEvt5, E::kEvt6, E::kEvt7};
  const std::vector<E> req6 = {E::kEvt1, E::kEvt2, E::kEvt3};
  auto plus = [](std::vector<E> v, std::initializer_list<E> more) {
    v.insert(v.end(), more);
    return v;
  };
  switch (s) {
    case State::kSta1:
      return {{"fresh", std::nullopt, {}},
              {"acceptor after ARTIM expiry", Role::kAcceptor, {E::kEvt5, E::kEvt18}},
              {"requestor after release", Role::kRequestor, plus(req6, {E::kEvt11, E::kEvt13})}};
    case State::kSta2:
      return {{"acceptor", Role::kAcceptor, {E::kEvt5}}};
    case State::kSta3:
      return {{"acceptor", Role::kAcceptor, {E::kEvt5, E::kEvt6}}};
    case State::kSta4:
      return {{"requestor", Role::kRequestor, {E::kEvt1}}};
    case State::kSta5:
      return {{"requestor", Role::kRequestor, {E::kEvt1, E::kEvt2}}};
    case State::kSta6:
      return {{"acceptor", Role::kAcceptor, acc6}, {"requestor", Role::kRequestor, req6}};
    case State::kSta7:
      return {{"acceptor", Role::kAcceptor, plus(acc6, {E::kEvt11})},
              {"requestor", Role::kRequestor, plus(req6, {E::kEvt11})}};
    case State::kSta8:
      return {{"acceptor", Role::kAcceptor, plus(acc6, {E::kEvt12})},
              {"requestor", Role::kRequestor, plus(req6, {E::kEvt12})}};
    case State::kSta9:
      return {{"requestor", Role::kRequestor, plus(req6, {E::kEvt11, E::kEvt12})}};
    case State::kSta10:
      return {{"acceptor", Role::kAcceptor, plus(acc6, {E::kEvt11, E::kEvt12})}};
    case State::kSta11:
      return {{"requestor", Role::kRequestor, plus(req6, {E::kEvt11, E::kEvt12, E::kEvt14})}};
    case State::kSta12:
      return {{"acceptor", Role::kAcceptor, plus(acc6, {E::kEvt11, E::kEvt12, E::kEvt13})}};
    case State::kSta13:
      return {{"acceptor after abort", Role::kAcceptor, plus(acc6, {E::kEvt15})},
              {"requestor after abort", Role::kRequestor, plus(req6, {E::kEvt15})},
              {"acceptor after rejecting", Role::kAcceptor, {E::kEvt5, E::kEvt6, E::kEvt8}}};
  }
  return {};
}

bool ArtimShouldRun(State s) { return s == State::kSta2 || s == State::kSta13; }

// ---- Every cell of Table 9-10 ----

TEST(StateTableTest, EveryCellMatchesTheStandard) {
  ASSERT_EQ(Expected().size(), static_cast<std::size_t>(kEventCount));
  for (Event e : AllEvents()) {
    ASSERT_EQ(Expected()[static_cast<int>(e) - 1].size(), static_cast<std::size_t>(kStateCount));
    for (State s : AllStates()) {
      std::optional<Action> action = TableAction(s, e);
      EXPECT_EQ(action ? std::string(ActionName(*action)) : std::string(), ExpectedCell(s, e))
          << StateName(s) << " + " << EventName(e);
    }
  }
}

TEST(StateTableTest, EveryActionLeadsWhereTheStandardSays) {
  for (int i = 0; i < kActionCount; ++i) {
    const Action a = static_cast<Action>(i);
    const ActionSpec& spec = ExpectedActions().at(std::string(ActionName(a)));
    std::string next = std::string(StateName(NextState(a, true)));
    if (HasConditionalNextState(a)) next += "|" + std::string(StateName(NextState(a, false)));
    EXPECT_EQ(next, spec.next) << ActionName(a);
  }
}

TEST(StateTableTest, NamesFollowTheStandard) {
  EXPECT_EQ(StateName(State::kSta13), "Sta13");
  EXPECT_EQ(EventName(Event::kEvt19), "Evt19");
  EXPECT_EQ(ActionName(Action::kAr10), "AR-10");
  EXPECT_EQ(EventDescription(Event::kEvt12), "A-RELEASE-RQ PDU");
  EXPECT_EQ(Lookup(State::kSta7, Event::kEvt12, true), (Transition{Action::kAr8, State::kSta9}));
  EXPECT_EQ(Lookup(State::kSta7, Event::kEvt12, false), (Transition{Action::kAr8, State::kSta10}));
  EXPECT_FALSE(Lookup(State::kSta1, Event::kEvt3).has_value());
}

class StateMachineCellTest : public ::testing::TestWithParam<std::tuple<State, Event>> {};

TEST_P(StateMachineCellTest, MachineFollowsTheTable) {
  const auto [state, event] = GetParam();
  const std::string cell = ExpectedCell(state, event);
  for (const Path& path : PathsTo(state)) {
    SCOPED_TRACE(std::string(StateName(state)) + " (" + path.name + ") + " +
                 std::string(EventName(event)));
    AssociationMachine m;
    for (Event step : path.events) ASSERT_TRUE(Fire(m, step).ok()) << EventName(step);
    ASSERT_EQ(m.state(), state);
    ASSERT_EQ(m.role(), path.role);
    ASSERT_EQ(m.artim_running(), ArtimShouldRun(state));
    const bool artim_before = m.artim_running();

    Result<Effects> result = Fire(m, event);

    if (!cell.empty()) {
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      ASSERT_TRUE(m.last_action().has_value());
      EXPECT_EQ(ActionName(*m.last_action()), cell);
      const ActionSpec& spec = ExpectedActions().at(cell);
      std::string next = spec.next;
      if (auto bar = next.find('|'); bar != std::string::npos) {
        // AE-6 here sees an acceptable request; AR-8 depends on the role.
        const bool condition = cell == "AE-6" || path.role == Role::kRequestor;
        next = condition ? next.substr(0, bar) : next.substr(bar + 1);
      }
      EXPECT_EQ(StateName(m.state()), next);
      std::string effects = spec.effects;
      if (auto star = effects.find("A-ABORT(*)"); star != std::string::npos) {
        effects.replace(star, 10, AbortFor(event));
      }
      EXPECT_EQ(Describe(*result, /*include_stop=*/false), effects);
      EXPECT_EQ(HasStop(*result), artim_before && !m.artim_running());
    } else if (IsLocalOrTransportRequest(event)) {
      // A request the standard does not allow here: refused, nothing changes.
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.status().code(), StatusCode::kInternal);
      EXPECT_EQ(m.state(), state);
      EXPECT_FALSE(m.last_action().has_value());
    } else if (event == Event::kEvt17 || event == Event::kEvt18) {
      // Connection already closed / timer not running: nothing to do.
      ASSERT_TRUE(result.ok());
      EXPECT_TRUE(result->empty());
      EXPECT_EQ(m.state(), state);
    } else if (state == State::kSta1) {
      // Bytes after we closed: insist on the close, no association to abort.
      ASSERT_TRUE(result.ok());
      EXPECT_EQ(Describe(*result), "CloseTransport");
      EXPECT_EQ(m.state(), State::kSta1);
    } else {
      // Any other blank cell for a received PDU is an unexpected PDU: AA-8.
      ASSERT_TRUE(result.ok());
      EXPECT_EQ(m.last_action(), Action::kAa8);
      EXPECT_EQ(Describe(*result),
                "Send " + AbortFor(event) + "; Indicate A-P-ABORT protocol-error; StartArtim");
      EXPECT_EQ(m.state(), State::kSta13);
    }
    // ARTIM runs exactly while waiting for an A-ASSOCIATE-RQ or for the close.
    EXPECT_EQ(m.artim_running(), ArtimShouldRun(m.state()));
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryPair, StateMachineCellTest,
    ::testing::Combine(::testing::ValuesIn(AllStates()), ::testing::ValuesIn(AllEvents())),
    [](const ::testing::TestParamInfo<StateMachineCellTest::ParamType>& param_info) {
      return std::string(StateName(std::get<0>(param_info.param))) + "_" +
             std::string(EventName(std::get<1>(param_info.param)));
    });

// ---- Behaviour ----

template <typename T>
const T* IndicationOf(const Effects& effects) {
  for (const Effect& e : effects) {
    if (const auto* i = std::get_if<Indication>(&e)) {
      if (const auto* t = std::get_if<T>(i)) return t;
    }
  }
  return nullptr;
}

const pdu::AAbort* SentAbort(const Effects& effects) {
  for (const Effect& e : effects) {
    if (const auto* s = std::get_if<SendPdu>(&e)) {
      if (const auto* a = std::get_if<pdu::AAbort>(&s->pdu)) return a;
    }
  }
  return nullptr;
}

Effects Must(Result<Effects> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Effects{};
}

TEST(AssociationMachineTest, AcceptorFlowFromConnectionThroughDataToRelease) {
  AssociationMachine m;
  EXPECT_EQ(Describe(Must(m.OnConnectionOpened())), "StartArtim");
  EXPECT_EQ(m.state(), State::kSta2);
  EXPECT_EQ(m.role(), Role::kAcceptor);

  Effects effects = m.OnPduReceived(Rq());
  EXPECT_EQ(Describe(effects), "StopArtim; Indicate A-ASSOCIATE");
  const auto* indication = IndicationOf<AssociateIndication>(effects);
  ASSERT_NE(indication, nullptr);
  EXPECT_EQ(indication->request.calling_ae_title, "ECHOSCU");
  EXPECT_EQ(m.state(), State::kSta3);

  EXPECT_EQ(Describe(Must(m.AcceptAssociation(Ac()))), "Send A-ASSOCIATE-AC");
  EXPECT_EQ(m.state(), State::kSta6);

  effects = m.OnPduReceived(Data());
  const auto* data = IndicationOf<DataIndication>(effects);
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->data.values.size(), 1u);
  EXPECT_EQ(data->data.values[0].data, (std::vector<std::uint8_t>{0x08, 0, 0, 0}));
  EXPECT_EQ(Describe(Must(m.SendData(Data()))), "Send P-DATA-TF");
  EXPECT_EQ(m.state(), State::kSta6);

  EXPECT_EQ(Describe(m.OnPduReceived(pdu::AReleaseRq{})), "Indicate A-RELEASE");
  EXPECT_EQ(m.state(), State::kSta8);
  EXPECT_EQ(Describe(Must(m.RespondRelease())), "Send A-RELEASE-RP; StartArtim");
  EXPECT_EQ(m.state(), State::kSta13);
  EXPECT_EQ(Describe(m.OnTransportClosed()), "StopArtim");
  EXPECT_EQ(m.state(), State::kSta1);
  EXPECT_FALSE(m.artim_running());
}

TEST(AssociationMachineTest, RequestorFlowSendsTheRequestOnceConnected) {
  AssociationMachine m;
  EXPECT_EQ(Describe(Must(m.RequestAssociation(Rq()))), "OpenTransport");
  EXPECT_EQ(m.state(), State::kSta4);
  EXPECT_EQ(m.role(), Role::kRequestor);

  Effects effects = Must(m.OnTransportConnected());
  ASSERT_EQ(effects.size(), 1u);
  const auto& sent = std::get<SendPdu>(effects[0]);
  ASSERT_TRUE(std::holds_alternative<pdu::AAssociateRq>(sent.pdu));
  EXPECT_EQ(std::get<pdu::AAssociateRq>(sent.pdu).called_ae_title, "BASTION");
  EXPECT_EQ(m.state(), State::kSta5);

  effects = m.OnPduReceived(Ac());
  ASSERT_NE(IndicationOf<AssociateAcceptConfirmation>(effects), nullptr);
  EXPECT_EQ(m.state(), State::kSta6);

  EXPECT_EQ(Describe(Must(m.RequestRelease())), "Send A-RELEASE-RQ");
  EXPECT_EQ(m.state(), State::kSta7);
  // Data may still arrive while the release is pending (AR-6).
  EXPECT_EQ(Describe(m.OnPduReceived(Data())), "Indicate P-DATA");
  EXPECT_EQ(m.state(), State::kSta7);
  EXPECT_EQ(Describe(m.OnPduReceived(pdu::AReleaseRp{})), "Confirm A-RELEASE; CloseTransport");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, RequestorSeesRejectionAndClosesTheConnection) {
  AssociationMachine m;
  ASSERT_TRUE(m.RequestAssociation(Rq()).ok());
  ASSERT_TRUE(m.OnTransportConnected().ok());
  Effects effects = m.OnPduReceived(Rj());
  EXPECT_EQ(Describe(effects), "Confirm A-ASSOCIATE reject; CloseTransport");
  const auto* rejected = IndicationOf<AssociateRejectConfirmation>(effects);
  ASSERT_NE(rejected, nullptr);
  EXPECT_EQ(rejected->response.reason, pdu::reject_reason::kCalledAeNotRecognized);
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, ReleaseCollisionOnTheRequestorSide) {
  AssociationMachine m;
  ASSERT_TRUE(m.RequestAssociation(Rq()).ok());
  ASSERT_TRUE(m.OnTransportConnected().ok());
  (void)m.OnPduReceived(Ac());
  ASSERT_TRUE(m.RequestRelease().ok());
  // Both ends sent A-RELEASE-RQ.
  EXPECT_EQ(Describe(m.OnPduReceived(pdu::AReleaseRq{})), "Indicate A-RELEASE collision");
  EXPECT_EQ(m.state(), State::kSta9);
  EXPECT_EQ(Describe(Must(m.RespondRelease())), "Send A-RELEASE-RP");
  EXPECT_EQ(m.state(), State::kSta11);
  EXPECT_EQ(Describe(m.OnPduReceived(pdu::AReleaseRp{})), "Confirm A-RELEASE; CloseTransport");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, ReleaseCollisionOnTheAcceptorSide) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  ASSERT_TRUE(m.RequestRelease().ok());
  EXPECT_EQ(Describe(m.OnPduReceived(pdu::AReleaseRq{})), "Indicate A-RELEASE collision");
  EXPECT_EQ(m.state(), State::kSta10);
  // The acceptor waits for the requestor's A-RELEASE-RP before answering.
  EXPECT_FALSE(m.RespondRelease().ok());
  EXPECT_EQ(Describe(m.OnPduReceived(pdu::AReleaseRp{})), "Confirm A-RELEASE");
  EXPECT_EQ(m.state(), State::kSta12);
  EXPECT_EQ(Describe(Must(m.RespondRelease())), "Send A-RELEASE-RP; StartArtim");
  EXPECT_EQ(m.state(), State::kSta13);
  EXPECT_EQ(Describe(m.OnArtimExpired()), "StopArtim; CloseTransport");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, LocalRejectionWaitsForCloseThenArtimCloses) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  EXPECT_EQ(Describe(Must(m.RejectAssociation(Rj()))), "Send A-ASSOCIATE-RJ; StartArtim");
  EXPECT_EQ(m.state(), State::kSta13);
  // The peer keeps talking: ignored (AA-6) while we wait for it to close.
  EXPECT_EQ(Describe(m.OnPduReceived(Data())), "");
  EXPECT_EQ(m.state(), State::kSta13);
  EXPECT_EQ(Describe(m.OnArtimExpired()), "StopArtim; CloseTransport");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, ProviderRejectsARequestWithoutProtocolVersionOne) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  pdu::AAssociateRq rq = Rq();
  rq.protocol_version = 0x0002;
  Effects effects = m.OnPduReceived(rq);
  EXPECT_EQ(Describe(effects), "StopArtim; Send A-ASSOCIATE-RJ; StartArtim");
  const auto& rj = std::get<pdu::AAssociateRj>(std::get<SendPdu>(effects[1]).pdu);
  EXPECT_EQ(rj.result, pdu::RejectResult::kPermanent);
  EXPECT_EQ(rj.source, pdu::RejectSource::kServiceProviderAcse);
  EXPECT_EQ(rj.reason, pdu::reject_reason::kProtocolVersionNotSupported);
  EXPECT_EQ(m.last_action(), Action::kAe6);
  EXPECT_EQ(m.state(), State::kSta13);
  EXPECT_EQ(IndicationOf<AssociateIndication>(effects), nullptr);
}

TEST(AssociationMachineTest, AcceptsAnyProtocolVersionWithBitZeroSet) {
  pdu::AAssociateRq rq = Rq();
  rq.protocol_version = 0x0003;
  EXPECT_TRUE(AcceptableToServiceProvider(rq));
  rq.protocol_version = 0x8000;
  EXPECT_FALSE(AcceptableToServiceProvider(rq));
}

TEST(AssociationMachineTest, AbortFromEveryStateFollowsTable) {
  for (State s : AllStates()) {
    for (const Path& path : PathsTo(s)) {
      SCOPED_TRACE(std::string(StateName(s)) + " (" + path.name + ")");
      AssociationMachine m;
      for (Event step : path.events) ASSERT_TRUE(Fire(m, step).ok());
      Result<Effects> r = m.Abort();
      if (s == State::kSta1 || s == State::kSta2 || s == State::kSta13) {
        EXPECT_FALSE(r.ok());
        EXPECT_EQ(m.state(), s);
      } else if (s == State::kSta4) {
        // Not connected yet: just drop the connection attempt (AA-2).
        EXPECT_EQ(Describe(Must(std::move(r))), "CloseTransport");
        EXPECT_EQ(m.state(), State::kSta1);
      } else {
        ASSERT_TRUE(r.ok());
        const pdu::AAbort* abort = SentAbort(*r);
        ASSERT_NE(abort, nullptr);
        EXPECT_EQ(abort->source, AbortSource::kServiceUser);
        EXPECT_EQ(abort->reason, AbortReason::kNotSpecified);
        EXPECT_EQ(m.state(), State::kSta13);
        EXPECT_TRUE(m.artim_running());
        // The peer then closes, or ARTIM does it for us.
        EXPECT_EQ(Describe(m.OnTransportClosed()), "StopArtim");
        EXPECT_EQ(m.state(), State::kSta1);
      }
    }
  }
}

TEST(AssociationMachineTest, ArtimExpiryWithoutAssociateRequestClosesTheConnection) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  EXPECT_EQ(Describe(m.OnArtimExpired()), "StopArtim; CloseTransport");
  EXPECT_EQ(m.last_action(), Action::kAa2);
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, ArtimExpiryInSta13ClosesTheConnection) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  (void)m.OnInvalidPdu(AbortReason::kUnrecognizedPdu);
  ASSERT_EQ(m.state(), State::kSta13);
  EXPECT_EQ(Describe(m.OnArtimExpired()), "StopArtim; CloseTransport");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, LateArtimExpiryDuringDataTransferIsIgnored) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  EXPECT_TRUE(m.OnArtimExpired().empty());
  EXPECT_EQ(m.state(), State::kSta6);
}

TEST(AssociationMachineTest, SecondAssociateRequestInSta6AbortsWithUnexpectedPdu) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());

  Effects effects = m.OnPduReceived(Rq());
  EXPECT_EQ(m.last_action(), Action::kAa8);
  const pdu::AAbort* abort = SentAbort(effects);
  ASSERT_NE(abort, nullptr);
  EXPECT_EQ(abort->source, AbortSource::kServiceProvider);
  EXPECT_EQ(abort->reason, AbortReason::kUnexpectedPdu);
  const auto* p_abort = IndicationOf<ProviderAbortIndication>(effects);
  ASSERT_NE(p_abort, nullptr);
  EXPECT_EQ(p_abort->cause, ProviderAbortCause::kProtocolError);
  EXPECT_EQ(p_abort->reason, AbortReason::kUnexpectedPdu);
  EXPECT_TRUE(std::holds_alternative<StartArtim>(effects.back()));
  EXPECT_EQ(m.state(), State::kSta13);

  // A third request while we wait for the close is answered with another A-ABORT (AA-7).
  effects = m.OnPduReceived(Rq());
  EXPECT_EQ(Describe(effects), "Send A-ABORT(2,2)");
  EXPECT_EQ(m.state(), State::kSta13);
}

TEST(AssociationMachineTest, UnexpectedReleaseRpInSta6AbortsWithUnexpectedPdu) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  Effects effects = m.OnPduReceived(pdu::AReleaseRp{});
  EXPECT_EQ(Describe(effects), "Send A-ABORT(2,2); Indicate A-P-ABORT protocol-error; StartArtim");
}

TEST(AssociationMachineTest, InvalidPduAbortsWithTheDecodersReason) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  const AbortReason reason = pdu::AbortReasonFor(Status::Unsupported("PDU type 0x09"));
  Effects effects = m.OnInvalidPdu(reason);
  const pdu::AAbort* abort = SentAbort(effects);
  ASSERT_NE(abort, nullptr);
  EXPECT_EQ(abort->reason, AbortReason::kUnrecognizedPdu);
  EXPECT_EQ(IndicationOf<ProviderAbortIndication>(effects)->reason, AbortReason::kUnrecognizedPdu);
  EXPECT_EQ(m.state(), State::kSta13);
}

TEST(AssociationMachineTest, GarbageBeforeAssociateRequestAbortsWithoutIndication) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  Effects effects = m.OnPduReceived(Data());
  EXPECT_EQ(m.last_action(), Action::kAa1);
  // No local user knows of this connection yet, so nobody is told; the peer learns why.
  EXPECT_EQ(Describe(effects), "Send A-ABORT(2,2); StartArtim");
  EXPECT_EQ(m.state(), State::kSta13);
}

TEST(AssociationMachineTest, PeerUserAbortIsIndicatedAsAAbort) {
  AssociationMachine m;
  ASSERT_TRUE(m.RequestAssociation(Rq()).ok());
  ASSERT_TRUE(m.OnTransportConnected().ok());
  (void)m.OnPduReceived(Ac());
  Effects effects =
      m.OnPduReceived(pdu::AAbort{AbortSource::kServiceUser, AbortReason::kNotSpecified});
  EXPECT_EQ(Describe(effects), "Indicate A-ABORT; CloseTransport");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, PeerProviderAbortIsIndicatedAsAPAbortWithItsReason) {
  AssociationMachine m;
  ASSERT_TRUE(m.RequestAssociation(Rq()).ok());
  ASSERT_TRUE(m.OnTransportConnected().ok());
  Effects effects = m.OnPduReceived(
      pdu::AAbort{AbortSource::kServiceProvider, AbortReason::kInvalidPduParameterValue});
  EXPECT_EQ(Describe(effects), "Indicate A-P-ABORT peer-provider; CloseTransport");
  EXPECT_EQ(IndicationOf<ProviderAbortIndication>(effects)->reason,
            AbortReason::kInvalidPduParameterValue);
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, ConnectionLostDuringDataTransferIsAProviderAbort) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  EXPECT_EQ(Describe(m.OnTransportClosed()), "Indicate A-P-ABORT transport-closed");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, ConnectionRefusedBeforeConnectingIsAProviderAbort) {
  AssociationMachine m;
  ASSERT_TRUE(m.RequestAssociation(Rq()).ok());
  EXPECT_EQ(Describe(m.OnTransportClosed()), "Indicate A-P-ABORT transport-closed");
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, PduAfterCloseOnlyRepeatsTheClose) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnArtimExpired();
  ASSERT_EQ(m.state(), State::kSta1);
  EXPECT_EQ(Describe(m.OnPduReceived(Rq())), "CloseTransport");
  EXPECT_EQ(Describe(m.OnInvalidPdu(AbortReason::kUnrecognizedPdu)), "CloseTransport");
  EXPECT_TRUE(m.OnTransportClosed().empty());
  EXPECT_EQ(m.state(), State::kSta1);
}

TEST(AssociationMachineTest, LocalUserCallInWrongStateIsAnErrorAndChangesNothing) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  ASSERT_TRUE(m.AcceptAssociation(Ac()).ok());
  Result<Effects> r = m.AcceptAssociation(Ac());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("Sta6"), std::string::npos);
  EXPECT_FALSE(m.RespondRelease().ok());
  EXPECT_FALSE(m.RequestAssociation(Rq()).ok());
  EXPECT_FALSE(m.OnConnectionOpened().ok());
  EXPECT_FALSE(m.OnTransportConnected().ok());
  EXPECT_EQ(m.state(), State::kSta6);
  // And the association still works.
  EXPECT_EQ(Describe(Must(m.SendData(Data()))), "Send P-DATA-TF");
}

TEST(AssociationMachineTest, DataCannotBeSentBeforeAccepting) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnPduReceived(Rq());
  EXPECT_FALSE(m.SendData(Data()).ok());
  EXPECT_FALSE(m.RequestRelease().ok());
  EXPECT_EQ(m.state(), State::kSta3);
}

TEST(AssociationMachineTest, UnexpectedPduBeforeTransportConfirmationIsAnUnexpectedPdu) {
  AssociationMachine m;
  ASSERT_TRUE(m.RequestAssociation(Rq()).ok());
  Effects effects = m.OnPduReceived(Ac());
  EXPECT_EQ(Describe(effects), "Send A-ABORT(2,2); Indicate A-P-ABORT protocol-error; StartArtim");
  EXPECT_EQ(m.state(), State::kSta13);
}

TEST(AssociationMachineTest, DecodedPduDrivesTheMachine) {
  // Wire bytes through the real decoder, as the transport will do.
  pdu::PduFramer framer{pdu::PduLimits{}};
  auto bytes = pdu::EncodePdu(Rq());
  framer.Feed(bytes);
  auto next = framer.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  Effects effects = m.OnPduReceived(std::move(**next));
  ASSERT_NE(IndicationOf<AssociateIndication>(effects), nullptr);
  EXPECT_EQ(m.state(), State::kSta3);
}

TEST(AssociationMachineTest, MachineCanServeAnotherAssociationAfterReturningToIdle) {
  AssociationMachine m;
  ASSERT_TRUE(m.OnConnectionOpened().ok());
  (void)m.OnArtimExpired();
  ASSERT_EQ(m.state(), State::kSta1);
  EXPECT_EQ(Describe(Must(m.RequestAssociation(Rq()))), "OpenTransport");
  EXPECT_EQ(m.role(), Role::kRequestor);
}

}  // namespace
}  // namespace bastion::net::ul
