#include "common/staged_folder.h"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/checked_io.h"

namespace scalelab {

namespace fs = std::filesystem;

fs::path make_staging_dir(const std::string& out, const std::string& what) {
  fs::path p = fs::weakly_canonical(fs::absolute(out));
  if (p.filename().empty()) p = p.parent_path();  // "data/kjv/" -> "data/kjv"
  const fs::path staged =
      p.parent_path() / (p.filename().string() + ".tmp-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::create_directories(staged.parent_path(), ec);
  if (ec) throw std::runtime_error(io_error(out, "create the folder", ec.value()));
  fs::remove_all(staged, ec);  // left by a killed writer that had this process id
  if (!fs::create_directory(staged, ec) && ec)
    throw std::runtime_error(io_error(out, "create the folder", ec.value()) + ": " +
                             staged.string() + " is where " + what +
                             " is built before it is moved in");
  return staged;
}

void swap_in(const fs::path& staged, const fs::path& out,
             const std::function<bool(const fs::path&)>& replaced, const std::string& last) {
  if (!fs::exists(out)) {
    fs::rename(staged, out);
    return;
  }
  auto files = [&](const fs::path& dir, bool replaced_only, bool last_first) {
    std::vector<fs::path> names;
    for (const auto& e : fs::directory_iterator(dir))
      if (!replaced_only || replaced(e.path())) names.push_back(e.path().filename());
    std::stable_partition(names.begin(), names.end(),
                          [&](const fs::path& n) { return (n == last) == last_first; });
    return names;
  };
  const fs::path aside = staged.string() + "-old";
  fs::create_directory(aside);
  std::vector<std::pair<fs::path, fs::path>> moved;  // (from, to), to undo on failure
  auto move = [&](const fs::path& from, const fs::path& to) {
    fs::rename(from, to);
    moved.push_back({from, to});
  };
  try {
    for (const auto& name : files(out, true, true)) move(out / name, aside / name);
    for (const auto& name : files(staged, false, false)) move(staged / name, out / name);
  } catch (const std::exception& e) {
    bool undone = true;
    for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
      std::error_code ec;
      fs::rename(it->second, it->first, ec);
      undone = undone && !ec;
    }
    std::error_code ec;
    fs::remove(aside, ec);  // only when empty: it may hold old files that did not move back
    if (!undone)
      throw std::runtime_error(
          "output " + out.string() + ": replacing its files failed (" + e.what() +
          ") and some old files could not be moved back; they are in " + aside.string());
    throw;
  }
  std::error_code ec;  // the new files are in place; leftovers of the old ones are only clutter
  fs::remove_all(aside, ec);
  fs::remove(staged, ec);
}

}  // namespace scalelab
