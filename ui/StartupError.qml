import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Shown instead of the main window when Nibble cannot open its data. For a
// damaged chat history it offers to move the file aside and start fresh.
ApplicationWindow {
    id: window
    required property string message
    property bool canStartFresh: false
    signal startFreshChosen()
    width: 560
    height: 300
    visible: true
    title: qsTr("Nibble cannot start")

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 24
        spacing: 16
        Label {
            text: qsTr("Nibble cannot start")
            font.pixelSize: 20
            font.weight: Font.DemiBold
        }
        Label {
            objectName: "startupErrorMessage"
            Layout.fillWidth: true
            text: window.message
            wrapMode: Text.Wrap
        }
        Label {
            objectName: "startFreshExplanation"
            Layout.fillWidth: true
            visible: window.canStartFresh
            text: qsTr("Moving it aside renames the file and leaves it where it is, so nothing is deleted; "
                       + "Nibble then starts with an empty chat history.")
            wrapMode: Text.Wrap
            opacity: 0.75
        }
        Item { Layout.fillHeight: true }
        RowLayout {
            Layout.alignment: Qt.AlignRight
            spacing: 8
            Button {
                objectName: "startFreshButton"
                visible: window.canStartFresh
                text: qsTr("Move it aside and start fresh")
                onClicked: window.startFreshChosen()
            }
            Button {
                objectName: "quitButton"
                text: qsTr("Quit")
                onClicked: Qt.quit()
            }
        }
    }
}
