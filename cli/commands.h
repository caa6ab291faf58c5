// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the app here.
#pragma once

#include <CLI/CLI.hpp>

namespace scalelab::cli {

void add_flops_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_gpu_time_command(CLI::App& app);
void add_prepare_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_fit_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_export_command(CLI::App& app);

}  // namespace scalelab::cli
