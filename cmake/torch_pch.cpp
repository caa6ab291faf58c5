// Anchor for the shared precompiled LibTorch header (see cmake/scalelab.cmake).
