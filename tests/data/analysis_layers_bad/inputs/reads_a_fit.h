// A layer break for the layer check's test (analysis/check_layers.cmake): an input that includes
// a fit. Never compiled.
#pragma once

#include "analysis/fits/fit_result.h"
