// One checked wrapper per file operation (llm.c's fopenCheck idea), for every layer: each error
// names the file, the operation and the system's reason, and a failed write keeps the old file.
#pragma once

#include <filesystem>
#include <string>

namespace scalelab {

// "<path>: cannot <operation> (<strerror(errno)>)"; "No space left on device" gets a hint.
std::string io_error(const std::string& path, const std::string& operation, int error_number);

// The same one line for a std::filesystem error ("filesystem error: cannot create directories:
// Read-only file system [/x]" becomes "/x: cannot create the folder (Read-only file system)"), so
// that no command prints the library's own wording.
std::string filesystem_error_text(const std::filesystem::filesystem_error& e);

// create_directories that throws the one-line wording, e.g. "out/: cannot create the folder
// (Permission denied)".
void make_directories(const std::string& path);

// A file written beside its destination and renamed over it once complete: readers (and a process
// killed mid-write) see the old file or the new one, never a torn one. The temporary file's name
// is unique to this process and this write (<path>.<pid>-<n>.tmp), so two processes writing one
// file (two sweep runners sharing a grid, two loaders stamping a dataset) never write into each
// other's; temporaries left by writers that no longer run are removed.
class AtomicFile {
 public:
  // Opens the temporary file; throws io_error naming path and `what` ("write the checkpoint").
  explicit AtomicFile(std::string path, std::string what = "write");
  ~AtomicFile();  // a file never committed is removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends n bytes. Never throws (LibTorch's archive writer aborts on an exception thrown through
  // it): the first error is kept and later writes are skipped; commit() reports it.
  void write(const void* data, size_t n);
  // Flushes to disk and renames over the destination; throws io_error on any error so far.
  void commit();
  // The errno of the first failed write or flush, 0 while none failed.
  int first_error() const { return error_; }

 private:
  void fail(const std::string& operation, int error_number);
  std::string path_, what_, tmp_;
  int fd_ = -1;
  int error_ = 0;
  bool committed_ = false;
};

// Writes text through an AtomicFile. Throws io_error text.
void write_file_atomic(const std::string& path, const std::string& text);

// The whole file; throws naming the file when it cannot be read.
std::string read_text_file(const std::string& path);

// fsync of a file or folder by path (after a rename, the folder's entry); errors are ignored
// where the file system does not support it.
void sync_path(const std::string& path);

// Whether `filename` is an AtomicFile temporary of `target` (a file name, no folder): what a
// reader of a folder skips and what replacing a folder's files includes.
bool is_temporary_of(const std::string& filename, const std::string& target);

}  // namespace scalelab
