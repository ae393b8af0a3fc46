// Internal to the SQLite backend: a prepared statement that resets after use, and the error
// mapping from SQLite result codes to Status (full disk: limit exceeded; busy: unavailable).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace bastion::index::sqlite {

inline Status SqlError(sqlite3* db, const std::string& what) {
  const int code = sqlite3_errcode(db);
  std::string msg = "index: " + what + ": " + sqlite3_errmsg(db);
  if (code == SQLITE_FULL) return Status::LimitExceeded(msg + " (the disk is full)");
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
    return Status::Unavailable(msg + " (another process holds the index)");
  }
  return Status::Internal(msg);
}

// A prepared statement, reset after each use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  Status Prepare(sqlite3* db, const char* sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
      return SqlError(db, std::string("preparing ") + sql);
    }
    return Status::Ok();
  }
  Stmt& Bind(int i, std::string_view text) {
    sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::optional<std::int64_t>& v) {
    if (v) {
      sqlite3_bind_int64(s_, i, *v);
    } else {
      sqlite3_bind_null(s_, i);
    }
    return *this;
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> Step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqlError(db_, std::string("running ") + sqlite3_sql(s_));
  }
  Status Run() {
    auto r = Step();
    Reset();
    return r.ok() ? Status::Ok() : r.status();
  }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
                        : std::string();
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

// Resets a statement when a scope ends, whatever path leaves it.
struct ResetOnExit {
  Stmt& stmt;
  ~ResetOnExit() { stmt.Reset(); }
};

// The text of column 0 of every row `s` yields.
inline Result<std::vector<std::string>> TextColumn(Stmt& s) {
  std::vector<std::string> out;
  while (true) {
    BASTION_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

}  // namespace bastion::index::sqlite
