// A command run while a disk fills up: a small tmpfs mounted over a folder in a private user and
// mount namespace (`unshare -rm`, real ENOSPC), or, where no namespace can be made (a CI runner
// without user namespaces), a file-size limit (`ulimit -f`, EFBIG: each file stops at the limit).
// The tests assert what holds for both: one clear line, nothing half written, nothing lost.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/run.h"

namespace scalelab::test_util {

struct FullDiskRun {
  int exit_code = 0;
  std::string output;           // the command's stdout and stderr
  std::filesystem::path files;  // what `dir` held afterwards (copied out of the tmpfs)
  std::string how;              // "tmpfs" or "ulimit -f"
};

// Whether a tmpfs can be mounted in a private namespace here (SCALELAB_TEST_NO_TMPFS=1 tries the
// file-size limit instead, as a machine without user namespaces would).
inline bool can_mount_tmpfs() {
  static const bool ok = !std::getenv("SCALELAB_TEST_NO_TMPFS") &&
                         shell("unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs /mnt'") == 0;
  return ok;
}

// Runs `setup` (with room; its output is dropped) and then `command` with `dir` full: a tmpfs of
// `tmpfs_kb` KB mounted over `dir` (setup's files use it up too), else `ulimit -f` of
// `file_limit_kb` KB for `command` alone. `dir` must exist and be empty.
inline FullDiskRun run_on_full_disk(const std::filesystem::path& dir, int tmpfs_kb,
                                    int file_limit_kb, const std::string& setup,
                                    const std::string& command) {
  FullDiskRun r;
  r.files = dir.string() + ".after";
  std::filesystem::remove_all(r.files);
  std::filesystem::create_directories(r.files);
  const std::filesystem::path script = dir.string() + ".sh";
  const bool tmpfs = can_mount_tmpfs();
  r.how = tmpfs ? "tmpfs" : "ulimit -f";
  std::ofstream s(script);
  if (tmpfs)
    s << "mount -t tmpfs -o size=" << tmpfs_kb << "k tmpfs '" << dir.string() << "' || exit 97\n";
  s << "{ " << (setup.empty() ? ":" : setup) << "; } >/dev/null 2>&1 || exit 98\n";
  if (tmpfs)
    s << command << "\n";
  else  // dash counts ulimit -f in 512-byte blocks; an ignored SIGXFSZ makes the write fail
    s << "(ulimit -f " << 2 * file_limit_kb << "; trap '' XFSZ; " << command << ")\n";
  s << "rc=$?\ncp -a '" << dir.string() << "/.' '" << r.files.string() << "/'\nexit $rc\n";
  s.close();
  r.exit_code = shell((tmpfs ? "unshare -rm sh " : "sh ") + script.string(), &r.output);
  return r;
}

}  // namespace scalelab::test_util
