// `bastion dump FILE...`: a human-readable listing of DICOM files, like dcmdump.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "commands.h"
#include "dicom/dump.h"
#include "dicom/reader.h"

namespace bastion::cli {

void RegisterDumpCommand(CLI::App& app) {
  struct Args {
    std::vector<std::string> files;
    bool lenient = false;
    bool no_pixel_data = false;
    std::size_t max_chars = 64;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("dump", "Print the elements of DICOM files (like dcmdump)");
  cmd->add_option("FILE", args->files, "DICOM Part 10 files")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--lenient", args->lenient,
                "Accept common deviations from the standard (missing preamble, odd lengths, "
                "wrong meta group length, ...) and report each one");
  cmd->add_flag("--no-pixel-data", args->no_pixel_data, "Stop reading before (7FE0,0010)");
  cmd->add_option("--max-chars", args->max_chars, "Truncate text values longer than this");
  cmd->callback([args] {
    dicom::ReadOptions options = args->lenient ? dicom::LenientReadOptions() : dicom::ReadOptions{};
    if (args->no_pixel_data) options.stop_before = dicom::tags::kPixelData;
    dicom::DumpOptions dump_options;
    dump_options.max_value_chars = args->max_chars;
    std::string out;
    for (const std::string& path : args->files) {
      auto source = MappedFile::Open(path);
      if (!source.ok()) {
        std::cerr << "bastion dump: " << source.status().message() << "\n";
        ExitCode() = 1;
        continue;
      }
      auto file = dicom::ReadPart10(*source, options);
      if (!file.ok()) {
        std::cerr << "bastion dump: " << dicom::EscapeForTerminal(path) << ": "
                  << dicom::EscapeForTerminal(file.status().ToString()) << "\n";
        ExitCode() = 1;
        continue;
      }
      out.clear();
      if (args->files.size() > 1) out += "# File: " + dicom::EscapeForTerminal(path) + "\n";
      out += dicom::DumpPart10(*file, dump_options);
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  });
}

}  // namespace bastion::cli
