// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the app here.
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

#include "cli/validators.h"

namespace scalelab::cli {
// A command that ends on purpose with a non-zero code (e.g. 143 after SIGTERM saved a
// checkpoint): main prints the message without "error:" and exits with the code.
struct ExitCode : std::runtime_error {
  ExitCode(int exit_code, const std::string& message)
      : std::runtime_error(message), code(exit_code) {}
  int code;
};
}  // namespace scalelab::cli

namespace scalelab::cli {

void add_flops_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_gpu_time_command(CLI::App& app);
void add_prepare_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_train_packed_command(CLI::App& app);
void add_fit_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_study_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_coord_check_command(CLI::App& app);

}  // namespace scalelab::cli
