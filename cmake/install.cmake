# `cmake --install BUILD --prefix P` (docs/building.md, "Installing"):
#   P/bin/cagcl
#   P/share/cagcl/configs/          every configs/*.yaml: the presets (also embedded), the anatomy mapping, the
#                                   keyword lexicon, the Rad-ChestCT label map, the held-out prompt templates
#   P/share/cagcl/slurm/            train.sbatch and its guide
#   P/share/cagcl/monitoring/       grafana/ (dashboard + provisioning), prometheus/ (scrape configs, alert rules)
#   P/share/doc/cagcl/              README.md and docs/
# Tests and benchmarks are not installed. The binary finds its data files at <exe dir>/<CAGCL_DATA_FROM_BIN>
# (common/installed_files.hpp); the plot script of `cagcl eval` is compiled in.
include(GNUInstallDirs)

set(CAGCL_INSTALL_DATA_DIR ${CMAKE_INSTALL_DATADIR}/cagcl)
# The data directory relative to the binary's: the same under any --prefix, as long as both are relative.
file(RELATIVE_PATH CAGCL_DATA_FROM_BIN ${CMAKE_INSTALL_FULL_BINDIR} ${CMAKE_INSTALL_FULL_DATADIR}/cagcl)
if(IS_ABSOLUTE ${CMAKE_INSTALL_BINDIR} OR IS_ABSOLUTE ${CMAKE_INSTALL_DATADIR})
  message(WARNING "cagcl: absolute CMAKE_INSTALL_BINDIR/DATADIR: the binary finds its data files only where "
                  "they are now (${CAGCL_DATA_FROM_BIN} from the binary), not under another --prefix")
endif()

# Only the locator sees where it was built (to fall back to the source tree when run from the build directory) and
# where the data lies when installed; out of the unity batches so that the definitions stay with it.
set(_cagcl_locator ${CMAKE_SOURCE_DIR}/common/installed_files.cpp)
set_property(SOURCE ${_cagcl_locator} APPEND PROPERTY COMPILE_DEFINITIONS
             CAGCL_DATA_FROM_BIN="${CAGCL_DATA_FROM_BIN}")
if(TARGET cagcl)
  set_property(SOURCE ${_cagcl_locator} APPEND PROPERTY COMPILE_DEFINITIONS
               CAGCL_BUILD_BIN_DIR="$<TARGET_FILE_DIR:cagcl>")
  install(TARGETS cagcl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
else()
  # CAGCL_CORE_ONLY (the sanitizer build) has no binary, but the locator must behave as in the full build, where
  # cagcl is linked into the top of the build tree: its tests pin that rule.
  set_property(SOURCE ${_cagcl_locator} APPEND PROPERTY COMPILE_DEFINITIONS
               CAGCL_BUILD_BIN_DIR="${CMAKE_BINARY_DIR}")
endif()
set_property(SOURCE ${_cagcl_locator} PROPERTY SKIP_UNITY_BUILD_INCLUSION ON)

install(DIRECTORY ${CMAKE_SOURCE_DIR}/configs/ DESTINATION ${CAGCL_INSTALL_DATA_DIR}/configs
        FILES_MATCHING PATTERN "*.yaml")
install(PROGRAMS ${CMAKE_SOURCE_DIR}/slurm/train.sbatch DESTINATION ${CAGCL_INSTALL_DATA_DIR}/slurm)
install(FILES ${CMAKE_SOURCE_DIR}/slurm/README.md DESTINATION ${CAGCL_INSTALL_DATA_DIR}/slurm)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/monitoring/grafana DESTINATION ${CAGCL_INSTALL_DATA_DIR}/monitoring)
# alerts_test.yml is promtool's unit test of the rules: a test, not installed.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/monitoring/prometheus DESTINATION ${CAGCL_INSTALL_DATA_DIR}/monitoring
        FILES_MATCHING PATTERN "*.yml" PATTERN "*_test.yml" EXCLUDE)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
