#include "common/checked_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace scalelab {
namespace fs = std::filesystem;
namespace {

std::atomic<unsigned long> g_writes{0};

// The pid in "<target>.<pid>-<n>.tmp", or -1 when filename is not such a temporary of target.
long temporary_writer(const std::string& filename, const std::string& target) {
  const std::string prefix = target + ".", suffix = ".tmp";
  if (filename.size() <= prefix.size() + suffix.size() || filename.rfind(prefix, 0) != 0 ||
      filename.compare(filename.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  const std::string middle =
      filename.substr(prefix.size(), filename.size() - prefix.size() - suffix.size());
  const size_t dash = middle.find('-');
  if (dash == 0 || dash == std::string::npos || dash + 1 == middle.size()) return -1;
  for (size_t i = 0; i < middle.size(); ++i)
    if (i != dash && (middle[i] < '0' || middle[i] > '9')) return -1;
  return std::stol(middle.substr(0, dash));
}

// Temporaries of `path` whose writer has ended (killed mid-write) are only clutter; those of a
// running writer are its own.
void remove_stale_temporaries(const fs::path& path) {
  std::error_code ec;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const std::string target = path.filename().string();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const long pid = temporary_writer(e.path().filename().string(), target);
    if (pid > 0 && pid != long(::getpid()) && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      fs::remove(e.path(), ec);
  }
}

}  // namespace

std::string io_error(const std::string& path, const std::string& operation, int error_number) {
  std::string text = path + ": cannot " + operation + " (" + std::strerror(error_number) + ")";
  if (error_number == ENOSPC) text += "; free some space and rerun (the previous file is kept)";
  return text;
}

std::string filesystem_error_text(const fs::filesystem_error& e) {
  // what() is "filesystem error: <operation>: <reason> [path1] [path2]"; the operation is the
  // text between the prefix and the reason.
  std::string operation = e.what();
  const std::string prefix = "filesystem error: ";
  if (operation.rfind(prefix, 0) == 0) operation.erase(0, prefix.size());
  const std::string reason = e.code().message();
  if (const size_t at = operation.find(": " + reason); at != std::string::npos) operation.erase(at);
  if (operation.rfind("cannot ", 0) == 0) operation.erase(0, 7);
  if (operation == "create directories" || operation == "create directory")
    operation = "create the folder";  // make_directories' words
  std::string where = e.path1().string();
  if (!e.path2().empty()) where += " -> " + e.path2().string();
  if (where.empty()) return "cannot " + operation + " (" + reason + ")";
  return io_error(where, operation, e.code().value());
}

void make_directories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw std::runtime_error(io_error(path, "create the folder", ec.value()));
}

void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

AtomicFile::AtomicFile(std::string path, std::string what)
    : path_(std::move(path)), what_(std::move(what)) {
  remove_stale_temporaries(path_);
  tmp_ = path_ + "." + std::to_string(::getpid()) + "-" + std::to_string(g_writes++) + ".tmp";
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(io_error(path_, what_, errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  for (size_t done = 0; error_ == 0 && done < n;) {
    const ssize_t w = ::write(fd_, static_cast<const char*>(data) + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      error_ = w < 0 ? errno : EIO;
    else
      done += size_t(w);
  }
}

void AtomicFile::commit() {
  if (error_ == 0 && ::fsync(fd_) != 0 && errno != EINVAL) error_ = errno;
  ::close(fd_);
  fd_ = -1;
  if (error_ != 0) throw std::runtime_error(io_error(path_, what_, error_));
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
    throw std::runtime_error(io_error(path_, "replace", errno));
  committed_ = true;
  sync_path(fs::path(path_).parent_path().string());
}

void write_file_atomic(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.write(text.data(), text.size());
  file.commit();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(io_error(path, "read", errno ? errno : ENOENT));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool is_temporary_of(const std::string& filename, const std::string& target) {
  return temporary_writer(filename, target) > 0;
}

}  // namespace scalelab
