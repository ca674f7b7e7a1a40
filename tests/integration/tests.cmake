# One line per integration test file: wedge_integration_test(<file stem> <libraries>).
# Integration tests boot real guests (TCG) and may download Debian packages into
# ${CMAKE_BINARY_DIR}/cache; run them with `ctest -L integration`.

# Integration tests run two at a time (ctest -j2: ci/test.sh); a TCG guest needs about one core.
# These must have the host alone: they measure time or memory that a second guest would
# disturb, run several guests themselves, or assert which wedge reaps a dead run's leftovers
# (any wedge that starts beside them may). ctest runs each of them with no other test.
set(WEDGE_HOST_ALONE_TESTS
  DoctorTest.*
  LibvirtBackendTest.KvmProbeAnswersWithinTimeoutAndCleansUp
  RunTest.ConsoleFloodIsRecordedAndLosesNothing
  HostFailureTest.FloodingGuestStaysWithinTheMemoryBound
  HostFailureTest.SigkillThenNewRunLeavesNothingBehind
  HostFailureTest.LibvirtdRestartedMidRunGoesOn
  MatrixE2eTest.TwoScenariosTwoRepeatsParallelTwoPushedToAPushgateway
  LoadedHostTest.*)
list(JOIN WEDGE_HOST_ALONE_TESTS ":" WEDGE_HOST_ALONE_FILTER)
# Where the tests note each run's boot_s (tests/integration/run_helpers.h).
set(WEDGE_BOOT_TIMES_FILE ${CMAKE_BINARY_DIR}/integration-boot-times.txt)

# wedge_integration_test(NAME LIBS...): tests/integration/NAME.cpp -> executable NAME.
function(wedge_integration_test name)
  add_executable(${name} integration/${name}.cpp)
  wedge_test_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    WEDGE_TESTDATA_DIR="${CMAKE_SOURCE_DIR}/tests/testdata"
    WEDGE_TEST_CACHE_DIR="${CMAKE_BINARY_DIR}/cache" ${WEDGE_SOURCE_DIR_DEFINITION}
    WEDGE_BOOT_TIMES_FILE="${WEDGE_BOOT_TIMES_FILE}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 TEST_FILTER "-${WEDGE_HOST_ALONE_FILTER}"
    PROPERTIES LABELS integration TIMEOUT 900)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 TEST_FILTER "${WEDGE_HOST_ALONE_FILTER}"
    PROPERTIES LABELS integration TIMEOUT 900 RUN_SERIAL TRUE)
endfunction()

wedge_integration_test(image_boot_test wedge_image)
wedge_integration_test(libvirt_backend_test wedge_vm_libvirt wedge_image)
wedge_integration_test(nbd_server_test wedge_storage)
wedge_integration_test(run_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json tomlplusplus::tomlplusplus)
target_compile_definitions(run_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(run_test wedge)
wedge_integration_test(ninep_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json fmt::fmt)
target_compile_definitions(ninep_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(ninep_test wedge)
wedge_integration_test(faults_test wedge_faults wedge_storage wedge_util)
wedge_integration_test(crash_module_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json fmt::fmt)
target_compile_definitions(crash_module_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>"
  WEDGE_CRASH_KO="${WEDGE_CRASH_KO}")
add_dependencies(crash_module_test wedge wedge_crash_module)
wedge_integration_test(iscsi_test wedge_storage wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json tomlplusplus::tomlplusplus)
target_compile_definitions(iscsi_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(iscsi_test wedge)
wedge_integration_test(nfs_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json tomlplusplus::tomlplusplus)
target_compile_definitions(nfs_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(nfs_test wedge)
wedge_integration_test(nfs_loopback_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json tomlplusplus::tomlplusplus)
target_compile_definitions(nfs_loopback_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(nfs_loopback_test wedge)
wedge_integration_test(workloads_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json fmt::fmt)
target_compile_definitions(workloads_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(workloads_test wedge)
wedge_integration_test(matrix_e2e_test wedge_util nlohmann_json::nlohmann_json)
target_compile_definitions(matrix_e2e_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>"
  WEDGE_SCHEMA_DIR="${CMAKE_SOURCE_DIR}/reports/schema")
add_dependencies(matrix_e2e_test wedge)
wedge_integration_test(host_failure_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json fmt::fmt)
target_compile_definitions(host_failure_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(host_failure_test wedge)
wedge_integration_test(doctor_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json)
target_compile_definitions(doctor_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(doctor_test wedge)

# Runs after the whole integration suite (ci/test.sh, label integration-summary): every boot the
# suite's reports recorded took at most 5 s.
add_executable(boot_times_test integration/boot_times_test.cpp)
wedge_test_flags(boot_times_test)
target_link_libraries(boot_times_test PRIVATE GTest::gtest_main)
target_compile_definitions(boot_times_test PRIVATE WEDGE_BOOT_TIMES_FILE="${WEDGE_BOOT_TIMES_FILE}")
add_test(NAME BootTimesTest COMMAND boot_times_test)
set_tests_properties(BootTimesTest PROPERTIES LABELS integration-summary)

# The loaded-host recipe (issue 17) makes its own load: it must have the host alone.
wedge_integration_test(loaded_host_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json)
target_compile_definitions(loaded_host_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>"
  WEDGE_CRASH_KO="${WEDGE_CRASH_KO}")
add_dependencies(loaded_host_test wedge wedge_crash_module)
wedge_integration_test(nvme_tcp_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json tomlplusplus::tomlplusplus fmt::fmt)
target_compile_definitions(nvme_tcp_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(nvme_tcp_test wedge)
wedge_integration_test(knfsd_server_guest_test wedge_vm_libvirt wedge_util nlohmann_json::nlohmann_json tomlplusplus::tomlplusplus fmt::fmt)
target_compile_definitions(knfsd_server_guest_test PRIVATE WEDGE_BINARY="$<TARGET_FILE:wedge>")
add_dependencies(knfsd_server_guest_test wedge)
