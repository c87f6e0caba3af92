# macOS: Nibble.app in a DMG (CPack DragNDrop generator), Qt deployed with
# macdeployqt, Vulkan through MoltenVK. Written and reviewed, never built:
# these machines run Debian only. See installer/README.md.
#
# Bundle layout:
#   Nibble.app/Contents/MacOS/Nibble
#   Nibble.app/Contents/Frameworks/   Qt (macdeployqt), libvulkan.1.dylib, libMoltenVK.dylib
#   Nibble.app/Contents/PlugIns/, Resources/qml/   Qt plugins and QML modules (macdeployqt)
#   Nibble.app/Contents/Resources/vulkan/icd.d/MoltenVK_icd.json   where the loader looks inside a bundle
#   Nibble.app/Contents/share/nibble/models/   the bundled model (the app looks in <exe dir>/../share)
# The user's data stays in ~/Library/Application Support/Nibble/Nibble; moving
# the app to the Bin leaves it there.
#
# app/CMakeLists.txt must install the bundle: its install(TARGETS nibble ...)
# needs `BUNDLE DESTINATION .` beside `RUNTIME DESTINATION bin`.
set(_nibble_macos "${CMAKE_CURRENT_LIST_DIR}")
set(_nibble_bundle "Nibble.app/Contents")

set_source_files_properties("${_nibble_macos}/Nibble.icns" TARGET_DIRECTORY nibble
    PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
target_sources(nibble PRIVATE "${_nibble_macos}/Nibble.icns")
set_target_properties(nibble PROPERTIES
    MACOSX_BUNDLE ON
    OUTPUT_NAME Nibble
    MACOSX_BUNDLE_INFO_PLIST "${_nibble_macos}/Info.plist.in"
    MACOSX_BUNDLE_GUI_IDENTIFIER "${NIBBLE_APP_ID}"
    MACOSX_BUNDLE_BUNDLE_NAME "Nibble"
    MACOSX_BUNDLE_ICON_FILE "Nibble.icns"
    MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
    MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}")

# The Vulkan loader goes into the bundle first, so that macdeployqt (which
# cannot follow the build-tree rpath CMake strips at install) finds it there.
set_property(TARGET nibble APPEND PROPERTY INSTALL_RPATH "@executable_path/../Frameworks")
file(REAL_PATH "${Vulkan_LIBRARY}" _nibble_vulkan_loader)
install(FILES "${_nibble_vulkan_loader}" DESTINATION "${_nibble_bundle}/Frameworks" RENAME "libvulkan.1.dylib")

# macdeployqt, run by Qt's deploy script at install time: Qt frameworks,
# plugins, the QML modules the app imports, and the dylibs the binary links,
# with install names rewritten into the bundle.
qt_generate_deploy_qml_app_script(TARGET nibble FILENAME_VARIABLE _nibble_deploy_script)
install(SCRIPT "${_nibble_deploy_script}")

# MoltenVK, the Vulkan driver on Metal, from the Vulkan SDK. Its manifest is
# rewritten to point at the copy inside the bundle, relative to the manifest.
find_library(NIBBLE_MOLTENVK MoltenVK HINTS "$ENV{VULKAN_SDK}/lib")
find_file(NIBBLE_MOLTENVK_ICD MoltenVK_icd.json HINTS "$ENV{VULKAN_SDK}/share/vulkan/icd.d")
if(NIBBLE_MOLTENVK AND NIBBLE_MOLTENVK_ICD)
    file(REAL_PATH "${NIBBLE_MOLTENVK}" _moltenvk)
    install(FILES "${_moltenvk}" DESTINATION "${_nibble_bundle}/Frameworks" RENAME "libMoltenVK.dylib")
    file(READ "${NIBBLE_MOLTENVK_ICD}" _icd)
    string(REGEX REPLACE "\"library_path\"[ \t]*:[ \t]*\"[^\"]*\""
        "\"library_path\": \"../../../Frameworks/libMoltenVK.dylib\"" _icd "${_icd}")
    file(WRITE "${PROJECT_BINARY_DIR}/installer/MoltenVK_icd.json" "${_icd}")
    install(FILES "${PROJECT_BINARY_DIR}/installer/MoltenVK_icd.json"
        DESTINATION "${_nibble_bundle}/Resources/vulkan/icd.d")
else()
    message(WARNING "MoltenVK was not found (set VULKAN_SDK to the Vulkan SDK's macOS folder): "
        "the app bundle will have no Vulkan driver and run on the CPU only")
endif()

if(NIBBLE_HAS_BUNDLED_MODEL)
    install(FILES "${NIBBLE_BUNDLED_MODEL}" DESTINATION "${_nibble_bundle}/share/nibble/models"
        RENAME "${NIBBLE_BUNDLED_MODEL_NAME}")
endif()

set(CPACK_GENERATOR "DragNDrop")
set(CPACK_PACKAGE_FILE_NAME "Nibble-${PROJECT_VERSION}-macOS")
set(CPACK_DMG_VOLUME_NAME "Nibble")
set(CPACK_DMG_FORMAT "UDZO")
set(CPACK_PACKAGE_ICON "${_nibble_macos}/Nibble.icns")
