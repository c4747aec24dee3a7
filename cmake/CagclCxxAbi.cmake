# The C++ ABI of LibTorch against the system libraries' (docs/gpu.md, "The two refusals"). Included after
# find_package(Torch) and the system libraries.
#
# libstdc++ has two ABIs for std::string and std::list, chosen by _GLIBCXX_USE_CXX11_ABI. LibTorch says which it
# was built with in TORCH_CXX_FLAGS: pip torch up to 2.6 uses the old one (=0), the official "cxx11 ABI"
# archives, pip torch from 2.7 on and Debian's 1.13 the new one (=1). Debian's spdlog, yaml-cpp and GoogleTest
# are built with the new one. Mixed, the link fails with undefined references to spdlog or YAML functions taking
# a std::string (or, where it links, strings break at run time), so configure refuses it.
#
# CAGCL_SYSTEM_CXX11_ABI: AUTO reads the ABI from the symbols of the system libraries named in
# CAGCL_ABI_PROBE_LIBRARIES (by default yaml-cpp's and spdlog's shared libraries: both export functions taking a
# std::string, whose names contain "__cxx11" under the new ABI only), falling back to the compiler's default;
# 0 or 1 states it (for libraries rebuilt with another ABI).
set(CAGCL_SYSTEM_CXX11_ABI AUTO CACHE STRING "C++ ABI of the system libraries: AUTO, 0 (old) or 1 (new, cxx11)")
set_property(CACHE CAGCL_SYSTEM_CXX11_ABI PROPERTY STRINGS AUTO 0 1)

# The shared-library files behind the default probe targets, into `out`.
function(cagcl_default_abi_probes out)
  set(files "")
  foreach(target yaml-cpp yaml-cpp::yaml-cpp spdlog::spdlog)
    if(TARGET ${target})
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "SHARED_LIBRARY" OR type STREQUAL "UNKNOWN_LIBRARY")
        get_target_property(location ${target} LOCATION)
        if(location)
          list(APPEND files "${location}")
        endif()
      endif()
    endif()
  endforeach()
  set(${out} "${files}" PARENT_SCOPE)
endfunction()

# The ABI (0 or 1) of the first probe library whose dynamic symbols nm can read, into `abi`, and its path into
# `source`; empty when none could be read.
function(cagcl_abi_of_libraries libraries abi source)
  set(${abi} "" PARENT_SCOPE)
  find_program(CAGCL_NM NAMES nm)
  if(NOT CAGCL_NM)
    return()
  endif()
  foreach(library ${libraries})
    if(NOT EXISTS "${library}")
      continue()
    endif()
    execute_process(COMMAND ${CAGCL_NM} -D --defined-only "${library}" OUTPUT_VARIABLE symbols ERROR_QUIET
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR symbols STREQUAL "")
      continue()
    endif()
    if(symbols MATCHES "__cxx11")
      set(${abi} 1 PARENT_SCOPE)
    else()
      set(${abi} 0 PARENT_SCOPE)
    endif()
    set(${source} "${library}" PARENT_SCOPE)
    return()
  endforeach()
endfunction()

# The compiler's default ABI (what libraries built without the flag use), into `abi`.
function(cagcl_compiler_default_abi abi)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -x c++ -dM -E -include string /dev/null
                  OUTPUT_VARIABLE macros ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND macros MATCHES "#define _GLIBCXX_USE_CXX11_ABI ([01])")
    set(${abi} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${abi} "" PARENT_SCOPE)
  endif()
endfunction()

string(REGEX MATCH "_GLIBCXX_USE_CXX11_ABI=([01])" _cagcl_torch_abi_flag "${TORCH_CXX_FLAGS}")
if(NOT _cagcl_torch_abi_flag)
  message(STATUS "cagcl: LibTorch names no C++ ABI in TORCH_CXX_FLAGS ('${TORCH_CXX_FLAGS}'): ABI not checked")
else()
  set(_cagcl_torch_abi ${CMAKE_MATCH_1})
  if(CAGCL_SYSTEM_CXX11_ABI STREQUAL "AUTO")
    if(NOT DEFINED CAGCL_ABI_PROBE_LIBRARIES)
      cagcl_default_abi_probes(CAGCL_ABI_PROBE_LIBRARIES)
    endif()
    cagcl_abi_of_libraries("${CAGCL_ABI_PROBE_LIBRARIES}" _cagcl_system_abi _cagcl_system_abi_source)
    if(_cagcl_system_abi STREQUAL "")
      cagcl_compiler_default_abi(_cagcl_system_abi)
      set(_cagcl_system_abi_source "the default of ${CMAKE_CXX_COMPILER}")
    endif()
  else()
    set(_cagcl_system_abi ${CAGCL_SYSTEM_CXX11_ABI})
    set(_cagcl_system_abi_source "CAGCL_SYSTEM_CXX11_ABI")
  endif()
  if(_cagcl_system_abi STREQUAL "")
    message(STATUS "cagcl: the system libraries' C++ ABI could not be read: ABI not checked")
  elseif(NOT _cagcl_torch_abi STREQUAL _cagcl_system_abi)
    set(_cagcl_abi_name_0 "the old C++ ABI (_GLIBCXX_USE_CXX11_ABI=0)")
    set(_cagcl_abi_name_1 "the new (cxx11) C++ ABI (_GLIBCXX_USE_CXX11_ABI=1)")
    message(FATAL_ERROR
      "cagcl: C++ ABI mismatch. LibTorch (${Torch_DIR}) is built with ${_cagcl_abi_name_${_cagcl_torch_abi}} "
      "(TORCH_CXX_FLAGS '${TORCH_CXX_FLAGS}'), the system libraries (spdlog, yaml-cpp, GoogleTest; read from "
      "${_cagcl_system_abi_source}) with ${_cagcl_abi_name_${_cagcl_system_abi}}. Linked together, std::string "
      "crosses between them in two layouts: the link fails, or strings break at run time. Use a LibTorch with the "
      "system's ABI: the official LibTorch archive named 'cxx11 ABI', or pip torch 2.7 or later (pip torch 2.6 "
      "and older use the old ABI). Or rebuild spdlog, fmt, yaml-cpp and GoogleTest with "
      "-D_GLIBCXX_USE_CXX11_ABI=${_cagcl_torch_abi} and configure with "
      "-DCAGCL_SYSTEM_CXX11_ABI=${_cagcl_torch_abi} (docs/gpu.md).")
  else()
    message(STATUS "cagcl: C++ ABI ${_cagcl_torch_abi} in LibTorch and the system libraries")
  endif()
endif()
