// One checked wrapper per file operation of a run folder (llm.c's fopenCheck idea): every error
// names the file, the operation and the system's reason, and a failed write keeps the old file.
#pragma once

#include <string>

namespace scalelab {

// "<path>: cannot <operation> (<strerror(errno)>)"; "No space left on device" gets a hint.
std::string io_error(const std::string& path, const std::string& operation, int error_number);

// Writes text to path.tmp, flushes it to disk, then renames it over path: readers (and a run
// killed mid-write) see the old file or the new one, never a torn one. Throws io_error text.
void write_file_atomic(const std::string& path, const std::string& text);

// The whole file; throws naming the file when it cannot be read.
std::string read_text_file(const std::string& path);

// fsync of a file or folder by path (after a rename, the folder's entry); errors are ignored
// where the file system does not support it.
void sync_path(const std::string& path);

}  // namespace scalelab
