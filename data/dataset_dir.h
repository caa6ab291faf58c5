// Building a dataset folder safely, shared by prepare and the shard import: refuse a non-empty
// folder without --force, build in a sibling staging folder, swap the finished dataset in.
#pragma once

#include <filesystem>
#include <string>

namespace scalelab::data::detail {

// manifest.json, tokenizer.model, train_*.bin, val_*.bin, the checksum stamp: what --force
// replaces, never anything else a user keeps in the folder.
bool is_dataset_file(const std::filesystem::path& p);
// Throws when dir is empty, not a folder, or a non-empty folder without force. Writes nothing.
void check_out_dir(const std::string& dir, bool force);
// `<out>.tmp-<pid>` beside out (same file system), created empty; throws naming out.
std::filesystem::path make_staging_dir(const std::string& out);
// Moves the dataset in `staged` into `out`: one rename for a new folder, else the old dataset files
// aside, the new ones in (manifest last), the old ones deleted; a failure restores the old ones.
void swap_in(const std::filesystem::path& staged, const std::filesystem::path& out);

}  // namespace scalelab::data::detail
