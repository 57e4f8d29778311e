# `cmake --install` puts the runtime in a prefix as a CMake package:
#   find_package(mp CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE mp::mp)
include(CMakePackageConfigHelpers)
get_property(_mp_targets GLOBAL PROPERTY MP_COMPONENTS)
install(TARGETS ${_mp_targets} EXPORT mpTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/reference/include/mp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mpTargets NAMESPACE mp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mp)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mpConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mpConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mpConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mpConfig.cmake ${PROJECT_BINARY_DIR}/mpConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/mp)
