# Linux: desktop integration (desktop entry, icons, AppStream metainfo, man
# pages), the bundled model, and two packages:
#   DEB  nibble_<version>-1_<arch>.deb for Debian 12 and its derivatives; its
#        Depends come from dpkg-shlibdeps plus the QML module packages the UI
#        imports (computed at cpack time, see cpack_project_config.cmake.in)
#   TGZ  a self-contained AppDir (Qt, its plugins and QML modules bundled, a
#        launcher script AppRun) packed as nibble-<version>-linux-<arch>.tar.gz
set(_nibble_linux "${CMAKE_CURRENT_LIST_DIR}")
set(_nibble_gen "${PROJECT_BINARY_DIR}/installer")

install(FILES "${_nibble_linux}/${NIBBLE_APP_ID}.desktop" DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")

string(TIMESTAMP NIBBLE_RELEASE_DATE "%Y-%m-%d" UTC)
configure_file("${_nibble_linux}/${NIBBLE_APP_ID}.metainfo.xml.in" "${_nibble_gen}/${NIBBLE_APP_ID}.metainfo.xml" @ONLY)
install(FILES "${_nibble_gen}/${NIBBLE_APP_ID}.metainfo.xml" DESTINATION "${CMAKE_INSTALL_DATADIR}/metainfo")

# Icons: the SVG as drawn, and a PNG for every standard hicolor size, rendered
# at build time.
install(FILES "${NIBBLE_ICON_SVG}" DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps")
find_program(NIBBLE_RSVG_CONVERT rsvg-convert)
if(NIBBLE_RSVG_CONVERT)
    set(_nibble_pngs "")
    foreach(size 16 22 24 32 48 64 128 256 512)
        set(png "${_nibble_gen}/icons/${size}x${size}/${NIBBLE_APP_ID}.png")
        add_custom_command(OUTPUT "${png}"
            COMMAND "${NIBBLE_RSVG_CONVERT}" --width ${size} --height ${size} --output "${png}" "${NIBBLE_ICON_SVG}"
            DEPENDS "${NIBBLE_ICON_SVG}"
            COMMENT "Rendering the ${size}x${size} app icon"
            VERBATIM)
        list(APPEND _nibble_pngs "${png}")
        install(FILES "${png}" DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps")
    endforeach()
    add_custom_target(nibble_icons ALL DEPENDS ${_nibble_pngs})
else()
    message(WARNING "rsvg-convert (Debian: librsvg2-bin) was not found: installers carry only the scalable icon")
endif()

# Debian wants man pages and its changelog compressed without timestamps.
configure_file("${_nibble_linux}/changelog.Debian.in" "${_nibble_gen}/changelog.Debian" @ONLY)
set(_nibble_gz "")
foreach(source "${_nibble_linux}/nibble.1" "${_nibble_linux}/nibble-cli.1" "${_nibble_gen}/changelog.Debian")
    get_filename_component(name "${source}" NAME)
    set(gz "${_nibble_gen}/gz/${name}.gz")
    add_custom_command(OUTPUT "${gz}"
        COMMAND "${CMAKE_COMMAND}" -E copy "${source}" "${_nibble_gen}/gz/${name}"
        COMMAND gzip -9 --no-name --force "${_nibble_gen}/gz/${name}"
        DEPENDS "${source}"
        VERBATIM)
    list(APPEND _nibble_gz "${gz}")
endforeach()
add_custom_target(nibble_docs ALL DEPENDS ${_nibble_gz})
install(FILES "${_nibble_gen}/gz/nibble.1.gz" "${_nibble_gen}/gz/nibble-cli.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES "${_nibble_gen}/gz/changelog.Debian.gz" "${_nibble_linux}/copyright"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/nibble")
install(FILES "${_nibble_linux}/lintian-overrides" DESTINATION "${CMAKE_INSTALL_DATADIR}/lintian/overrides"
    RENAME nibble)

if(NIBBLE_HAS_BUNDLED_MODEL)
    install(FILES "${NIBBLE_BUNDLED_MODEL}" DESTINATION "${CMAKE_INSTALL_DATADIR}/nibble/models"
        RENAME "${NIBBLE_BUNDLED_MODEL_NAME}")
endif()

set(CPACK_GENERATOR "TGZ")
find_program(NIBBLE_DPKG_DEB dpkg-deb)
if(NIBBLE_DPKG_DEB)
    list(PREPEND CPACK_GENERATOR "DEB")
endif()

# DEB
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION "utils")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The model is most of the package and barely compresses: gzip packs it in
# seconds where xz takes minutes, for 1% more size. (Debian's archive, and so
# lintian, refuses zstd.)
set(CPACK_DEBIAN_COMPRESSION_TYPE "gzip")
# CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY before this as the synopsis.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Nibble is a desktop app for chatting with language models that run on this
computer. Nothing typed leaves the machine: the model, its inference engine
and the conversations all stay local.
.
It comes with a small chat model (SmolLM2 135M Instruct), imports GGUF models,
compares quantized variants of one model side by side, and runs on the CPU or,
through Vulkan, on the graphics card. nibble-cli runs the same engine from a
terminal.")
# Loaded at run time, so dpkg-shlibdeps cannot see them: the QML modules
# (found at cpack time), QtQml's own optional imports, the folder model the
# non-native file dialog is built on, and the SVG plugin that draws the icons.
set(NIBBLE_DEB_RUNTIME_DEPENDS
    qml6-module-qtqml-models qml6-module-qtqml-workerscript qml6-module-qt-labs-folderlistmodel libqt6svg6)
# The Vulkan loader is opened at run time (engine/vulkan/loader.h): without it
# Nibble runs on the CPU, so it is recommended, not a dependency.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libvulkan1, mesa-vulkan-drivers, qt6-wayland")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "vulkan-tools")

# TGZ: an AppDir, usr/ inside a top folder with the launcher beside it; its
# name and layout are set in cpack_project_config.cmake.in.
find_program(NIBBLE_QMLIMPORTSCANNER qmlimportscanner
    HINTS "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_LIBEXECS}" NO_DEFAULT_PATH)
set(NIBBLE_QT_PLUGIN_DIR "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_PLUGINS}")
set(NIBBLE_QT_QML_DIR "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_QML}")
configure_file("${_nibble_linux}/make_appdir.cmake.in" "${_nibble_gen}/make_appdir.cmake" @ONLY)
configure_file("${_nibble_linux}/cpack_project_config.cmake.in" "${_nibble_gen}/cpack_project_config.cmake" @ONLY)
set(CPACK_PROJECT_CONFIG_FILE "${_nibble_gen}/cpack_project_config.cmake")
