// scalelab: one binary, one small file per subcommand. Errors print one line naming the bad input
// and exit non-zero; no stack traces for user mistakes.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "cli/commands.h"
#include "common/checked_io.h"

int main(int argc, char** argv) {
  CLI::App app{
      "scalelab: train small GPT models in grids, meter every FLOP, and fit scaling laws.\n"
      "Run `scalelab <command> --help` for each command's options."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show the help of every command");
  scalelab::cli::add_train_command(app);
  scalelab::cli::add_train_packed_command(app);
  scalelab::cli::add_flops_command(app);
  scalelab::cli::add_predict_command(app);
  scalelab::cli::add_plan_command(app);
  scalelab::cli::add_gpu_time_command(app);
  scalelab::cli::add_prepare_command(app);
  scalelab::cli::add_fit_command(app);
  scalelab::cli::add_report_command(app);
  scalelab::cli::add_sweep_command(app);
  scalelab::cli::add_tune_command(app);
  scalelab::cli::add_study_command(app);
  scalelab::cli::add_export_command(app);
  scalelab::cli::add_sample_command(app);
  scalelab::cli::add_coord_check_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --help-all print the help; a bad option is one line (CLI11 would add "Run with
    // --help ..." and print a validator's full description), with CLI11's exit code (105 for a
    // value out of range, 106 for a missing one, 109 for an unexpected argument).
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "scalelab: error: %s (see --help)\n", e.what());
    return e.get_exit_code();
  } catch (const scalelab::cli::ExitCode& e) {
    std::fprintf(stderr, "scalelab: %s\n", e.what());
    return e.code;
  } catch (const std::filesystem::filesystem_error& e) {
    // One wording for every command: "<path>: cannot <operation> (<reason>)".
    std::fprintf(stderr, "scalelab: error: %s\n", scalelab::filesystem_error_text(e).c_str());
    return 1;
  } catch (const std::exception& e) {
    // Subcommands run inside parse() through their callbacks. A c10::Error carries a C++
    // backtrace after its message ("Exception raised from ...", "frame #0: ..."): never print it.
    std::string what = e.what();
    for (const char* marker : {"\nException raised from", "\nframe #"})
      what = what.substr(0, what.find(marker));
    std::fprintf(stderr, "scalelab: error: %s\n", what.c_str());
    return 1;
  }
  return 0;
}
