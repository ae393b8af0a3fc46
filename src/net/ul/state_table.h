// The DICOM upper-layer protocol state machine of PS3.8 section 9.2, as data: the states of
// Tables 9-1 to 9-5, the events and the actions of Tables 9-6 to 9-9, and the state
// transition table (Table 9-10) transcribed cell by cell in state_table.cc.
//
// association_machine.h performs the actions; this file only says which action a cell names
// and where each action leads. Pure constants and functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bastion::net::ul {

// Tables 9-1 to 9-5.
enum class State : std::uint8_t {
  kSta1 = 1,  // Idle
  kSta2,      // Transport connection open (awaiting A-ASSOCIATE-RQ PDU)
  kSta3,      // Awaiting local A-ASSOCIATE response primitive (from local user)
  kSta4,      // Awaiting transport connection opening to complete (from local transport)
  kSta5,      // Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU
  kSta6,      // Association established and ready for data transfer
  kSta7,      // Awaiting A-RELEASE-RP PDU
  kSta8,      // Awaiting local A-RELEASE response primitive (from local user)
  kSta9,      // Release collision requestor side; awaiting A-RELEASE response (local user)
  kSta10,     // Release collision acceptor side; awaiting A-RELEASE-RP PDU
  kSta11,     // Release collision requestor side; awaiting A-RELEASE-RP PDU
  kSta12,     // Release collision acceptor side; awaiting A-RELEASE response (local user)
  kSta13,     // Awaiting transport connection close indication (association no longer exists)
};

// The events of Table 9-10.
enum class Event : std::uint8_t {
  kEvt1 = 1,  // A-ASSOCIATE request (local user)
  kEvt2,      // Transport connect confirmation (local transport service)
  kEvt3,      // A-ASSOCIATE-AC PDU (received on transport connection)
  kEvt4,      // A-ASSOCIATE-RJ PDU (received on transport connection)
  kEvt5,      // Transport connection indication (local transport service)
  kEvt6,      // A-ASSOCIATE-RQ PDU (received on transport connection)
  kEvt7,      // A-ASSOCIATE response primitive (accept)
  kEvt8,      // A-ASSOCIATE response primitive (reject)
  kEvt9,      // P-DATA request primitive
  kEvt10,     // P-DATA-TF PDU
  kEvt11,     // A-RELEASE request primitive
  kEvt12,     // A-RELEASE-RQ PDU
  kEvt13,     // A-RELEASE-RP PDU
  kEvt14,     // A-RELEASE response primitive
  kEvt15,     // A-ABORT request primitive
  kEvt16,     // A-ABORT PDU
  kEvt17,     // Transport connection closed indication (local transport service)
  kEvt18,     // ARTIM timer expired (association reject/release timer)
  kEvt19,     // Unrecognized or invalid PDU received
};

// Tables 9-6 (AE), 9-7 (DT), 9-8 (AR) and 9-9 (AA).
// clang-format off
enum class Action : std::uint8_t {
  kAe1, kAe2, kAe3, kAe4, kAe5, kAe6, kAe7, kAe8,
  kDt1, kDt2,
  kAr1, kAr2, kAr3, kAr4, kAr5, kAr6, kAr7, kAr8, kAr9, kAr10,
  kAa1, kAa2, kAa3, kAa4, kAa5, kAa6, kAa7, kAa8,
};
// clang-format on

inline constexpr int kStateCount = 13;
inline constexpr int kEventCount = 19;
inline constexpr int kActionCount = 28;

// An action and the state it leads to.
struct Transition {
  Action action;
  State next;
  friend bool operator==(const Transition&, const Transition&) = default;
};

// The action in the cell (state, event) of Table 9-10, or nullopt for a blank cell (an event
// the standard does not expect in that state).
std::optional<Action> TableAction(State state, Event event);

// True for the two actions whose next state the standard makes conditional:
//   AE-6: Sta3 if the A-ASSOCIATE-RQ is acceptable to the service provider, else Sta13;
//   AR-8: Sta9 on the association-requestor, Sta10 on the acceptor (release collision).
bool HasConditionalNextState(Action action);

// The next state of `action` (Tables 9-6 to 9-9). `condition` resolves the conditional ones
// (for AE-6: the request is acceptable; for AR-8: this end is the association-requestor) and
// is ignored for all others.
State NextState(Action action, bool condition = false);

// The cell (state, event) resolved to a transition, nullopt for a blank cell.
std::optional<Transition> Lookup(State state, Event event, bool condition = false);

// Names as the standard writes them: "Sta6", "Evt19", "AA-8".
std::string_view StateName(State state);
std::string_view EventName(Event event);
std::string_view ActionName(Action action);
// The event's wording in Table 9-10, e.g. "A-RELEASE-RQ PDU".
std::string_view EventDescription(Event event);

}  // namespace bastion::net::ul
