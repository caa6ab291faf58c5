// The header the bad input includes (analysis/check_layers.cmake's test). Never compiled.
#pragma once
