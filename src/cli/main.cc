// mlserving: serve, describe and run machine-learning models.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/openmp_defaults.h"
#include "core/logging.h"

int main(int argc, char** argv) {
  mlserving::cli::ApplyOpenMpWaitPolicy(argv);  // first: it may re-execute the program
  CLI::App app{"mlserving: turns a machine-learning model (ONNX, …) into a web API"};
  app.require_subcommand(1);
  std::string log_level = "info";
  bool log_json = false;
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  app.add_flag("--log-json", log_json, "write log lines as JSON objects");
  int exit_code = 0;
  mlserving::cli::AddServeCommand(app, &exit_code);
  mlserving::cli::AddDescribeCommand(app, &exit_code);
  mlserving::cli::AddPredictCommand(app, &exit_code);
  mlserving::cli::AddBenchCommand(app, &exit_code);
  app.parse_complete_callback([&] { mlserving::InitLogging(log_level, log_json); });
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
