// bastion: the single binary; each subcommand lives in its own file.
#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"Bastion: a secure-by-default PACS"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bastion 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
