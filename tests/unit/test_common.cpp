// common/: checked atomic writes (unique temporaries, stale ones removed, errors that name the file
// and the reason), the one filesystem-error wording, the stop-signal record, durations as text.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/checked_io.h"
#include "common/stop_signals.h"
#include "common/text.h"

using namespace scalelab;
namespace fs = std::filesystem;

namespace {

fs::path fresh(const std::string& name) {
  auto d =
      fs::temp_directory_path() / ("scalelab_common_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(CheckedIo, WritesNameTheFileAndTheReason) {
  const auto dir = fresh("io");
  write_file_atomic((dir / "a.txt").string(), "hello");
  EXPECT_EQ(read_text_file((dir / "a.txt").string()), "hello");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"a.txt"});  // no temporary file left
  auto msg = error_of([&] { write_file_atomic((dir / "missing/a.txt").string(), "x"); });
  EXPECT_NE(msg.find("missing/a.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;
  EXPECT_NE(io_error("f", "write", ENOSPC).find("No space left on device"), std::string::npos);
  msg = error_of([&] { read_text_file((dir / "nothing.txt").string()); });
  EXPECT_NE(msg.find("nothing.txt: cannot read"), std::string::npos) << msg;
  fs::remove_all(dir);
}

// Two writers of one file (two sweep runners sharing a grid) each write their own temporary; the
// file ends as one of the two texts, whole.
TEST(CheckedIo, ConcurrentWritersOfOneFileUseTheirOwnTemporaries) {
  const auto dir = fresh("two");
  const std::string path = (dir / "sweep_state.json").string();
  AtomicFile first(path), second(path);
  first.write("first", 5);
  second.write("second", 6);
  EXPECT_EQ(names_in(dir).size(), 2u);  // two distinct temporaries
  second.commit();
  first.commit();
  EXPECT_EQ(read_text_file(path), "first");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"sweep_state.json"});
  fs::remove_all(dir);
}

TEST(CheckedIo, AnUncommittedFileLeavesTheOldOneAndNoTemporary) {
  const auto dir = fresh("uncommitted");
  const std::string path = (dir / "config.yaml").string();
  write_file_atomic(path, "old");
  {
    AtomicFile f(path);
    f.write("new, but never committed", 24);
  }
  EXPECT_EQ(read_text_file(path), "old");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"config.yaml"});
  fs::remove_all(dir);
}

// A writer killed mid-write leaves its temporary; the next write of that file removes it, while a
// temporary of a writer that still runs (here this process's parent) is left alone.
TEST(CheckedIo, TemporariesOfWritersThatEndedAreRemoved) {
  const auto dir = fresh("stale");
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // a pid that no longer runs
  const std::string dead = "step_00000100.pt." + std::to_string(child) + "-0.tmp";
  const std::string alive = "step_00000100.pt." + std::to_string(::getppid()) + "-0.tmp";
  std::ofstream(dir / dead) << "partial";
  std::ofstream(dir / alive) << "being written";
  EXPECT_TRUE(is_temporary_of(dead, "step_00000100.pt"));
  EXPECT_FALSE(is_temporary_of("step_00000100.pt", "step_00000100.pt"));
  EXPECT_FALSE(is_temporary_of("step_00000100.pt.x-0.tmp", "step_00000100.pt"));
  write_file_atomic((dir / "step_00000100.pt").string(), "checkpoint");
  EXPECT_FALSE(fs::exists(dir / dead));
  EXPECT_TRUE(fs::exists(dir / alive));
  fs::remove_all(dir);
}

TEST(CheckedIo, FilesystemErrorsAreOneLineNamingThePathAndTheReason) {
  try {
    fs::create_directories("/proc/scalelab_no_such_place/out");
    FAIL() << "created a folder in /proc";
  } catch (const fs::filesystem_error& e) {
    const std::string text = filesystem_error_text(e);
    EXPECT_EQ(text.rfind("/proc/scalelab_no_such_place/out: cannot create the folder (", 0), 0u)
        << text;
    EXPECT_EQ(text.find("filesystem error"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
  const auto msg = error_of([] { make_directories("/proc/scalelab_no_such_place/out"); });
  EXPECT_EQ(msg.rfind("/proc/scalelab_no_such_place/out: cannot create the folder (", 0), 0u)
      << msg;
}

// The first signal is the one recorded; a nested handler (a sweep run inside `tune`) shares the
// outer record and leaves the handlers in place when it goes.
TEST(StopSignals, TheFirstSignalIsRecordedAndNestedHandlersShareIt) {
  StopSignals outer;
  EXPECT_EQ(outer.received(), 0);
  {
    StopSignals inner;
    std::raise(SIGUSR1);
    std::raise(SIGTERM);
    EXPECT_EQ(inner.received(), SIGUSR1);
  }
  EXPECT_EQ(outer.received(), SIGUSR1);
  std::raise(SIGINT);  // still handled (recorded, not fatal) after the inner one went
  EXPECT_EQ(outer.received(), SIGUSR1);
  EXPECT_EQ(signal_name(SIGINT), "SIGINT");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGUSR1), "SIGUSR1");
}

// Without a signal the handlers before it come back; after one, the program is stopping on it:
// further ones are ignored to its end (a Ctrl-C and then a kill must not change the exit code).
TEST(StopSignals, AfterASignalTheNextOnesAreIgnoredElseThePreviousHandlersReturn) {
  struct sigaction before, after;
  sigaction(SIGTERM, nullptr, &before);
  { StopSignals quiet; }
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  {
    StopSignals stopped;
    std::raise(SIGINT);
  }
  for (int signal_number : {SIGINT, SIGTERM, SIGUSR1}) {
    sigaction(signal_number, nullptr, &after);
    EXPECT_EQ(after.sa_handler, SIG_IGN) << signal_name(signal_number);
  }
  std::raise(SIGTERM);  // would end the test program otherwise
}

TEST(Text, DurationsReadAsPeopleWriteThem) {
  EXPECT_EQ(duration_text(0), "0s");
  EXPECT_EQ(duration_text(45.2), "45s");
  EXPECT_EQ(duration_text(59.6), "1m00s");
  EXPECT_EQ(duration_text(187), "3m07s");
  EXPECT_EQ(duration_text(119.7), "2m00s");
  EXPECT_EQ(duration_text(7500), "2h05m");
  EXPECT_EQ(duration_text(-1), "?");
  EXPECT_EQ(duration_text(std::nan("")), "?");
  EXPECT_EQ(human(1.7e9), "1.7B");
  EXPECT_EQ(human(350e6), "350M");
  EXPECT_EQ(human(999), "999");
  EXPECT_EQ(sci(1.5e9), "1.500e+09");
  EXPECT_EQ(sci(42), "42");
}
