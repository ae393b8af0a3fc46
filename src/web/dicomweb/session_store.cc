#include "web/dicomweb/session_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "base/hex.h"

namespace bastion::web::dicomweb {

namespace {

std::string RandomToken() {
  std::array<std::uint8_t, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // No session without real randomness: refuse rather than issue a guessable id.
    throw std::runtime_error("RAND_bytes failed: no session can be created");
  }
  return ToHex(bytes);
}

std::string HashHex(std::string_view text) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return ToHex(std::span<const std::uint8_t>(digest.data(), size));
}

}  // namespace

NewSession SessionStore::Create(const std::string& user, Clock::time_point now) {
  NewSession created{RandomToken(), RandomToken()};
  const std::string key = HashHex(created.id);
  std::lock_guard<std::mutex> lock(mutex_);
  while (sessions_.size() >= limits_.max_sessions && !lru_.empty()) {
    sessions_.erase(lru_.front());
    lru_.pop_front();
  }
  lru_.push_back(key);
  sessions_[key] = Entry{{user, HashHex(created.csrf_token)}, now, now, std::prev(lru_.end())};
  return created;
}

std::optional<SessionInfo> SessionStore::Find(std::string_view id, Clock::time_point now) {
  if (id.size() != 64) return std::nullopt;
  const std::string key = HashHex(id);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  Entry& entry = it->second;
  if (now - entry.last_used > limits_.idle || now - entry.created > limits_.absolute) {
    lru_.erase(entry.lru);
    sessions_.erase(it);
    return std::nullopt;
  }
  entry.last_used = now;
  lru_.splice(lru_.end(), lru_, entry.lru);
  return entry.info;
}

bool SessionStore::CsrfMatches(const SessionInfo& session, std::string_view token) {
  if (token.size() != 64) return false;
  const std::string hash = HashHex(token);
  return hash.size() == session.csrf_hash.size() &&
         CRYPTO_memcmp(hash.data(), session.csrf_hash.data(), hash.size()) == 0;
}

void SessionStore::Remove(std::string_view id) {
  const std::string key = HashHex(id);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  lru_.erase(it->second.lru);
  sessions_.erase(it);
}

std::size_t SessionStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.size();
}

}  // namespace bastion::web::dicomweb
