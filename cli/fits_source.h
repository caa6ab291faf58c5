// One fits.json per fit, and a report that reads it: what fits.json's "source" records about the
// runs it was fitted to (their names, the FLOP convention, the sweep or study), and the check a
// report makes before it draws anything from a fits.json (issue 25 item 1: a report never refits
// silently, and a fits.json from another sweep is one clear line).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/inputs/fit_input.h"

namespace scalelab::cli {

// fits.json's "source" for a fit of `in`: the input, the names of the points fitted ("runs"), the
// FLOP convention and N count, what was left out, the laws skipped.
nlohmann::json fits_source(const FitInput& in, const std::vector<std::string>& skipped);

// Keeps only the runs (and points) named in `names`; the others become notes.
void restrict_fit_input(FitInput& in, const std::vector<std::string>& names,
                        const std::string& why);

// Before a report reads `fits_path` for the runs of `in`: throws one line when the fits.json was
// fitted to runs that are not in `in` (another sweep, or runs since deleted) or under another
// FLOP convention than `convention` ("" = any); restricts `in` to the fitted runs when it holds
// more. A fits.json that does not record its runs (older ones) is accepted with a note.
void match_fits_to_runs(const std::string& fits_path, FitInput& in, const std::string& convention);

}  // namespace scalelab::cli
