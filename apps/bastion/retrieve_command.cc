// `bastion move` and `bastion get`: C-MOVE and C-GET as SCU (PS3.4 C.4.2, C.4.3), over TLS by
// default. `move --dest AE` asks the peer to send to a third AE (or to us, when we listen);
// `get --out DIR` receives the instances on the same association and writes each as a
// Part 10 file DIR/NNNNNN.dcm (names never come from the received UIDs). Both print the
// sub-operation counts as a line or as JSON, and exit 1 unless everything was retrieved.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/byte_source.h"
#include "client_options.h"
#include "commands.h"
#include "dicom/reader.h"
#include "dicom/writer.h"
#include "net/dimse/command.h"
#include "query_keys.h"

namespace bastion::cli {

namespace {

namespace dimse = net::dimse;

constexpr const char* kPatientRootMove = "1.2.840.10008.5.1.4.1.2.1.2";
constexpr const char* kStudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
constexpr const char* kPatientRootGet = "1.2.840.10008.5.1.4.1.2.1.3";
constexpr const char* kStudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";

const std::vector<std::string> kUncompressed = {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"};

// Storage classes a C-GET proposes by default (each a context, up to the limit of 128 with the
// model's): the image and document classes hospitals exchange most; --sop-class adds others.
const std::vector<std::string> kCommonStorageClasses = {
    "1.2.840.10008.5.1.4.1.1.2",       // CT
    "1.2.840.10008.5.1.4.1.1.2.1",     // Enhanced CT
    "1.2.840.10008.5.1.4.1.1.4",       // MR
    "1.2.840.10008.5.1.4.1.1.4.1",     // Enhanced MR
    "1.2.840.10008.5.1.4.1.1.1",       // CR
    "1.2.840.10008.5.1.4.1.1.1.1",     // DX for presentation
    "1.2.840.10008.5.1.4.1.1.1.1.1",   // DX for processing
    "1.2.840.10008.5.1.4.1.1.1.2",     // MG for presentation
    "1.2.840.10008.5.1.4.1.1.1.2.1",   // MG for processing
    "1.2.840.10008.5.1.4.1.1.13.1.3",  // Breast tomosynthesis
    "1.2.840.10008.5.1.4.1.1.6.1",     // US
    "1.2.840.10008.5.1.4.1.1.3.1",     // US multi-frame
    "1.2.840.10008.5.1.4.1.1.7",       // Secondary capture
    "1.2.840.10008.5.1.4.1.1.7.4",     // Multi-frame true color SC
    "1.2.840.10008.5.1.4.1.1.20",      // NM
    "1.2.840.10008.5.1.4.1.1.128",     // PET
    "1.2.840.10008.5.1.4.1.1.12.1",    // XA
    "1.2.840.10008.5.1.4.1.1.12.2",    // XRF
    "1.2.840.10008.5.1.4.1.1.481.1",   // RT image
    "1.2.840.10008.5.1.4.1.1.481.2",   // RT dose
    "1.2.840.10008.5.1.4.1.1.481.3",   // RT structure set
    "1.2.840.10008.5.1.4.1.1.481.5",   // RT plan
    "1.2.840.10008.5.1.4.1.1.88.11",   // Basic text SR
    "1.2.840.10008.5.1.4.1.1.88.22",   // Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",   // Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.59",   // Key object selection
    "1.2.840.10008.5.1.4.1.1.11.1",    // Grayscale softcopy presentation state
    "1.2.840.10008.5.1.4.1.1.104.1",   // Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.66.4",    // Segmentation
    "1.2.840.10008.5.1.4.1.1.77.1.6",  // VL whole slide microscopy
    "1.2.840.10008.5.1.4.1.1.77.1.4",  // VL photographic
};

struct Args {
  ClientArgs client;
  std::string to, dir, level = "STUDY", dest, out;
  std::vector<std::string> keys, sop_classes;
  bool patient_root = false;
  bool json = false;
};

void AddRetrieveOptions(CLI::App& cmd, Args& args) {
  cmd.add_option("--to", args.to, "The peer: AE@HOST:PORT, or a peer registered in --dir")
      ->required();
  cmd.add_option("--dir", args.dir,
                 "Data directory: retrieve as this server from a registered peer");
  AddClientOptions(cmd, args.client);
  cmd.add_option("--level", args.level, "PATIENT, STUDY, SERIES or IMAGE")
      ->check(CLI::IsMember({"PATIENT", "STUDY", "SERIES", "IMAGE"}));
  cmd.add_option("-k,--query-key", args.keys,
                 "KEYWORD=VALUE of a unique key, e.g. StudyInstanceUID=1.2.3")
      ->required();
  cmd.add_flag("--patient-root", args.patient_root, "Patient Root model (default: Study Root)");
  cmd.add_flag("--json", args.json, "Print the outcome as JSON");
}

struct Outcome {
  std::uint16_t status = 0xFFFF;
  std::string comment;
  dimse::SubOperations counts;
  std::vector<std::string> failed;
  std::vector<std::pair<std::string, std::string>> files;  // C-GET: SOP Instance UID, path
};

void Report(const std::string& name, const Args& args, const Outcome& o) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", o.status);
  if (args.json) {
    nlohmann::json j = {{"status", std::string("0x") + hex},
                        {"completed", o.counts.completed},
                        {"failed", o.counts.failed},
                        {"warning", o.counts.warning},
                        {"failed_instances", o.failed}};
    if (!o.comment.empty()) j["comment"] = o.comment;
    if (name == "get") {
      nlohmann::json files = nlohmann::json::array();
      for (const auto& [uid, path] : o.files)
        files.push_back({{"sop_instance_uid", uid}, {"file", path}});
      j["files"] = files;
    }
    std::cout << j.dump(1) << "\n";
  } else {
    std::cout << "status 0x" << hex << ": " << o.counts.completed << " completed, "
              << o.counts.failed << " failed, " << o.counts.warning << " warning"
              << (o.comment.empty() ? "" : " (" + o.comment + ")") << "\n";
    for (const std::string& uid : o.failed) std::cout << "failed: " << uid << "\n";
  }
  if (o.status != 0x0000) ExitCode() = 1;
}

// Runs one C-MOVE or C-GET. `on_store` handles a C-STORE-RQ (C-GET) and returns its status.
Result<Outcome> Retrieve(
    const std::string& name, const Args& args, const net::transport::ClientOptions& options,
    const net::acse::LocalApplication& local, const std::string& model, const dicom::DataSet& rq,
    const std::function<std::uint16_t(net::transport::ClientAssociation::Received&)>& on_store) {
  BASTION_ASSIGN_OR_RETURN(auto query_keys, BuildQueryKeys(args.level, args.keys));
  BASTION_ASSIGN_OR_RETURN(auto association,
                           net::transport::ClientAssociation::Open(options, local));
  const auto* context = association->association().FindContextFor(model);
  if (context == nullptr) return Status::Unsupported("the peer does not offer this retrieve model");
  const auto ts = *dicom::FindTransferSyntax(context->transfer_syntax);
  BASTION_ASSIGN_OR_RETURN(auto encoded, dicom::EncodeDataSet(query_keys.identifier, ts,
                                                              dicom::ExplicitVrLittleEndian()));
  BASTION_RETURN_IF_ERROR(association->Send(model, rq, encoded));
  Outcome o;
  while (true) {
    BASTION_ASSIGN_OR_RETURN(auto message, association->Receive());
    const auto field = message.command.command_field().value_or(0);
    if (field == static_cast<std::uint16_t>(dimse::CommandField::kCStoreRq)) {
      const std::uint16_t status = on_store(message);
      const auto* store_context = association->association().FindContextFor(
          message.command.affected_sop_class_uid().value_or(""));
      auto rsp = dimse::MakeResponse(
          dimse::CommandField::kCStoreRsp, message.command.message_id().value_or(0),
          message.command.affected_sop_class_uid().value_or(""),
          message.command.affected_sop_instance_uid().value_or(""), status);
      BASTION_RETURN_IF_ERROR(
          association->Send(message.command.affected_sop_class_uid().value_or(""), rsp, {},
                            store_context != nullptr ? store_context->transfer_syntax : ""));
      continue;
    }
    const std::uint16_t status = message.command.status().value_or(0xFFFF);
    o.counts = dimse::GetSubOperations(message.command.elements);
    if (status == dimse::status::kPending) {
      if (!args.json && isatty(2)) {
        std::cerr << "\r" << name << ": " << o.counts.completed << " completed, " << o.counts.failed
                  << " failed, " << o.counts.remaining << " remaining" << std::flush;
      }
      continue;
    }
    if (!args.json && isatty(2)) std::cerr << "\n";
    o.status = status;
    o.comment = message.command.elements.GetString(dicom::Tag{0x0000, 0x0902}).value_or("");
    if (!message.data_set.empty()) {
      auto failed = dicom::ReadDataSet(OwnedBytes::Make(std::move(message.data_set)), ts);
      if (failed.ok()) {
        o.failed = failed->dataset.GetStrings(dicom::Tag{0x0008, 0x0058})
                       .value_or(std::vector<std::string>{});
      }
    }
    break;
  }
  (void)association->Release();
  return o;
}

net::acse::LocalApplication BaseApplication() {
  net::acse::LocalApplication local;
  local.implementation_class_uid = std::string(dicom::kImplementationClassUid);
  local.implementation_version_name = std::string(dicom::kImplementationVersionName);
  return local;
}

Result<net::transport::ClientOptions> Options(Args& args) {
  BASTION_RETURN_IF_ERROR(ResolvePeer(args.to, args.dir, args.client));
  return BuildClientOptions(args.client);
}

}  // namespace

void RegisterRetrieveCommands(CLI::App& app) {
  auto move = std::make_shared<Args>();
  CLI::App* move_cmd =
      app.add_subcommand("move", "Ask a DICOM peer to send studies to an AE with C-MOVE");
  AddRetrieveOptions(*move_cmd, *move);
  move_cmd
      ->add_option("--dest", move->dest, "The AE title the peer sends to (its move destination)")
      ->required();
  move_cmd->callback([move] {
    auto options = Options(*move);
    if (!options.ok()) {
      std::cerr << "bastion move: " << options.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    const std::string model = move->patient_root ? kPatientRootMove : kStudyRootMove;
    auto local = BaseApplication();
    local.syntaxes.push_back({model, kUncompressed});
    auto outcome =
        Retrieve("move", *move, *options, local, model, dimse::MakeCMoveRq(1, model, move->dest),
                 [](auto&) { return dimse::status::kRefusedNotAuthorized; });
    if (!outcome.ok()) return ReportFailure("move", outcome.status());
    Report("move", *move, *outcome);
  });

  auto get = std::make_shared<Args>();
  CLI::App* get_cmd =
      app.add_subcommand("get", "Retrieve studies from a DICOM peer with C-GET into a folder");
  AddRetrieveOptions(*get_cmd, *get);
  get_cmd->add_option("--out", get->out, "Folder for the received files (created if missing)")
      ->required();
  get_cmd->add_option("--sop-class", get->sop_classes,
                      "A storage SOP class UID to accept besides the common ones");
  get_cmd->callback([get] {
    auto options = Options(*get);
    if (!options.ok()) {
      std::cerr << "bastion get: " << options.status().message() << "\n";
      ExitCode() = 2;
      return;
    }
    options->max_received_data_set_bytes = std::size_t{4} << 30;
    std::error_code ec;
    std::filesystem::create_directories(get->out, ec);
    if (ec) {
      std::cerr << "bastion get: cannot create " << get->out << ": " << ec.message() << "\n";
      ExitCode() = 2;
      return;
    }
    const std::string model = get->patient_root ? kPatientRootGet : kStudyRootGet;
    auto local = BaseApplication();
    local.syntaxes.push_back({model, kUncompressed});
    // Each class twice: uncompressed, and in the compressed syntaxes archives hold (the peer
    // picks one of them per context).
    const std::vector<std::string> compressed = {
        "1.2.840.10008.1.2.4.70",  "1.2.840.10008.1.2.4.50",  "1.2.840.10008.1.2.4.51",
        "1.2.840.10008.1.2.4.57",  "1.2.840.10008.1.2.4.80",  "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.90",  "1.2.840.10008.1.2.4.91",  "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.5",     "1.2.840.10008.1.2.1.99",
        "1.2.840.10008.1.2.2",     "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.102",
        "1.2.840.10008.1.2.4.103"};
    std::vector<std::string> classes = get->sop_classes;
    classes.insert(classes.end(), kCommonStorageClasses.begin(), kCommonStorageClasses.end());
    for (const std::string& c : classes) {
      if (local.syntaxes.size() + 2 > 127) break;
      local.syntaxes.push_back({c, kUncompressed, true});
      local.syntaxes.push_back({c, compressed, true});
    }
    Outcome files;
    std::size_t n = 0;
    auto on_store = [&](net::transport::ClientAssociation::Received& message) -> std::uint16_t {
      const std::string sop_class = message.command.affected_sop_class_uid().value_or("");
      const std::string sop_instance = message.command.affected_sop_instance_uid().value_or("");
      // The data set is written as received, in the syntax of the context it came on.
      const auto ts = dicom::FindTransferSyntax(message.transfer_syntax);
      if (!ts) return dimse::status::kCannotUnderstand;
      dicom::FileMetaInput input{sop_class, sop_instance, ""};
      auto built = dicom::BuildFileMeta(dicom::DataSet{}, *ts, input);
      if (!built.ok()) return dimse::status::kCannotUnderstand;
      char name[32];
      std::snprintf(name, sizeof name, "%06zu.dcm", ++n);
      const std::string path = (std::filesystem::path(get->out) / name).string();
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      dicom::VectorSink sink;
      if (!dicom::WritePart10Header(*built, sink).ok()) return dimse::status::kProcessingFailure;
      out.write(reinterpret_cast<const char*>(sink.out.data()),
                static_cast<std::streamsize>(sink.out.size()));
      out.write(reinterpret_cast<const char*>(message.data_set.data()),
                static_cast<std::streamsize>(message.data_set.size()));
      out.close();
      if (!out) return dimse::status::kOutOfResources;
      files.files.emplace_back(sop_instance, path);
      return dimse::status::kSuccess;
    };
    auto outcome =
        Retrieve("get", *get, *options, local, model, dimse::MakeCGetRq(1, model), on_store);
    if (!outcome.ok()) return ReportFailure("get", outcome.status());
    outcome->files = std::move(files.files);
    Report("get", *get, *outcome);
  });
}

}  // namespace bastion::cli
