// C-FIND latency over one association, the same client for every server (bench/retrieve/).
//
//   find_latency --host H --port P --aet CALLING --aec CALLED [--ca CA [--cert C --key K]]
//                [--iterations N] [--warmup W] [--label TEXT] -q NAME:KEY=VALUE...
//
// Opens ONE association (plaintext unless --ca is given, then TLS, with a client certificate
// when --cert/--key are given) offering Study Root Query/Retrieve - FIND, and for each query
// (-q NAME:KEY=VALUE, KEY a DICOM keyword, e.g. -q exact_id:PatientID=SQP000123) sends W
// warm-up requests and then N timed ones, all at STUDY level with the return keys
// StudyInstanceUID, PatientName, PatientID and StudyDate. Each request is timed from just before
// the C-FIND-RQ is sent to the final (non-pending) C-FIND-RSP. Prints one CSV line per query:
//   label,query,key,value,iterations,matches,median_ms,p95_ms,min_ms,max_ms,status
// matches is the number of pending responses of the last request (and must be the same for
// every request, or the status column says so). Exit status 1 if any request failed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "dicom/data_set.h"
#include "dicom/dictionary.h"
#include "dicom/tag.h"
#include "dicom/transfer_syntax.h"
#include "dicom/writer.h"
#include "net/dimse/command.h"
#include "net/transport/client.h"

namespace {

using namespace bastion;  // NOLINT
using Clock = std::chrono::steady_clock;

constexpr const char* kStudyRoot = "1.2.840.10008.5.1.4.1.2.2.1";

struct Query {
  std::string name, keyword, value;
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr << "find_latency: " << why
            << "\nusage: find_latency --host H --port P --aet CALLING --aec CALLED"
               " [--ca CA [--cert C --key K]] [--iterations N] [--warmup W] [--label TEXT]"
               " [--timeout-ms T] -q NAME:KEYWORD=VALUE...\n";
  std::exit(2);
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  // Nearest-rank percentile.
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

}  // namespace

int main(int argc, char** argv) {
  net::transport::ClientOptions options;
  options.tls = false;
  options.calling_ae_title = "BENCH";
  int iterations = 50, warmup = 3;
  std::string label;
  std::vector<Query> queries;
  bool port_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") {
      options.host = next();
    } else if (a == "--port") {
      options.port = static_cast<std::uint16_t>(std::stoi(next()));
      port_given = true;
    } else if (a == "--aet") {
      options.calling_ae_title = next();
    } else if (a == "--aec") {
      options.called_ae_title = next();
    } else if (a == "--ca") {
      options.tls_files.ca_file = next();
      options.tls = true;
    } else if (a == "--cert") {
      options.tls_files.certificate_file = next();
    } else if (a == "--key") {
      options.tls_files.key_file = next();
    } else if (a == "--iterations") {
      iterations = std::stoi(next());
    } else if (a == "--warmup") {
      warmup = std::stoi(next());
    } else if (a == "--label") {
      label = next();
    } else if (a == "--timeout-ms") {
      options.timeout = std::chrono::milliseconds(std::stol(next()));
    } else if (a == "-q" || a == "--query") {
      const std::string q = next();
      const auto colon = q.find(':');
      const auto eq = q.find('=', colon == std::string::npos ? 0 : colon);
      if (colon == std::string::npos || eq == std::string::npos) Usage("bad query " + q);
      queries.push_back(
          {q.substr(0, colon), q.substr(colon + 1, eq - colon - 1), q.substr(eq + 1)});
    } else {
      Usage("unknown argument " + a);
    }
  }
  if (options.host.empty() || !port_given || options.called_ae_title.empty() || queries.empty()) {
    Usage("--host, --port, --aec and at least one -q are required");
  }
  if (iterations < 1) Usage("--iterations must be >= 1");

  net::acse::LocalApplication local;
  local.syntaxes.push_back({kStudyRoot, {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}});
  local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
  local.implementation_version_name = std::string(dicom::kImplementationVersionName);
  auto association = net::transport::ClientAssociation::Open(options, local);
  if (!association.ok()) {
    std::cerr << "find_latency: association: " << association.status().message() << "\n";
    return 1;
  }
  const auto* context = (*association)->association().FindContextFor(kStudyRoot);
  if (context == nullptr) {
    std::cerr << "find_latency: the peer does not accept Study Root FIND\n";
    return 1;
  }
  const auto ts = *dicom::FindTransferSyntax(context->transfer_syntax);

  std::cout << "label,query,key,value,iterations,matches,median_ms,p95_ms,min_ms,max_ms,status\n";
  int exit_code = 0;
  std::uint16_t message_id = 0;
  for (const Query& q : queries) {
    const dicom::DictionaryEntry* entry = dicom::LookupKeyword(q.keyword);
    if (entry == nullptr) Usage("unknown keyword " + q.keyword);
    dicom::DataSet identifier;
    identifier.SetString(dicom::Tag{0x0008, 0x0052}, dicom::Vr::kCS, "STUDY");
    identifier.SetString(dicom::Tag{0x0020, 0x000D}, dicom::Vr::kUI, "");
    identifier.SetString(dicom::Tag{0x0010, 0x0010}, dicom::Vr::kPN, "");
    identifier.SetString(dicom::Tag{0x0010, 0x0020}, dicom::Vr::kLO, "");
    identifier.SetString(dicom::Tag{0x0008, 0x0020}, dicom::Vr::kDA, "");
    identifier.SetString(dicom::Tag::FromU32(entry->tag), entry->vr, q.value);  // the match key
    auto encoded = dicom::EncodeDataSet(identifier, ts, dicom::ExplicitVrLittleEndian());
    if (!encoded.ok()) {
      std::cerr << "find_latency: encode: " << encoded.status().message() << "\n";
      return 1;
    }
    std::vector<double> ms;
    long matches = -1;
    bool consistent = true;
    std::string status_text = "ok";
    for (int it = 0; it < warmup + iterations; ++it) {
      message_id = static_cast<std::uint16_t>(message_id + 1 == 0 ? 1 : message_id + 1);
      const auto t0 = Clock::now();
      Status sent =
          (*association)
              ->Send(kStudyRoot, net::dimse::MakeCFindRq(message_id, kStudyRoot), *encoded);
      if (!sent.ok()) {
        std::cerr << "find_latency: send: " << sent.message() << "\n";
        return 1;
      }
      long n = 0;
      std::uint16_t final_status = 0xFFFF;
      while (true) {
        auto message = (*association)->Receive();
        if (!message.ok()) {
          std::cerr << "find_latency: receive (" << q.name << "): " << message.status().message()
                    << "\n";
          return 1;
        }
        const std::uint16_t st = message->command.status().value_or(0xFFFF);
        if (st == 0xFF00 || st == 0xFF01) {
          ++n;
          continue;
        }
        final_status = st;
        break;
      }
      const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (final_status != 0x0000) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "status_0x%04x", final_status);
        status_text = buf;
        exit_code = 1;
      }
      if (it >= warmup) {
        ms.push_back(elapsed);
        if (matches >= 0 && n != matches) consistent = false;
      }
      matches = n;
    }
    if (!consistent) {
      status_text += "+match_count_varied";
      exit_code = 1;
    }
    std::printf("%s,%s,%s,%s,%d,%ld,%.3f,%.3f,%.3f,%.3f,%s\n", label.c_str(), q.name.c_str(),
                q.keyword.c_str(), q.value.c_str(), iterations, matches, Median(ms),
                Percentile(ms, 95), *std::min_element(ms.begin(), ms.end()),
                *std::max_element(ms.begin(), ms.end()), status_text.c_str());
    std::fflush(stdout);
  }
  (void)(*association)->Release();
  return exit_code;
}
