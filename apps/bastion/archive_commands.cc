// Local archive commands on a data directory (they work whether or not the server runs; the
// index is shared through SQLite's locking):
//   bastion import --dir DIR FILES|DIRS...     ingest local files (same path as C-STORE)
//   bastion verify --dir DIR                   re-hash every stored file
//   bastion reconcile --dir DIR                index files the index lacks (after a restore)
//   bastion delete --dir DIR --study|--series|--instance UID
//   bastion index stats|list --dir DIR [--study UID] [--json]
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "commands.h"
#include "file_list.h"
#include "server/archive_service.h"
#include "server/data_dir.h"
#include "store/blob_id.h"

namespace bastion::cli {

namespace {

struct Opened {
  server::DataDir dir;
  std::unique_ptr<server::ArchiveService> service;
};

Result<Opened> Open(const std::string& data_dir) {
  Opened o;
  BASTION_ASSIGN_OR_RETURN(o.dir, server::OpenDataDir(server::AbsoluteDir(data_dir)));
  BASTION_ASSIGN_OR_RETURN(o.service, server::OpenArchiveService(o.dir.config, *o.dir.audit));
  if (const auto& r = o.service->reconciliation) {
    std::cerr << "note: the archive was not closed cleanly; reconciled (" << r->reindexed
              << " re-indexed, " << r->removed_tombstoned << " deleted file(s) removed)\n";
    for (const auto& p : r->problems) std::cerr << "  " << p << "\n";
  }
  return o;
}

// Files imported at once. Each instance's completion waits on two fsyncs (its file, then its
// directory after the rename) that take milliseconds on a virtual disk and little CPU; one
// file at a time left the disk idle between them (100,600 small instances in 668 s). The
// archive is safe to share, so several files go through the same ingest path together.
constexpr unsigned kImportThreads = 8;

void RegisterImport(CLI::App& app) {
  struct Args {
    std::string dir;
    std::vector<std::string> inputs;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("import", "Load local DICOM files into the archive");
  cmd->add_option("--dir", args->dir, "Data directory")->required();
  cmd->add_option("FILES", args->inputs, "Files or directories (searched recursively)")->required();
  cmd->callback([args] {
    auto opened = Open(args->dir);
    if (!opened.ok()) return ReportFailure("import", opened.status());
    std::vector<std::string> errors;
    const auto files = CollectFiles(args->inputs, errors);
    for (const auto& e : errors) std::cerr << "bastion import: " << e << "\n";
    std::atomic<std::uint64_t> stored = 0, identical = 0, skipped = 0, done = 0;
    std::atomic<std::uint64_t> failed = errors.size();
    std::atomic<std::size_t> next = 0;
    std::mutex mutex;  // the studies set, stderr and the progress line
    std::set<std::string> studies;
    ProgressLine progress("imported", files.size());
    const std::string user = LocalUser();
    archive::Archive& archive = *opened->service->archive;
    // The calling thread imports too, and alone updates the progress line.
    auto work = [&](bool report_progress) {
      for (std::size_t i = next++; i < files.size(); i = next++) {
        auto result = archive.ImportFile(files[i], user);
        ++done;
        if (!result.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          if (result.status().code() == StatusCode::kUnsupported) {
            // Not a DICOM file (a manifest beside the images): reported, not a failure.
            std::cerr << "\nbastion import: " << files[i]
                      << ": skipped: " << result.status().message() << "\n";
            ++skipped;
          } else {
            std::cerr << "\nbastion import: " << files[i] << ": " << result.status().message()
                      << "\n";
            ++failed;
          }
        } else {
          (result->outcome == index::AddOutcome::kIdentical ? identical : stored) += 1;
          std::lock_guard<std::mutex> lock(mutex);
          if (studies.size() < 100) studies.insert(result->record.study.study_instance_uid);
        }
        if (report_progress) {
          std::lock_guard<std::mutex> lock(mutex);
          progress.Update(done.load());
        }
      }
    };
    std::vector<std::thread> threads;
    const std::size_t helpers =
        std::min<std::size_t>(kImportThreads - 1, files.size() > 1 ? files.size() - 1 : 0);
    for (std::size_t t = 0; t < helpers; ++t) threads.emplace_back(work, false);
    work(true);
    for (std::thread& t : threads) t.join();
    progress.Update(files.size());
    progress.Finish();
    audit::AuditEvent event;
    event.type = audit::AuditEventType::kImport;
    event.outcome =
        failed == 0 ? audit::AuditOutcome::kSuccess : audit::AuditOutcome::kMinorFailure;
    event.user = user;
    event.local_ae_title = opened->dir.config.dicom.ae_title;
    event.study_instance_uids.assign(studies.begin(), studies.end());
    event.instance_count = stored.load();
    event.description = "imported " + std::to_string(stored.load()) +
                        " instance(s) from local files, " + std::to_string(identical.load()) +
                        " already stored, " + std::to_string(failed.load()) + " failed";
    opened->dir.audit->Emit(event);
    std::cout << "imported " << stored.load() << ", already stored " << identical.load()
              << ", failed " << failed.load() << "\n";
    if (failed != 0) ExitCode() = 1;
  });
}

void RegisterVerify(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Re-hash every stored file and report any that changed or went missing");
  cmd->add_option("--dir", *dir, "Data directory")->required();
  cmd->callback([dir] {
    auto opened = Open(*dir);
    if (!opened.ok()) return ReportFailure("verify", opened.status());
    std::unique_ptr<ProgressLine> progress;
    auto report = opened->service->archive->Verify([&](std::uint64_t done, std::uint64_t total) {
      if (!progress) progress = std::make_unique<ProgressLine>("verified", total);
      progress->Update(done);
    });
    if (progress) progress->Finish();
    if (!report.ok()) return ReportFailure("verify", report.status());
    for (const auto& m : report->missing) std::cout << "MISSING " << m << "\n";
    for (const auto& c : report->changed) std::cout << "CHANGED " << c << "\n";
    for (const auto& u : report->unindexed) std::cout << "NOT INDEXED " << u << "\n";
    std::cout << "verified " << report->checked << " file(s), " << report->bytes << " bytes: "
              << (report->ok() ? "all intact"
                               : std::to_string(report->changed.size()) + " changed, " +
                                     std::to_string(report->missing.size()) + " missing, " +
                                     std::to_string(report->unindexed.size()) + " not indexed")
              << "\n";
    if (!report->ok()) ExitCode() = 1;
  });
}

void RegisterReconcile(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "reconcile", "Index committed files the index lacks and finish interrupted deletions");
  cmd->add_option("--dir", *dir, "Data directory")->required();
  cmd->callback([dir] {
    auto opened = Open(*dir);
    if (!opened.ok()) return ReportFailure("reconcile", opened.status());
    auto r = opened->service->archive->Reconcile();
    if (!r.ok()) return ReportFailure("reconcile", r.status());
    for (const auto& p : r->problems) std::cout << "PROBLEM " << p << "\n";
    std::cout << "re-indexed " << r->reindexed << ", removed " << r->removed_tombstoned
              << " deleted file(s), " << r->problems.size() << " problem(s)\n";
    if (!r->problems.empty()) ExitCode() = 1;
  });
}

void RegisterDelete(CLI::App& app) {
  struct Args {
    std::string dir, study, series, instance;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "delete", "Delete a study, series or instance from the archive (recorded in the audit log)");
  cmd->add_option("--dir", args->dir, "Data directory")->required();
  auto* study = cmd->add_option("--study", args->study, "Study Instance UID");
  auto* series = cmd->add_option("--series", args->series, "Series Instance UID");
  auto* instance = cmd->add_option("--instance", args->instance, "SOP Instance UID");
  study->excludes(series)->excludes(instance);
  series->excludes(instance);
  cmd->callback([args] {
    index::Level level = index::Level::kStudy;
    std::string uid = args->study;
    if (!args->series.empty()) {
      level = index::Level::kSeries;
      uid = args->series;
    } else if (!args->instance.empty()) {
      level = index::Level::kInstance;
      uid = args->instance;
    }
    if (uid.empty()) {
      std::cerr << "bastion delete: name what to delete: --study, --series or --instance UID\n";
      ExitCode() = 2;
      return;
    }
    auto opened = Open(args->dir);
    if (!opened.ok()) return ReportFailure("delete", opened.status());
    auto removed = opened->service->archive->Remove(level, uid, LocalUser());
    if (!removed.ok()) return ReportFailure("delete", removed.status());
    std::cout << "deleted " << removed->size() << " instance(s)\n";
  });
}

void RegisterIndex(CLI::App& app) {
  struct Args {
    std::string dir, study;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("index", "Show what the archive holds");
  cmd->require_subcommand(1);
  CLI::App* stats = cmd->add_subcommand("stats", "Counts of patients, studies, series, instances");
  CLI::App* list = cmd->add_subcommand("list", "One line per stored instance");
  for (CLI::App* sub : {stats, list}) {
    sub->add_option("--dir", args->dir, "Data directory")->required();
    sub->add_flag("--json", args->json, "JSON output");
  }
  list->add_option("--study", args->study, "Only this study");
  stats->callback([args] {
    auto opened = Open(args->dir);
    if (!opened.ok()) return ReportFailure("index stats", opened.status());
    auto c = opened->service->index->Counts();
    if (!c.ok()) return ReportFailure("index stats", c.status());
    if (args->json) {
      std::cout << nlohmann::json{{"patients", c->patients},
                                  {"studies", c->studies},
                                  {"series", c->series},
                                  {"instances", c->instances},
                                  {"bytes", c->bytes}}
                       .dump()
                << "\n";
    } else {
      std::cout << "patients " << c->patients << "\nstudies " << c->studies << "\nseries "
                << c->series << "\ninstances " << c->instances << "\nbytes " << c->bytes << "\n";
    }
  });
  list->callback([args] {
    auto opened = Open(args->dir);
    if (!opened.ok()) return ReportFailure("index list", opened.status());
    auto rows = opened->service->index->ListInstances(args->study);
    if (!rows.ok()) return ReportFailure("index list", rows.status());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) {
      auto id = store::BlobId::Parse(r.storage.blob_id);
      const std::string path = id.ok() ? opened->service->storage->PathOf(*id) : "";
      if (args->json) {
        out.push_back({{"sop_instance_uid", r.sop_instance_uid},
                       {"sop_class_uid", r.sop_class_uid},
                       {"study_instance_uid", r.study_instance_uid},
                       {"series_instance_uid", r.series_instance_uid},
                       {"patient_id", r.patient_id},
                       {"transfer_syntax_uid", r.storage.transfer_syntax_uid},
                       {"size", r.storage.size},
                       {"sha256", r.storage.data_sha256},
                       {"received_at", r.storage.received_at},
                       {"source_ae_title", r.storage.source_ae_title},
                       {"path", path}});
      } else {
        std::cout << r.study_instance_uid << " " << r.series_instance_uid << " "
                  << r.sop_instance_uid << " " << r.storage.transfer_syntax_uid << " "
                  << r.storage.size << " " << path << "\n";
      }
    }
    if (args->json)
      std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    // Listing what the archive holds about patients is an access to their records.
    audit::AuditEvent event =
        LocalEvent(opened->dir, audit::AuditEventType::kInstancesAccessed,
                   "index list" + (args->study.empty() ? "" : " --study " + args->study) + ": " +
                       std::to_string(rows->size()) + " instance(s) listed");
    for (const auto& r : *rows) {
      audit::AddParticipant(event.study_instance_uids, r.study_instance_uid);
      audit::AddParticipant(event.patient_ids, r.patient_id);
    }
    event.instance_count = rows->size();
    opened->dir.audit->Emit(event);
  });
}

}  // namespace

// `bastion label add|remove|list --dir DIR --study UID [LABEL]`: labels for scopes.
void RegisterLabel(CLI::App& app) {
  struct Args {
    std::string dir, study, label;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "label", "Label studies; scopes (`user scope`, `peer scope`) can select by label");
  cmd->require_subcommand(1);
  CLI::App* add = cmd->add_subcommand("add", "Put a label on a study");
  CLI::App* remove = cmd->add_subcommand("remove", "Take a label off a study");
  CLI::App* list = cmd->add_subcommand("list", "A study's labels");
  for (CLI::App* sub : {add, remove, list}) {
    sub->add_option("--dir", args->dir, "Data directory")->required();
    sub->add_option("--study", args->study, "Study Instance UID")->required();
  }
  for (CLI::App* sub : {add, remove}) {
    sub->add_option("LABEL", args->label, "The label (1-64 characters)")->required();
  }
  auto change = [args](bool adding) {
    const char* name = adding ? "label add" : "label remove";
    auto opened = Open(args->dir);
    if (!opened.ok()) return ReportFailure(name, opened.status());
    auto& index = *opened->service->index;
    Status st = adding ? index.AddStudyLabel(args->study, args->label)
                       : index.RemoveStudyLabel(args->study, args->label);
    if (!st.ok()) return ReportFailure(name, st);
    AuditConfigurationChange(opened->dir, std::string(adding ? "label '" : "removed label '") +
                                              args->label + (adding ? "' put on" : "' from") +
                                              " study " + args->study);
    std::cout << (adding ? "labelled " : "unlabelled ") << args->study << "\n";
  };
  add->callback([change] { change(true); });
  remove->callback([change] { change(false); });
  list->callback([args] {
    auto opened = Open(args->dir);
    if (!opened.ok()) return ReportFailure("label list", opened.status());
    auto labels = opened->service->index->StudyLabels(args->study);
    if (!labels.ok()) return ReportFailure("label list", labels.status());
    for (const std::string& l : *labels) std::cout << l << "\n";
  });
}

void RegisterArchiveCommands(CLI::App& app) {
  RegisterLabel(app);
  RegisterImport(app);
  RegisterVerify(app);
  RegisterReconcile(app);
  RegisterDelete(app);
  RegisterIndex(app);
}

}  // namespace bastion::cli
