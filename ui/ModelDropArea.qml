import QtQuick
import QtQuick.Controls

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
        library.importUrls(drop.urls)
        area.droppedUrls()
    }

    Rectangle {
        objectName: "dropOverlay"
        anchors.fill: parent
        visible: area.containsDrag
        color: Qt.rgba(theme.window.r, theme.window.g, theme.window.b, 0.96)

        Rectangle {
            anchors.fill: parent
            anchors.margins: 16
            radius: 16
            color: "transparent"
            border.color: theme.accent
            border.width: 2
        }
        Column {
            anchors.centerIn: parent
            spacing: 8
            Image {
                anchors.horizontalCenter: parent.horizontalCenter
                source: "qrc:/nibble/icons/import.svg"
                sourceSize: Qt.size(40, 40)
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr("Drop to add to your library")
                color: theme.text
                font.pixelSize: 20
                font.weight: Font.DemiBold
            }
            Label {
                anchors.horizontalCenter: parent.horizontalCenter
                text: qsTr(".gguf model files, or folders that hold them")
                color: theme.mutedText
            }
        }
    }
}
