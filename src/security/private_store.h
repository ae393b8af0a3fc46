// PrivateStore<Snapshot>: the machinery the user store and the peer registry share.
//
// An immutable snapshot of a private state file, swapped atomically: readers take a
// shared_ptr and never block writers for long; writers (this process or `bastion user add` in
// another) serialise on a mutex and an advisory file lock, re-read the newest file first, apply
// their change to a copy, write it atomically (0600) and swap it in. ReloadIfChanged picks up
// another process's write by its file stamp. Parsing and serialising are the owner's.
// Thread-safety: every member is safe to call concurrently.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "security/private_file.h"

namespace bastion::security {

template <typename Snapshot>
class PrivateStore {
 public:
  using Parser = std::function<Result<Snapshot>(std::string_view text)>;
  using Serializer = std::function<std::string(const Snapshot& snapshot)>;

  PrivateStore(std::string path, std::size_t max_file_bytes, std::size_t max_entries,
               std::string what, Parser parse, Serializer serialize)
      : path_(std::move(path)),
        max_file_bytes_(max_file_bytes),
        max_entries_(max_entries),
        what_(std::move(what)),
        parse_(std::move(parse)),
        serialize_(std::move(serialize)),
        snapshot_(std::make_shared<const Snapshot>()) {}

  // Reads the file; a missing one is NotFound unless `create_if_missing` (then empty).
  Status Load(bool create_if_missing) {
    std::lock_guard<std::mutex> lock(write_mutex_);
    Result<bool> loaded = ReloadLocked();
    if (!loaded.ok()) {
      if (loaded.status().code() == StatusCode::kNotFound && create_if_missing) {
        return Status::Ok();
      }
      return loaded.status();
    }
    return Status::Ok();
  }

  std::shared_ptr<const Snapshot> snapshot() const {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    return snapshot_;
  }

  Result<bool> ReloadIfChanged() {
    std::lock_guard<std::mutex> lock(write_mutex_);
    return ReloadLocked();
  }

  // Locks the file, builds on its newest version, applies `change` (Status(Snapshot&)) to a
  // copy, writes it and swaps it in.
  template <typename Change>
  Status Modify(Change&& change) {
    std::lock_guard<std::mutex> lock(write_mutex_);
    BASTION_ASSIGN_OR_RETURN(FileLock file_lock, FileLock::Acquire(path_));
    // Another process may have written since we last looked; build on its version.
    Result<bool> reloaded = ReloadLocked();
    if (!reloaded.ok() && reloaded.status().code() != StatusCode::kNotFound) {
      return reloaded.status();
    }
    Snapshot next = *snapshot();
    BASTION_RETURN_IF_ERROR(change(next));
    if (next.size() > max_entries_) return Status::LimitExceeded("too many " + what_);
    return WriteLocked(std::move(next));
  }

  // Writes the current snapshot (creates the file when it did not exist).
  Status Save() {
    std::lock_guard<std::mutex> lock(write_mutex_);
    BASTION_ASSIGN_OR_RETURN(FileLock file_lock, FileLock::Acquire(path_));
    return WriteLocked(*snapshot());
  }

  const std::string& path() const { return path_; }

 private:
  // Loads a newer file if there is one; the caller holds write_mutex_.
  Result<bool> ReloadLocked() {
    Result<FileStamp> now = StatFile(path_);
    if (!now.ok()) return now.status();
    if (stamp_ && *stamp_ == *now) return false;
    FileStamp stamp;
    BASTION_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path_, max_file_bytes_, &stamp));
    Result<Snapshot> parsed = parse_(text);
    if (!parsed.ok()) return parsed.status().WithContext(path_);
    Swap(std::move(parsed).value());
    stamp_ = stamp;
    return true;
  }

  Status WriteLocked(Snapshot next) {
    FileStamp stamp;
    BASTION_RETURN_IF_ERROR(WritePrivateFileAtomically(path_, serialize_(next), &stamp));
    Swap(std::move(next));
    stamp_ = stamp;
    return Status::Ok();
  }

  void Swap(Snapshot next) {
    auto shared = std::make_shared<const Snapshot>(std::move(next));
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    snapshot_ = std::move(shared);
  }

  const std::string path_;
  const std::size_t max_file_bytes_;
  const std::size_t max_entries_;
  const std::string what_;
  const Parser parse_;
  const Serializer serialize_;
  std::mutex write_mutex_;  // serialises Modify, Save and reloads
  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::optional<FileStamp> stamp_;  // guarded by write_mutex_
};

}  // namespace bastion::security
