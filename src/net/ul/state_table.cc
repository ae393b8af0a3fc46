// PS3.8 Table 9-10, "DICOM Upper Layer Protocol State Transition Table", transcribed with the
// standard's layout: one row per event, one column per state, `nil` for a blank cell.
// Checked against pynetdicom's fsm.py and DCMTK's dulfsm.cc (which departs from the standard
// in two cells it marks as its own: Sta5+Evt6 and Sta7+Evt18; we keep the standard's).
#include "net/ul/state_table.h"

#include <array>

namespace bastion::net::ul {
namespace {

// Cells hold an action or nothing; short local names keep the table on a page.
using Cell = std::optional<Action>;
constexpr Cell nil = std::nullopt;
constexpr Cell AE1 = Action::kAe1, AE2 = Action::kAe2, AE3 = Action::kAe3, AE4 = Action::kAe4,
               AE5 = Action::kAe5, AE6 = Action::kAe6, AE7 = Action::kAe7, AE8 = Action::kAe8;
constexpr Cell DT1 = Action::kDt1, DT2 = Action::kDt2;
constexpr Cell AR1 = Action::kAr1, AR2 = Action::kAr2, AR3 = Action::kAr3, AR4 = Action::kAr4,
               AR5 = Action::kAr5, AR6 = Action::kAr6, AR7 = Action::kAr7, AR8 = Action::kAr8,
               AR9 = Action::kAr9, AR10 = Action::kAr10;
constexpr Cell AA1 = Action::kAa1, AA2 = Action::kAa2, AA3 = Action::kAa3, AA4 = Action::kAa4,
               AA5 = Action::kAa5, AA6 = Action::kAa6, AA7 = Action::kAa7, AA8 = Action::kAa8;

using Row = std::array<Cell, kStateCount>;

// clang-format off
constexpr std::array<Row, kEventCount> kTable = {{
  // Columns Sta1 to Sta13 (S10 is Sta10); rows Evt1 to Evt19.
  //Sta1 Sta2 Sta3 Sta4 Sta5 Sta6 Sta7 Sta8 Sta9 S10  S11  S12  S13
  // Evt1: A-ASSOCIATE request (local user)
  {{AE1, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}},
  // Evt2: Transport connect confirmation (local transport service)
  {{nil, nil, nil, AE2, nil, nil, nil, nil, nil, nil, nil, nil, nil}},
  // Evt3: A-ASSOCIATE-AC PDU (received on transport connection)
  {{nil, AA1, AA8, nil, AE3, AA8, AA8, AA8, AA8, AA8, AA8, AA8, AA6}},
  // Evt4: A-ASSOCIATE-RJ PDU (received on transport connection)
  {{nil, AA1, AA8, nil, AE4, AA8, AA8, AA8, AA8, AA8, AA8, AA8, AA6}},
  // Evt5: Transport connection indication (local transport service)
  {{AE5, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}},
  // Evt6: A-ASSOCIATE-RQ PDU (received on transport connection)
  {{nil, AE6, AA8, nil, AA8, AA8, AA8, AA8, AA8, AA8, AA8, AA8, AA7}},
  // Evt7: A-ASSOCIATE response primitive (accept)
  {{nil, nil, AE7, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}},
  // Evt8: A-ASSOCIATE response primitive (reject)
  {{nil, nil, AE8, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}},
  // Evt9: P-DATA request primitive
  {{nil, nil, nil, nil, nil, DT1, nil, AR7, nil, nil, nil, nil, nil}},
  // Evt10: P-DATA-TF PDU
  {{nil, AA1, AA8, nil, AA8, DT2, AR6, AA8, AA8, AA8, AA8, AA8, AA6}},
  // Evt11: A-RELEASE request primitive
  {{nil, nil, nil, nil, nil, AR1, nil, nil, nil, nil, nil, nil, nil}},
  // Evt12: A-RELEASE-RQ PDU
  {{nil, AA1, AA8, nil, AA8, AR2, AR8, AA8, AA8, AA8, AA8, AA8, AA6}},
  // Evt13: A-RELEASE-RP PDU
  {{nil, AA1, AA8, nil, AA8, AA8, AR3, AA8, AA8, AR10,AR3, AA8, AA6}},
  // Evt14: A-RELEASE response primitive
  {{nil, nil, nil, nil, nil, nil, nil, AR4, AR9, nil, nil, AR4, nil}},
  // Evt15: A-ABORT request primitive
  {{nil, nil, AA1, AA2, AA1, AA1, AA1, AA1, AA1, AA1, AA1, AA1, nil}},
  // Evt16: A-ABORT PDU
  {{nil, AA2, AA3, nil, AA3, AA3, AA3, AA3, AA3, AA3, AA3, AA3, AA2}},
  // Evt17: Transport connection closed indication (local transport service)
  {{nil, AA5, AA4, AA4, AA4, AA4, AA4, AA4, AA4, AA4, AA4, AA4, AR5}},
  // Evt18: ARTIM timer expired (association reject/release timer)
  {{nil, AA2, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, AA2}},
  // Evt19: Unrecognized or invalid PDU received
  {{nil, AA1, AA8, nil, AA8, AA8, AA8, AA8, AA8, AA8, AA8, AA8, AA7}},
}};
// clang-format on

// Next states of Tables 9-6 to 9-9, in Action order. For AE-6 and AR-8 this is the state when
// the condition holds; kAlternative gives the other.
constexpr std::array<State, kActionCount> kNext = {
    State::kSta4,  State::kSta5,  State::kSta6,  State::kSta1,  State::kSta2,   // AE-1..AE-5
    State::kSta3,  State::kSta6,  State::kSta13,                                // AE-6..AE-8
    State::kSta6,  State::kSta6,                                                // DT-1, DT-2
    State::kSta7,  State::kSta8,  State::kSta1,  State::kSta13, State::kSta1,   // AR-1..AR-5
    State::kSta7,  State::kSta8,  State::kSta9,  State::kSta11, State::kSta12,  // AR-6..AR-10
    State::kSta13, State::kSta1,  State::kSta1,  State::kSta1,  State::kSta1,   // AA-1..AA-5
    State::kSta13, State::kSta13, State::kSta13,                                // AA-6..AA-8
};

constexpr std::array<std::string_view, kStateCount> kStateNames = {
    "Sta1", "Sta2", "Sta3",  "Sta4",  "Sta5",  "Sta6", "Sta7",
    "Sta8", "Sta9", "Sta10", "Sta11", "Sta12", "Sta13"};

constexpr std::array<std::string_view, kEventCount> kEventNames = {
    "Evt1",  "Evt2",  "Evt3",  "Evt4",  "Evt5",  "Evt6",  "Evt7",  "Evt8",  "Evt9", "Evt10",
    "Evt11", "Evt12", "Evt13", "Evt14", "Evt15", "Evt16", "Evt17", "Evt18", "Evt19"};

constexpr std::array<std::string_view, kEventCount> kEventDescriptions = {
    "A-ASSOCIATE request (local user)",
    "Transport connect confirmation (local transport service)",
    "A-ASSOCIATE-AC PDU (received on transport connection)",
    "A-ASSOCIATE-RJ PDU (received on transport connection)",
    "Transport connection indication (local transport service)",
    "A-ASSOCIATE-RQ PDU (received on transport connection)",
    "A-ASSOCIATE response primitive (accept)",
    "A-ASSOCIATE response primitive (reject)",
    "P-DATA request primitive",
    "P-DATA-TF PDU",
    "A-RELEASE request primitive",
    "A-RELEASE-RQ PDU",
    "A-RELEASE-RP PDU",
    "A-RELEASE response primitive",
    "A-ABORT request primitive",
    "A-ABORT PDU",
    "Transport connection closed indication (local transport service)",
    "ARTIM timer expired (association reject/release timer)",
    "Unrecognized or invalid PDU received",
};

constexpr std::array<std::string_view, kActionCount> kActionNames = {
    "AE-1", "AE-2", "AE-3", "AE-4", "AE-5", "AE-6", "AE-7", "AE-8", "DT-1", "DT-2",
    "AR-1", "AR-2", "AR-3", "AR-4", "AR-5", "AR-6", "AR-7", "AR-8", "AR-9", "AR-10",
    "AA-1", "AA-2", "AA-3", "AA-4", "AA-5", "AA-6", "AA-7", "AA-8"};

constexpr int StateIndex(State s) { return static_cast<int>(s) - 1; }
constexpr int EventIndex(Event e) { return static_cast<int>(e) - 1; }
constexpr int ActionIndex(Action a) { return static_cast<int>(a); }

constexpr bool InRange(State s) { return StateIndex(s) >= 0 && StateIndex(s) < kStateCount; }
constexpr bool InRange(Event e) { return EventIndex(e) >= 0 && EventIndex(e) < kEventCount; }
constexpr bool InRange(Action a) { return ActionIndex(a) >= 0 && ActionIndex(a) < kActionCount; }

}  // namespace

std::optional<Action> TableAction(State state, Event event) {
  if (!InRange(state) || !InRange(event)) return std::nullopt;
  return kTable[EventIndex(event)][StateIndex(state)];
}

bool HasConditionalNextState(Action action) {
  return action == Action::kAe6 || action == Action::kAr8;
}

State NextState(Action action, bool condition) {
  if (!InRange(action)) return State::kSta1;
  if (action == Action::kAe6 && !condition) return State::kSta13;
  if (action == Action::kAr8 && !condition) return State::kSta10;
  return kNext[ActionIndex(action)];
}

std::optional<Transition> Lookup(State state, Event event, bool condition) {
  std::optional<Action> action = TableAction(state, event);
  if (!action) return std::nullopt;
  return Transition{*action, NextState(*action, condition)};
}

std::string_view StateName(State state) {
  return InRange(state) ? kStateNames[StateIndex(state)] : std::string_view("Sta?");
}

std::string_view EventName(Event event) {
  return InRange(event) ? kEventNames[EventIndex(event)] : std::string_view("Evt?");
}

std::string_view ActionName(Action action) {
  return InRange(action) ? kActionNames[ActionIndex(action)] : std::string_view("action?");
}

std::string_view EventDescription(Event event) {
  return InRange(event) ? kEventDescriptions[EventIndex(event)] : std::string_view("?");
}

}  // namespace bastion::net::ul
