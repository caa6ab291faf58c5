// The venv's Python for the tests that check scalelab's outputs with Python packages
// (transformers, tensorboard): a shell helper and an install-when-missing step.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace scalelab::test_util {

// Runs cmd with stderr folded into stdout; returns its exit status.
inline int shell(const std::string& cmd, std::string* output = nullptr) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Installs pip_packages from PyPI when `python -c 'import <imports>'` fails (scripts/setup.sh
// normally has); returns "" or why they could not be installed.
inline std::string ensure_python_packages(const std::string& imports,
                                          const std::string& pip_packages) {
  const std::string py = SCALELAB_PYTHON;
  const std::string probe = py + " -c 'import " + imports + "'";
  std::string out;
  if (shell(probe) == 0) return "";
  if (shell(py + " -m pip install -q " + pip_packages, &out) != 0 || shell(probe) != 0)
    return "could not install " + pip_packages + " into " + py + ": " + out;
  return "";
}

}  // namespace scalelab::test_util
