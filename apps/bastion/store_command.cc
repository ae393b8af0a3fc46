// `bastion store --to AE@HOST:PORT FILES|DIRS...`: C-STORE as SCU (PS3.4 Annex B), over TLS by
// default, with a client certificate and user identity as for `echo`. Each file's data set is
// sent exactly as it is encoded in the file, on a presentation context for its SOP class and
// transfer syntax; `--associations N` sends over N associations in parallel.
#include <algorithm>
#include <atomic>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "base/mapped_file.h"
#include "client_options.h"
#include "commands.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"
#include "file_list.h"
#include "net/dimse/command.h"

namespace bastion::cli {

namespace {

// Presentation context IDs are odd numbers 1-255 (PS3.8 9.3.2.2): at most 128 per association.
constexpr std::size_t kMaxContexts = 120;

struct FileToSend {
  std::string path;
  dicom::Part10Summary summary;
};

std::string DescribeStatus(std::uint16_t status) {
  std::ostringstream o;
  o << "0x" << std::hex << std::setw(4) << std::setfill('0') << status;
  switch (status) {
    case 0x0124:
      return o.str() + " (refused: not authorized)";
    case 0x0111:
      return o.str() + " (duplicate SOP instance with different content)";
    case 0x0122:
      return o.str() + " (SOP class not supported)";
  }
  if ((status & 0xFF00) == 0xA700) return o.str() + " (out of resources)";
  if ((status & 0xF000) == 0xC000) return o.str() + " (cannot understand)";
  if ((status & 0xF000) == 0xB000) return o.str() + " (warning)";
  return o.str();
}

struct Totals {
  std::atomic<std::uint64_t> stored{0}, failed{0}, bytes{0};
  std::mutex report_mutex;
};

// Sends `files` over as many sequential associations as their presentation contexts need.
void SendAll(const net::transport::ClientOptions& options, const std::vector<FileToSend>& files,
             Totals& totals, ProgressLine& progress, std::atomic<std::uint64_t>& done) {
  auto fail = [&](const std::string& path, const std::string& why) {
    std::lock_guard<std::mutex> lock(totals.report_mutex);
    std::cerr << "\nbastion store: " << path << ": " << why << "\n";
    ++totals.failed;
  };
  std::size_t next = 0;
  while (next < files.size()) {
    // Take files until their distinct (SOP class, transfer syntax) pairs fill the contexts.
    net::acse::LocalApplication local;
    local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
    local.implementation_version_name = std::string(dicom::kImplementationVersionName);
    std::map<std::pair<std::string, std::string>, bool> pairs;
    std::size_t end = next;
    while (end < files.size()) {
      auto key =
          std::make_pair(files[end].summary.sop_class_uid, files[end].summary.transfer_syntax_uid);
      if (!pairs.count(key)) {
        if (pairs.size() == kMaxContexts) break;
        pairs[key] = true;
        local.syntaxes.push_back({key.first, {key.second}, false});
      }
      ++end;
    }
    auto association = net::transport::ClientAssociation::Open(options, local);
    if (!association.ok()) {
      for (std::size_t i = next; i < end; ++i) fail(files[i].path, association.status().message());
      done += end - next;
      next = end;
      continue;
    }
    std::uint16_t message_id = 0;
    for (std::size_t i = next; i < end; ++i, ++done) {
      progress.Update(done);
      const FileToSend& f = files[i];
      const dicom::Part10Summary& file = f.summary;
      auto mapped = MappedFile::Open(f.path);
      if (!mapped.ok() || (*mapped)->bytes().size() < file.data_offset) {
        fail(f.path,
             mapped.ok() ? "the file changed since it was read" : mapped.status().message());
        continue;
      }
      const auto data = (*mapped)->bytes().subspan(static_cast<std::size_t>(file.data_offset));
      auto response = (*association)
                          ->Request(file.sop_class_uid,
                                    net::dimse::MakeCStoreRq(++message_id, file.sop_class_uid,
                                                             file.sop_instance_uid),
                                    data, file.transfer_syntax_uid);
      if (!response.ok()) {
        fail(f.path, response.status().message());
        if (response.status().code() != StatusCode::kUnsupported) {
          // The association is gone; the remaining files of this batch cannot be sent on it.
          for (std::size_t k = i + 1; k < end; ++k) fail(files[k].path, "association lost");
          done += end - i;
          next = end;
          break;
        }
        continue;
      }
      const std::uint16_t status = response->status().value_or(0xFFFF);
      if (status == 0x0000 || (status & 0xF000) == 0xB000) {
        ++totals.stored;
        totals.bytes += data.size();
      } else {
        std::string why = "the peer answered status " + DescribeStatus(status);
        if (auto comment = response->elements.GetString(dicom::Tag{0x0000, 0x0902})) {
          why += ": " + *comment;
        }
        fail(f.path, why);
      }
    }
    if (next < end) {
      (void)(*association)->Release();
      next = end;
    }
  }
}

}  // namespace

void RegisterStoreCommand(CLI::App& app) {
  struct Args {
    ClientArgs client;
    std::string to;
    std::string dir;
    int associations = 1;
    std::vector<std::string> inputs;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("store", "Send DICOM files to a peer with C-STORE (TLS by default)");
  cmd->add_option("--to", args->to,
                  "The peer: AE@HOST:PORT, or the AE title of a peer registered in --dir")
      ->required();
  cmd->add_option("--dir", args->dir,
                  "Data directory: send as this server (its certificate, CA and AE title) to a "
                  "registered peer");
  AddClientOptions(*cmd, args->client);
  cmd->add_option("--associations", args->associations, "Parallel associations (default 1)");
  cmd->add_option("FILES", args->inputs, "Files or directories (searched recursively)")->required();
  cmd->callback([args] {
    Status parsed = ResolvePeer(args->to, args->dir, args->client);
    auto built = parsed.ok() ? BuildClientOptions(args->client)
                             : Result<net::transport::ClientOptions>(parsed);
    if (!built.ok()) {
      std::cerr << "bastion store: " << built.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    std::vector<std::string> errors;
    const auto paths = CollectFiles(args->inputs, errors);
    for (const auto& e : errors) std::cerr << "bastion store: " << e << "\n";
    Totals totals;
    totals.failed = errors.size();
    std::uint64_t skipped = 0;
    std::vector<FileToSend> files;
    for (const std::string& path : paths) {
      auto mapped = MappedFile::Open(path);
      auto summary = mapped.ok() ? dicom::SummarizePart10(*mapped)
                                 : Result<dicom::Part10Summary>(mapped.status());
      if (summary.ok()) {
        files.push_back({path, std::move(summary).value()});
      } else if (summary.status().code() == StatusCode::kUnsupported) {
        // Not a DICOM file (a manifest, a README beside the images): reported, not a failure.
        std::cerr << "bastion store: " << path << ": skipped: " << summary.status().message()
                  << "\n";
        ++skipped;
      } else {
        std::cerr << "bastion store: " << path << ": " << summary.status().message() << "\n";
        ++totals.failed;
      }
    }
    const auto n = static_cast<std::size_t>(std::clamp(args->associations, 1, 64));
    std::vector<std::vector<FileToSend>> parts(std::min(n, std::max<std::size_t>(files.size(), 1)));
    for (std::size_t i = 0; i < files.size(); ++i) parts[i % parts.size()].push_back(files[i]);
    ProgressLine progress("stored", files.size());
    std::atomic<std::uint64_t> done{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (const auto& part : parts) {
      threads.emplace_back([&, &part = part] { SendAll(*built, part, totals, progress, done); });
    }
    for (auto& t : threads) t.join();
    progress.Finish();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "stored " << totals.stored << ", failed " << totals.failed << ", skipped "
              << skipped << " not DICOM (" << std::fixed << std::setprecision(1)
              << totals.bytes / 1e6 << " MB in " << std::fixed << std::setprecision(2) << seconds
              << " s, " << static_cast<long>(totals.stored / std::max(seconds, 1e-3))
              << " instances/s, " << (totals.bytes / 1e6) / std::max(seconds, 1e-3) << " MB/s) to "
              << args->to << "\n";
    if (totals.failed != 0 || files.empty()) ExitCode() = 1;
  });
}

}  // namespace bastion::cli
