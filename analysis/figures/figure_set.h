// The figures render_figures (figures.h) draws, one function each: loss curves and goodness of fit
// (figures.cpp), the fitted laws' figures (fit_figures.cpp), the side studies' (study_figures.cpp).
#pragma once

#include <string>
#include <vector>

#include "analysis/figures/figures.h"

namespace scalelab::figures {

Figure loss_curves(const FitInput& in, const std::string& dir, bool by_flops);
Figure goodness_of_fit(const FitInput& in, const std::vector<FitResult>& fits,
                       const std::string& dir);
Figure isoflop_profiles(const FitResult& a2, const std::string& dir);
Figure allocation(const std::vector<FitResult>& fits, const std::string& dir);
Figure isoloss(const FitInput& in, const FitResult& a3, const std::string& dir);
// One panel per fit given (either may be null, not both).
Figure kaplan_1d(const FitResult* n, const FitResult* d, const std::string& dir);
Figure transfer(const FitResult& t, ParamCount count, const std::string& dir);
// Runs tagged study=deepnarrow, role pretrain|finetune, with a numeric depth.
bool has_deepnarrow(const FitInput& in);
Figure deepnarrow(const FitInput& in, const std::string& dir);
// Final loss against epochs D / U per (N, U), with the fitted data-constrained law.
Figure data_constrained_epochs(const FitInput& in, const FitResult& fit, const std::string& dir);

}  // namespace scalelab::figures
