#include "experiments/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

extern char** environ;

namespace scalelab::sweep {

pid_t spawn(const ChildSpec& spec) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(static_cast<const char*>(*e), eq)] = eq + 1;
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  std::vector<std::string> env_text;
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp, argv;
  for (auto& s : env_text) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);

  const int out = ::open(spec.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error(spec.output_path + ": cannot open for the run's output");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(128 + SIGTERM);  // the runner died before prctl
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    for (int fd : spec.inherit_fds) ::fcntl(fd, F_SETFD, 0);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char msg[] = "scalelab sweep: cannot execute the training command\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(out);
  return pid;
}

ExitStatus decode_wait_status(int status) {
  if (WIFEXITED(status))
    return {WEXITSTATUS(status) == 0, "exit " + std::to_string(WEXITSTATUS(status))};
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return {false, "killed by signal " + std::to_string(sig) + " (" + strsignal(sig) + ")"};
  }
  return {false, "stopped (status " + std::to_string(status) + ")"};
}

std::string shell_quote(const std::string& word) {
  bool plain = !word.empty();
  for (char c : word)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("@%_+=:,./-", c));
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  CommandResult r;
  FILE* p = ::popen((shell_join(argv) + " 2>&1").c_str(), "r");
  if (!p) return {127, argv.front() + ": cannot start (" + std::strerror(errno) + ")"};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, colon - start)) / name;
    if (colon > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = colon + 1;
  }
  return "";
}

std::string self_executable() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

std::string default_torchrun() {
  if (const char* env = std::getenv("SCALELAB_TORCHRUN"); env && *env) return env;
  const auto beside = std::filesystem::path(SCALELAB_PYTHON).parent_path() / "torchrun";
  if (beside.has_parent_path() && std::filesystem::exists(beside)) return beside.string();
  return "torchrun";
}

}  // namespace scalelab::sweep
