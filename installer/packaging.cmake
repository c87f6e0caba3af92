# Installers: what `cmake --install` puts where, and how CPack wraps it.
# Included at the end of the top-level CMakeLists.txt, after app/ and cli
# declared their targets (and their install(TARGETS) rules).
#
#   Linux:   a .deb (DEB) and a self-contained tarball with an AppDir layout (TGZ)
#   Windows: an NSIS installer, Qt deployed with windeployqt
#   macOS:   a .app bundle in a DMG, Qt deployed with macdeployqt, MoltenVK for Vulkan
#
# The user's data (conversations, settings, logs, downloaded models) lives in
# the platform's app-data folder, never under the install prefix, so no
# uninstaller touches it.

# Installers carry the desktop app; a build without the GUI has none to make.
if(NOT TARGET nibble)
    message(STATUS "Installers: off, since the desktop app is not built (NIBBLE_BUILD_GUI=OFF)")
    return()
endif()

include(GNUInstallDirs)

set(NIBBLE_APP_ID "io.github.nibble.Nibble")
set(NIBBLE_INSTALLER_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(NIBBLE_ICON_SVG "${NIBBLE_INSTALLER_DIR}/icons/${NIBBLE_APP_ID}.svg")

# The bundled default model, taken from the test-model cache: the app looks for
# it in <prefix>/share/nibble/models/ (and beside a relocated bin/).
set(NIBBLE_BUNDLED_MODEL_NAME "SmolLM2-135M-Instruct.Q4_1.gguf")
if(DEFINED ENV{NIBBLE_MODEL_CACHE} AND NOT "$ENV{NIBBLE_MODEL_CACHE}" STREQUAL "")
    set(_nibble_model_cache "$ENV{NIBBLE_MODEL_CACHE}")
else()
    set(_nibble_model_cache "$ENV{HOME}/.cache/nibble/test-models")
endif()
set(NIBBLE_BUNDLED_MODEL "${_nibble_model_cache}/${NIBBLE_BUNDLED_MODEL_NAME}" CACHE FILEPATH
    "Model file installed as Nibble's default model; empty to ship without one")
if(NIBBLE_BUNDLED_MODEL AND EXISTS "${NIBBLE_BUNDLED_MODEL}")
    message(STATUS "Installers bundle the default model ${NIBBLE_BUNDLED_MODEL}")
    set(NIBBLE_HAS_BUNDLED_MODEL TRUE)
else()
    message(WARNING "The default model ${NIBBLE_BUNDLED_MODEL_NAME} was not found "
        "(NIBBLE_BUNDLED_MODEL=${NIBBLE_BUNDLED_MODEL}), so installers will ship WITHOUT a model and "
        "a first start asks the user to import one. Run scripts/fetch-test-models and configure again, "
        "or point -DNIBBLE_BUNDLED_MODEL at the file.")
    set(NIBBLE_HAS_BUNDLED_MODEL FALSE)
endif()

set(CPACK_PACKAGE_NAME "nibble")
set(CPACK_PACKAGE_VENDOR "The Nibble developers")
set(NIBBLE_PACKAGE_MAINTAINER "Nibble developers <nibble@users.noreply.github.com>" CACHE STRING
    "Maintainer named in the packages (Debian's Maintainer field)")
set(CPACK_PACKAGE_CONTACT "${NIBBLE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chat with a local language model, offline")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "Nibble")
set(CPACK_PACKAGE_EXECUTABLES "nibble;Nibble")
set(CPACK_RESOURCE_FILE_LICENSE "${NIBBLE_INSTALLER_DIR}/LICENSE.txt")
set(CPACK_STRIP_FILES ON)
set(CPACK_VERBATIM_VARIABLES ON)
# Directories CPack creates itself follow the same rule as installed ones,
# whatever the umask of the machine that packs.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/")

if(WIN32)
    include("${NIBBLE_INSTALLER_DIR}/windows/windows.cmake")
elseif(APPLE)
    include("${NIBBLE_INSTALLER_DIR}/macos/macos.cmake")
elseif(UNIX)
    include("${NIBBLE_INSTALLER_DIR}/linux/linux.cmake")
endif()

include(CPack)
