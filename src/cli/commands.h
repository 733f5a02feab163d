#pragma once

#include <CLI/CLI.hpp>

namespace mlserving::cli {

/// Each Add*Command registers one subcommand on `app`; when it runs, it stores the process
/// exit code in `*exit_code`.
void AddServeCommand(CLI::App& app, int* exit_code);
void AddDescribeCommand(CLI::App& app, int* exit_code);
void AddPredictCommand(CLI::App& app, int* exit_code);
void AddBenchCommand(CLI::App& app, int* exit_code);

}  // namespace mlserving::cli
