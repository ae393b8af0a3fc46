#include "server/archive_service.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bastion::server {

namespace {

struct Markers {
  bool stale = false;   // left by a process that is gone (and now removed)
  int live_others = 0;  // of other processes using the directory now
};

Markers RemoveStaleMarkers(const std::string& dir) {
  Markers m;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return m;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!name.starts_with("running.")) continue;
    const long pid = std::strtol(name.c_str() + 8, nullptr, 10);
    const bool alive = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    if (!alive) {
      m.stale = true;
      ::unlink((dir + "/" + name).c_str());
    } else if (pid != ::getpid()) {
      ++m.live_others;
    }
  }
  ::closedir(d);
  return m;
}

}  // namespace

ArchiveService::~ArchiveService() {
  archive.reset();
  index.reset();
  if (!marker.empty()) ::unlink(marker.c_str());
}

archive::IngestPolicy IngestPolicyFrom(const StorageConfig& s) {
  archive::IngestPolicy p;
  p.max_instance_bytes = s.max_instance_bytes;
  p.max_big_endian_instance_bytes = s.max_big_endian_instance_bytes;
  p.max_archive_bytes = s.max_archive_bytes;
  p.min_free_disk_bytes = s.min_free_disk_bytes;
  p.read.limits.max_total_size = s.max_instance_bytes + (1u << 20);
  p.read.limits.max_element_length = s.max_instance_bytes;
  p.read.limits.max_sequence_depth = s.max_sequence_depth;
  p.read.limits.max_elements = s.max_elements;
  p.read.limits.max_inflated_size = s.max_inflated_bytes;
  p.read.limits.max_inflate_ratio = s.max_inflate_ratio;
  p.read.allow_odd_length = s.accept_odd_lengths;
  p.read.allow_unordered_tags = s.accept_unordered_tags;
  p.read.allow_invalid_vr = s.accept_unknown_vrs;
  return p;
}

Result<std::unique_ptr<ArchiveService>> OpenArchiveService(const Config& config,
                                                           audit::AuditSink& audit) {
  auto service = std::make_unique<ArchiveService>();
  const std::string& index_file = config.storage.index_file;
  const std::string index_dir = index_file.substr(0, index_file.rfind('/'));
  if (::mkdir(index_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Unavailable("cannot create " + index_dir + ": " + std::strerror(errno));
  }
  const Markers markers = RemoveStaleMarkers(index_dir);
  service->marker = index_dir + "/running." + std::to_string(::getpid());
  const int fd = ::open(service->marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);

  store::StorageOptions storage_options;
  storage_options.direct_write_max_bytes = config.storage.direct_write_max_bytes;
  storage_options.direct_write_buffers = config.storage.direct_write_buffers;
  BASTION_ASSIGN_OR_RETURN(service->storage, store::FilesystemStorage::Open(
                                                 config.storage.objects_dir, storage_options));
  index::SqliteOptions options;
  options.synchronous = config.storage.index_synchronous;
  BASTION_ASSIGN_OR_RETURN(service->index, index::SqliteIndex::Open(index_file, options));
  service->archive =
      std::make_unique<archive::Archive>(*service->storage, *service->index, audit,
                                         IngestPolicyFrom(config.storage), config.dicom.ae_title);
  // Only a process that stopped uncleanly leaves temporary files behind, and the sweep reads
  // every directory, so it runs after an unclean stop, once no other process (whose transfers
  // in progress they could be) is running; until then a marker remembers it is owed.
  const std::string unswept = index_dir + "/unswept";
  if (markers.stale || ::access(unswept.c_str(), F_OK) == 0) {
    if (markers.live_others == 0) {
      service->storage->SweepTemporaryFiles();
      ::unlink(unswept.c_str());
    } else if (const int owed = ::open(unswept.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
               owed >= 0) {
      ::close(owed);
    }
  }
  if (markers.stale) {
    BASTION_ASSIGN_OR_RETURN(auto reconciled, service->archive->Reconcile());
    service->reconciliation = std::move(reconciled);
  }
  return service;
}

}  // namespace bastion::server
