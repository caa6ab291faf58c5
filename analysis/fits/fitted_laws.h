// A fit's constants as the law they parametrise (laws/): each conversion from a FitResult is
// written once, here. And the laws `predict` and `plan` take by name: a published law or the fit
// in a fits.json written by `scalelab fit`.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/laws/data_constrained_law.h"
#include "analysis/laws/laws.h"
#include "analysis/laws/multipower_law.h"

namespace scalelab {

// E, A, B, alpha, beta: of chinchilla_approach3, or the fresh-data base of data_constrained.
ChinchillaLaw chinchilla_from_fit(const FitResult& fit);
// Nc, alpha_N, Dc, alpha_D of kaplan_nd.
KaplanLaw kaplan_from_fit(const FitResult& fit);
// The law of a fits.json entry "data_constrained".
DataConstrainedLaw data_constrained_from_fit(const FitResult& fit);
// The law of a fits.json entry "multipower".
MultiPowerLaw multipower_from_fit(const FitResult& fit);

// The L(N, D) law of a chinchilla_approach3, kaplan_nd or data_constrained fit (its fresh-data
// base), named `name`; throws for other fits.
Law law_from_fit(const FitResult& fit, const std::string& name);

// kaplan | chinchilla | epoch, or a fits.json holding chinchilla_approach3, kaplan_nd or
// data_constrained (its fresh-data base), in that order of preference.
Law law_by_name(const std::string& name_or_fits_path);

// "data-constrained" (the published constants) or a fits.json holding a `data_constrained` fit
// (from `scalelab fit --law data-constrained`). Throws naming what it expected.
DataConstrainedLaw data_constrained_law_by_name(const std::string& name_or_fits_path);

// True for "data-constrained" and for a readable fits.json holding a data_constrained fit.
bool names_data_constrained_law(const std::string& name_or_fits_path);

// The fit law_by_name takes from a fits.json's fits: chinchilla_approach3, else kaplan_nd, else
// data_constrained; nullptr when none.
const FitResult* law_fit(const std::vector<FitResult>& fits);

// Advice (plan, predict) comes only from identified fits (fits/identify.h). For a fits.json path:
// the fit that will be used (`law`, else law_fit's) judged afresh; throws "--law PATH: no <use>
// from this fit, it is not identified (<law>: reasons); refit with more runs or --bootstrap" when
// it is not. Published laws and names that are not files pass (they fail later with their own
// line).
void require_identified_law(const std::string& name_or_fits_path, const std::string& use,
                            const LawId* law = nullptr);

// E, A, B, alpha, beta of a fresh-data fit in a fits.json (chinchilla_approach3, else the base of
// a data_constrained fit).
ChinchillaLaw fresh_law_from_fits(const std::string& fits_path);

}  // namespace scalelab
