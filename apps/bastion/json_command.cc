// `bastion json FILE`: the DICOM JSON model (PS3.18 F.2) of a file.
#include <filesystem>
#include <iostream>
#include <string>

#include "base/mapped_file.h"
#include "commands.h"
#include "dicom/dump.h"
#include "dicom/json_model.h"
#include "dicom/reader.h"

namespace bastion::cli {

void RegisterJsonCommand(CLI::App& app) {
  struct Args {
    std::string file;
    bool lenient = false;
    bool pretty = false;
    std::uint64_t bulk_threshold = 1024;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("json", "Print a DICOM file as DICOM JSON (PS3.18 F.2)");
  cmd->add_option("FILE", args->file, "DICOM Part 10 file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--lenient", args->lenient, "Accept common deviations from the standard");
  cmd->add_flag("--pretty", args->pretty, "Indent the output");
  cmd->add_option("--bulk-threshold", args->bulk_threshold,
                  "Binary values of this many bytes or more become BulkDataURIs pointing into "
                  "the file instead of InlineBinary");
  cmd->callback([args] {
    auto source = MappedFile::Open(args->file);
    if (!source.ok()) {
      std::cerr << "bastion json: " << source.status().message() << "\n";
      ExitCode() = 1;
      return;
    }
    auto file = dicom::ReadPart10(
        *source, args->lenient ? dicom::LenientReadOptions() : dicom::ReadOptions{});
    if (!file.ok()) {
      std::cerr << "bastion json: " << dicom::EscapeForTerminal(args->file) << ": "
                << dicom::EscapeForTerminal(file.status().ToString()) << "\n";
      ExitCode() = 1;
      return;
    }
    std::error_code ec;
    const std::string base = "file://" + std::filesystem::absolute(args->file, ec).string();
    dicom::JsonEncodeOptions options;
    options.pretty = args->pretty;
    options.lenient_values = args->lenient;
    options.bulk_data_threshold = args->bulk_threshold;
    options.bulk_data_uri = [&base](const std::string& tag_path,
                                    const dicom::Element&) -> std::optional<std::string> {
      return base + "#" + tag_path;
    };
    auto json = dicom::EncodeJson(file->dataset, options);
    if (!json.ok()) {
      std::cerr << "bastion json: " << json.status().ToString() << "\n";
      ExitCode() = 1;
      return;
    }
    std::cout << *json << "\n";
  });
}

}  // namespace bastion::cli
