// A folder of files built beside its destination and moved in once complete (prepare's datasets,
// export's Hugging Face folders): a failure half way, a full disk or a kill leaves the destination
// as it was, never half written. A folder-sized AtomicFile (common/checked_io.h).
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace scalelab {

// `<out>.tmp-<pid>` beside out (same file system, so moving it in is a rename; beside the real
// folder when out is a symlink), created empty. `what` names the contents in errors ("the
// dataset"); errors name out.
std::filesystem::path make_staging_dir(const std::string& out, const std::string& what);

// Moves what `staged` holds into `out`: a new `out` is one rename. Else the files of `out` that
// `replaced` selects move aside (`last` first), the new ones move in (`last` last), and the old
// ones are deleted; other files in `out` stay. A failed rename moves everything back, so `out`
// holds the old files or the new ones, never a mix.
void swap_in(const std::filesystem::path& staged, const std::filesystem::path& out,
             const std::function<bool(const std::filesystem::path&)>& replaced,
             const std::string& last);

}  // namespace scalelab
