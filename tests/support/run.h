// Running things from tests, in one place: the scalelab binary (to its end, or in the background
// to be signalled), shell commands, and the venv's Python with the packages a check needs. Every
// command's stderr is folded into its output; exit codes are 128 + the signal for a killed one.
// Also the check every bad-input test makes: one clear line and exit code 1.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace scalelab::test_util {

inline int exit_code_of(int wait_status) {
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

// Runs cmd through /bin/sh with stderr folded into stdout; returns its exit code.
inline int shell(const std::string& cmd, std::string* output = nullptr) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  if (output) *output = out;
  return exit_code_of(status);
}

inline std::string scalelab_binary() {
  return std::string(SCALELAB_BINARY_DIR) + "/scalelab";
}

// `scalelab ARGS` (ARGS as a shell would read them); returns its exit code.
inline int run_cli(const std::string& args, std::string* output = nullptr) {
  return shell(scalelab_binary() + " " + args, output);
}

// The same with shell assignments before the command, e.g. "PATH=/nonexistent".
inline int run_cli_with(const std::string& env, const std::string& args, std::string* output) {
  return shell(env + " " + scalelab_binary() + " " + args, output);
}

// Starts `scalelab ARGS...` in the background with stdout in `log` and stderr there too, or in
// `err` when one is given; returns its pid.
inline pid_t start_cli(const std::vector<std::string>& args, const std::filesystem::path& log,
                       const std::filesystem::path& err = {}) {
  std::vector<std::string> argv = {scalelab_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& a : argv) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(err.empty() ? f : std::fopen(err.c_str(), "w")), 2);
    execv(pointers[0], pointers.data());
    _exit(127);
  }
  return pid;
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return exit_code_of(status);
}

// The exit code of pid, or -1 (after killing it) when it has not ended within `limit`.
inline int wait_exit_within(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_of(status);
}

// The whole file ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The venv's Python (the one the build was configured with), or $SCALELAB_HF_PYTHON to check
// against another transformers version.
inline std::string python() {
  const char* other = std::getenv("SCALELAB_HF_PYTHON");
  return other && *other ? other : SCALELAB_PYTHON;
}

// Installs pip_packages from PyPI when `python -c 'import <imports>'` fails (scripts/setup.sh
// normally has); returns "" or why they could not be installed.
inline std::string ensure_python_packages(const std::string& imports,
                                          const std::string& pip_packages) {
  const std::string probe = python() + " -c 'import " + imports + "'";
  std::string out;
  if (shell(probe) == 0) return "";
  if (shell(python() + " -m pip install -q " + pip_packages, &out) != 0 || shell(probe) != 0)
    return "could not install " + pip_packages + " into " + python() + ": " + out;
  return "";
}

// A file under the temporary folder, named for this process, holding text; returns its path.
inline std::string write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("scalelab_cli_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path.string();
}

// `scalelab ARGS` fails with exit code 1 and one line, "scalelab: error: ...", holding `expected`.
inline void expect_one_clear_line(const std::string& args, const std::string& expected) {
  std::string out;
  EXPECT_EQ(run_cli(args, &out), 1) << args << "\n" << out;
  EXPECT_EQ(out.rfind("scalelab: error: ", 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find(expected), std::string::npos) << "expected '" << expected << "' in: " << out;
}

}  // namespace scalelab::test_util
