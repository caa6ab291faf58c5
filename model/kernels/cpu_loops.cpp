#include "model/kernels/cpu_loops.h"

#include <ATen/Version.h>

#include <string>

namespace scalelab::kernels {

// One table per instruction set, from model/kernels/cpu/table.cpp compiled for that set.
template <class T>
CpuLoops<T> loops_DEFAULT();
#ifdef SCALELAB_CPU_LOOPS_X86
template <class T>
CpuLoops<T> loops_AVX2();
template <class T>
CpuLoops<T> loops_AVX512();
#endif

const char* cpu_loops_isa() {
  static const char* isa = [] {
#ifdef SCALELAB_CPU_LOOPS_X86
    const std::string aten = at::get_cpu_capability();
    if (aten == "AVX512") return "AVX512";
    if (aten == "AVX2") return "AVX2";
#endif
    return "DEFAULT";
  }();
  return isa;
}

template <class T>
const CpuLoops<T>& cpu_loops() {
  static const CpuLoops<T> chosen = [] {
#ifdef SCALELAB_CPU_LOOPS_X86
    const std::string isa = cpu_loops_isa();
    if (isa == "AVX512") return loops_AVX512<T>();
    if (isa == "AVX2") return loops_AVX2<T>();
#endif
    return loops_DEFAULT<T>();
  }();
  return chosen;
}

template const CpuLoops<float>& cpu_loops<float>();
template const CpuLoops<double>& cpu_loops<double>();

}  // namespace scalelab::kernels
