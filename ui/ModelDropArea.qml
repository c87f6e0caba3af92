import QtQuick
import QtQuick.Controls
import Nibble.App

// Takes .gguf files and folders dragged onto the window: while they hover it
// covers everything with "Drop to add to your library", and a drop hands them
// to the library's import (which also explains when nothing could be added).
DropArea {
    id: area
    // After a drop, so the window can show the library page with its message.
    signal droppedUrls()

    onEntered: (drag) => {
        drag.accepted = drag.hasUrls
        if (drag.accepted) drag.acceptProposedAction()
    }
    onDropped: (drop) => {
        if (!drop.hasUrls) return
        drop.acceptProposedAction()
        Library.importUrls(drop.urls)
        area.droppedUrls()
    }

    Rectangle {
        objectName: "dropOverlay"
        anchors.fill: parent
        visible: area.containsDrag
        color: Qt.rgba(Theme.window.r, Theme.window.g, Theme.window.b, 0.96)

        Rectangle {
            anchors.fill: parent
            anchors.margins: 16
            radius: 16
            color: "transparent"
            border.color: Theme.accent
            border.width: 2
        }
        Column {
            anchors.centerIn: parent
            spacing: 8
            Image {
                anchors.horizontalCenter: parent.horizontalCenter
                source: "qrc:/nibble/icons/import.svg"
                sourceSize.width: 40
                sourceSize.height: 40
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Drop to add to your library")
                color: Theme.text
                font.pixelSize: 20
                font.weight: Font.DemiBold
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr(".gguf model files, or folders that hold them")
                color: Theme.mutedText
            }
        }
    }
}
