// `bastion find --to PEER --level LEVEL [-k KEY[=VALUE]]...`: C-FIND as SCU (PS3.4 C.4.1),
// Study Root by default (`--patient-root` for Patient Root), over TLS by default, printing the
// matches as a table or as JSON. Keys are DICOM keywords; a key without a value is a return key.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/byte_source.h"
#include "client_options.h"
#include "commands.h"
#include "dicom/charset.h"
#include "dicom/dictionary.h"
#include "dicom/reader.h"
#include "dicom/tag.h"
#include "dicom/writer.h"
#include "net/dimse/command.h"
#include "query_keys.h"

namespace bastion::cli {

namespace {

constexpr const char* kPatientRoot = "1.2.840.10008.5.1.4.1.2.1.1";
constexpr const char* kStudyRoot = "1.2.840.10008.5.1.4.1.2.2.1";

// What a radiologist's worklist shows when no keys are named.
std::vector<std::string> DefaultKeys(const std::string& level) {
  if (level == "PATIENT") return {"PatientID", "PatientName", "PatientBirthDate", "PatientSex"};
  if (level == "SERIES") {
    return {"SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription",
            "NumberOfSeriesRelatedInstances"};
  }
  if (level == "IMAGE") return {"SOPInstanceUID", "SOPClassUID", "InstanceNumber"};
  return {"PatientID",
          "PatientName",
          "StudyDate",
          "AccessionNumber",
          "StudyDescription",
          "ModalitiesInStudy",
          "NumberOfStudyRelatedInstances",
          "StudyInstanceUID"};
}

// The text of each requested key in a match, decoded to UTF-8.
std::vector<std::string> Values(const dicom::DataSet& match, const std::vector<dicom::Tag>& tags) {
  auto charset = dicom::CharacterSet::FromDataSet(match);
  std::vector<std::string> out;
  for (dicom::Tag tag : tags) {
    const dicom::Element* e = match.Find(tag);
    std::string text;
    if (e != nullptr && dicom::IsString(e->vr)) {
      text = match.GetString(tag).value_or("");
      if (charset.ok()) {
        const auto* b = reinterpret_cast<const std::uint8_t*>(text.data());
        auto decoded = charset->Decode(std::span<const std::uint8_t>(b, text.size()), e->vr);
        if (decoded.ok()) text = *decoded;
      }
    } else if (e != nullptr) {
      if (auto v = match.GetInt(tag)) text = std::to_string(*v);
    }
    out.push_back(text);
  }
  return out;
}

}  // namespace

void RegisterFindCommand(CLI::App& app) {
  struct Args {
    ClientArgs client;
    std::string to, dir, level = "STUDY";
    std::vector<std::string> keys;
    bool patient_root = false;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("find", "Query a DICOM peer with C-FIND (TLS by default)");
  cmd->add_option("--to", args->to, "The peer: AE@HOST:PORT, or a peer registered in --dir")
      ->required();
  cmd->add_option("--dir", args->dir, "Data directory: query as this server a registered peer");
  AddClientOptions(*cmd, args->client);
  cmd->add_option("--level", args->level, "PATIENT, STUDY, SERIES or IMAGE")
      ->check(CLI::IsMember({"PATIENT", "STUDY", "SERIES", "IMAGE"}));
  cmd->add_option("-k,--query-key", args->keys, "KEYWORD=VALUE to match, or KEYWORD to return");
  cmd->add_flag("--patient-root", args->patient_root, "Patient Root model (default: Study Root)");
  cmd->add_flag("--json", args->json, "One JSON object per match, keyed by keyword");
  cmd->callback([args] {
    Status resolved = ResolvePeer(args->to, args->dir, args->client);
    auto built = resolved.ok() ? BuildClientOptions(args->client)
                               : Result<net::transport::ClientOptions>(resolved);
    if (!built.ok()) {
      std::cerr << "bastion find: " << built.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    std::vector<std::string> keys = args->keys;
    bool any_return_key = false;
    for (const std::string& k : keys) any_return_key |= k.find('=') == std::string::npos;
    if (!any_return_key) {
      for (const std::string& d : DefaultKeys(args->level)) keys.push_back(d);
    }
    auto query_keys = BuildQueryKeys(args->level, keys);
    if (!query_keys.ok()) {
      std::cerr << "bastion find: " << query_keys.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    const dicom::DataSet& identifier = query_keys->identifier;
    const std::vector<dicom::Tag>& columns = query_keys->columns;
    const std::vector<std::string>& names = query_keys->keywords;
    const std::string model = args->patient_root ? kPatientRoot : kStudyRoot;
    net::acse::LocalApplication local;
    local.syntaxes.push_back({model, {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}});
    local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
    local.implementation_version_name = std::string(dicom::kImplementationVersionName);
    auto association = net::transport::ClientAssociation::Open(*built, local);
    if (!association.ok()) return ReportFailure("find", association.status());
    const auto* context = (*association)->association().FindContextFor(model);
    if (context == nullptr) {
      ReportFailure("find", Status::Unsupported("the peer does not offer this query model"));
      return;
    }
    const auto ts = *dicom::FindTransferSyntax(context->transfer_syntax);
    auto encoded = dicom::EncodeDataSet(identifier, ts, dicom::ExplicitVrLittleEndian());
    if (!encoded.ok()) return ReportFailure("find", encoded.status());
    Status sent = (*association)->Send(model, net::dimse::MakeCFindRq(1, model), *encoded);
    if (!sent.ok()) return ReportFailure("find", sent);
    std::vector<std::vector<std::string>> rows;
    std::uint16_t final_status = 0xFFFF;
    std::string comment;
    while (true) {
      auto message = (*association)->Receive();
      if (!message.ok()) return ReportFailure("find", message.status());
      const std::uint16_t status = message->command.status().value_or(0xFFFF);
      if (status == 0xFF00 || status == 0xFF01) {
        auto match = dicom::ReadDataSet(OwnedBytes::Make(std::move(message->data_set)), ts);
        if (match.ok()) rows.push_back(Values(match->dataset, columns));
        continue;
      }
      final_status = status;
      comment = message->command.elements.GetString(dicom::Tag{0x0000, 0x0902}).value_or("");
      break;
    }
    (void)(*association)->Release();
    if (args->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& row : rows) {
        nlohmann::json o;
        for (std::size_t i = 0; i < names.size(); ++i) o[names[i]] = row[i];
        out.push_back(o);
      }
      std::cout << out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::vector<std::size_t> width(names.size());
      for (std::size_t i = 0; i < names.size(); ++i) {
        width[i] = names[i].size();
        for (const auto& row : rows) width[i] = std::max(width[i], row[i].size());
      }
      auto print = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
          std::cout << std::left << std::setw(static_cast<int>(width[i]) + 2) << cells[i];
        }
        std::cout << "\n";
      };
      print(names);
      for (const auto& row : rows) print(row);
    }
    std::cerr << rows.size() << " match" << (rows.size() == 1 ? "" : "es");
    if (final_status != 0x0000) {
      std::cerr << "; the peer ended with status 0x" << std::hex << std::setw(4)
                << std::setfill('0') << final_status << std::dec
                << (comment.empty() ? "" : ": " + comment);
      ExitCode() = 1;
    }
    std::cerr << "\n";
  });
}

}  // namespace bastion::cli
