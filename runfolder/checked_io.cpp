#include "runfolder/checked_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace scalelab {
namespace fs = std::filesystem;

std::string io_error(const std::string& path, const std::string& operation, int error_number) {
  std::string text = path + ": cannot " + operation + " (" + std::strerror(error_number) + ")";
  if (error_number == ENOSPC) text += "; free some space and rerun (the previous file is kept)";
  return text;
}

void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(io_error(tmp, "create", errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(io_error(path, "write", e));
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error(io_error(path, "write", e));
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(io_error(path, "replace", e));
  }
  sync_path(fs::path(path).parent_path().string());
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(io_error(path, "read", errno ? errno : ENOENT));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace scalelab
