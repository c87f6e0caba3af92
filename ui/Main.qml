import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Nibble's main window: a navigation rail, a header with the model picker,
// the current page, and a status bar.
ApplicationWindow {
    id: window
    width: 1200
    height: 780
    minimumWidth: 760
    minimumHeight: 480
    visible: true
    title: Chat.title.length > 0 ? Chat.title + " — Nibble" : "Nibble"
    color: Theme.window
    // Spelled out on the window as well so every control, popups included,
    // follows a theme switch at once.
    palette.window: Theme.window
    palette.windowText: Theme.text
    palette.base: Theme.surface
    palette.alternateBase: Theme.raised
    palette.text: Theme.text
    palette.button: Theme.raised
    palette.buttonText: Theme.text
    palette.dark: Theme.accent
    palette.brightText: Theme.accentText
    palette.mid: Theme.border
    palette.midlight: Theme.border
    palette.light: Theme.accent  // a dropdown's highlighted item, under highlightedText
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.accentText
    palette.placeholderText: Theme.mutedText
    palette.toolTipBase: Theme.raised
    palette.toolTipText: Theme.text

    // 0 chat, 1 model library, 2 compare, 3 settings
    property int page: 0
    readonly property var pageTitles: [qsTr("Chat"), qsTr("Model library"), qsTr("Compare variants"), qsTr("Settings")]

    // Whether the pages are built. They are made after the window's first
    // frame, piece by piece between frames, so the window (its frame and a
    // placeholder) is on screen at once rather than black until every page
    // exists (seconds on a slow first start).
    readonly property bool contentReady: content.status === Loader.Ready

    Loader {
        id: content
        objectName: "mainContent"
        anchors.fill: parent
        asynchronous: true
        sourceComponent: Item {
            RowLayout {
                anchors.fill: parent
                spacing: 0

                Rectangle {
                    Layout.fillHeight: true
                    Layout.preferredWidth: 64
                    color: Theme.sidebar
                    ColumnLayout {
                        anchors.fill: parent
                        anchors.topMargin: 14
                        anchors.bottomMargin: 14
                        spacing: 6
                        Image {
                            Layout.alignment: Qt.AlignHCenter
                            Layout.bottomMargin: 14
                            source: "qrc:/nibble/icons/nibble.svg"
                            sourceSize.width: 34
                            sourceSize.height: 34
                        }
                        NavButton {
                            objectName: "navChat"
                            Layout.alignment: Qt.AlignHCenter
                            text: qsTr("Chat")
                            iconName: "chat"
                            current: window.page === 0
                            onClicked: window.page = 0
                        }
                        NavButton {
                            objectName: "navModels"
                            Layout.alignment: Qt.AlignHCenter
                            text: qsTr("Model library")
                            iconName: "models"
                            current: window.page === 1
                            onClicked: window.page = 1
                        }
                        NavButton {
                            objectName: "navCompare"
                            Layout.alignment: Qt.AlignHCenter
                            text: qsTr("Compare variants")
                            iconName: "compare"
                            current: window.page === 2
                            onClicked: window.page = 2
                        }
                        Item { Layout.fillHeight: true }
                        NavButton {
                            objectName: "navSettings"
                            Layout.alignment: Qt.AlignHCenter
                            text: qsTr("Settings")
                            iconName: "settings"
                            current: window.page === 3
                            onClicked: window.page = 3
                        }
                    }
                    Rectangle {
                        anchors.right: parent.right
                        width: 1
                        height: parent.height
                        color: Theme.border
                    }
                }

                ColumnLayout {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    spacing: 0

                    HeaderBar {
                        Layout.fillWidth: true
                        title: window.page === 0 ? (Chat.title.length > 0 ? Chat.title : qsTr("New chat"))
                                                 : window.pageTitles[window.page]
                        conversationTools: window.page === 0
                    }

                    GpuNoticeBanner { Layout.fillWidth: true }
                    StartupNoticeBanner { Layout.fillWidth: true }
                    FirstRunOfferBanner { Layout.fillWidth: true }

                    StackLayout {
                        objectName: "pages"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        currentIndex: window.page
                        ChatPage { objectName: "chatPage" }
                        ModelLibraryPage {
                            objectName: "modelLibraryPage"
                            onUseVariant: (variantId) => { Chat.variantId = variantId; window.page = 0 }
                        }
                        ComparePage { objectName: "comparePage" }
                        SettingsPage { objectName: "settingsPage" }
                    }

                    StatusBar { Layout.fillWidth: true }
                }
            }

            // Models dropped anywhere on the window go to the library.
            ModelDropArea {
                anchors.fill: parent
                onDroppedUrls: window.page = 1
            }
        }
    }

    // Until the pages exist: the app's mark and a word on what is happening.
    Column {
        objectName: "startupPlaceholder"
        visible: !window.contentReady
        anchors.centerIn: parent
        spacing: 14
        Image {
            anchors.horizontalCenter: parent.horizontalCenter
            source: "qrc:/nibble/icons/nibble.svg"
            sourceSize.width: 64
            sourceSize.height: 64
        }
        Label {
            anchors.horizontalCenter: parent.horizontalCenter
            text: qsTr("Starting Nibble…")
            color: Theme.mutedText
            font.pixelSize: 15
        }
        BusyIndicator {
            anchors.horizontalCenter: parent.horizontalCenter
            running: parent.visible
        }
    }
}
