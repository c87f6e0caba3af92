# Windows: an NSIS installer (CPack NSIS generator, NSIS 3 on PATH).
# Written and reviewed, never built: these machines run Debian only. See
# installer/README.md for what needs a Windows machine to confirm.
#
# Install layout ($INSTDIR, by default C:\Program Files\Nibble):
#   bin\nibble.exe, bin\nibble-cli.exe, the Qt DLLs, plugins and QML modules
#   windeployqt puts beside them, qt.conf, the MSVC runtime, vulkan-1.dll
#   share\nibble\models\SmolLM2-135M-Instruct.Q4_1.gguf (found as bin\..\share\...)
# The user's data stays in %APPDATA%\Nibble\Nibble, which the uninstaller
# never touches.
set(_nibble_windows "${CMAKE_CURRENT_LIST_DIR}")

# A GUI app (no console window), with its icon.
set_target_properties(nibble PROPERTIES WIN32_EXECUTABLE ON)
target_sources(nibble PRIVATE "${_nibble_windows}/nibble.rc")

# windeployqt, run by Qt's deploy script at install time, copies the Qt DLLs,
# the plugins and the QML modules the app imports (it scans the QML that
# qt_add_qml_module compiled in), and writes qt.conf.
qt_generate_deploy_qml_app_script(TARGET nibble FILENAME_VARIABLE _nibble_deploy_script)
install(SCRIPT "${_nibble_deploy_script}")

# windeployqt copies Qt's DLLs only. The other DLLs the two programs need
# (spdlog, fmt, PCRE2, SQLite when they come as DLLs, as from vcpkg) are found
# by scanning the built programs, in the prefix path's bin folders and PATH;
# Windows' own DLLs, Qt's and the Vulkan loader (below) are left out.
set(_nibble_dll_dirs "")
foreach(_prefix IN LISTS CMAKE_PREFIX_PATH)
    list(APPEND _nibble_dll_dirs "${_prefix}/bin")
endforeach()
install(CODE "set(_nibble_dll_dirs \"${_nibble_dll_dirs}\")")
install(CODE [[
    file(GET_RUNTIME_DEPENDENCIES
        EXECUTABLES "$<TARGET_FILE:nibble>" "$<TARGET_FILE:nibble-cli>"
        RESOLVED_DEPENDENCIES_VAR _nibble_dlls
        UNRESOLVED_DEPENDENCIES_VAR _nibble_unresolved
        DIRECTORIES ${_nibble_dll_dirs}
        PRE_EXCLUDE_REGEXES "^api-ms-" "^ext-ms-" "^[Qq]t6" "^vulkan-1"
        POST_EXCLUDE_REGEXES "[Ss]ystem32" "[Ss]ys[Ww][Oo][Ww]64")
    foreach(_dll IN LISTS _nibble_unresolved)
        message(WARNING "Not bundled, not found: ${_dll}")
    endforeach()
    file(INSTALL ${_nibble_dlls} DESTINATION "${CMAKE_INSTALL_PREFIX}/bin")
]])

# The MSVC runtime, so a fresh Windows needs no redistributable installed first.
set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION "${CMAKE_INSTALL_BINDIR}")
include(InstallRequiredSystemLibraries)

# GPU drivers install the Vulkan loader, but a machine without one (a VM, a
# server) would refuse to start nibble.exe, which links vulkan-1.dll; with the
# loader bundled it starts and runs on the CPU. The loader still finds the
# drivers through the registry.
find_file(NIBBLE_VULKAN_LOADER_DLL vulkan-1.dll
    HINTS "$ENV{VULKAN_SDK}/Bin" "$ENV{SystemRoot}/System32"
    NO_DEFAULT_PATH)
if(NIBBLE_VULKAN_LOADER_DLL)
    install(FILES "${NIBBLE_VULKAN_LOADER_DLL}" DESTINATION "${CMAKE_INSTALL_BINDIR}")
else()
    message(WARNING "vulkan-1.dll was not found (set VULKAN_SDK): the installer will rely on the GPU driver's loader")
endif()

if(NIBBLE_HAS_BUNDLED_MODEL)
    install(FILES "${NIBBLE_BUNDLED_MODEL}" DESTINATION "${CMAKE_INSTALL_DATADIR}/nibble/models"
        RENAME "${NIBBLE_BUNDLED_MODEL_NAME}")
endif()
install(FILES "${NIBBLE_INSTALLER_DIR}/LICENSE.txt" DESTINATION .)

set(CPACK_GENERATOR "NSIS")
set(CPACK_PACKAGE_FILE_NAME "Nibble-${PROJECT_VERSION}-win64")
set(CPACK_PACKAGE_INSTALL_REGISTRY_KEY "Nibble")
set(CPACK_NSIS_PACKAGE_NAME "Nibble")
set(CPACK_NSIS_DISPLAY_NAME "Nibble ${PROJECT_VERSION}")
set(CPACK_NSIS_INSTALL_ROOT "$PROGRAMFILES64")
set(CPACK_NSIS_MUI_ICON "${_nibble_windows}/nibble.ico")
set(CPACK_NSIS_MUI_UNIICON "${_nibble_windows}/nibble.ico")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\nibble.exe")
set(CPACK_NSIS_EXECUTABLES_DIRECTORY "bin")
set(CPACK_NSIS_MUI_FINISHPAGE_RUN "nibble.exe")
set(CPACK_CREATE_DESKTOP_LINKS "nibble")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_MANIFEST_DPI_AWARE ON)
set(CPACK_NSIS_COMPRESSOR "/SOLID lzma")

