// Numbered schema migrations of the SQLite index. Each runs once, in order, in its own
// transaction, and its number is recorded in schema_migrations. Never edit a released
// migration: add the next one.
#pragma once

#include <span>
#include <string_view>

namespace bastion::index::sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

std::span<const Migration> Migrations();

}  // namespace bastion::index::sqlite
